package org.jpkisim.gp.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/** Small byte-array helpers shared by the card side and the host side of the secure channels. */
public final class Bytes {
    private Bytes() {
    }

    public static byte[] concat(byte[]... parts) {
        int total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        byte[] out = new byte[total];
        int offset = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, offset, part.length);
            offset += part.length;
        }
        return out;
    }

    /** ISO/IEC 9797-1 padding method 2 (GP "80 00.."): always adds at least the 80 byte. */
    public static byte[] pad80(byte[] data, int blockSize) {
        int padded = (data.length / blockSize + 1) * blockSize;
        byte[] out = Arrays.copyOf(data, padded);
        out[data.length] = (byte) 0x80;
        return out;
    }

    /** Removes method-2 padding; returns null when the padding is malformed (caller maps that to a status word). */
    public static byte[] unpad80(byte[] data) {
        int i = data.length - 1;
        while (i >= 0 && data[i] == 0) {
            i--;
        }
        if (i < 0 || data[i] != (byte) 0x80) {
            return null;
        }
        return Arrays.copyOf(data, i);
    }

    /** Comparison whose time does not depend on where the first difference is. */
    public static boolean equalsConstantTime(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    public static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }

    public static byte[] be(long value, int length) {
        byte[] out = new byte[length];
        for (int i = length - 1; i >= 0; i--) {
            out[i] = (byte) value;
            value >>>= 8;
        }
        return out;
    }
}
