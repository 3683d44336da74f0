package org.jpkisim.simulator.mynumber;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.jpkisim.gp.card.GpCard;
import org.junit.jupiter.api.Test;

/** The TEST My Number card application under a simulated card, as the simulator runs it with --my-number-card. */
class MyNumberCardAppletTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final String AID = "D392F000260100000001";
    private static final String SELECT_AID = "00A4040C0A" + AID;
    private static final String PASSWORD = "ABC123XYZ";
    private static final String PIN = "1234";
    private static final long SEED = Long.getLong("mynumber.fuzz.seed", System.nanoTime());

    private final GpCard card = new GpCard();

    MyNumberCardAppletTest() {
        card.install(HEX.parseHex(AID), MyNumberCardApplet.class, new byte[0]);
    }

    // ------------------------------------------------------------------ helpers

    private byte[] transmit(String hex) {
        return card.transmit(HEX.parseHex(hex));
    }

    private String sw(String hex) {
        return sw(card.transmit(HEX.parseHex(hex)));
    }

    private static String sw(byte[] response) {
        return HEX.formatHex(response, response.length - 2, response.length);
    }

    private static byte[] data(byte[] response) {
        return Arrays.copyOf(response, response.length - 2);
    }

    private void ok(String hex) {
        assertEquals("9000", sw(hex), hex);
    }

    private static String ascii(String text) {
        return HEX.formatHex(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String lc(int length) {
        return String.format("%02X", length);
    }

    private void select(String fid) {
        ok("00A4020C02" + fid);
    }

    /** A stand-in certificate: one DER SEQUENCE of {@code length} bytes (the card checks the outer shape only). */
    private static byte[] certificate(int length, int fill) {
        byte[] der = new byte[length];
        der[0] = 0x30;
        der[1] = (byte) 0x82;
        der[2] = (byte) ((length - 4) >> 8);
        der[3] = (byte) (length - 4);
        Arrays.fill(der, 4, length, (byte) fill);
        return der;
    }

    /** PUT FILE with command chaining, 255-byte blocks. */
    private String putFile(byte[] content) {
        String last = null;
        for (int at = 0; at < content.length; at += 255) {
            int n = Math.min(255, content.length - at);
            boolean more = at + n < content.length;
            last = sw((more ? "90" : "80") + "DB0000" + lc(n) + HEX.formatHex(content, at, at + n));
            if (more) {
                assertEquals("9000", last);
            }
        }
        return last;
    }

    private byte[] readFile(String fid) {
        select(fid);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int offset = 0; ; offset += 256) {
            byte[] r = transmit(String.format("00B0%04X00", offset));
            String sw = sw(r);
            if (sw.equals("6B00")) {
                break;
            }
            out.writeBytes(data(r));
            if (!sw.equals("9000")) {
                assertEquals("6282", sw);
                break;
            }
        }
        return out.toByteArray();
    }

    private byte[] generateAndReadPublicKey(String keyFid) {
        select(keyFid);
        ok("80460000");
        byte[] first = transmit("80B4000000");
        assertEquals("9000", sw(first));
        byte[] rest = transmit("80B4010000");
        assertEquals("6282", sw(rest));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(data(first));
        out.writeBytes(data(rest));
        return out.toByteArray();
    }

    /** Everything but ISSUE; returns the signature and authentication public keys (DER SPKI). */
    private byte[][] prepare() {
        ok(SELECT_AID);
        byte[] signSpki = generateAndReadPublicKey("001A");
        byte[] authSpki = generateAndReadPublicKey("0017");
        select("0001");
        assertEquals("9000", putFile(certificate(1500, 0x11)));
        select("0002");
        assertEquals("9000", putFile(certificate(1200, 0x22)));
        select("000A");
        assertEquals("9000", putFile(certificate(1400, 0x33)));
        select("000B");
        assertEquals("9000", putFile(certificate(1100, 0x44)));
        select("001B");
        ok("80DA0000" + lc(PASSWORD.length()) + ascii(PASSWORD));
        select("0018");
        ok("80DA000004" + ascii(PIN));
        return new byte[][] {signSpki, authSpki};
    }

    private byte[][] issue() {
        byte[][] keys = prepare();
        ok("80F00000");
        return keys;
    }

    private static byte[] digestInfo(byte[] message) throws GeneralSecurityException {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(message);
        return HEX.parseHex("3031300D060960864801650304020105000420" + HEX.formatHex(digest));
    }

    private static boolean verifies(byte[] spki, byte[] message, byte[] signature) throws GeneralSecurityException {
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(key);
        verifier.update(message);
        return verifier.verify(signature);
    }

    // -------------------------------------------------------------------- tests

    @Test
    void issuedCardSignsWithBothKeysAfterVerification() throws GeneralSecurityException {
        byte[][] keys = issue();
        assertEquals(294, keys[0].length);
        assertNotEquals(HEX.formatHex(keys[0]), HEX.formatHex(keys[1]));
        assertArrayEquals(certificate(1500, 0x11), readFile("0001"));
        assertArrayEquals(certificate(1200, 0x22), readFile("0002"));
        assertArrayEquals(certificate(1400, 0x33), readFile("000A"));
        assertArrayEquals(certificate(1100, 0x44), readFile("000B"));
        byte[] message = "application for a certificate".getBytes(StandardCharsets.UTF_8);
        String sign = "802A0080" + lc(51) + HEX.formatHex(digestInfo(message)) + "00";

        select("001B");
        assertEquals("63C5", sw("00200080"));
        ok("00200080" + lc(PASSWORD.length()) + ascii(PASSWORD));
        assertEquals("63C5", sw("00200080"), "an empty VERIFY answers 63Cx even when verified");
        select("001A");
        byte[] signature = transmit(sign);
        assertEquals("9000", sw(signature));
        assertEquals(256, data(signature).length);
        assertTrue(verifies(keys[0], message, data(signature)));

        select("0018");
        assertEquals("63C3", sw("00200080"));
        ok("0020008004" + ascii(PIN));
        select("0017");
        signature = transmit(sign);
        assertEquals("9000", sw(signature));
        assertTrue(verifies(keys[1], message, data(signature)));
    }

    @Test
    void signingNeedsTheMatchingVerificationInThisSession() {
        issue();
        String sign = "802A00801501020304050607080910111213141516171819202100";
        select("001A");
        assertEquals("6982", sw(sign));
        select("0018");
        ok("0020008004" + ascii(PIN));
        select("001A");
        assertEquals("6982", sw(sign), "the PIN does not open the signature key");
        select("0017");
        ok(sign);
        // A new selection of the application ends the session.
        ok(SELECT_AID);
        select("0017");
        assertEquals("6982", sw(sign));
        select("0006");
        assertEquals("6981", sw(sign));
        ok(SELECT_AID);
        assertEquals("6986", sw(sign));
        select("001B");
        ok("00200080" + lc(PASSWORD.length()) + ascii(PASSWORD));
        select("001A");
        assertEquals("6700", sw("802A0080F6" + "00".repeat(246) + "00"), "more than k - 11 bytes of DigestInfo");
        ok("802A0080F5" + "00".repeat(245) + "00");
    }

    @Test
    void passwordIsSixToSixteenUpperCaseLettersAndDigits() {
        ok(SELECT_AID);
        select("001B");
        for (String bad : new String[] {"ABC12", "ABCDEFGHIJ1234567", "abc123", "ABC 123", "ABC-123", "ＡＢＣ１２３"}) {
            byte[] value = bad.getBytes(StandardCharsets.UTF_8);
            assertEquals("6A80", sw("80DA0000" + lc(value.length) + HEX.formatHex(value)), bad);
        }
        assertEquals("6A80", sw("80DA0000"), "no password at all");
        ok("80DA000006" + ascii("A1B2C3"));
        ok("80DA000010" + ascii("ABCDEFGHIJ123456"));
        ok("80DA000006" + ascii("000000"));
        ok("80DA0000" + lc(PASSWORD.length()) + ascii(PASSWORD));
        select("0018");
        for (String bad : new String[] {"123", "12345", "12A4", "ABCD"}) {
            assertEquals("6A80", sw("80DA0000" + lc(bad.length()) + ascii(bad)), bad);
        }
        prepare();
        ok("80F00000");
        select("001B");
        // A candidate in the wrong format is refused before the counter is touched.
        assertEquals("6A80", sw("0020008005" + ascii("ABC12")));
        assertEquals("6A80", sw("0020008006" + ascii("abc123")));
        assertEquals("63C5", sw("00200080"));
        // A right-format but shorter candidate that is a prefix of the password is simply wrong.
        assertEquals("63C4", sw("0020008006" + ascii(PASSWORD.substring(0, 6))));
        assertEquals("63C3", sw("00200080" + lc(PASSWORD.length() + 1) + ascii(PASSWORD + "0")));
    }

    @Test
    void fiveWrongPasswordsBlockTheSignatureKey() {
        issue();
        select("001B");
        assertEquals("63C4", sw("0020008006" + ascii("WRONG1")));
        assertEquals("63C3", sw("0020008006" + ascii("WRONG2")));
        // The right password restores the counter.
        ok("00200080" + lc(PASSWORD.length()) + ascii(PASSWORD));
        assertEquals("63C5", sw("00200080"));
        ok(SELECT_AID);
        select("001B");
        for (int left = 4; left >= 0; left--) {
            assertEquals("63C" + left, sw("0020008006" + ascii("WRONG" + left)));
        }
        assertEquals("63C0", sw("00200080"));
        assertEquals("63C0", sw("00200080" + lc(PASSWORD.length()) + ascii(PASSWORD)), "blocked: also the right password");
        select("001A");
        assertEquals("6982", sw("802A00801501020304050607080910111213141516171819202100"));
        // Blocked across a power cycle; the PIN side is untouched.
        card.reset();
        ok(SELECT_AID);
        select("001B");
        assertEquals("63C0", sw("00200080"));
        select("0018");
        assertEquals("63C3", sw("00200080"));
        assertEquals("63C2", sw("0020008004" + ascii("0000")));
        assertEquals("63C1", sw("0020008004" + ascii("0001")));
        assertEquals("63C0", sw("0020008004" + ascii("0002")));
        assertEquals("63C0", sw("0020008004" + ascii(PIN)));
        assertEquals("63C0", sw("00200080"));
    }

    @Test
    void issuanceInterfaceClosesForGoodWithIssue() {
        ok(SELECT_AID);
        assertEquals("6A88", sw("80F00000"), "nothing in place yet");
        select("001B");
        assertEquals("6985", sw("00200080"), "no password before issuance");
        assertEquals("E00F800100810100820100830100840100", HEX.formatHex(data(transmit("80CA010100"))));
        prepare();
        select("000B");
        putFile(certificate(1100, 0x44));
        ok("80F00000");
        assertEquals("E00F800101810105820103830103840103", HEX.formatHex(data(transmit("80CA010100"))));
        for (String command : new String[] {"80460000", "80B4000000", "80DB000004" + "30020000", "90DB000002" + "3002",
                "80DA000006" + ascii("NEWONE"), "80F00000", "80DBFFFF"}) {
            assertEquals("6985", sw(command), command);
        }
        for (String fid : new String[] {"001A", "0017", "0001", "0002", "000A", "000B", "001B", "0018"}) {
            select(fid);
            assertEquals("6985", sw("80460000"));
            assertEquals("6985", sw("80DA000006" + ascii("NEWONE")));
            assertEquals("6985", sw("80DB000004" + "30020000"));
        }
        assertArrayEquals(certificate(1500, 0x11), readFile("0001"));
        // Still issued after a power cycle.
        card.reset();
        ok(SELECT_AID);
        assertEquals("6985", sw("80F00000"));
    }

    @Test
    void issueIsAtomicAcrossAPowerLoss() {
        prepare();
        card.armPowerLossAtNextCommit();
        assertEquals(0, card.transmit(HEX.parseHex("80F00000")).length);
        card.reset();
        ok(SELECT_AID);
        assertEquals("E00F800100810105820103830103840103", HEX.formatHex(data(transmit("80CA010100"))));
        ok("80F00000");
    }

    @Test
    void aKeyGenerationCutShortLeavesNoKey() {
        ok(SELECT_AID);
        select("001A");
        card.armPowerLossAtCommit(2);
        assertEquals(0, card.transmit(HEX.parseHex("80460000")).length);
        card.reset();
        ok(SELECT_AID);
        select("001A");
        assertEquals("6A88", sw("80B4000000"));
        assertEquals("E00F800100810100820100830100840100", HEX.formatHex(data(transmit("80CA010100"))));
    }

    @Test
    void certificatesAreWrittenWholeOrNotAtAll() {
        ok(SELECT_AID);
        select("0001");
        byte[] cert = certificate(1500, 0x55);
        // A chain broken by another command leaves the file empty.
        ok("90DB0000FF" + HEX.formatHex(cert, 0, 255));
        ok("90DB0000FF" + HEX.formatHex(cert, 255, 510));
        select("0001");
        assertEquals("6B00", sw("00B0000000"));
        // A content whose DER length disagrees with what was sent is refused.
        assertEquals("6A80", putFile(Arrays.copyOf(cert, 1499)));
        assertEquals("6B00", sw("00B0000000"));
        assertEquals("6A80", sw("80DB000004" + "31020000"));
        assertEquals("9000", putFile(cert));
        assertArrayEquals(cert, readFile("0001"));
        // Too large for the file: 6A84, and the chain is over.
        byte[] huge = certificate(4100, 0x66);
        String last = "9000";
        for (int at = 0; at < huge.length && last.equals("9000"); at += 255) {
            int n = Math.min(255, huge.length - at);
            last = sw((at + n < huge.length ? "90" : "80") + "DB0000" + lc(n) + HEX.formatHex(huge, at, at + n));
        }
        assertEquals("6A84", last);
        assertEquals("6B00", sw("00B0000000"));
        // Token information, keys and PINs are not writable this way.
        for (String fid : new String[] {"0006", "001A", "0017", "001B", "0018"}) {
            select(fid);
            assertEquals("6981", sw("80DB000004" + "30020000"), fid);
        }
        ok(SELECT_AID);
        assertEquals("6986", sw("80DB000004" + "30020000"));
    }

    @Test
    void filesAnswerAsTheJpkiApplicationDoes() {
        ok(SELECT_AID);
        assertArrayEquals(("JPKIAPICCTOKEN2" + " ".repeat(17)).getBytes(StandardCharsets.US_ASCII), readFile("0006"));
        assertEquals("6A82", sw("00A4020C020099"));
        assertEquals("6A82", sw("00A4040C0AD392F000260100000099"));
        assertEquals("6A86", sw("00A4080C020001"));
        assertEquals("6700", sw("00A4020C03000100"));
        select("001A");
        assertEquals("6981", sw("00B0000000"));
        select("0018");
        assertEquals("6981", sw("00B0000000"));
        ok(SELECT_AID);
        assertEquals("6986", sw("00B0000000"));
        select("0006");
        assertEquals("6B00", sw("00B0002000"));
        assertEquals("6A86", sw("00B0810000"));
        assertEquals("6882", sw("04B0000000"));
        assertEquals("6884", sw("10B0000000"));
        assertEquals("6E00", sw("A0B0000000"));
        assertEquals("6D00", sw("00CA010100"));
        assertEquals("6A88", sw("80CA010200"));
    }

    /**
     * Every CLA and INS with random P1, P2 and data, in a new card and in an issued one, with a
     * random file selected now and then: no command may end in an uncaught exception (6F00).
     */
    @Test
    void noCommandEndsIn6F00() {
        SplittableRandom random = new SplittableRandom(SEED);
        String[] files = {"0001", "0002", "0006", "000A", "000B", "0017", "0018", "001A", "001B"};
        for (int state = 0; state < 2; state++) {
            if (state == 1) {
                issue();
            }
            ok(SELECT_AID);
            for (int cla = 0; cla < 256; cla++) {
                for (int ins = 0; ins < 256; ins++) {
                    if (random.nextInt(8) == 0) {
                        sw(SELECT_AID);
                        sw("00A4020C02" + files[random.nextInt(files.length)]);
                    }
                    int p1 = random.nextInt(4) == 0 ? 0 : random.nextInt(256);
                    int p2 = random.nextInt(4) == 0 ? (random.nextBoolean() ? 0x80 : 0) : random.nextInt(256);
                    if (ins == 0x46 && p1 == 0 && p2 == 0) {
                        p2 = 1; // key generation takes long on the simulator; its forms are covered above
                    }
                    int form = random.nextInt(4);
                    StringBuilder apdu = new StringBuilder(String.format("%02X%02X%02X%02X", cla, ins, p1, p2));
                    if (form >= 1) {
                        int n = form == 1 ? 0 : random.nextInt(1, 40);
                        if (form == 1) {
                            apdu.append(String.format("%02X", random.nextInt(256)));
                        } else {
                            byte[] body = new byte[n];
                            random.nextBytes(body);
                            apdu.append(lc(n)).append(HEX.formatHex(body));
                            if (form == 3) {
                                apdu.append("00");
                            }
                        }
                    }
                    byte[] response = card.transmit(HEX.parseHex(apdu.toString()));
                    assertTrue(response.length >= 2, apdu::toString);
                    assertNotEquals("6F00", sw(response), () -> apdu + " (seed " + SEED + ")");
                }
            }
        }
    }
}
