package org.jpkisim.gp.authority;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The TEST card-authority CA of test-vectors/card-authority (scripts/card-authority.sh): it certifies
 * every simulated card's CASD key when the card is made. Its private key is published test material,
 * bundled with the simulator as a resource; nothing it signs deserves trust outside tests.
 *
 * <p>Certificates it issues: X.509 v3, serial from the caller, sha256WithRSAEncryption, issuer = the
 * root's subject, validity = the root's, subject {@code C=JP, O=JPKI-SIM TEST ONLY, OU=TEST Controlling
 * Authority Security Domain, serialNumber=<IIN||CIN hex>, CN=TEST CASD <CIN hex>}, extensions
 * basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical), subject and authority key
 * identifiers.
 */
public final class TestCardAuthority {
    /** Where the build puts the committed root (test-vectors/card-authority) on the class path. */
    static final String RESOURCE_DIRECTORY = "/org/jpkisim/gp/authority/card-authority/";
    private static final String SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

    private static TestCardAuthority bundled;

    private final X509Certificate root;
    private final PrivateKey key;

    private TestCardAuthority(X509Certificate root, PrivateKey key) {
        this.root = root;
        this.key = key;
    }

    /** The root bundled with the simulator (read once). */
    public static synchronized TestCardAuthority bundled() {
        if (bundled == null) {
            try {
                bundled = load(resource("root.der"), resource("root.key.pem"));
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("the TEST card-authority root is not on the class path (" + RESOURCE_DIRECTORY
                        + "root.der, root.key.pem; built from test-vectors/card-authority): " + e.getMessage(), e);
            }
        }
        return bundled;
    }

    public static TestCardAuthority load(byte[] rootDer, byte[] keyPem) throws GeneralSecurityException {
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(rootDer));
        String pem = new String(keyPem, StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new GeneralSecurityException("the root key must be PKCS#8 PEM (BEGIN PRIVATE KEY)");
        }
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        return new TestCardAuthority(root, key);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = TestCardAuthority.class.getResourceAsStream(RESOURCE_DIRECTORY + name)) {
            if (in == null) {
                throw new IOException(name + " missing");
            }
            return in.readAllBytes();
        }
    }

    public X509Certificate root() {
        return root;
    }

    /** A CASD certificate for a card: see the class comment for its content. */
    public byte[] issueCasdCertificate(BigInteger serial, byte[] iin, byte[] cin, PublicKey casdKey) {
        try {
            String cinHex = hex(cin);
            byte[] subject = Der.sequence(
                    rdn("2.5.4.6", Der.printable("JP")),
                    rdn("2.5.4.10", Der.utf8("JPKI-SIM TEST ONLY")),
                    rdn("2.5.4.11", Der.utf8("TEST Controlling Authority Security Domain")),
                    rdn("2.5.4.5", Der.printable(hex(iin) + cinHex)),
                    rdn("2.5.4.3", Der.utf8("TEST CASD " + cinHex)));
            byte[] spki = casdKey.getEncoded();
            byte[] algorithm = Der.sequence(Der.oid(SHA256_WITH_RSA), Der.nul());
            byte[] extensions = Der.explicit(3, Der.sequence(
                    extension("2.5.29.19", true, Der.sequence()),
                    extension("2.5.29.15", true, Der.tlv(Der.BIT_STRING, new byte[] {0x07, (byte) 0x80})),
                    extension("2.5.29.14", false, Der.octetString(keyIdentifier(spki))),
                    extension("2.5.29.35", false, Der.sequence(Der.implicit(0, authorityKeyIdentifier())))));
            byte[] tbs = Der.sequence(
                    Der.explicit(0, Der.integer(BigInteger.valueOf(2))),
                    Der.integer(serial),
                    algorithm,
                    root.getSubjectX500Principal().getEncoded(),
                    Der.sequence(Der.time(root.getNotBefore()), Der.time(root.getNotAfter())),
                    subject,
                    spki,
                    extensions);
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(key);
            signer.update(tbs);
            return Der.sequence(tbs, algorithm, Der.bitString(signer.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a CASD certificate", e);
        }
    }

    private static byte[] rdn(String type, byte[] value) {
        return Der.tlv(Der.SET, Der.sequence(Der.oid(type), value));
    }

    private static byte[] extension(String oid, boolean critical, byte[] value) {
        return critical ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
                : Der.sequence(Der.oid(oid), Der.octetString(value));
    }

    /** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value (without unused-bits byte). */
    private static byte[] keyIdentifier(byte[] spki) throws GeneralSecurityException {
        // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip to the BIT STRING.
        int off = 1 + lengthOfLength(spki, 1);
        off += 1 + lengthOfLength(spki, off + 1) + contentLength(spki, off + 1);
        int contentOff = off + 1 + lengthOfLength(spki, off + 1);
        int n = contentLength(spki, off + 1);
        return MessageDigest.getInstance("SHA-1").digest(Arrays.copyOfRange(spki, contentOff + 1, contentOff + n));
    }

    private byte[] authorityKeyIdentifier() throws GeneralSecurityException {
        byte[] ext = root.getExtensionValue("2.5.29.14");
        if (ext != null && ext.length > 4) {
            // OCTET STRING { OCTET STRING keyIdentifier }
            return Arrays.copyOfRange(ext, 4, ext.length);
        }
        return keyIdentifier(root.getPublicKey().getEncoded());
    }

    private static int lengthOfLength(byte[] der, int lengthOffset) {
        int b = der[lengthOffset] & 0xFF;
        return b < 0x80 ? 1 : 1 + (b & 0x7F);
    }

    private static int contentLength(byte[] der, int lengthOffset) {
        int b = der[lengthOffset] & 0xFF;
        if (b < 0x80) {
            return b;
        }
        int n = 0;
        for (int i = 1; i <= (b & 0x7F); i++) {
            n = (n << 8) | (der[lengthOffset + i] & 0xFF);
        }
        return n;
    }

    static String hex(byte[] b) {
        return java.util.HexFormat.of().withUpperCase().formatHex(b);
    }
}
