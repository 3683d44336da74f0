package org.jpkisim.simulator.mynumber;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPublicKey;
import javacardx.crypto.Cipher;

/**
 * One private key of the test My Number card (the signature key or the user-authentication key):
 * RSA-2048 in CRT form with e = 65537, generated on the card; the private half never leaves it.
 *
 * <p>Signing pads on the card (PKCS#1 v1.5, block type 1) around the DigestInfo the command
 * carries and applies the raw RSA primitive, as the JPKI command expects.
 */
final class CardKey {
    static final short MODULUS_BYTES = (short) 256;
    /** PKCS#1 v1.5 needs 00 01, at least 8 bytes FF and 00: k - 11 bytes of DigestInfo at most. */
    static final short MAX_DIGEST_INFO = (short) (MODULUS_BYTES - 11);

    /** DER SubjectPublicKeyInfo of an RSA-2048 key up to the modulus (rsaEncryption, NULL parameters). */
    private static final byte[] SPKI_PREFIX = {
        (byte) 0x30, (byte) 0x82, (byte) 0x01, (byte) 0x22,
        (byte) 0x30, (byte) 0x0D, (byte) 0x06, (byte) 0x09, (byte) 0x2A, (byte) 0x86, (byte) 0x48,
        (byte) 0x86, (byte) 0xF7, (byte) 0x0D, (byte) 0x01, (byte) 0x01, (byte) 0x01, (byte) 0x05, (byte) 0x00,
        (byte) 0x03, (byte) 0x82, (byte) 0x01, (byte) 0x0F, (byte) 0x00,
        (byte) 0x30, (byte) 0x82, (byte) 0x01, (byte) 0x0A,
        (byte) 0x02, (byte) 0x82, (byte) 0x01, (byte) 0x01, (byte) 0x00
    };
    /** INTEGER 65537, after the modulus. */
    private static final byte[] SPKI_SUFFIX = { (byte) 0x02, (byte) 0x03, (byte) 0x01, (byte) 0x00, (byte) 0x01 };
    static final short SPKI_BYTES = (short) (33 + 256 + 5);
    private static final byte[] EXPONENT = { (byte) 0x01, (byte) 0x00, (byte) 0x01 };

    private final KeyPair pair;
    private final RSAPrivateCrtKey privateKey;
    private final RSAPublicKey publicKey;
    private final Cipher rsa;
    /** The public key as DER SubjectPublicKeyInfo, read like a file during issuance. */
    private final CardFile publicKeyInfo;
    private boolean present;

    CardKey() {
        pair = new KeyPair(KeyPair.ALG_RSA_CRT, KeyBuilder.LENGTH_RSA_2048);
        privateKey = (RSAPrivateCrtKey) pair.getPrivate();
        publicKey = (RSAPublicKey) pair.getPublic();
        rsa = Cipher.getInstance(Cipher.ALG_RSA_NOPAD, false);
        publicKeyInfo = new CardFile(new byte[SPKI_BYTES]);
        publicKeyInfo.empty();
    }

    boolean isPresent() {
        return present;
    }

    CardFile publicKeyInfo() {
        return publicKeyInfo;
    }

    /**
     * Generates a new key pair. The key stops being usable first (one committed write), and becomes
     * usable again together with its public key file once both halves are there.
     */
    void generate() {
        JCSystem.beginTransaction();
        present = false;
        publicKeyInfo.empty();
        JCSystem.commitTransaction();
        publicKey.setExponent(EXPONENT, (short) 0, (short) EXPONENT.length);
        pair.genKeyPair();
        byte[] spki = publicKeyInfo.bytes();
        Util.arrayCopyNonAtomic(SPKI_PREFIX, (short) 0, spki, (short) 0, (short) SPKI_PREFIX.length);
        publicKey.getModulus(spki, (short) SPKI_PREFIX.length);
        Util.arrayCopyNonAtomic(SPKI_SUFFIX, (short) 0, spki, (short) (SPKI_PREFIX.length + MODULUS_BYTES),
                (short) SPKI_SUFFIX.length);
        JCSystem.beginTransaction();
        publicKeyInfo.setLength(SPKI_BYTES);
        present = true;
        JCSystem.commitTransaction();
    }

    /**
     * Signs the DigestInfo at buf[offset..offset+length) and leaves the 256-byte signature at
     * buf[0..256): the DigestInfo moves to the end of the block, 00 01 FF..FF 00 goes in front.
     */
    short sign(byte[] buf, short offset, short length) {
        if (length < 1 || length > MAX_DIGEST_INFO) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        short digestAt = (short) (MODULUS_BYTES - length);
        Util.arrayCopyNonAtomic(buf, offset, buf, digestAt, length);
        buf[0] = (byte) 0x00;
        buf[1] = (byte) 0x01;
        Util.arrayFillNonAtomic(buf, (short) 2, (short) (digestAt - 3), (byte) 0xFF);
        buf[(short) (digestAt - 1)] = (byte) 0x00;
        rsa.init(privateKey, Cipher.MODE_ENCRYPT);
        try {
            return rsa.doFinal(buf, (short) 0, MODULUS_BYTES, buf, (short) 0);
        } catch (CryptoException blockTooLong) {
            // jCardSim takes the block without its leading zero byte: the same integer, one byte shorter.
            return rsa.doFinal(buf, (short) 1, (short) (MODULUS_BYTES - 1), buf, (short) 0);
        }
    }
}
