package org.jpkisim.gp.host;

import java.util.Arrays;

/** A short command APDU as the host writes it (ISO 7816-3 cases 1 to 4). */
record PlainApdu(int cla, int ins, int p1, int p2, byte[] data, boolean hasLe) {
    static PlainApdu parse(byte[] apdu) {
        if (apdu.length < 4) {
            throw new IllegalArgumentException("APDU shorter than 4 bytes");
        }
        int cla = apdu[0] & 0xFF, ins = apdu[1] & 0xFF, p1 = apdu[2] & 0xFF, p2 = apdu[3] & 0xFF;
        if (apdu.length == 4) {
            return new PlainApdu(cla, ins, p1, p2, new byte[0], false);
        }
        if (apdu.length == 5) {
            return new PlainApdu(cla, ins, p1, p2, new byte[0], true);
        }
        int lc = apdu[4] & 0xFF;
        if (apdu.length == 5 + lc) {
            return new PlainApdu(cla, ins, p1, p2, Arrays.copyOfRange(apdu, 5, 5 + lc), false);
        }
        if (apdu.length == 6 + lc) {
            return new PlainApdu(cla, ins, p1, p2, Arrays.copyOfRange(apdu, 5, 5 + lc), true);
        }
        throw new IllegalArgumentException("APDU length does not match Lc");
    }

    /** CLA || INS || P1 || P2 || Lc || data [|| Le = 00]. */
    static byte[] encode(int cla, int ins, int p1, int p2, byte[] data, boolean le) {
        if (data.length > 255) {
            throw new IllegalArgumentException("wrapped data exceeds a short APDU");
        }
        byte[] out = new byte[5 + data.length + (le ? 1 : 0)];
        out[0] = (byte) cla;
        out[1] = (byte) ins;
        out[2] = (byte) p1;
        out[3] = (byte) p2;
        out[4] = (byte) data.length;
        System.arraycopy(data, 0, out, 5, data.length);
        return out;
    }
}
