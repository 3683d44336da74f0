package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Util.arrayCopyNonAtomic / arrayFillNonAtomic do not take part in a transaction (Java Card 3.0.4 API):
 * their writes to persistent arrays survive abortTransaction() and a power loss before the commit. Power
 * loss can be injected at any commit of a command.
 */
class NonAtomicAndTearingTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String TX = "F0000000020202";
    GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(TX), TransactionTestApplet.class, new byte[0]);
        assertEquals("9000", send("00A4040007" + TX));
    }

    String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void nonAtomicWritesSurviveAnAbort() {
        assertEquals("9000", send("80410000081111111111111111"));
        assertEquals("9000", send("804A000003AABBCC"));
        // bytes 0-3 filled, 4-5 copied non-atomically: kept; the counter (atomic) rolled back
        assertEquals("AAAAAAAABBCC1111" + "0001" + "11" + "9000", send("8042000000"));
    }

    @Test
    void nonAtomicWritesSurviveAPowerLossBeforeTheCommit() {
        assertEquals("9000", send("80410000081111111111111111"));
        assertEquals("9000", send("804B020001EE"));
        assertEquals(3, card.lastCommandCommits());
        card.armPowerLossAtCommit(3);
        // third commit: the one with the non-atomic fill; the two before it stay
        assertEquals("", send("804B020001EE"));
        assertEquals("9000", send("00A4040007" + TX));
        // EE at 0 and 1 committed (both runs); the second run's non-atomic fill of 6-7 survived the loss;
        // counter: 1 + 3 (first run) + 2 (the second run's commits before the cut)
        assertEquals("EEEE11111111EEEE" + "0006" + "11" + "9000", send("8042000000"));
    }

    @Test
    void powerLossAtEachCommitOfACommand() {
        GpCard probe = new GpCard();
        probe.install(HEX.parseHex(TX), TransactionTestApplet.class, new byte[0]);
        probe.transmit(HEX.parseHex("00A4040007" + TX));
        probe.transmit(HEX.parseHex("804B030001CC"));
        int commits = probe.lastCommandCommits();
        assertEquals(4, commits);
        for (int n = 1; n <= commits; n++) {
            setUp();
            card.armPowerLossAtCommit(n);
            assertTrue(card.powerLossArmed());
            assertEquals("", send("804B030001CC"), "cut at commit " + n);
            assertFalse(card.powerLossArmed());
            assertEquals(n, card.lastCommandCommits());
            assertEquals("9000", send("00A4040007" + TX));
            String state = send("8042000000");
            // commits before the n-th stay: n-1 bytes CC and counter n-1 (the last one's fill of 6-7 is non-atomic)
            String bytes = "CC".repeat(Math.min(n - 1, 3)) + "00".repeat(6 - Math.min(n - 1, 3)) + (n == 4 ? "CCCC" : "0000");
            assertEquals(bytes + String.format("%04X", n - 1) + "01" + "9000", state, "cut at commit " + n);
        }
    }

    @Test
    void armingForACommitTheCommandDoesNotReachExpires() {
        card.armPowerLossAtCommit(5);
        assertEquals("9000", send("804B010001DD"));
        assertFalse(card.powerLossArmed());
        assertEquals(2, card.lastCommandCommits());
        assertEquals("9000", send("804B010001DD"));
    }
}
