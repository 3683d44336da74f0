package org.jpkisim.gp.crypto;

import java.util.Arrays;

/** The DES-based MACs of SCP02 (GP Card Specification 2.2, Appendix B.1.2 and E.4). */
public final class DesMacs {
    private DesMacs() {
    }

    /**
     * Full triple-DES MAC (B.1.2.1): 3DES-CBC over the method-2 padded data with a zero ICV, last
     * block. Used for the SCP02 authentication cryptograms.
     */
    public static byte[] fullTripleDes(byte[] key16, byte[] data) {
        byte[] c = BlockCiphers.tdesCbcEncrypt(key16, new byte[8], Bytes.pad80(data, 8));
        return Arrays.copyOfRange(c, c.length - 8, c.length);
    }

    /**
     * ISO/IEC 9797-1 MAC algorithm 3 with DES (B.1.2.2, the "retail MAC"): single-DES CBC with K1,
     * then DES-decrypt with K2 and DES-encrypt with K1 on the final block. Used for SCP02 C-MAC and R-MAC.
     */
    public static byte[] retail(byte[] key16, byte[] icv, byte[] data) {
        byte[] k1 = Arrays.copyOfRange(key16, 0, 8);
        byte[] k2 = Arrays.copyOfRange(key16, 8, 16);
        byte[] padded = Bytes.pad80(data, 8);
        byte[] h = icv.clone();
        for (int off = 0; off < padded.length; off += 8) {
            byte[] block = new byte[8];
            for (int i = 0; i < 8; i++) {
                block[i] = (byte) (h[i] ^ padded[off + i]);
            }
            h = BlockCiphers.desEcbEncrypt(k1, block);
        }
        h = BlockCiphers.desEcbDecrypt(k2, h);
        return BlockCiphers.desEcbEncrypt(k1, h);
    }
}
