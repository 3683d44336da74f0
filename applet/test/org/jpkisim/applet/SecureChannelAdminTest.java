package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.jpkisim.gp.card.GpCard;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.host.ScpHostException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The administration interface through the simulated security domain's real secure channel
 * (SCP03 and SCP02), as an SP-TSM drives it.
 */
class SecureChannelAdminTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private GpCard card;
    private final Card helper = new Card(); // for the sealer and layouts only

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(Card.JPKI_AID), JpkiApplet.class, new byte[0]);
        select();
    }

    private void select() {
        assertEquals("9000", HEX.formatHex(card.transmit(HEX.parseHex("00A4040C0A" + Card.JPKI_AID))));
    }

    private static String sw(byte[] response) {
        return HEX.formatHex(Arrays.copyOfRange(response, response.length - 2, response.length));
    }

    private static byte[] apdu(String header, byte[] data) {
        byte[] out = Arrays.copyOf(HEX.parseHex(header), 5 + data.length);
        out[4] = (byte) data.length;
        System.arraycopy(data, 0, out, 5, data.length);
        return out;
    }

    private void personalise(ScpHost scp) {
        assertEquals("9000", sw(scp.send(apdu("84D40000", helper.sealer.keys()))));
        for (Object[] item : new Object[][] {
            {0x17, Card.keyImport(Card.testKey())},
            {0x0A, Card.vector("certs/test-auth.der")},
            {0x0B, Card.vector("certs/test-ca.der")},
            {0x18, Card.PIN.getBytes(StandardCharsets.US_ASCII)},
        }) {
            int target = (Integer) item[0];
            for (String command : helper.contentApdus(target, helper.sealer.seal(target, (byte[]) item[1]))) {
                assertEquals("9000", sw(scp.send(HEX.parseHex(command))), command.substring(0, 8));
            }
        }
        assertEquals("9000", sw(scp.send(HEX.parseHex("84F00F00"))));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x03, 0x13, 0x33})
    void personalisesOverScp03(int level) {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), level);
        personalise(scp);
        // The generated-key fingerprint comes back through the session (R-MAC / R-ENC where set).
        byte[] fingerprint = scp.send(HEX.parseHex("84460000"));
        assertEquals("9000", sw(fingerprint));
        assertEquals(34, fingerprint.length);
        // The user interface now works without any session.
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C02000A"))));
        assertEquals("308203B8", HEX.formatHex(Arrays.copyOf(card.transmit(HEX.parseHex("00B0000004")), 4)));
    }

    @Test
    void personalisesOverScp02() {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x03);
        personalise(scp);
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C020018"))));
        assertEquals("63C3", sw(card.transmit(HEX.parseHex("00200080"))));
    }

    @Test
    void macOnlySessionIsNotEnoughForAdministration() {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        assertEquals("6982", sw(scp.send(HEX.parseHex("84460000"))));
    }

    @Test
    void plainAdminCommandDuringASessionIsRefused() {
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("6982", sw(card.transmit(HEX.parseHex("84460000"))));
        assertEquals("6982", sw(card.transmit(HEX.parseHex("80460000"))));
    }

    @Test
    void tamperedCommandClosesTheSession() {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        byte[] wrapped = scp.wrap(HEX.parseHex("84DA00000101"));
        wrapped[wrapped.length - 1] ^= 1;
        assertEquals("6982", sw(card.transmit(wrapped)));
        assertEquals("6982", sw(card.transmit(scp.wrap(HEX.parseHex("84DA00000101")))));
    }

    @Test
    void wrongKeysNeverOpenASession() {
        byte[] wrong = HEX.parseHex("000102030405060708090A0B0C0D0E0F");
        assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, new HostKeys(0x30, wrong, wrong, wrong), 0x03));
    }

    @Test
    void reselectingEndsTheSession() {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        select();
        assertEquals("6982", sw(card.transmit(scp.wrap(HEX.parseHex("84460000")))));
    }

    @Test
    void everySimulatedCardGeneratesItsOwnKey() {
        String[] fingerprints = new String[2];
        for (int n = 0; n < 2; n++) {
            GpCard fresh = new GpCard();
            fresh.install(HEX.parseHex(Card.JPKI_AID), JpkiApplet.class, new byte[0]);
            fresh.transmit(HEX.parseHex("00A4040C0A" + Card.JPKI_AID));
            ScpHost scp = ScpHost.open(fresh::transmit, HostKeys.testKeys(), 0x03);
            byte[] response = scp.send(HEX.parseHex("84460000"));
            assertEquals("9000", sw(response));
            fingerprints[n] = HEX.formatHex(Arrays.copyOf(response, 32));
        }
        // jCardSim alone would give both cards the same "random" key pair.
        org.junit.jupiter.api.Assertions.assertNotEquals(fingerprints[0], fingerprints[1]);
    }

    /** Reads EF 000A whole, on the basic channel, after selecting the applet. */
    private String readCertificate() {
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C02000A"))));
        StringBuilder out = new StringBuilder();
        for (int offset = 0; ; offset += 256) {
            byte[] r = card.transmit(HEX.parseHex(String.format("00B0%04X00", offset)));
            out.append(HEX.formatHex(Arrays.copyOf(r, r.length - 2)));
            if (!sw(r).equals("9000")) {
                return out.toString();
            }
        }
    }

    @Test
    void powerLostAtTheCommitOfAnEnvelopeLeavesTheOldCertificateAndTheEnvelopeCanBeSentAgain() {
        personalise(ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03));
        String before = readCertificate();
        byte[] replacement = Card.vector("certs/test-ca.der");
        java.util.List<String> blocks = helper.contentApdus(0x0A, helper.sealer.seal(0x0A, replacement));
        select();
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        for (int b = 0; b < blocks.size() - 1; b++) {
            assertEquals("9000", sw(scp.send(HEX.parseHex(blocks.get(b)))));
        }
        // Power goes during the last block, at the commit that makes the envelope pending.
        card.armPowerLossAtNextCommit();
        byte[] torn = card.transmit(scp.wrap(HEX.parseHex(blocks.get(blocks.size() - 1))));
        assertEquals(0, torn.length, "a card that lost power answers nothing");
        assertEquals(before, readCertificate());
        // The counter did not move: the SP-TSM sends the same envelope again and it applies.
        select();
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        for (String block : blocks) {
            assertEquals("9000", sw(scp.send(HEX.parseHex(block))));
        }
        assertEquals(HEX.formatHex(replacement), readCertificate());
    }

    @Test
    void powerLostWhileTerminatingLeavesAPersonalisedApplet() {
        personalise(ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03));
        String before = readCertificate();
        select();
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        card.armPowerLossAtNextCommit();
        assertEquals(0, card.transmit(scp.wrap(HEX.parseHex("84F07F00"))).length);
        assertEquals(before, readCertificate());
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C020018"))));
        assertEquals("63C3", sw(card.transmit(HEX.parseHex("00200080"))));
    }
}
