package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** COMPUTE DIGITAL SIGNATURE 80 2A 00 80 with PKCS#1 v1.5 padding done by the card. */
class SignatureTest {
    private static final byte[] MESSAGE = "JPKI user authentication challenge".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private Card card;
    private X509Certificate certificate;

    @BeforeEach
    void setUp() throws Exception {
        card = new Card();
        card.personalise();
        card.selectApplication();
        certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Card.vector("certs/test-auth.der")));
    }

    static byte[] digestInfo(String prefixHex, String algorithm, byte[] message) throws Exception {
        byte[] prefix = Card.bytes(prefixHex);
        byte[] digest = MessageDigest.getInstance(algorithm).digest(message);
        byte[] out = Arrays.copyOf(prefix, prefix.length + digest.length);
        System.arraycopy(digest, 0, out, prefix.length, digest.length);
        return out;
    }

    private String sign(byte[] digestInfo) {
        return card.send(String.format("802A0080%02X", digestInfo.length) + Card.hex(digestInfo) + "00");
    }

    @ParameterizedTest
    @CsvSource({
        "SHA-1,   SHA1withRSA,   3021300906052B0E03021A05000414",
        "SHA-256, SHA256withRSA, 3031300D060960864801650304020105000420",
        "SHA-384, SHA384withRSA, 3041300D060960864801650304020205000430",
        "SHA-512, SHA512withRSA, 3051300D060960864801650304020305000440",
    })
    void signsDigestInfoVerifiableWithTheCertificate(String digest, String jcaAlgorithm, String prefix) throws Exception {
        card.verifyPin(Card.PIN);
        card.selectFile("0017");
        String response = sign(digestInfo(prefix, digest, MESSAGE));
        assertEquals("9000", Card.sw(response));
        byte[] signature = Card.bytes(Card.data(response));
        assertEquals(256, signature.length);
        Signature verifier = Signature.getInstance(jcaAlgorithm);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(MESSAGE);
        assertTrue(verifier.verify(signature), digest);
    }

    @Test
    void signatureNeedsTheVerifiedPin() throws Exception {
        card.selectFile("0017");
        byte[] info = digestInfo("3031300D060960864801650304020105000420", "SHA-256", MESSAGE);
        assertEquals("6982", sign(info));
        card.verifyPin(Card.PIN);
        card.selectFile("0017");
        assertEquals("9000", Card.sw(sign(info)));
        card.selectApplication();
        card.selectFile("0017");
        assertEquals("6982", sign(info));
    }

    @Test
    void pinLessPolicySignsWithoutVerify() throws Exception {
        card.authenticate();
        Card.expectSw(card.authorised("84DA0000", new byte[] {1}), "9000");
        card.domain.resetSecurity();
        card.selectFile("0017");
        byte[] info = digestInfo("3031300D060960864801650304020105000420", "SHA-256", MESSAGE);
        assertEquals("9000", Card.sw(sign(info)));
    }

    @Test
    void longestPayloadIsModulusMinusEleven() {
        card.verifyPin(Card.PIN);
        card.selectFile("0017");
        byte[] max = new byte[245];
        Arrays.fill(max, (byte) 0x5A);
        String response = sign(max);
        assertEquals("9000", Card.sw(response));
        assertEquals("6700", sign(new byte[246]));
        assertEquals("6700", card.send("802A0080"));
    }

    @Test
    void paddingIsBlockTypeOne() throws Exception {
        card.verifyPin(Card.PIN);
        card.selectFile("0017");
        byte[] payload = Card.bytes("0102030405");
        byte[] signature = Card.bytes(Card.data(sign(payload)));
        javax.crypto.Cipher raw = javax.crypto.Cipher.getInstance("RSA/ECB/NoPadding");
        raw.init(javax.crypto.Cipher.DECRYPT_MODE, certificate.getPublicKey());
        byte[] block = raw.doFinal(signature);
        byte[] expected = new byte[256];
        expected[1] = 1;
        Arrays.fill(expected, 2, 256 - 6, (byte) 0xFF);
        System.arraycopy(payload, 0, expected, 251, 5);
        assertArrayEquals(expected, Card.unsigned(new java.math.BigInteger(1, block), 256));
    }

    @Test
    void signatureNeedsTheKeyFileSelected() throws Exception {
        card.verifyPin(Card.PIN);
        byte[] info = digestInfo("3031300D060960864801650304020105000420", "SHA-256", MESSAGE);
        card.selectApplication();
        card.verifyPin(Card.PIN);
        assertEquals("6981", sign(info));
        card.selectApplication();
        assertEquals("6986", sign(info));
    }

    @Test
    void wrongParametersAndClass() {
        card.verifyPin(Card.PIN);
        card.selectFile("0017");
        assertEquals("6A86", card.send("802A9E9A0401020304"));
        assertEquals("6D00", card.send("002A00800401020304"));
        assertEquals("6882", card.send("842A00800401020304"));
    }

    @Test
    void prePersonalisedAppletDoesNotSign() {
        Card fresh = new Card();
        fresh.selectApplication();
        fresh.selectFile("0017");
        assertEquals("6985", fresh.send("802A00800401020304" + "00"));
    }
}
