package org.jpkisim.gp.authority;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;

/**
 * A card's Controlling Authority Security Domain key pair (RSA-2048) and its certificate from the
 * TEST card authority: the card's proof of origin. Signs with RSASSA-PKCS1-v1_5 / SHA-256.
 */
public final class CasdCredential {
    private final PrivateKey key;
    private final byte[] privateKeyPkcs8;
    private final byte[] certificate;

    private CasdCredential(byte[] privateKeyPkcs8, byte[] certificate) throws GeneralSecurityException {
        this.privateKeyPkcs8 = privateKeyPkcs8.clone();
        this.certificate = certificate.clone();
        this.key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(privateKeyPkcs8));
    }

    /**
     * A new key pair drawn from {@code random} (deterministic when the random source is a seeded
     * SHA1PRNG: a card made from a seed always gets the same key) and its certificate.
     */
    public static CasdCredential create(SecureRandom random, BigInteger serial, byte[] iin, byte[] cin, TestCardAuthority ca) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4), random);
            KeyPair pair = generator.generateKeyPair();
            byte[] certificate = ca.issueCasdCertificate(serial, iin, cin, pair.getPublic());
            return new CasdCredential(pair.getPrivate().getEncoded(), certificate);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make the CASD key pair", e);
        }
    }

    /** As kept in the card state. */
    public static CasdCredential restore(byte[] privateKeyPkcs8, byte[] certificate) throws GeneralSecurityException {
        return new CasdCredential(privateKeyPkcs8, certificate);
    }

    public byte[] certificate() {
        return certificate.clone();
    }

    public byte[] privateKeyPkcs8() {
        return privateKeyPkcs8.clone();
    }

    /** RSASSA-PKCS1-v1_5 with SHA-256 over {@code message}: 256 bytes. */
    public byte[] sign(byte[] message) {
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(key);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CASD signature failed", e);
        }
    }
}
