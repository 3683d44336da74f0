package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.host.ScpHostException;
import org.jpkisim.gp.keys.KeyDiversification;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;
import org.junit.jupiter.api.Test;

/** Every simulated card has its own identity, keys and CASD; cards made from one seed are the same card. */
class CardIdentityTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String CASD = "A000000151535041";
    static final String SIGNER = "F0000000030303";

    static String send(GpCard card, String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    static String data(String response) {
        assertTrue(response.endsWith("9000"), response);
        return response.substring(0, response.length() - 4);
    }

    /** Sends a case-2 command and follows 61xx with GET RESPONSE, as a host's transport does. */
    static byte[] long2(GpCard card, String hex) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] r = card.transmit(HEX.parseHex(hex));
        while (true) {
            out.write(r, 0, r.length - 2);
            if (r[r.length - 2] != 0x61) {
                assertEquals("9000", HEX.formatHex(Arrays.copyOfRange(r, r.length - 2, r.length)));
                return out.toByteArray();
            }
            r = card.transmit(new byte[] {0x00, (byte) 0xC0, 0x00, 0x00, r[r.length - 1]});
        }
    }

    static X509Certificate certificate(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    static X509Certificate root() throws Exception {
        try (InputStream in = CardIdentityTest.class.getResourceAsStream("/org/jpkisim/gp/authority/card-authority/root.der")) {
            return certificate(in.readAllBytes());
        }
    }

    static byte[] casdCertificate(GpCard card) {
        long2(card, "00A4040008" + CASD);
        byte[] answer = long2(card, "80CA7F2100");
        assertEquals("7F2182", HEX.formatHex(answer, 0, 3));
        int length = ((answer[3] & 0xFF) << 8) | (answer[4] & 0xFF);
        assertEquals(answer.length - 5, length);
        return Arrays.copyOfRange(answer, 5, answer.length);
    }

    @Test
    void twoCardsHaveDifferentNumbersKddAndKeys() {
        GpCard a = new GpCard();
        GpCard b = new GpCard();
        for (String tag : new String[] {"0042", "0045", "9F7F", "00CF"}) {
            String x = data(send(a, "80CA" + tag + "00"));
            assertNotEquals(x, data(send(b, "80CA" + tag + "00")), tag);
        }
        String cplc = data(send(a, "80CA9F7F00"));
        assertEquals("9F7F2A", cplc.substring(0, 6));
        assertEquals(3 + 42, cplc.length() / 2);
        assertTrue(data(send(a, "80CA004200")).startsWith("42068981"));
        assertEquals("45", data(send(a, "80CA004500")).substring(0, 2));
        String kdd = data(send(a, "80CA00CF00"));
        assertEquals("CF0A" + HEX.formatHex(a.identity().keyDiversificationData()), kdd);
        // INITIALIZE UPDATE starts with the same KDD
        String iu = data(send(a, "8050000008" + "0102030405060708" + "00"));
        assertEquals(kdd.substring(4), iu.substring(0, 20));
        // the ISD's keys are the TEST master's, diversified: different per card
        ScpKeySet ka = a.keys().find(0x30);
        ScpKeySet kb = b.keys().find(0x30);
        assertNotEquals(HEX.formatHex(ka.enc()), HEX.formatHex(kb.enc()));
        assertArrayEquals(KeyDiversification.kdf3(ScpKeySet.GP_TEST_KEY, 1, a.identity().keyDiversificationData()), ka.enc());
        assertArrayEquals(KeyDiversification.emv(ScpKeySet.GP_TEST_KEY, 2, a.identity().keyDiversificationData()), a.keys().find(0x20).mac());
    }

    @Test
    void masterKeysOpenEveryCardStaticTestKeysNone() {
        GpCard card = new GpCard();
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x03);
        assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, HostKeys.staticTestKeys(0x30), 0x01));
    }

    @Test
    void oneCardsSessionDoesNotOpenAnother() {
        GpCard a = new GpCard();
        GpCard b = new GpCard();
        byte[] challenge = HEX.parseHex("0011223344556677");
        java.util.List<byte[]> recorded = new java.util.ArrayList<>();
        java.util.List<String> answers = new java.util.ArrayList<>();
        ScpHost.open(command -> {
            recorded.add(command);
            byte[] r = a.transmit(command);
            answers.add(HEX.formatHex(r));
            return r;
        }, HostKeys.testKeys(), 0x01, challenge);
        assertEquals(2, recorded.size());
        // the same INITIALIZE UPDATE gets another KDD and another card cryptogram from card B ...
        String iuB = send(b, HEX.formatHex(recorded.get(0)));
        assertNotEquals(answers.get(0).substring(0, 20), iuB.substring(0, 20));
        assertNotEquals(answers.get(0).substring(26, 58), iuB.substring(26, 58));
        // ... and card A's EXTERNAL AUTHENTICATE (host cryptogram + C-MAC) is refused
        String ea = send(b, HEX.formatHex(recorded.get(1)));
        assertTrue(ea.equals("6982") || ea.equals("6300"), ea);
    }

    @Test
    void aSeedAlwaysMakesTheSameCard() {
        byte[] seed = HEX.parseHex("0102030405");
        GpCard a = new GpCard(CardIdentity.fromSeed(seed));
        GpCard b = new GpCard(CardIdentity.fromSeed(seed));
        for (String tag : new String[] {"0042", "0045", "9F7F", "00CF"}) {
            assertEquals(send(a, "80CA" + tag + "00"), send(b, "80CA" + tag + "00"));
        }
        assertArrayEquals(a.identity().casd().certificate(), b.identity().casd().certificate());
        assertNotEquals(HEX.formatHex(a.identity().cin()), HEX.formatHex(CardIdentity.fromSeed(HEX.parseHex("0102030406")).cin()));
    }

    @Test
    void iccidIsReadFromEf2fe2() {
        GpCard card = new GpCard(CardIdentity.fromSeed(new byte[] {7}));
        String fcp = data(send(card, "00A4000402" + "2FE2" + "00"));
        assertTrue(fcp.startsWith("62"), fcp);
        String iccid = data(send(card, "00B000000A"));
        assertEquals(HEX.formatHex(card.identity().iccid()), iccid);
        assertTrue(iccid.startsWith("9818"), iccid);
        assertEquals('F', iccid.charAt(18));
        assertEquals("9000", send(card, "00A4080C04" + "3F002FE2"));
        assertEquals(iccid.substring(4), data(send(card, "00B0000200")));
        assertEquals("6A82", send(card, "00A4000C02" + "2F00"));
        assertEquals("6986", send(card, "00B000000A"));
        // another card, another ICCID
        GpCard other = new GpCard(CardIdentity.fromSeed(new byte[] {8}));
        send(other, "00A4000C022FE2");
        assertNotEquals(iccid, data(send(other, "00B000000A")));
    }

    @Test
    void casdCertificateChainsToTheTestRootAndNamesTheCard() throws Exception {
        GpCard card = new GpCard();
        String fci = data(send(card, "00A4040008" + CASD));
        assertTrue(fci.contains("8408" + CASD), fci);
        X509Certificate certificate = certificate(casdCertificate(card));
        X509Certificate root = root();
        certificate.verify(root.getPublicKey());
        certificate.checkValidity();
        assertEquals(root.getSubjectX500Principal(), certificate.getIssuerX500Principal());
        String cin = HEX.formatHex(card.identity().cin());
        String subject = certificate.getSubjectX500Principal().getName();
        assertTrue(subject.contains("CN=TEST CASD " + cin), subject);
        String serialNumber = HEX.formatHex(card.identity().iin()) + cin;
        assertTrue(new String(certificate.getSubjectX500Principal().getEncoded(), java.nio.charset.StandardCharsets.US_ASCII)
                .contains(serialNumber), subject);
        assertTrue(certificate.getKeyUsage()[0]);
        assertEquals(-1, certificate.getBasicConstraints());
        // identity through the CASD too
        assertEquals(send(card, "00A4040008A000000151000000").length() > 0, true);
        String isdCin = send(card, "80CA004500");
        send(card, "00A4040008" + CASD);
        assertEquals(isdCin, send(card, "80CA004500"));
        assertEquals("6A88", send(card, "80CA00E000"));
        // another card, another certificate and key
        X509Certificate other = certificate(casdCertificate(new GpCard()));
        assertNotEquals(certificate.getPublicKey(), other.getPublicKey());
        assertNotEquals(certificate.getSubjectX500Principal(), other.getSubjectX500Principal());
    }

    @Test
    void casdCertificateIsReadTheSameWayOnTheT0Persona() throws Exception {
        GpCard card = new GpCard();
        byte[] t1 = casdCertificate(card);
        card.setT0(true);
        assertArrayEquals(t1, casdCertificate(card));
        assertEquals("6985", send(card, "00C0000003")); // nothing pending any more
    }

    @Test
    void casdIsASecurityDomainInGetStatusAndCannotBeDeleted() {
        GpCard card = new GpCard();
        ScpHost isd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        String status = HEX.formatHex(isd.send(HEX.parseHex("80F24002024F0000")));
        assertTrue(status.contains("4F08" + CASD + "9F70010FC503800100"), status);
        assertEquals("6985", HEX.formatHex(isd.send(HEX.parseHex("80E400000A4F08" + CASD + "00"))));
    }

    @Test
    void authoritySignsInTheCallersName() throws Exception {
        GpCard card = new GpCard();
        card.install(HEX.parseHex(SIGNER), AuthorityTestApplet.class, new byte[0]);
        assertEquals("9000", send(card, "00A4040007" + SIGNER));
        String message = "000102030405060708090A0B0C0D0E0F";
        for (String ins : new String[] {"10", "11"}) {
            byte[] signature = HEX.parseHex(data(send(card, "80" + ins + "000010" + message + "00")));
            assertEquals(256, signature.length);
            Signature verifier = Signature.getInstance("SHA256withRSA");
            verifier.initVerify(card.identity().casd() == null ? null : certificate(card.identity().casd().certificate()).getPublicKey());
            verifier.update(HEX.parseHex("4F07" + SIGNER + message));
            assertTrue(verifier.verify(signature), ins);
            // not over the data alone, nor in another application's name
            verifier.update(HEX.parseHex("4F07F0000000030304" + message));
            assertTrue(!verifier.verify(signature));
        }
        assertEquals("0005", data(send(card, "8012000000"))); // CryptoException.ILLEGAL_USE
        assertEquals("9000", send(card, "8013000000"));
    }

    @Test
    void identityAndCasdSurviveSaveAndRestore() throws Exception {
        GpCard card = new GpCard();
        byte[] certificate = casdCertificate(card);
        GpCard restored = PersistenceTest.roundTrip(card);
        for (String tag : new String[] {"0042", "0045", "9F7F", "00CF"}) {
            assertEquals(send(card, "80CA" + tag + "00"), send(restored, "80CA" + tag + "00"));
        }
        assertArrayEquals(certificate, casdCertificate(restored));
        send(restored, "00A4040008A000000151000000");
        ScpHost.open(restored::transmit, HostKeys.testKeys(), 0x03);
    }

    @Test
    void aStateWithoutIdentityStillLoads() throws Exception {
        // A version-1 state file as the simulator wrote before cards had identities: ISD key set 30
        // holding the undiversified GP test key, the ISD in the registry, no applets.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x4A50_5354);
        out.writeInt(1);
        out.writeByte(0x0F);
        out.writeInt(1);
        out.writeUTF(org.jpkisim.gp.card.Registry.key(GpCard.ISD_AID));
        out.writeInt(1);
        out.writeByte(0x30);
        out.writeByte(0x03);
        out.writeByte(0x70);
        for (int k = 0; k < 3; k++) {
            out.writeInt(16);
            out.write(ScpKeySet.GP_TEST_KEY);
        }
        out.writeLong(5);
        out.writeInt(0); // load files
        out.writeInt(1); // applications: the ISD
        out.writeInt(8);
        out.write(GpCard.ISD_AID);
        out.writeBoolean(false);
        out.writeBoolean(false);
        out.writeInt(3);
        out.write(new byte[] {(byte) 0x9E, (byte) 0xFE, (byte) 0x80});
        out.writeBoolean(true);
        out.writeInt(8);
        out.write(GpCard.ISD_AID);
        out.writeByte(0x0F);
        out.writeInt(0); // applet objects
        out.writeInt(0); // transient arrays
        out.writeInt(0); // roots
        out.flush();
        GpCard card = GpCard.restore(new ByteArrayInputStream(bytes.toByteArray()), GpCard.DEFAULT_DIVERSIFICATION_DATA,
                AppletCatalog.standard());
        assertEquals("CF0A" + HEX.formatHex(GpCard.DEFAULT_DIVERSIFICATION_DATA), data(send(card, "80CA00CF00")));
        assertTrue(data(send(card, "80CA004500")).startsWith("4508"));
        // its factory key set now holds the diversified value, so the TEST master opens it as any card
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        certificate(casdCertificate(card)).verify(root().getPublicKey());
        assertEquals(6, card.keys().counter(card.keys().find(0x30)));
    }

    @Test
    void explicitKeysAreKeptAsGiven() {
        GpCard card = new GpCard(new KeyRepository(java.util.List.of(ScpKeySet.defaultScp03(0x70))));
        ScpHost.open(card::transmit, HostKeys.staticTestKeys(0x30), 0x03);
    }
}
