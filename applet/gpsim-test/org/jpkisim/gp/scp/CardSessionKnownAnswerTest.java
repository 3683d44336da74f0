package org.jpkisim.gp.scp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;
import org.junit.jupiter.api.Test;

/**
 * The card-side engines replay published sessions (osmocom pySim, tests/unittests/test_globalplatform.py):
 * same keys, counter and challenges give the recorded INITIALIZE UPDATE answer, accept the recorded
 * EXTERNAL AUTHENTICATE, unwrap the recorded commands to the plain ones and wrap the recorded response.
 */
class CardSessionKnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final byte[] ISD = HEX.parseHex("A000000151000000");
    /** The recordings come from an eUICC: the pseudo-random challenge was derived with the ISD-R's AID (SGP.02). */
    private static final byte[] ISD_R = HEX.parseHex("A0000005591010FFFFFFFF8900000100");
    private static final byte[] NO_DIVERSIFICATION = new byte[10];

    /** A "random" source that yields a recorded card challenge. */
    private static SecureRandom fixed(String hex) {
        byte[] value = HEX.parseHex(hex);
        return new SecureRandom() {
            private static final long serialVersionUID = 1L;

            @Override
            public void nextBytes(byte[] bytes) {
                System.arraycopy(value, 0, bytes, 0, bytes.length);
            }
        };
    }

    private static KeyRepository advanced(ScpKeySet set, int counter) {
        KeyRepository repository = new KeyRepository(List.of(set));
        for (int n = 0; n < counter; n++) {
            repository.nextCounter(set, 0xFFFFFF);
        }
        return repository;
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    @Test
    void scp02CardReplaysTheRecordedSession() {
        ScpKeySet set = new ScpKeySet(0x70, 0x02, 0x15, HEX.parseHex("100102030405060708090A0B0C0D0E0F"),
                HEX.parseHex("101102030405060708090A0B0C0D0E0F"), HEX.parseHex("102102030405060708090A0B0C0D0E0F"));
        Scp02CardSession card = new Scp02CardSession(set, advanced(set, 1), ISD, NO_DIVERSIFICATION, fixed("6B4524ABEE7C"));
        assertEquals("00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3",
                hex(card.initializeUpdate(HEX.parseHex("40A62C37FA6304F8"))));
        card.externalAuthenticate(HEX.parseHex("8482010010BA6961667737C5BCEBECE14C7D6A4376"));
        assertEquals(0x01, card.level());
        // Recorded wrapped commands, less the trailing Le the card never sees in the data.
        assertEquals("80F2200200", hex(card.unwrap(HEX.parseHex("84F220020814DB34FA4341DCA8"))));
        assertEquals("80CA006600", hex(card.unwrap(HEX.parseHex("84CA00660855ED7C5FF069512B"))));
        assertEquals("80F220020A4F0212345C054F9F70C5", hex(card.unwrap(HEX.parseHex("84F22002124F0212345C054F9F70C58FC1B380C4228AF8"))));
        assertEquals("80F28002024F00", hex(card.unwrap(HEX.parseHex("84F280020A4F003B95F09317DE6A4E"))));
    }

    @Test
    void scp03PseudoRandomChallengeIsDerivedFromCounterAndAid() {
        ScpKeySet set = new ScpKeySet(0x30, 0x03, 0x70, HEX.parseHex("000102030405060708090A0B0C0D0E0F"),
                HEX.parseHex("101112131415161718191A1B1C1D1E1F"), HEX.parseHex("202122232425262728292A2B2C2D2E2F"));
        Scp03CardSession card = new Scp03CardSession(set, advanced(set, 2), ISD_R, NO_DIVERSIFICATION, new SecureRandom());
        assertEquals("000000000000000000003003703EB51047495B249F66C484C1D2EF1948000002",
                hex(card.initializeUpdate(HEX.parseHex("B13E5F938FC108C4"))));
        card.externalAuthenticate(HEX.parseHex("84821100107D5F5826A993EBC89EEA24957FA0B3CE"));
        assertEquals(0x11, card.level());
        assertEquals("80E2910006BF3E035C015A", hex(card.unwrap(HEX.parseHex("84E291000EBF3E035C015A558D036518A28297"))));
        assertEquals("BF3E125A1089882119900000000000000000000005971BE68992DBBDFA9000",
                hex(card.wrap(HEX.parseHex("BF3E125A10898821199000000000000000000000059000"))));
    }

    @Test
    void scp03FullLevelReplay() {
        ScpKeySet set = new ScpKeySet(0x30, 0x03, 0x70, HEX.parseHex("000102030405060708090A0B0C0D0E0F"),
                HEX.parseHex("101112131415161718191A1B1C1D1E1F"), HEX.parseHex("202122232425262728292A2B2C2D2E2F"));
        Scp03CardSession card = new Scp03CardSession(set, advanced(set, 3), ISD_R, NO_DIVERSIFICATION, new SecureRandom());
        assertEquals("000000000000000000003003703B1ACA81E821F219081CDC01C26B372D000003",
                hex(card.initializeUpdate(HEX.parseHex("FDF38259A1E0DE44"))));
        card.externalAuthenticate(HEX.parseHex("84823300108C36F96BCC00724A4E13AD591D7DA3F0"));
        assertEquals("80E2910006BF3E035C015A",
                hex(card.unwrap(HEX.parseHex("84E2910018267A85DFE4A98FCA6FB0527E0DFECCE4914E40401433C87F"))));
        assertEquals("F3BA2B1013AA6224F5E1C138D71805C569E5439B47576260B75FC021B25097CB2E68F8A0144975B99000",
                hex(card.wrap(HEX.parseHex("BF3E125A10898821199000000000000000000000059000"))));
    }
}
