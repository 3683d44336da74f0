package org.jpkisim.gp.scp;

import java.util.Arrays;

/** A short command APDU split into header and data, as the secure channel sees it. */
final class CommandApdu {
    final int cla;
    final int ins;
    final int p1;
    final int p2;
    final byte[] data;

    private CommandApdu(int cla, int ins, int p1, int p2, byte[] data) {
        this.cla = cla;
        this.ins = ins;
        this.p1 = p1;
        this.p2 = p2;
        this.data = data;
    }

    /** Parses header || Lc || data (no Le); a length mismatch is 6700. */
    static CommandApdu parse(byte[] apdu) {
        if (apdu.length < 4) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "command shorter than its header");
        }
        byte[] data = new byte[0];
        if (apdu.length > 4) {
            int lc = apdu[4] & 0xFF;
            if (apdu.length != 5 + lc) {
                throw new ScpException(StatusWords.WRONG_LENGTH, "Lc does not match the data");
            }
            data = Arrays.copyOfRange(apdu, 5, apdu.length);
        }
        return new CommandApdu(apdu[0] & 0xFF, apdu[1] & 0xFF, apdu[2] & 0xFF, apdu[3] & 0xFF, data);
    }

    /** Header with the given CLA and Lc, followed by the data. */
    static byte[] build(int cla, int ins, int p1, int p2, byte[] data) {
        if (data.length > 255) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "data longer than a short APDU");
        }
        byte[] out = new byte[5 + data.length];
        out[0] = (byte) cla;
        out[1] = (byte) ins;
        out[2] = (byte) p1;
        out[3] = (byte) p2;
        out[4] = (byte) data.length;
        System.arraycopy(data, 0, out, 5, data.length);
        return out;
    }
}
