package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The administration interface: secure-channel gate, sealed content, key generation, life cycle, information. */
class AdminTest {
    private Card card;

    @BeforeEach
    void setUp() {
        card = new Card();
        card.selectApplication();
    }

    private String readPublicKey() {
        String first = card.expect("80B4000000", "9000");
        String rest = card.send("80B4010000");
        assertEquals("6282", Card.sw(rest));
        return first + Card.data(rest);
    }

    /** Parses the E0 information template into tag → value (hex). */
    private java.util.Map<Integer, String> info() {
        byte[] data = Card.bytes(card.expect("80CA010100", "9000"));
        assertEquals((byte) 0xE0, data[0]);
        assertEquals(data.length - 2, data[1] & 0xFF);
        java.util.Map<Integer, String> fields = new java.util.HashMap<>();
        for (int at = 2; at < data.length; ) {
            int tag = data[at] & 0xFF;
            int length = data[at + 1] & 0xFF;
            fields.put(tag, Card.hex(java.util.Arrays.copyOfRange(data, at + 2, at + 2 + length)));
            at += 2 + length;
        }
        return fields;
    }

    @Test
    void adminCommandsNeedTheSecureChannel() {
        // No session: plain class and SM class are both refused before anything changes.
        assertEquals("6982", card.send("80460000"));
        assertEquals("6982", card.send("84460000"));
        assertEquals("6982", card.admin("84D40000", card.sealer.keys()));
        // Authenticated with MAC only: still refused, content needs C-DECRYPTION too.
        card.domain.level = (byte) (PassThroughDomain.AUTHENTICATED | PassThroughDomain.C_MAC);
        assertEquals("6982", card.send("84460000"));
        assertEquals("6982", card.send("84F00F00"));
        assertEquals("00", info().get(0x83));
    }

    @Test
    void generatedKeyIsReportedByFingerprint() throws Exception {
        card.authenticate();
        card.setContentKeys();
        String answer = card.data(card.authorised("84460000"));
        // fingerprint || the SP-TSM's answer tag under K-MAC
        assertEquals(96, answer.length());
        String fingerprint = answer.substring(0, 64);
        assertEquals(Card.hex(card.sealer.answerTag(0x46, Card.bytes(fingerprint))), answer.substring(64));
        byte[] spki = Card.bytes(readPublicKey());
        assertEquals(294, spki.length);
        assertEquals(fingerprint, Card.hex(MessageDigest.getInstance("SHA-256").digest(spki)));
        RSAPublicKey publicKey = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        assertEquals(2048, publicKey.getModulus().bitLength());
        assertEquals(fingerprint, info().get(0x84));
        // A second generation gives a different key.
        assertNotEquals(fingerprint, card.data(card.authorised("84460000")).substring(0, 64));
    }

    @Test
    void importedKeyMatchesTheTestCertificate() throws Exception {
        card.authenticate();
        card.setContentKeys();
        card.putContent(0x17, Card.keyImport(Card.testKey()));
        byte[] spki = Card.bytes(readPublicKey());
        java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(Card.vector("certs/test-auth.der")));
        assertArrayEquals(cert.getPublicKey().getEncoded(), spki);
    }

    @Test
    void sealedContentWithABadMacIsRefusedAndChangesNothing() {
        card.authenticate();
        card.setContentKeys();
        byte[] envelope = card.sealer.seal(0x0A, Card.vector("certs/test-auth.der"));
        envelope[envelope.length - 1] ^= 1;
        List<String> apdus = card.contentApdus(0x0A, envelope);
        for (int i = 0; i < apdus.size() - 1; i++) {
            card.expect(apdus.get(i), "9000");
        }
        assertEquals("6982", card.send(apdus.get(apdus.size() - 1)));
        card.selectFile("000A");
        assertEquals("6B00", card.send("00B0000004"));
        assertEquals("00000000", info().get(0x89));
    }

    @Test
    void tamperedCiphertextReplayAndWrongTargetAllAnswerTheSame() {
        card.authenticate();
        card.setContentKeys();
        byte[] pin = "1234".getBytes(StandardCharsets.US_ASCII);
        byte[] good = card.sealer.seal(0x18, pin);
        byte[] tampered = good.clone();
        tampered[6] ^= 0x40;
        assertEquals("6982", card.send(card.contentApdus(0x18, tampered).get(0)));
        for (String apdu : card.contentApdus(0x18, good)) {
            card.expect(apdu, "9000");
        }
        // Replay of an accepted envelope, an older counter, and the right envelope sent to the wrong target.
        assertEquals("6982", card.send(card.contentApdus(0x18, good).get(0)));
        assertEquals("6982", card.send(card.contentApdus(0x18, card.sealer.seal(0x18, pin, 0)).get(0)));
        byte[] next = card.sealer.seal(0x18, pin);
        assertEquals("6982", card.send(card.contentApdus(0x0A, next).get(0).replaceFirst("^84DB18", "84DB0A")));
        assertEquals("00000001", info().get(0x89));
        // An authorised command's tag is no envelope's tag, and the other way round.
        byte[] command = card.sealer.authorise(0xDA, 0, 0, new byte[] {1});
        assertEquals("6982", card.send(card.contentApdus(0x18, command).get(0)));
        assertEquals("6982", card.admin("84DA0000", card.sealer.seal(0x18, pin)));
        // The command itself, sent under another instruction or parameters, is refused too.
        assertEquals("6982", card.admin("84F00F00", command));
        assertEquals("00", info().get(0x82));
        assertEquals("9000", card.admin("84DA0000", command).substring(0, 4));
        assertEquals("01", info().get(0x82));
    }

    @Test
    void contentWithoutKeysOrOutOfOrderBlocks() {
        card.authenticate();
        assertEquals("6985", card.admin("84DB1880", new byte[36]));
        card.setContentKeys();
        List<String> apdus = card.contentApdus(0x0A, card.sealer.seal(0x0A, Card.vector("certs/test-auth.der")));
        assertEquals("6A86", card.send(apdus.get(1)));
        assertEquals("6A86", card.admin("84DB2080", new byte[36]));
        card.expect(apdus.get(0), "9000");
        assertEquals("6A86", card.send(apdus.get(2)));
    }

    @Test
    void contentThatIsNotACertificateIsRefusedAfterOpening() {
        card.authenticate();
        card.setContentKeys();
        for (String apdu : card.contentApdus(0x0A, card.sealer.seal(0x0A, Card.bytes("3082000501020304")))) {
            card.send(apdu);
        }
        card.selectFile("000A");
        assertEquals("6B00", card.send("00B0000004"));
    }

    @Test
    void personalisedStateNeedsKeyCertificateAndPin() {
        card.authenticate();
        // Without content keys nothing can be authorised.
        assertEquals("6982", card.send("84F00F00"));
        card.setContentKeys();
        card.putContent(0x17, Card.keyImport(Card.testKey()));
        assertEquals("6985", Card.sw(card.authorised("84F00F00")));
        card.putContent(0x0A, Card.vector("certs/test-auth.der"));
        assertEquals("6985", Card.sw(card.authorised("84F00F00")));
        card.putContent(0x18, "1234".getBytes(StandardCharsets.US_ASCII));
        assertEquals("9000", Card.sw(card.authorised("84F00F00")));
        assertEquals("0F", info().get(0x80));
        assertEquals("6985", Card.sw(card.authorised("84F00F00")));
        assertEquals("6A86", card.send("84F00700"));
    }

    @Test
    void informationRecordDescribesThePersonalisedApplet() {
        card.personalise();
        card.selectApplication();
        java.util.Map<Integer, String> fields = info();
        assertEquals("0F", fields.get(0x80));
        assertEquals("03", fields.get(0x81));
        assertEquals("00", fields.get(0x82));
        assertEquals("01", fields.get(0x83));
        assertEquals("1234ABCD", fields.get(0x85));
        assertTrue(fields.get(0x86).matches("([0-9A-F]{2}){13,15}"), fields.get(0x86));
        assertEquals("0100", fields.get(0x87));
        assertEquals("00", fields.get(0x88));
        assertEquals("00000005", fields.get(0x89));
        assertEquals(Card.hex(card.sealer.checkValue()), fields.get(0x8A));
        card.selectFile("0018");
        card.send("00200080043030303030".substring(0, 18));
        assertEquals("02", info().get(0x81));
    }

    @Test
    void informationRecordNamesTheContactlessInterface() {
        card.simulator.changeProtocol("T=CL,TYPE_A,T1");
        card.selectApplication();
        assertEquals("01", info().get(0x88));
    }

    @Test
    void terminationZeroisesEverything() {
        card.personalise();
        card.authenticate();
        assertEquals("9000", Card.sw(card.authorised("84F07F00")));
        card.domain.resetSecurity();
        java.util.Map<Integer, String> fields = info();
        assertEquals("7F", fields.get(0x80));
        assertEquals("00", fields.get(0x83));
        assertEquals("00", fields.get(0x81));
        assertEquals(null, fields.get(0x85));
        assertEquals("6985", card.send("00A4020C02000A"));
        assertEquals("6985", card.send("00B0000004"));
        assertEquals("6985", card.send("802A00800401020304"));
        assertEquals("6985", card.send("80B4000000"));
        // PIN commands on a terminated applet: 6985 like every other command, whatever file was selected.
        assertEquals("6985", card.send("0020008004" + "31323334"));
        assertEquals("6985", card.send("00200080"));
        assertEquals("6985", card.send("002401800431323334"));
        card.authenticate();
        assertEquals("6985", Card.sw(card.authorised("84460000")));
        // Termination is final: no new content keys, and the counter did not go back.
        assertEquals("6985", card.admin("84D40080", new byte[16]));
        assertEquals("00000006", fields.get(0x89));
        assertEquals(null, fields.get(0x8A));
    }

    /** The counter never goes back, and content keys are set once: an old envelope never comes back. */
    @Test
    void contentKeysAreSetOnceAndTheCounterNeverGoesBack() {
        card.personalise();
        card.selectApplication();
        card.authenticate();
        byte[] oldPin = card.sealer.seal(0x18, "5555".getBytes(StandardCharsets.US_ASCII), 2);
        // The same keys again, as a harness run twice would send them: refused, the counter stays.
        for (String apdu : card.blockApdus("84D400", card.sealer.keyTransport(card.transportKey()))) {
            String answer = card.send(apdu);
            if (apdu.startsWith("84D40080") || apdu.startsWith("84D40081")) {
                assertEquals("6985", Card.sw(answer));
            }
        }
        assertEquals("00000005", info().get(0x89));
        for (String apdu : card.contentApdus(0x18, oldPin)) {
            assertEquals("6982", card.send(apdu));
        }
    }

    /** A key-transport block that decrypts to more than two keys is refused like any other: 6982, never 6F00. */
    @Test
    void oversizedKeyTransportPlaintextIsRefused() throws Exception {
        card.authenticate();
        javax.crypto.Cipher rsa = javax.crypto.Cipher.getInstance("RSA/ECB/PKCS1Padding");
        rsa.init(javax.crypto.Cipher.ENCRYPT_MODE, card.transportKey());
        byte[] payload = ContentSealer.concat(rsa.doFinal(new byte[200]), new byte[16]);
        List<String> apdus = card.blockApdus("84D400", payload);
        assertEquals("9000", card.send(apdus.get(0)));
        assertEquals("6982", card.send(apdus.get(1)));
        assertEquals(null, info().get(0x8A));
        card.setContentKeys();
        assertEquals(Card.hex(card.sealer.checkValue()), info().get(0x8A));
    }

    @Test
    void getDataOtherTagsAndUnknownAdminInstructions() {
        assertEquals("6A88", card.send("80CA00FE00"));
        assertEquals("6A88", card.send("80B4000000"));
        assertEquals("6D00", card.send("80E6000000"));
    }

    @Test
    void envelopeLargerThanStagingIsFileFull() {
        card.authenticate();
        card.setContentKeys();
        byte[] block = new byte[224];
        String last = null;
        for (int b = 0; b < 40; b++) {
            last = card.admin(String.format("84DB0A%02X", b), block);
            if (!Card.sw(last).equals("9000")) {
                break;
            }
        }
        assertEquals("6A84", Card.sw(last));
    }

    @Test
    void adminDataLengthsAreChecked() {
        card.authenticate();
        // Before the attestation exists there is no key to transport content keys to.
        assertEquals("6985", card.admin("84D40080", new byte[16]));
        card.setContentKeys();
        assertEquals("6985", card.admin("84D40080", new byte[16]));
        assertEquals("6A86", card.admin("84D40180", new byte[16]));
        // Authorised commands: too short to carry counter and tag, payload of the wrong length.
        assertEquals("6982", card.admin("84460000", new byte[1]));
        assertEquals("6700", Card.sw(card.authorised("84DA0000", new byte[2])));
        assertEquals("6700", Card.sw(card.authorised("84460000", new byte[1])));
        assertEquals("6A80", Card.sw(card.authorised("84DA0000", new byte[] {2})));
        assertEquals("6A86", card.send("84460100"));
        assertEquals("6A86", card.send("84F00F01"));
    }

    @Test
    void publicKeyReadInsideTheSessionIsWrappedAndChunked() throws Exception {
        card.authenticate();
        card.setContentKeys();
        Card.expectSw(card.authorised("84460000"), "9000");
        String first = card.expect("84B4000000", "9000");
        assertEquals(224 * 2, first.length());
        String rest = card.expect("84B400E000", "9000");
        assertEquals((294 - 224) * 2, rest.length());
        assertEquals(readPublicKey(), first + rest);
        assertEquals("6A86", card.send("80B4800000"));
    }

    @Test
    void changeReferenceDataNeedsThePinFile() {
        card.personalise();
        card.selectApplication();
        assertEquals("6986", card.send("002401800431323334"));
        card.selectFile("000A");
        assertEquals("6981", card.send("002401800431323334"));
    }
}
