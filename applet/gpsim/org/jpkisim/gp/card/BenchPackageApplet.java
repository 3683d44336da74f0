package org.jpkisim.gp.card;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;

/**
 * What the simulator runs for the LOAD benchmark package (test-vectors/cap/bench-20k.cap, made by
 * scripts/cap-bench.sh): answers SELECT, and INS 01 with the first byte of each of the five payload
 * parts, computed from the same generator the script uses.
 */
public final class BenchPackageApplet extends Applet {
    private static final int PARTS = 5;
    private static final int PER_PART = 3900;
    private static final byte[] FIRST_BYTES = firstBytes();

    public static void install(byte[] buffer, short offset, byte length) {
        new BenchPackageApplet().register();
    }

    /** The script's generator in JavaScript double arithmetic: x = (x * 1103515245 + 12345) >>> 0. */
    private static byte[] firstBytes() {
        byte[] out = new byte[PARTS];
        long x = 0x12345678L;
        for (int i = 0; i < PARTS * PER_PART; i++) {
            double next = (double) x * 1103515245.0 + 12345.0;
            x = ((long) next) & 0xFFFFFFFFL;
            if (i % PER_PART == 0) {
                out[i / PER_PART] = (byte) (((x >>> 16) & 0xFF) - 128);
            }
        }
        return out;
    }

    @Override
    public void process(APDU apdu) {
        if (selectingApplet()) {
            return;
        }
        byte[] buffer = apdu.getBuffer();
        if (buffer[ISO7816.OFFSET_INS] != (byte) 0x01) {
            ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
        System.arraycopy(FIRST_BYTES, 0, buffer, 0, PARTS);
        apdu.setOutgoingAndSend((short) 0, (short) PARTS);
    }
}
