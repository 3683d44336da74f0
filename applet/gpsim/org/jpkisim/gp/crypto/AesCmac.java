package org.jpkisim.gp.crypto;

/**
 * AES-CMAC (NIST SP 800-38B, RFC 4493), written out because the JCE has no CMAC. Full 16-byte
 * output; SCP03 truncates where Amendment D says so.
 */
public final class AesCmac {
    private static final int BLOCK = 16;
    private static final byte RB = (byte) 0x87;

    private AesCmac() {
    }

    public static byte[] mac(byte[] key, byte[] message) {
        byte[] l = BlockCiphers.aesEcb(key, new byte[BLOCK]);
        byte[] k1 = doubling(l);
        byte[] k2 = doubling(k1);

        int blocks = (message.length + BLOCK - 1) / BLOCK;
        boolean complete = blocks > 0 && message.length % BLOCK == 0;
        if (blocks == 0) {
            blocks = 1;
        }
        byte[] last = new byte[BLOCK];
        int lastStart = (blocks - 1) * BLOCK;
        if (complete) {
            for (int i = 0; i < BLOCK; i++) {
                last[i] = (byte) (message[lastStart + i] ^ k1[i]);
            }
        } else {
            int rest = message.length - lastStart;
            System.arraycopy(message, lastStart, last, 0, rest);
            last[rest] = (byte) 0x80;
            for (int i = 0; i < BLOCK; i++) {
                last[i] ^= k2[i];
            }
        }
        // CBC over all blocks but the last, then the last (already masked with K1 or K2).
        byte[] x = new byte[BLOCK];
        byte[] y = new byte[BLOCK];
        for (int b = 0; b < blocks - 1; b++) {
            for (int i = 0; i < BLOCK; i++) {
                y[i] = (byte) (x[i] ^ message[b * BLOCK + i]);
            }
            x = BlockCiphers.aesEcb(key, y);
        }
        for (int i = 0; i < BLOCK; i++) {
            y[i] = (byte) (x[i] ^ last[i]);
        }
        return BlockCiphers.aesEcb(key, y);
    }

    /** Multiplication by x in GF(2^128), the subkey step of RFC 4493 section 2.3. */
    private static byte[] doubling(byte[] in) {
        byte[] out = new byte[BLOCK];
        int carry = 0;
        for (int i = BLOCK - 1; i >= 0; i--) {
            int v = in[i] & 0xFF;
            out[i] = (byte) ((v << 1) | carry);
            carry = v >>> 7;
        }
        if ((in[0] & 0x80) != 0) {
            out[BLOCK - 1] ^= RB;
        }
        return out;
    }
}
