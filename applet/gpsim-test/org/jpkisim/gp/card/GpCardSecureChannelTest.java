package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.List;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.host.ScpHostException;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The simulated card end to end in-process: ISD sessions at every i and level, and every refusal. */
class GpCardSecureChannelTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final String SELECT_ISD = "00A4040008A000000151000000";
    private static final String GET_KEY_INFO = "80CA00E000";

    private static String send(GpCard card, String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    private static String sw(String response) {
        return response.substring(response.length() - 4);
    }

    private static GpCard card(ScpKeySet set) {
        return GpCard.withMasterKeys(new KeyRepository(List.of(set)));
    }

    @Test
    void isdIsSelectedAfterResetAndAnswersSelectWithFci() {
        GpCard card = new GpCard();
        assertEquals("9000", sw(send(card, GET_KEY_INFO)));
        String fci = send(card, SELECT_ISD);
        assertEquals("6F108408A000000151000000A5049F6501FF9000", fci);
    }

    @ParameterizedTest(name = "SCP03 i={0} level={1}")
    @CsvSource({"00,00", "00,01", "00,03", "10,01", "10,03", "60,11", "60,13", "60,33", "70,01", "70,03", "70,11", "70,13", "70,33"})
    void scp03SessionsAtEveryLevel(String i, String level) {
        GpCard card = card(ScpKeySet.defaultScp03(Integer.parseInt(i, 16)));
        String plain = send(card, GET_KEY_INFO);
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), Integer.parseInt(level, 16));
        for (int n = 0; n < 3; n++) {
            // Several commands: MAC chaining and the encryption counter advance in step on both sides.
            assertEquals(plain, HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
        }
        assertTrue(plain.startsWith("E012C00401308810"), plain);
    }

    @ParameterizedTest(name = "SCP02 i={0} level={1}")
    @CsvSource({"15,00", "15,01", "15,03", "55,01", "55,03"})
    void scp02SessionsAtEveryLevel(String i, String level) {
        GpCard card = card(ScpKeySet.defaultScp02(Integer.parseInt(i, 16)));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), Integer.parseInt(level, 16));
        for (int n = 0; n < 3; n++) {
            assertEquals("E012C00401208010C00402208010C004032080109000", HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
        }
    }

    @Test
    void defaultCardOffersScp03FirstAndScp02ByKeyVersion() {
        GpCard card = new GpCard();
        String answer = send(card, "8050000008" + "0102030405060708" + "00");
        assertEquals("300370", answer.substring(20, 26));
        assertEquals(32 * 2 + 4, answer.length());
        answer = send(card, "8050200008" + "0102030405060708" + "00");
        assertEquals("2002", answer.substring(20, 24));
        assertEquals(28 * 2 + 4, answer.length());
    }

    @Test
    void unknownKeyVersionIsReferencedDataNotFound() {
        assertEquals("6A88", send(new GpCard(), "8050310008010203040506070800"));
    }

    @Test
    void badP2AndBadLengthAreRefused() {
        GpCard card = new GpCard();
        assertEquals("6A86", send(card, "8050000108010203040506070800"));
        assertEquals("6700", send(card, "80500000070102030405060700"));
    }

    @Test
    void externalAuthenticateWithoutInitializeUpdateIsWrongSequence() {
        assertEquals("6985", send(new GpCard(), "84820100100000000000000000000000000000000000"));
    }

    @Test
    void wrongKeysAreCaughtByTheHostBeforeExternalAuthenticate() {
        GpCard card = new GpCard();
        HostKeys wrong = new HostKeys(0, new byte[16], new byte[16], new byte[16]);
        assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, wrong, 0x01));
    }

    @Test
    void tamperedExternalAuthenticateMacIs6982AndTheSessionIsGone() {
        GpCard card = new GpCard();
        ScpHost.open(command -> {
            if (command[1] == (byte) 0x82) {
                command[command.length - 1] ^= 1;
                byte[] answer = card.transmit(command);
                assertEquals("6982", HEX.formatHex(answer));
                // A second EXTERNAL AUTHENTICATE has no INITIALIZE UPDATE to follow any more.
                command[command.length - 1] ^= 1;
                assertEquals("6985", HEX.formatHex(card.transmit(command)));
                return HEX.parseHex("9000");
            }
            return card.transmit(command);
        }, HostKeys.testKeys(), 0x01);
    }

    @Test
    void levelTheKeySetCannotGiveIsIncorrectParameters() {
        GpCard card = card(ScpKeySet.defaultScp03(0x00));
        ScpHostException e = assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, HostKeys.testKeys(), 0x11));
        assertEquals(0x6A86, e.sw());
        ScpHostException malformed = assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, HostKeys.testKeys(), 0x02));
        assertEquals(0x6A86, malformed.sw());
    }

    @Test
    void badCommandMacClosesTheSession() {
        GpCard card = new GpCard();
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        byte[] wrapped = host.wrap(HEX.parseHex(GET_KEY_INFO));
        wrapped[wrapped.length - 2] ^= 1;
        assertEquals("6982", HEX.formatHex(card.transmit(wrapped)));
        // Even a correctly wrapped command is refused now: the session is closed.
        assertEquals("6982", HEX.formatHex(card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)))));
    }

    @Test
    void replayedCommandIsRefused() {
        GpCard card = new GpCard();
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        byte[] wrapped = host.wrap(HEX.parseHex(GET_KEY_INFO));
        assertEquals("9000", sw(HEX.formatHex(card.transmit(wrapped))));
        assertEquals("6982", HEX.formatHex(card.transmit(wrapped)));
    }

    @Test
    void securedCommandWithoutSessionIsRefused() {
        assertEquals("6982", send(new GpCard(), "84CA00E0080102030405060708"));
    }

    @Test
    void resetAndReselectionEndTheSession() {
        GpCard card = new GpCard();
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        card.reset();
        assertEquals("6982", HEX.formatHex(card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)))));
        host = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        assertEquals("9000", sw(send(card, SELECT_ISD)));
        assertEquals("6982", HEX.formatHex(card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)))));
    }

    @Test
    void pseudoRandomChallengesNeverRepeat() {
        GpCard card = new GpCard();
        String first = send(card, "8050000008010203040506070800");
        String second = send(card, "8050000008010203040506070800");
        assertEquals("000000", first.substring(58, 64));
        assertEquals("000001", second.substring(58, 64));
        assertTrue(!first.substring(26, 42).equals(second.substring(26, 42)));
    }

    @Test
    void otherCommandsHaveDefinedStatusWords() {
        GpCard card = new GpCard();
        assertEquals("6D00", send(card, "8010000000"));
        // card content management exists, but only inside an authenticated session
        assertEquals("6982", send(card, "80E6000000"));
        assertEquals("6E00", send(card, "00CA00E000"));
        assertEquals("6A88", send(card, "80CA9F6E00"));
        assertEquals("6E00", send(card, "8450000008010203040506070800"));
    }

    @Test
    void cardRecognitionDataNamesTheProtocols() {
        String data = send(new GpCard(), "80CA006600");
        assertTrue(data.contains("640B0609" + "2A864886FC6B" + "040370"), data);
        assertTrue(data.contains("640B0609" + "2A864886FC6B" + "040255"), data);
    }

    @Test
    void unimplementedIParametersAreRefusedWhenTheCardIsConfigured() {
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp03(0x72));
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp03(0x08));
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp02(0x1A));
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp02(0x17));
    }

    // ---- SCP02 R-MAC -------------------------------------------------------------------------

    private static final String KEY_INFO_ONE_SCP02_SET = "E012C00401208010C00402208010C004032080109000";
    private static final String GET_STATUS_ISD = "80F28000024F0000";

    @ParameterizedTest(name = "SCP02 i={0} level={1}")
    @CsvSource({"35,10", "35,11", "35,13", "75,10", "75,11", "75,13", "35,01", "75,03"})
    void scp02RmacSessions(String i, String level) {
        GpCard card = card(ScpKeySet.defaultScp02(Integer.parseInt(i, 16)));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), Integer.parseInt(level, 16));
        for (int n = 0; n < 3; n++) {
            // R-MAC chained over responses to a command without data (GET DATA) and one with data (GET STATUS)
            assertEquals(KEY_INFO_ONE_SCP02_SET, HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
            String isd = HEX.formatHex(host.send(HEX.parseHex(GET_STATUS_ISD)));
            assertTrue(isd.startsWith("08A000000151000000") && isd.endsWith("9000"), isd);
        }
    }

    @Test
    void scp02RmacIsEightBytesBetweenDataAndStatus() {
        GpCard card = card(ScpKeySet.defaultScp02(0x75));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x11);
        byte[] raw = card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)));
        assertEquals(20 + 8 + 2, raw.length);
        assertEquals(KEY_INFO_ONE_SCP02_SET, HEX.formatHex(host.unwrap(raw)));
    }

    @Test
    void scp02RmacIsNotOfferedWithoutTheRmacBitOfI() {
        for (int i : new int[] {0x15, 0x55}) {
            GpCard card = card(ScpKeySet.defaultScp02(i));
            for (int level : new int[] {0x10, 0x11, 0x13}) {
                ScpHostException e = assertThrows(ScpHostException.class,
                        () -> ScpHost.open(card::transmit, HostKeys.testKeys(0x20), level));
                assertEquals(0x6A86, e.sw());
            }
        }
        GpCard card = card(ScpKeySet.defaultScp02(0x75));
        for (int level : new int[] {0x30, 0x33, 0x02, 0x12}) {
            assertThrows(RuntimeException.class, () -> ScpHost.open(card::transmit, HostKeys.testKeys(0x20), level));
        }
    }

    @Test
    void scp02TamperedResponseFailsTheRmac() {
        GpCard card = card(ScpKeySet.defaultScp02(0x75));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x13);
        byte[] raw = card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)));
        raw[3] ^= 1;
        assertThrows(ScpHostException.class, () -> host.unwrap(raw));
    }

    @Test
    void scp02ErrorStatusHasNoRmacAndLeavesTheChain() {
        GpCard card = card(ScpKeySet.defaultScp02(0x75));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x11);
        assertEquals(KEY_INFO_ONE_SCP02_SET, HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
        // GET STATUS of applications with an AID prefix nothing has: 6A88, bare
        assertEquals("6A88", HEX.formatHex(card.transmit(host.wrap(HEX.parseHex("80F24002034F01EE00")))));
        assertEquals(KEY_INFO_ONE_SCP02_SET, HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
    }

    @Test
    void scp02RmacOnlyLevelTakesPlainCommands() {
        GpCard card = card(ScpKeySet.defaultScp02(0x35));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x10);
        byte[] command = host.wrap(HEX.parseHex(GET_STATUS_ISD));
        assertEquals("80F28000024F0000", HEX.formatHex(command));
        byte[] raw = card.transmit(command);
        String isd = HEX.formatHex(host.unwrap(raw));
        assertEquals(isd.length() / 2 + 8, raw.length);
        assertTrue(isd.startsWith("08A000000151000000"), isd);
    }

    // ---- SCP03 S16 ---------------------------------------------------------------------------

    @ParameterizedTest(name = "SCP03 S16 i={0} level={1}")
    @CsvSource({"01,00", "01,01", "01,03", "11,01", "11,03", "61,11", "61,13", "61,33", "71,01", "71,03", "71,11", "71,13", "71,33"})
    void scp03S16SessionsAtEveryLevel(String i, String level) {
        GpCard card = card(ScpKeySet.defaultScp03(Integer.parseInt(i, 16)));
        String plain = send(card, GET_KEY_INFO);
        ScpHost host = ScpHost.openS16(card::transmit, HostKeys.testKeys(), Integer.parseInt(level, 16));
        assertEquals(16, ((org.jpkisim.gp.host.Scp03Host) host).macLength());
        for (int n = 0; n < 3; n++) {
            assertEquals(plain, HEX.formatHex(host.send(HEX.parseHex(GET_KEY_INFO))));
            String isd = HEX.formatHex(host.send(HEX.parseHex(GET_STATUS_ISD)));
            assertTrue(isd.startsWith("08A000000151000000") && isd.endsWith("9000"), isd);
        }
    }

    @Test
    void scp03S16UsesSixteenByteChallengesCryptogramsAndMacs() {
        GpCard card = card(ScpKeySet.defaultScp03(0x71));
        String iu = send(card, "8050000010" + "000102030405060708090A0B0C0D0E0F" + "00");
        // KDD (10) | 30 03 71 | card challenge (16) | card cryptogram (16) | counter (3)
        assertEquals((13 + 16 + 16 + 3) * 2 + 4, iu.length());
        assertEquals("300371", iu.substring(20, 26));
        String random = send(card(ScpKeySet.defaultScp03(0x61)), "8050000010" + "000102030405060708090A0B0C0D0E0F" + "00");
        assertEquals((13 + 16 + 16) * 2 + 4, random.length());
        // an S8 host challenge to an S16 key set
        assertEquals("6700", send(card, "8050000008010203040506070800"));
        ScpHost host = ScpHost.openS16(card::transmit, HostKeys.testKeys(), 0x33);
        byte[] wrapped = host.wrap(HEX.parseHex(GET_KEY_INFO));
        assertEquals(5 + 16, wrapped.length - 1, HEX.formatHex(wrapped));
        byte[] raw = card.transmit(wrapped);
        // R-ENC: the key information (20 bytes) padded to 32, then a 16-byte R-MAC
        assertEquals(32 + 16 + 2, raw.length);
        assertEquals(send(card(ScpKeySet.defaultScp03(0x71)), GET_KEY_INFO), HEX.formatHex(host.unwrap(raw)));
    }

    @Test
    void scp03S16BadMacClosesTheSession() {
        GpCard card = card(ScpKeySet.defaultScp03(0x71));
        ScpHost host = ScpHost.openS16(card::transmit, HostKeys.testKeys(), 0x11);
        byte[] wrapped = host.wrap(HEX.parseHex(GET_KEY_INFO));
        wrapped[wrapped.length - 2] ^= 1;
        assertEquals("6982", HEX.formatHex(card.transmit(wrapped)));
        assertEquals("6982", HEX.formatHex(card.transmit(host.wrap(HEX.parseHex(GET_KEY_INFO)))));
    }

    @Test
    void scp03S8HostChallengeIsRefusedByTheHostForAnS16Card() {
        GpCard card = card(ScpKeySet.defaultScp03(0x71));
        assertEquals("6700", sw(send(card, "8050000008010203040506070800")));
    }

    // ---- the default card's key sets ---------------------------------------------------------

    @Test
    void defaultCardHasRmacAndS16KeySetsBesidesTheFirstTwo() {
        GpCard card = new GpCard();
        String info = send(card, GET_KEY_INFO);
        for (String entry : new String[] {"C00401308810", "C00401208010", "C00401228010", "C00401238010", "C00401338810", "C00401348810"}) {
            assertTrue(info.contains(entry), info);
        }
        assertTrue(info.startsWith("E06C"), info);
        ScpHost rmac = ScpHost.open(card::transmit, HostKeys.testKeys(0x22), 0x13);
        assertEquals("9000", sw(HEX.formatHex(rmac.send(HEX.parseHex(GET_STATUS_ISD)))));
        ScpHost rmacRandom = ScpHost.open(card::transmit, HostKeys.testKeys(0x23), 0x11);
        assertEquals("9000", sw(HEX.formatHex(rmacRandom.send(HEX.parseHex(GET_STATUS_ISD)))));
        ScpHost s16 = ScpHost.openS16(card::transmit, HostKeys.testKeys(0x33), 0x33);
        assertEquals("9000", sw(HEX.formatHex(s16.send(HEX.parseHex(GET_STATUS_ISD)))));
        ScpHost s16Random = ScpHost.openS16(card::transmit, HostKeys.testKeys(0x34), 0x13);
        assertEquals("9000", sw(HEX.formatHex(s16Random.send(HEX.parseHex(GET_STATUS_ISD)))));
        // key version 00 is still the first set, SCP03 S8 i=70
        assertEquals("300370", send(card, "8050000008010203040506070800").substring(20, 26));
        String recognition = send(card, "80CA006600");
        assertTrue(recognition.contains("040275") && recognition.contains("040235") && recognition.contains("040371")
                && recognition.contains("040361"), recognition);
    }
}
