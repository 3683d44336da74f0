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
        return new GpCard(new KeyRepository(List.of(set)));
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
        assertEquals("6A88", send(card, "80CA9F7F00"));
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
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp03(0x71));
        assertThrows(IllegalArgumentException.class, () -> ScpKeySet.defaultScp02(0x1A));
    }
}
