package org.jpkisim.gp.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Host-side SCP02 and SCP03 against published session transcripts: the GlobalPlatform unit test
 * data of osmocom pySim (tests/unittests/test_globalplatform.py, classes SCP02_Test and
 * SCP03_Test_AES128_11/_03/_33 and SCP03_Test_AES256_33), recorded with cards. Each case checks
 * EXTERNAL AUTHENTICATE, the wrapping of APDU cases 1 to 4 and, with R-MAC/R-ENC, a response.
 */
class ScpHostKnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final byte[] AES128_ENC = HEX.parseHex("000102030405060708090A0B0C0D0E0F");
    static final byte[] AES128_MAC = HEX.parseHex("101112131415161718191A1B1C1D1E1F");
    static final byte[] AES128_DEK = HEX.parseHex("202122232425262728292A2B2C2D2E2F");
    static final String[] PLAIN_CASES = {"80F22002", "80CA006600", "80F220020A4F0212345C054F9F70C5", "80F28002024F0000"};
    static final String GET_EID = "80E2910006BF3E035C015A00";
    static final String EID_RESPONSE = "BF3E125A1089882119900000000000000000000005";

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    private static ScpHost open(Replay replay, HostKeys keys, int level, String hostChallenge) {
        return ScpHost.open(replay, keys, level, HEX.parseHex(hostChallenge));
    }

    private static void checkCases(ScpHost host, String... expected) {
        for (int n = 0; n < 4; n++) {
            assertEquals(expected[n].toUpperCase(), hex(host.wrap(HEX.parseHex(PLAIN_CASES[n]))), "APDU case " + (n + 1));
        }
    }

    @Test
    void scp03Aes128CmacRmac() {
        HostKeys keys = new HostKeys(0x30, AES128_ENC, AES128_MAC, AES128_DEK);
        Replay card = new Replay("000000000000000000003003703EB51047495B249F66C484C1D2EF19480000029000", "9000");
        ScpHost host = open(card, keys, 0x11, "B13E5F938FC108C4");
        assertEquals("8050300008B13E5F938FC108C400", card.sent.get(0));
        assertEquals("84821100107D5F5826A993EBC89EEA24957FA0B3CE", card.sent.get(1));
        assertEquals("84E291000EBF3E035C015A558D036518A2829700", hex(host.wrap(HEX.parseHex(GET_EID))));
        byte[] response = HEX.parseHex("BF3E125A1089882119900000000000000000000005971BE68992DBBDFA9000");
        assertEquals(EID_RESPONSE + "9000", hex(host.unwrap(response)));
        checkCases(host, "84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
                "84f22002124f0212345c054f9f70c52249b50272656536", "84f280020a4f00e91443f6dce6b8ed00");
    }

    @Test
    void scp03Aes128CmacCdec() {
        HostKeys keys = new HostKeys(0x30, AES128_ENC, AES128_MAC, AES128_DEK);
        Replay card = new Replay("0000000000000000000030037030760CD2C47C1DD395065FE5EAD8A9D70000019000", "9000");
        ScpHost host = open(card, keys, 0x03, "8E1552D0513C60F3");
        assertEquals("8482030010FD4721A14D9B07003C451D2F8AE6BB21", card.sent.get(1));
        assertEquals("84E2910018CA9C00F6713D79BC8BAA642BDFF51C3F6A4082D3BD9AD26C00", hex(host.wrap(HEX.parseHex(GET_EID))));
        checkCases(host, "84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
                "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
                "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800");
    }

    @Test
    void scp03Aes128FullLevel() {
        HostKeys keys = new HostKeys(0x30, AES128_ENC, AES128_MAC, AES128_DEK);
        Replay card = new Replay("000000000000000000003003703B1ACA81E821F219081CDC01C26B372D0000039000", "9000");
        ScpHost host = open(card, keys, 0x33, "FDF38259A1E0DE44");
        assertEquals("84823300108C36F96BCC00724A4E13AD591D7DA3F0", card.sent.get(1));
        assertEquals("84E2910018267A85DFE4A98FCA6FB0527E0DFECCE4914E40401433C87F00", hex(host.wrap(HEX.parseHex(GET_EID))));
        byte[] response = HEX.parseHex("F3BA2B1013AA6224F5E1C138D71805C569E5439B47576260B75FC021B25097CB2E68F8A0144975B99000");
        assertEquals(EID_RESPONSE + "9000", hex(host.unwrap(response)));
        response[3] ^= 1;
        assertThrows(ScpHostException.class, () -> host.unwrap(response));
    }

    @Test
    void scp03Aes256FullLevel() {
        byte[] enc = HEX.parseHex("000102030405060708090A0B0C0D0E0F000102030405060708090A0B0C0D0E0F");
        byte[] mac = HEX.parseHex("101112131415161718191A1B1C1D1E1F101112131415161718191A1B1C1D1E1F");
        byte[] dek = HEX.parseHex("202122232425262728292A2B2C2D2E2F202122232425262728292A2B2C2D2E2F");
        Replay card = new Replay("00000000000000000000320370A8439A22CEDF045FA9F1903B2834F26E0000029000", "9000");
        ScpHost host = open(card, new HostKeys(0x32, enc, mac, dek), 0x33, "97B2055FE58599FD");
        assertEquals("8482330010508A0FD959D2E547C6B33154A6BE2057", card.sent.get(1));
        assertEquals("84E29100187A5EF717EAF1E135AE92FE54429D0E465DECDA65F5FE5AEA00", hex(host.wrap(HEX.parseHex(GET_EID))));
        byte[] response = HEX.parseHex("EA90DBFA648A67C5EB6ABC57F8530B97D0CD5647C5E8732016B55203B078DD2ACE7F8BC5D1C1CD999000");
        assertEquals(EID_RESPONSE + "9000", hex(host.unwrap(response)));
    }

    @Test
    void scp03WrongKeysFailOnTheCardCryptogram() {
        HostKeys wrong = new HostKeys(0x30, AES128_ENC, AES128_ENC, AES128_DEK);
        Replay card = new Replay("000000000000000000003003703EB51047495B249F66C484C1D2EF19480000029000");
        assertThrows(ScpHostException.class, () -> open(card, wrong, 0x01, "B13E5F938FC108C4"));
        assertEquals(1, card.sent.size(), "no EXTERNAL AUTHENTICATE after a bad card cryptogram");
    }

    static HostKeys scp02Keys() {
        return new HostKeys(0x20, HEX.parseHex("100102030405060708090A0B0C0D0E0F"),
                HEX.parseHex("101102030405060708090A0B0C0D0E0F"), HEX.parseHex("102102030405060708090A0B0C0D0E0F"));
    }

    @Test
    void scp02CmacAndIcvChaining() {
        Replay card = new Replay("00000000000000000000700200016B4524ABEE7CF32EA3838BC148F39000", "9000");
        ScpHost host = open(card, scp02Keys(), 0x01, "40A62C37FA6304F8");
        assertEquals("805020000840A62C37FA6304F800", card.sent.get(0));
        assertEquals("8482010010BA6961667737C5BCEBECE14C7D6A4376", card.sent.get(1));
        checkCases(host, "84F220020814DB34FA4341DCA8", "84CA00660855ED7C5FF069512B00",
                "84F22002124F0212345C054F9F70C58FC1B380C4228AF8", "84F280020A4F003B95F09317DE6A4E00");
    }
}
