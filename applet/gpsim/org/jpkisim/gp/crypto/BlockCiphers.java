package org.jpkisim.gp.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The raw block-cipher operations the secure channels need (AES, DES, two-key 3DES), without
 * padding: callers pad explicitly because GP defines its own padding rules per use.
 */
public final class BlockCiphers {
    private BlockCiphers() {
    }

    public static byte[] aesEcb(byte[] key, byte[] block) {
        return run("AES/ECB/NoPadding", "AES", key, null, block, Cipher.ENCRYPT_MODE);
    }

    public static byte[] aesCbcEncrypt(byte[] key, byte[] iv, byte[] data) {
        return run("AES/CBC/NoPadding", "AES", key, iv, data, Cipher.ENCRYPT_MODE);
    }

    public static byte[] aesCbcDecrypt(byte[] key, byte[] iv, byte[] data) {
        return run("AES/CBC/NoPadding", "AES", key, iv, data, Cipher.DECRYPT_MODE);
    }

    public static byte[] desEcbEncrypt(byte[] key8, byte[] block) {
        return run("DES/ECB/NoPadding", "DES", key8, null, block, Cipher.ENCRYPT_MODE);
    }

    public static byte[] desEcbDecrypt(byte[] key8, byte[] block) {
        return run("DES/ECB/NoPadding", "DES", key8, null, block, Cipher.DECRYPT_MODE);
    }

    public static byte[] tdesCbcEncrypt(byte[] key16, byte[] iv, byte[] data) {
        return run("DESede/CBC/NoPadding", "DESede", tdesKey(key16), iv, data, Cipher.ENCRYPT_MODE);
    }

    public static byte[] tdesCbcDecrypt(byte[] key16, byte[] iv, byte[] data) {
        return run("DESede/CBC/NoPadding", "DESede", tdesKey(key16), iv, data, Cipher.DECRYPT_MODE);
    }

    public static byte[] tdesEcbEncrypt(byte[] key16, byte[] data) {
        return run("DESede/ECB/NoPadding", "DESede", tdesKey(key16), null, data, Cipher.ENCRYPT_MODE);
    }

    public static byte[] tdesEcbDecrypt(byte[] key16, byte[] data) {
        return run("DESede/ECB/NoPadding", "DESede", tdesKey(key16), null, data, Cipher.DECRYPT_MODE);
    }

    /** GP keys are two-key 3DES (K1 K2); the JCE wants K1 K2 K1. */
    private static byte[] tdesKey(byte[] key) {
        if (key.length == 24) {
            return key;
        }
        if (key.length != 16) {
            throw new IllegalArgumentException("3DES key must be 16 or 24 bytes");
        }
        byte[] k = new byte[24];
        System.arraycopy(key, 0, k, 0, 16);
        System.arraycopy(key, 0, k, 16, 8);
        return k;
    }

    private static byte[] run(String transformation, String algorithm, byte[] key, byte[] iv, byte[] data, int mode) {
        try {
            Cipher cipher = Cipher.getInstance(transformation);
            SecretKeySpec spec = new SecretKeySpec(key, algorithm);
            if (iv == null) {
                cipher.init(mode, spec);
            } else {
                cipher.init(mode, spec, new IvParameterSpec(iv));
            }
            return cipher.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(transformation + " unavailable or misused", e);
        }
    }
}
