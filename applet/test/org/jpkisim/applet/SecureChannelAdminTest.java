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
        return Card.sw(response);
    }

    private static byte[] apdu(String header, byte[] data) {
        return Card.apdu(header, data);
    }

    /** Content keys by key transport to this card's applet (no card authority on a bare GpCard test). */
    private void establish(ScpHost scp) {
        java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
        for (int offset = 0; offset < 550; ) {
            byte[] r = card.transmit(HEX.parseHex(String.format("80B6%04X00", offset)));
            record.writeBytes(Arrays.copyOf(r, r.length - 2));
            offset += r.length - 2;
            if (!sw(r).equals("9000") || r.length - 2 < 256) {
                break;
            }
        }
        java.security.PublicKey key = Card.transportKey(record.toByteArray(), false);
        for (String block : helper.blockApdus("84D400", helper.sealer.keyTransport(key))) {
            assertEquals("9000", sw(scp.send(HEX.parseHex(block))));
        }
    }

    private byte[] authorised(String header, byte[] payload) {
        byte[] h = HEX.parseHex(header);
        return apdu(header, helper.sealer.authorise(h[1] & 0xFF, h[2] & 0xFF, h[3] & 0xFF, payload));
    }

    private void personalise(ScpHost scp) {
        helper.sealer.setCounter(0);
        establish(scp);
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
        assertEquals("9000", sw(scp.send(authorised("84F00F00", new byte[0]))));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x03, 0x13, 0x33})
    void personalisesOverScp03(int level) {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), level);
        personalise(scp);
        // The generated-key fingerprint comes back through the session (R-MAC / R-ENC where set).
        byte[] fingerprint = scp.send(authorised("84460000", new byte[0]));
        assertEquals("9000", sw(fingerprint));
        assertEquals(32 + 16 + 2, fingerprint.length);
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
            GpCard saved = card;
            card = fresh;
            ScpHost scp = ScpHost.open(fresh::transmit, HostKeys.testKeys(), 0x03);
            helper.sealer.setCounter(0);
            establish(scp);
            card = saved;
            byte[] response = scp.send(authorised("84460000", new byte[0]));
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
        assertEquals(0, card.transmit(scp.wrap(authorised("84F07F00", new byte[0]))).length);
        assertEquals(before, readCertificate());
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C020018"))));
        assertEquals("63C3", sw(card.transmit(HEX.parseHex("00200080"))));
    }

    /**
     * ISO secure-messaging classes (b4 set: 88-8B) are no GlobalPlatform secure messaging: the
     * security domain does not verify them, so with a session open they must not pass as
     * protected (a reader-side attacker sharing the link would otherwise need no keys at all).
     */
    @Test
    void isoSecureMessagingClassesNeverPassAsVerified() {
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        personalise(scp);
        for (int cla = 0x88; cla <= 0x8B; cla++) {
            for (String rest : new String[] {"DA00000101", "46000014" + "00".repeat(20), "F07F0014" + "00".repeat(20), "D4008010" + "00".repeat(16),
                    "DB1880" + "24" + "00".repeat(36)}) {
                String apdu = String.format("%02X", cla) + rest;
                // 89-8B address channels 1-3, which are not open here: refused by the runtime (6881).
                assertEquals(cla == 0x88 ? "6982" : "6881", sw(card.transmit(HEX.parseHex(apdu))), apdu);
            }
        }
        // The session is still the SP-TSM's; nothing changed: the PIN is still required.
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C020017"))));
        assertEquals("6982", sw(card.transmit(HEX.parseHex("802A00800401020304"))));
    }

    /**
     * The holder of the security domain's keys (the operator) opens its own session and tries
     * what the SP-TSM can do: every state-changing command needs the SP-TSM's authorisation.
     */
    @Test
    void securityDomainKeysAloneChangeNothing() {
        ScpHost sp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        personalise(sp);
        // What the operator could have recorded: every command the SP-TSM sent, in clear.
        byte[] recordedPolicy = authorised("84DA0000", new byte[] {1});
        byte[] recordedPin = apdu("84DB1880", helper.sealer.seal(0x18, "1111".getBytes(StandardCharsets.US_ASCII), 2));
        select();
        ScpHost operator = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        byte[] forgedTag = new byte[21];
        forgedTag[3] = 0x7F;
        forgedTag[4] = 1;
        assertEquals("6982", sw(operator.send(apdu("84DA0000", forgedTag))));
        assertEquals("6982", sw(operator.send(recordedPin)));
        assertEquals("6985", sw(operator.send(apdu("84D40080", new byte[16]))));
        assertEquals("6982", sw(operator.send(HEX.parseHex("84F07F00"))));
        assertEquals("6982", sw(operator.send(HEX.parseHex("84460000"))));
        // A command the SP-TSM authorised once is accepted once: replayed, it is refused.
        assertEquals("9000", sw(operator.send(recordedPolicy)));
        assertEquals("6982", sw(operator.send(recordedPolicy)));
        select();
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4020C020018"))));
        // The recorded PIN envelope never applied: 1111 is a wrong PIN.
        assertEquals("63C2", sw(card.transmit(HEX.parseHex("0020008004" + "31313131"))));
    }
}
