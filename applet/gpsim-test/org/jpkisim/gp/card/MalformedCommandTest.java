package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Random;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.junit.jupiter.api.Test;

/** Whatever arrives, the card answers with a defined status word: never 6F00, never an exception. */
class MalformedCommandTest {
    static final int[] CLASSES = {0x00, 0x01, 0x80, 0x84, 0x81, 0x40, 0xFF};
    static final int[] INSTRUCTIONS = {0xE6, 0xE8, 0xE4, 0xF2, 0xF0, 0xD8, 0xE2, 0xCA, 0x50, 0x82, 0xA4, 0x70, 0xC0, 0x10};

    @Test
    void randomCommandsToTheIsdGetDefinedStatusWords() {
        Random random = new Random(20261125);
        GpCard card = new GpCard();
        for (int round = 0; round < 4000; round++) {
            if (round % 500 == 0) {
                card.reset();
                if (round % 1000 == 0) {
                    ScpHost.open(card::transmit, HostKeys.testKeys(), 0x00);
                }
            }
            int length = random.nextInt(6) == 0 ? random.nextInt(4) : 4 + random.nextInt(262);
            byte[] command = new byte[length];
            random.nextBytes(command);
            if (length > 0) {
                command[0] = (byte) CLASSES[random.nextInt(CLASSES.length)];
            }
            if (length > 1) {
                command[1] = (byte) INSTRUCTIONS[random.nextInt(INSTRUCTIONS.length)];
            }
            if (length > 4 && random.nextBoolean()) {
                command[4] = (byte) Math.min(255, Math.max(0, length - 5 - random.nextInt(2)));
            }
            byte[] response = card.transmit(command);
            assertTrue(response.length >= 2, HexFormat.of().formatHex(command));
            int sw = ((response[response.length - 2] & 0xFF) << 8) | (response[response.length - 1] & 0xFF);
            assertNotEquals(0x6F00, sw, () -> "6F00 for " + HexFormat.of().formatHex(command));
        }
    }
}
