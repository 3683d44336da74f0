package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Power lost between any two APDUs of an administration flow leaves the old state or the new
 * one, never a mixture; and the flow can simply be run again afterwards.
 */
class TearingTest {
    private static final byte[] CERT = Card.vector("certs/test-auth.der");
    private static final byte[] OTHER_CERT = Card.vector("certs/test-ca.der");

    /** Snapshot of what the user interface can observe. */
    private record Observed(String certificate, String fingerprint, String triesLeft, String lifecycle) {
    }

    private static Observed observe(Card card) {
        card.powerCycle();
        card.domain.resetSecurity();
        card.selectApplication();
        String info = card.expect("80CA010100", "9000");
        String certificate = "";
        if (!"6985".equals(Card.sw(card.send("00A4020C02000A")))) {
            StringBuilder read = new StringBuilder();
            for (int offset = 0; ; offset += 256) {
                String r = card.send(String.format("00B0%04X00", offset));
                read.append(Card.data(r));
                if (!Card.sw(r).equals("9000")) {
                    break;
                }
            }
            certificate = read.toString();
        }
        return new Observed(certificate, Card.infoField(info, 0x84), Card.infoField(info, 0x81), Card.infoField(info, 0x80));
    }

    /**
     * Runs {@code flow} cut after every APDU: before = state with none of it, after = with all.
     * Every cut state must equal one of the two, and re-running the flow must reach "after".
     */
    private static void tearEverywhere(Consumer<Card> setup, Consumer<Card> flowSetup, List<String> flow,
                                       java.util.function.BiPredicate<Observed, Observed> sameOutcome) {
        Card reference = new Card();
        setup.accept(reference);
        Observed before = observe(reference);
        reference.selectApplication();
        flowSetup.accept(reference);
        for (String apdu : flow) {
            reference.expect(apdu, "9000");
        }
        Observed after = observe(reference);
        assertTrue(!before.equals(after), "the flow must change something");

        for (int cut = 0; cut <= flow.size(); cut++) {
            Card card = new Card();
            setup.accept(card);
            card.selectApplication();
            flowSetup.accept(card);
            for (int i = 0; i < cut; i++) {
                card.expect(flow.get(i), "9000");
            }
            Observed torn = observe(card);
            Observed expected = cut == flow.size() ? after : before;
            assertTrue(sameOutcome.test(expected, torn), "cut after " + cut + " of " + flow.size() + ": " + torn);
        }
    }

    private static List<String> sealedFlow(Card card, int target, byte[] content) {
        return new ArrayList<>(card.contentApdus(target, card.sealer.seal(target, content)));
    }

    @Test
    void certificateReplacement() {
        Card template = new Card();
        List<String> flow = sealedFlow(template, 0x0A, OTHER_CERT);
        // Same content keys on every test card; personalisation used counters 1-5: reseal at 6.
        List<String> apdus = template.contentApdus(0x0A, template.sealer.seal(0x0A, OTHER_CERT, 6));
        tearEverywhere(Card::personalise, Card::authenticate, apdus, Object::equals);
        assertTrue(flow.size() > 3);
    }

    @Test
    void keyImport() {
        Card template = new Card();
        List<String> apdus = template.contentApdus(0x17, template.sealer.seal(0x17, Card.keyImport(Card.testKey()), 2));
        tearEverywhere(card -> {
            card.selectApplication();
            card.authenticate();
            card.setContentKeys();
            Card.expectSw(card.authorised("84460000"), "9000");
            card.domain.resetSecurity();
        }, Card::authenticate, apdus, Object::equals);
    }

    @Test
    void pinReset() {
        Card template = new Card();
        List<String> apdus = template.contentApdus(0x18, template.sealer.seal(0x18, "9876".getBytes(StandardCharsets.US_ASCII), 6));
        tearEverywhere(card -> {
            card.personalise();
            card.selectApplication();
            card.selectFile("0018");
            card.send("0020008004" + Card.hex("0000".getBytes(StandardCharsets.US_ASCII)));
            card.send("0020008004" + Card.hex("0000".getBytes(StandardCharsets.US_ASCII)));
        }, Card::authenticate, apdus, Object::equals);
    }

    @Test
    void termination() {
        Card template = new Card();
        byte[] data = template.sealer.authorise(0xF0, 0x7F, 0x00, new byte[0], 6);
        tearEverywhere(Card::personalise, Card::authenticate, List.of("84F07F00" + String.format("%02X", data.length)
                + Card.hex(data)), Object::equals);
    }

    @Test
    void wholePersonalisation() {
        // Between the steps the state legitimately grows piece by piece; each piece is whole.
        for (int cut = 0; ; cut++) {
            Card card = new Card();
            card.selectApplication();
            card.authenticate();
            // Every card has its own transport key: the key-transport block is made for this one.
            List<String> apdus = new ArrayList<>(card.blockApdus("84D400", card.sealer.keyTransport(card.transportKey())));
            apdus.addAll(card.contentApdus(0x17, card.sealer.seal(0x17, Card.keyImport(Card.testKey()))));
            apdus.addAll(card.contentApdus(0x0A, card.sealer.seal(0x0A, CERT)));
            apdus.addAll(card.contentApdus(0x18, card.sealer.seal(0x18, "1234".getBytes(StandardCharsets.US_ASCII))));
            byte[] finish = card.sealer.authorise(0xF0, 0x0F, 0x00, new byte[0]);
            apdus.add("84F00F00" + String.format("%02X", finish.length) + Card.hex(finish));
            if (cut > apdus.size()) {
                break;
            }
            for (int i = 0; i < cut; i++) {
                card.expect(apdus.get(i), "9000");
            }
            Observed torn = observe(card);
            assertTrue(torn.certificate().isEmpty() || torn.certificate().equals(Card.hex(CERT)), "cut " + cut);
            assertTrue(torn.lifecycle().equals("07") || cut == apdus.size(), "cut " + cut);
            // The flow resumes from where it stopped: send the rest in a new session.
            card.selectApplication();
            card.authenticate();
            for (int i = cut; i < apdus.size(); i++) {
                card.expect(apdus.get(i), "9000");
            }
            assertEquals("0F", observe(card).lifecycle(), "resumed after cut " + cut);
        }
    }
}
