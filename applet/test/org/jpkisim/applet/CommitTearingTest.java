package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.jpkisim.gp.card.GpCard;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.junit.jupiter.api.Test;

/**
 * Power lost at every transaction commit inside every command of the SP-TSM's flows — not only
 * between commands — on the simulated card, whose tearing follows Java Card rules (a commit that
 * does not complete rolls back; non-atomic writes stay). After each cut the card shows the state
 * before the operation or after it, never a mixture; plaintext key bytes and PINs are never in its
 * persistent state; and the SP-TSM finishes by sending the operation again.
 */
class CommitTearingTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final String AID = Card.JPKI_AID;
    private static final String PIN = "7391";
    private static final String NEW_PIN = "8264";

    /** One SP-TSM operation: the APDUs (before wrapping) that carry it. */
    private record Operation(String name, List<byte[]> apdus) {
    }

    /** What a client can observe, plus the persistent state's bytes for the secrecy checks. */
    private record Observed(String info, String certificate) {
    }

    private final Card sealing = new Card(); // the sealer, block layout and test material only

    private static String sw(byte[] response) {
        return Card.sw(response);
    }

    private static byte[] apdu(String header, byte[] data) {
        return Card.apdu(header, data);
    }

    private static GpCard freshCard() {
        GpCard card = new GpCard();
        card.install(HEX.parseHex(AID), JpkiApplet.class, new byte[0]);
        return card;
    }

    private static byte[] attestation(GpCard card) {
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4040C0A" + AID))));
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        for (int offset = 0; ; ) {
            byte[] r = card.transmit(HEX.parseHex(String.format("80B6%04X00", offset)));
            record.writeBytes(Arrays.copyOf(r, r.length - 2));
            offset += r.length - 2;
            if (!sw(r).equals("9000") || r.length - 2 < 256) {
                return record.toByteArray();
            }
        }
    }

    private static ScpHost session(GpCard card) {
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4040C0A" + AID))));
        return ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
    }

    private static Observed observe(GpCard card) {
        assertEquals("9000", sw(card.transmit(HEX.parseHex("00A4040C0A" + AID))));
        byte[] info = card.transmit(HEX.parseHex("80CA010100"));
        assertEquals("9000", sw(info));
        StringBuilder certificate = new StringBuilder();
        if (sw(card.transmit(HEX.parseHex("00A4020C02000A"))).equals("9000")) {
            for (int offset = 0; offset < 8192; offset += 256) {
                byte[] r = card.transmit(HEX.parseHex(String.format("00B0%04X00", offset)));
                certificate.append(HEX.formatHex(Arrays.copyOf(r, r.length - 2)));
                if (!sw(r).equals("9000")) {
                    break;
                }
            }
        }
        String infoHex = HEX.formatHex(Arrays.copyOf(info, info.length - 2));
        return new Observed(infoHex, certificate.toString());
    }

    private static byte[] persistentState(GpCard card) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            card.save(out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** The operations of personalisation, then PIN reset and termination, for this card. */
    private List<Operation> flow(GpCard card) {
        sealing.sealer.setCounter(0);
        List<Operation> ops = new ArrayList<>();
        ops.add(contentKeys(card));
        ops.add(new Operation("key", envelope(0x17, Card.keyImport(Card.testKey()))));
        ops.add(new Operation("certificate", envelope(0x0A, Card.vector("certs/test-auth.der"))));
        ops.add(new Operation("PIN", envelope(0x18, PIN.getBytes(StandardCharsets.US_ASCII))));
        ops.add(new Operation("personalised", List.of(authorised("84F00F00", new byte[0]))));
        ops.add(new Operation("PIN-less", List.of(authorised("84DA0000", new byte[] {1}))));
        ops.add(new Operation("PIN reset", envelope(0x18, NEW_PIN.getBytes(StandardCharsets.US_ASCII))));
        ops.add(new Operation("terminated", List.of(authorised("84F07F00", new byte[0]))));
        return ops;
    }

    /** Key transport to this card's own attested key: the one operation that differs per card. */
    private Operation contentKeys(GpCard card) {
        java.security.PublicKey transportKey = Card.transportKey(attestation(card), false);
        return new Operation("content keys", blocks("84D400", sealing.sealer.keyTransport(transportKey)));
    }

    private List<byte[]> blocks(String insP1, byte[] payload) {
        List<byte[]> out = new ArrayList<>();
        for (String hex : sealing.blockApdus(insP1, payload)) {
            out.add(HEX.parseHex(hex));
        }
        return out;
    }

    private List<byte[]> envelope(int target, byte[] content) {
        List<byte[]> out = new ArrayList<>();
        for (String hex : sealing.contentApdus(target, sealing.sealer.seal(target, content))) {
            out.add(HEX.parseHex(hex));
        }
        return out;
    }

    private byte[] authorised(String header, byte[] payload) {
        byte[] h = HEX.parseHex(header);
        return apdu(header, sealing.sealer.authorise(h[1] & 0xFF, h[2] & 0xFF, h[3] & 0xFF, payload));
    }

    private static void run(GpCard card, Operation op) {
        ScpHost scp = session(card);
        for (byte[] command : op.apdus()) {
            assertEquals("9000", sw(scp.send(command)), op.name());
        }
    }

    @Test
    void powerLostAtEveryCommitOfEveryCommandLeavesBeforeOrAfter() {
        // One card per cut; only the key transport is made for each card (its own transport key).
        int cuts = 0;
        GpCard reference = freshCard();
        List<Operation> ops = flow(reference);
        List<Observed> states = new ArrayList<>();
        states.add(observe(reference));
        List<int[]> commitsPerApdu = new ArrayList<>();
        for (Operation op : ops) {
            ScpHost scp = session(reference);
            int[] commits = new int[op.apdus().size()];
            for (int i = 0; i < commits.length; i++) {
                assertEquals("9000", sw(scp.send(op.apdus().get(i))), op.name());
                commits[i] = reference.lastCommandCommits();
            }
            commitsPerApdu.add(commits);
            states.add(observe(reference));
        }
        // What only a plaintext copy of the envelope's content would hold (the key object stores
        // the components, so they alone prove nothing): the end of qinv followed by the padding,
        // and the new PIN followed by its padding byte.
        RSAPrivateCrtKey userKey = Card.testKey();
        byte[] pq = new byte[20];
        System.arraycopy(Card.unsigned(userKey.getCrtCoefficient(), 128), 112, pq, 0, 16);
        pq[16] = (byte) 0x80;
        byte[] paddedPin = (NEW_PIN + "\u0080").getBytes(StandardCharsets.ISO_8859_1);
        for (int o = 0; o < ops.size(); o++) {
            Operation op = ops.get(o);
            int[] commits = commitsPerApdu.get(o);
            for (int a = 0; a < commits.length; a++) {
                for (int n = 1; n <= commits[a]; n++) {
                    GpCard card = freshCard();
                    Operation own = contentKeys(card);
                    Operation current = o == 0 ? own : op;
                    for (int k = 0; k < o; k++) {
                        run(card, k == 0 ? own : ops.get(k));
                    }
                    ScpHost scp = session(card);
                    for (int i = 0; i < a; i++) {
                        assertEquals("9000", sw(scp.send(current.apdus().get(i))));
                    }
                    card.armPowerLossAtCommit(n);
                    byte[] torn = card.transmit(scp.wrap(current.apdus().get(a)));
                    assertEquals(0, torn.length, op.name() + " APDU " + a + " commit " + n + ": a card without power answers nothing");
                    cuts++;
                    String where = op.name() + ", APDU " + (a + 1) + "/" + commits.length + ", commit " + n + "/" + commits[a];
                    byte[] state = persistentState(card);
                    assertFalse(contains(state, pq), where + ": plaintext key bytes rest in persistent memory");
                    assertFalse(contains(state, paddedPin), where + ": a plaintext PIN rests in persistent memory");
                    Observed after = observe(card);
                    boolean before = after.equals(states.get(o));
                    boolean done = after.equals(states.get(o + 1));
                    assertTrue(before || done, where + ": neither before nor after: " + after);
                    if (before) {
                        run(card, current);
                    }
                    assertEquals(states.get(o + 1), observe(card), where + ": sent again, the operation completes");
                }
            }
        }
        assertTrue(cuts >= ops.size(), "cuts: " + cuts);
        System.out.println("tearing: " + cuts + " cuts, one at every commit of every command");
    }

    @Test
    void terminationOverwritesThePinAndTheKey() {
        GpCard card = freshCard();
        List<Operation> ops = flow(card);
        for (int k = 0; k < 4; k++) {
            run(card, ops.get(k));
        }
        byte[] pin = PIN.getBytes(StandardCharsets.US_ASCII);
        // The probe works: the PIN object holds the value while the PIN is set.
        assertTrue(contains(persistentState(card), pin), "the PIN value is in the PIN object");
        run(card, ops.get(4));
        run(card, ops.get(7)); // terminated (its counter is above every earlier one)
        assertFalse(contains(persistentState(card), pin), "termination leaves the PIN value behind");
        RSAPrivateCrtKey key = Card.testKey();
        assertFalse(contains(persistentState(card), Card.unsigned(key.getPrimeP(), 128)), "termination leaves the key behind");
        assertFalse(contains(persistentState(card), Card.unsigned(key.getPrimeQ(), 128)), "termination leaves the key behind");
    }
}
