package org.jpkisim.gp.crypto;

/**
 * The SCP03 data derivation (GP Card Specification Amendment D, section 4.1.5): NIST SP 800-108
 * KDF in counter mode with AES-CMAC as PRF, with Amendment D's own field order:
 * label (11 x 00 || constant) || 00 || L (2 bytes, bits) || i (1 byte) || context.
 */
public final class Scp03Kdf {
    public static final byte CARD_CRYPTOGRAM = 0x00;
    public static final byte HOST_CRYPTOGRAM = 0x01;
    public static final byte CARD_CHALLENGE = 0x02;
    public static final byte S_ENC = 0x04;
    public static final byte S_MAC = 0x06;
    public static final byte S_RMAC = 0x07;

    private Scp03Kdf() {
    }

    public static byte[] derive(byte[] key, byte constant, byte[] context, int bits) {
        int bytes = bits / 8;
        byte[] out = new byte[bytes];
        int produced = 0;
        for (int i = 1; produced < bytes; i++) {
            byte[] input = new byte[16 + context.length];
            input[11] = constant;
            input[12] = 0x00;
            input[13] = (byte) (bits >> 8);
            input[14] = (byte) bits;
            input[15] = (byte) i;
            System.arraycopy(context, 0, input, 16, context.length);
            byte[] block = AesCmac.mac(key, input);
            int n = Math.min(block.length, bytes - produced);
            System.arraycopy(block, 0, out, produced, n);
            produced += n;
        }
        return out;
    }
}
