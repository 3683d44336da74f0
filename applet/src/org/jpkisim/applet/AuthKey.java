package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.CryptoException;
import javacard.security.KeyBuilder;
import javacard.security.KeyPair;
import javacard.security.MessageDigest;
import javacard.security.RSAPrivateCrtKey;
import javacard.security.RSAPublicKey;
import javacardx.crypto.Cipher;

/**
 * The user-authentication key: RSA-2048 in CRT form, generated on the card or imported.
 *
 * <p>Signing pads on the card (PKCS#1 v1.5, block type 1) and uses the raw RSA primitive:
 * cards differ in which padded-signature modes they offer, but every one has NOPAD, and the
 * JPKI command hands the card a DigestInfo, not a message.
 *
 * <p>The public key is also kept as its DER SubjectPublicKeyInfo and that structure's SHA-256
 * fingerprint, which the SP-TSM receives inside the secure channel and compares with what it
 * reads before having the key certified.
 */
final class AuthKey {
    static final short MODULUS_BYTES = (short) 256;
    static final short HALF_BYTES = (short) 128;
    /** PKCS#1 v1.5 needs at least 8 bytes of FF padding plus 00 01 .. 00: k - 11 bytes of payload. */
    static final short MAX_DIGEST_INFO = (short) (MODULUS_BYTES - 11);
    static final short FINGERPRINT_BYTES = (short) 32;

    /** DER SubjectPublicKeyInfo of an RSA-2048 key up to the modulus (rsaEncryption, NULL params). */
    private static final byte[] SPKI_PREFIX = {
        (byte) 0x30, (byte) 0x82, (byte) 0x01, (byte) 0x22,
        (byte) 0x30, (byte) 0x0D, (byte) 0x06, (byte) 0x09, (byte) 0x2A, (byte) 0x86, (byte) 0x48,
        (byte) 0x86, (byte) 0xF7, (byte) 0x0D, (byte) 0x01, (byte) 0x01, (byte) 0x01, (byte) 0x05, (byte) 0x00,
        (byte) 0x03, (byte) 0x82, (byte) 0x01, (byte) 0x0F, (byte) 0x00,
        (byte) 0x30, (byte) 0x82, (byte) 0x01, (byte) 0x0A,
        (byte) 0x02, (byte) 0x82, (byte) 0x01, (byte) 0x01, (byte) 0x00
    };
    /** Public exponents are limited to 65537 (02 03 01 00 01), which keeps the SPKI length fixed. */
    private static final byte[] SPKI_SUFFIX = { (byte) 0x02, (byte) 0x03, (byte) 0x01, (byte) 0x00, (byte) 0x01 };
    static final short SPKI_BYTES = (short) (33 + 256 + 5);
    /** e = 65537, the only public exponent accepted. */
    static final byte[] RSA_EXPONENT = { (byte) 0x01, (byte) 0x00, (byte) 0x01 };

    private final KeyPair pair;
    private final RSAPrivateCrtKey privateKey;
    private final RSAPublicKey publicKey;
    private final Cipher rsa;
    private final MessageDigest sha256;
    private final byte[] fingerprint;
    /** The DER SubjectPublicKeyInfo, kept built: READ PUBLIC KEY reads it like a file. */
    private final TransparentFile publicKeyInfo;
    private boolean present;

    AuthKey() {
        pair = new KeyPair(KeyPair.ALG_RSA_CRT, KeyBuilder.LENGTH_RSA_2048);
        privateKey = (RSAPrivateCrtKey) pair.getPrivate();
        publicKey = (RSAPublicKey) pair.getPublic();
        rsa = Cipher.getInstance(Cipher.ALG_RSA_NOPAD, false);
        sha256 = MessageDigest.getInstance(MessageDigest.ALG_SHA_256, false);
        fingerprint = new byte[FINGERPRINT_BYTES];
        publicKeyInfo = new TransparentFile(new byte[SPKI_BYTES]);
    }

    /** The public key as a readable file; only meaningful while {@link #isPresent()}. */
    TransparentFile publicKeyInfo() {
        return publicKeyInfo;
    }

    boolean isPresent() {
        return present;
    }

    /** Generates a new key pair on the card; the private key never leaves it. */
    void generate() {
        JCSystem.beginTransaction();
        present = false;
        JCSystem.commitTransaction();
        publicKey.setExponent(RSA_EXPONENT, (short) 0, (short) 3);
        pair.genKeyPair();
        computeFingerprint();
        present = true;
    }

    /** Import, step 1: the key stops being usable before any part of it changes. */
    void beginImport() {
        present = false;
    }

    /** Import: where the modulus is written (public; the SPKI buffer holds it at its place). */
    byte[] modulusBuffer() {
        return publicKeyInfo.bytes();
    }

    static short modulusOffset() {
        return (short) SPKI_PREFIX.length;
    }

    /** Import: one private CRT component (0 p, 1 q, 2 dp, 3 dq, 4 qinv), 128 bytes from RAM. */
    void setPrivateComponent(short which, byte[] buf, short offset) {
        switch (which) {
            case 0: privateKey.setP(buf, offset, HALF_BYTES); break;
            case 1: privateKey.setQ(buf, offset, HALF_BYTES); break;
            case 2: privateKey.setDP1(buf, offset, HALF_BYTES); break;
            case 3: privateKey.setDQ1(buf, offset, HALF_BYTES); break;
            default: privateKey.setPQ(buf, offset, HALF_BYTES); break;
        }
    }

    /** Import, last step: public key from the staged modulus, fingerprint, usable again. */
    void finishImport() {
        publicKey.setExponent(RSA_EXPONENT, (short) 0, (short) 3);
        publicKey.setModulus(publicKeyInfo.bytes(), modulusOffset(), MODULUS_BYTES);
        computeFingerprint();
        present = true;
    }

    /** Whether buf[offset..+4) is the import header {@code 03 01 00 01} (e = 65537). */
    static boolean isImportHeader(byte[] buf, short offset) {
        return buf[offset] == (byte) 3
                && Util.arrayCompare(buf, (short) (offset + 1), RSA_EXPONENT, (short) 0, (short) 3) == 0;
    }

    static short importLength() {
        return (short) (1 + 3 + MODULUS_BYTES + 5 * HALF_BYTES);
    }

    /** Zeroises both halves (termination, or before replacing the key). */
    void clear() {
        present = false;
        privateKey.clearKey();
        publicKey.clearKey();
        Util.arrayFillNonAtomic(fingerprint, (short) 0, FINGERPRINT_BYTES, (byte) 0);
        Util.arrayFillNonAtomic(publicKeyInfo.bytes(), (short) 0, SPKI_BYTES, (byte) 0);
    }

    short copyFingerprint(byte[] out, short offset) {
        return Util.arrayCopyNonAtomic(fingerprint, (short) 0, out, offset, FINGERPRINT_BYTES);
    }

    /** Builds the SPKI from the public key, then its SHA-256 fingerprint. */
    private void computeFingerprint() {
        byte[] spki = publicKeyInfo.bytes();
        writeSpki(publicKey, spki);
        sha256.reset();
        sha256.doFinal(spki, (short) 0, SPKI_BYTES, fingerprint, (short) 0);
    }

    /** Writes the DER SubjectPublicKeyInfo of an RSA-2048 key with e = 65537 at out[0..SPKI_BYTES). */
    static void writeSpki(RSAPublicKey key, byte[] out) {
        Util.arrayCopyNonAtomic(SPKI_PREFIX, (short) 0, out, (short) 0, (short) SPKI_PREFIX.length);
        key.getModulus(out, (short) SPKI_PREFIX.length);
        Util.arrayCopyNonAtomic(SPKI_SUFFIX, (short) 0, out, (short) (SPKI_PREFIX.length + MODULUS_BYTES),
                (short) SPKI_SUFFIX.length);
    }

    /**
     * Signs the DigestInfo at buf[offset..offset+length) and leaves the 256-byte signature at
     * buf[0..256). The padded block is built in place: DigestInfo moved to the end, then
     * 00 01 FF..FF 00 in front of it.
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
            // Some implementations (jCardSim among them) take the block without its leading
            // zero byte: the same integer, one byte shorter. Nothing was written yet.
            return rsa.doFinal(buf, (short) 1, (short) (MODULUS_BYTES - 1), buf, (short) 0);
        }
    }
}
