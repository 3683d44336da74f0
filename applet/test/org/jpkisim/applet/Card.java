package org.jpkisim.applet;

import com.licel.jcardsim.base.Simulator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javacard.framework.AID;
import org.jpkisim.gp.api.GpBackends;

/**
 * An in-process jCardSim card holding the JPKI applet, for unit tests, with the SP-TSM's
 * personalisation steps as helpers.
 */
final class Card {
    static final String JPKI_AID = "D392F000260100000001";
    static final String PIN = "1234";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final Path VECTORS = Path.of(System.getProperty("jpki.vectors", "test-vectors"));

    final Simulator simulator = new Simulator();
    final PassThroughDomain domain = new PassThroughDomain();
    final ContentSealer sealer = new ContentSealer(
            HEX.parseHex("000102030405060708090A0B0C0D0E0F"), HEX.parseHex("F0E0D0C0B0A090807060504030201000"));

    Card() {
        domain.authority = new TestAuthority();
        GpBackends.setDefault(domain);
        byte[] aid = HEX.parseHex(JPKI_AID);
        simulator.installApplet(new AID(aid, (short) 0, (byte) aid.length), JpkiApplet.class);
    }

    /** Sends an APDU given as hex (spaces allowed) and returns the response as upper-case hex. */
    String send(String apduHex) {
        return HEX.formatHex(transmit(HEX.parseHex(apduHex.replace(" ", ""))));
    }

    byte[] transmit(byte[] apdu) {
        GpBackends.setDefault(domain);
        return simulator.transmitCommand(apdu);
    }

    static String sw(String response) {
        return response.substring(response.length() - 4);
    }

    /** The status word of a raw response, as upper-case hex. */
    static String sw(byte[] response) {
        return HEX.formatHex(Arrays.copyOfRange(response, response.length - 2, response.length));
    }

    /** A short command APDU: header (CLA INS P1 P2, hex) and data, Lc computed. */
    static byte[] apdu(String header, byte[] data) {
        byte[] out = Arrays.copyOf(HEX.parseHex(header), 5 + data.length);
        out[4] = (byte) data.length;
        System.arraycopy(data, 0, out, 5, data.length);
        return out;
    }

    static String data(String response) {
        return response.substring(0, response.length() - 4);
    }

    void selectApplication() {
        expect("00A4040C0A" + JPKI_AID, "9000");
    }

    void selectFile(String fid) {
        expect("00A4020C02" + fid, "9000");
    }

    String expect(String apduHex, String expectedSw) {
        String response = send(apduHex);
        if (!sw(response).equals(expectedSw)) {
            throw new AssertionError(apduHex + " answered " + response + ", expected SW " + expectedSw);
        }
        return data(response);
    }

    /** Power off and on: transient memory is lost, EEPROM stays. */
    void powerCycle() {
        simulator.reset();
    }

    // ------------------------------------------------------------ personalisation

    /** Opens an administration session (the unit-test domain just reports the level). */
    void authenticate() {
        domain.level = PassThroughDomain.ADMIN;
    }

    String admin(String header, byte[] data) {
        return send(header + String.format("%02X", data.length) + HEX.formatHex(data));
    }

    /** The attestation record: SPKI || signature (READ ATTESTATION, read to the end). */
    byte[] attestation() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int offset = 0; ; ) {
            String r = send(String.format("80B6%04X00", offset));
            byte[] chunk = bytes(data(r));
            out.writeBytes(chunk);
            offset += chunk.length;
            if (!sw(r).equals("9000") || chunk.length < 256) {
                break;
            }
        }
        return out.toByteArray();
    }

    /** The applet's key-transport public key, after checking the test authority's signature over it. */
    java.security.PublicKey transportKey() {
        return transportKey(attestation(), true);
    }

    /** The key in an attestation record; with {@code verify}, checked against the test authority. */
    static java.security.PublicKey transportKey(byte[] record, boolean verify) {
        try {
            if (!verify) {
                return KeyFactory.getInstance("RSA")
                        .generatePublic(new java.security.spec.X509EncodedKeySpec(Arrays.copyOf(record, 294)));
            }
            byte[] spki = Arrays.copyOf(record, 294);
            byte[] signature = Arrays.copyOfRange(record, 294, record.length);
            java.security.Signature verifier = java.security.Signature.getInstance("SHA256withRSA");
            verifier.initVerify(TestAuthority.KEYS.getPublic());
            verifier.update(bytes("4F0A" + JPKI_AID));
            verifier.update("JPKI-KT".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            verifier.update((byte) 1);
            verifier.update(java.security.MessageDigest.getInstance("SHA-256").digest(spki));
            if (!verifier.verify(signature)) {
                throw new AssertionError("the attestation does not verify");
            }
            return KeyFactory.getInstance("RSA").generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The APDUs of SET CONTENT KEYS for {@code payload}, in blocks of up to 224 bytes. */
    java.util.List<String> blockApdus(String insP1, byte[] payload) {
        java.util.List<String> apdus = new java.util.ArrayList<>();
        int blocks = (payload.length + 223) / 224;
        for (int b = 0; b < blocks; b++) {
            byte[] chunk = Arrays.copyOfRange(payload, b * 224, Math.min(payload.length, (b + 1) * 224));
            int p2 = b | (b == blocks - 1 ? 0x80 : 0);
            apdus.add(String.format("%s%02X%02X", insP1, p2, chunk.length) + HEX.formatHex(chunk));
        }
        return apdus;
    }

    /** Establishes the sealer's content keys by key transport to the attested applet key. */
    void setContentKeys() {
        for (String apdu : blockApdus("84D400", sealer.keyTransport(transportKey()))) {
            expect(apdu, "9000");
        }
    }

    /** An authorised administration command (header CLA INS P1 P2 as hex) with the next counter. */
    String authorised(String header, byte[] payload) {
        byte[] h = bytes(header);
        return admin(header, sealer.authorise(h[1] & 0xFF, h[2] & 0xFF, h[3] & 0xFF, payload));
    }

    String authorised(String header) {
        return authorised(header, new byte[0]);
    }

    void expectAdmin(String header, byte[] data) {
        String response = admin(header, data);
        if (!sw(response).equals("9000")) {
            throw new AssertionError(header + " answered " + response);
        }
    }

    /** The APDUs that carry one sealed envelope, in blocks of up to 224 bytes. */
    java.util.List<String> contentApdus(int target, byte[] envelope) {
        java.util.List<String> apdus = new java.util.ArrayList<>();
        int blocks = (envelope.length + 223) / 224;
        for (int b = 0; b < blocks; b++) {
            byte[] chunk = Arrays.copyOfRange(envelope, b * 224, Math.min(envelope.length, (b + 1) * 224));
            int p2 = b | (b == blocks - 1 ? 0x80 : 0);
            apdus.add(String.format("84DB%02X%02X%02X", target, p2, chunk.length) + HEX.formatHex(chunk));
        }
        return apdus;
    }

    void putContent(int target, byte[] content) {
        for (String apdu : contentApdus(target, sealer.seal(target, content))) {
            expect(apdu, "9000");
        }
    }

    static byte[] vector(String name) {
        try {
            return Files.readAllBytes(VECTORS.resolve(name));
        } catch (IOException e) {
            throw new IllegalStateException("test vector " + name + " missing (run from the repository root)", e);
        }
    }

    static RSAPrivateCrtKey testKey() {
        try {
            String pem = new String(vector("certs/test-auth.key.pem"), java.nio.charset.StandardCharsets.US_ASCII);
            String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return (RSAPrivateCrtKey) KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key import layout: e-length, e, n, p, q, dp, dq, qinv. */
    static byte[] keyImport(RSAPrivateCrtKey key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] e = unsigned(key.getPublicExponent(), 3);
        out.write(e.length);
        out.writeBytes(e);
        out.writeBytes(unsigned(key.getModulus(), 256));
        out.writeBytes(unsigned(key.getPrimeP(), 128));
        out.writeBytes(unsigned(key.getPrimeQ(), 128));
        out.writeBytes(unsigned(key.getPrimeExponentP(), 128));
        out.writeBytes(unsigned(key.getPrimeExponentQ(), 128));
        out.writeBytes(unsigned(key.getCrtCoefficient(), 128));
        return out.toByteArray();
    }

    static byte[] unsigned(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
        return out;
    }

    /** Full personalisation with the test key, certificates and PIN 1234. */
    void personalise() {
        selectApplication();
        authenticate();
        setContentKeys();
        putContent(0x17, keyImport(testKey()));
        putContent(0x0A, vector("certs/test-auth.der"));
        putContent(0x0B, vector("certs/test-ca.der"));
        putContent(0x18, PIN.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        expectSw(authorised("84F00F00"), "9000");
        domain.resetSecurity();
    }

    static void expectSw(String response, String expected) {
        if (!sw(response).equals(expected)) {
            throw new AssertionError("answered " + response + ", expected SW " + expected);
        }
    }

    void verifyPin(String digits) {
        selectFile("0018");
        expect("0020008004" + HEX.formatHex(digits.getBytes(java.nio.charset.StandardCharsets.US_ASCII)), "9000");
    }

    /** One field of the information record (E0 template, hex), or null. */
    static String infoField(String infoHex, int tag) {
        byte[] data = bytes(infoHex);
        for (int at = 2; at < data.length; ) {
            int length = data[at + 1] & 0xFF;
            if ((data[at] & 0xFF) == tag) {
                return hex(Arrays.copyOfRange(data, at + 2, at + 2 + length));
            }
            at += 2 + length;
        }
        return null;
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    static byte[] bytes(String hex) {
        return HEX.parseHex(hex);
    }
}
