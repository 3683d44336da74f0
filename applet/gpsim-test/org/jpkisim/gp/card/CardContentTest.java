package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.host.ScpHostException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** INSTALL, LOAD, DELETE, GET STATUS, SET STATUS, PUT KEY, STORE DATA of the simulated ISD, with their refusals. */
class CardContentTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String PKG = "D392F0002601000000";
    static final String MODULE = "D392F000260100000001";
    static final String SELECT_JPKI = "00A4040C0AD392F000260100000001";

    GpCard card;
    ScpHost scp;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x33);
    }

    String plain(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    static String apdu(int ins, int p1, int p2, byte[] data) {
        return String.format("80%02X%02X%02X%02X", ins, p1, p2, data.length) + HEX.formatHex(data) + "00";
    }

    String send(int ins, int p1, int p2, byte[] data) {
        return HEX.formatHex(scp.send(HEX.parseHex(apdu(ins, p1, p2, data))));
    }

    static String sw(String response) {
        return response.substring(response.length() - 4);
    }

    static byte[] lv(byte[]... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] f : fields) {
            out.write(f.length);
            out.writeBytes(f);
        }
        return out.toByteArray();
    }

    static byte[] h(String hex) {
        return HEX.parseHex(hex);
    }

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    /** INSTALL [for load] then LOAD in blocks; returns the last status word. */
    String loadFile(String aid, byte[] block, byte[] hash, int blockSize) {
        String sw = sw(send(0xE6, 0x02, 0x00, lv(h(aid), new byte[0], hash, new byte[0], new byte[0])));
        if (!sw.equals("9000")) {
            return "INSTALL " + sw;
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(0xC4);
        if (block.length > 255) {
            all.write(0x82);
            all.write(block.length >> 8);
        } else if (block.length > 127) {
            all.write(0x81);
        }
        all.write(block.length & 0xFF);
        all.writeBytes(block);
        byte[] tagged = all.toByteArray();
        int count = (tagged.length + blockSize - 1) / blockSize;
        String last = "";
        for (int n = 0; n < count; n++) {
            byte[] chunk = Arrays.copyOfRange(tagged, n * blockSize, Math.min(tagged.length, (n + 1) * blockSize));
            last = sw(send(0xE8, n == count - 1 ? 0x80 : 0x00, n, chunk));
            if (!last.equals("9000")) {
                return last;
            }
        }
        return last;
    }

    String installApplet(String instance, byte[] privileges, byte[] parameters) {
        return sw(send(0xE6, 0x0C, 0x00, lv(h(PKG), h(MODULE), h(instance), privileges, parameters, new byte[0])));
    }

    @Test
    void loadInstallSelectListDeleteTheJpkiCap() throws Exception {
        byte[] block = CapFiles.jpki();
        assertEquals("9000", loadFile(PKG, block, sha256(block), 200));
        assertEquals("9000", installApplet(MODULE, h("00"), h("C900")));
        assertEquals("9000", plain(SELECT_JPKI));
        // the applet answers as JPKI: its token information file
        assertEquals("9000", plain("00A4020C020006"));
        assertTrue(plain("00B0000000").startsWith(HEX.formatHex("JPKIAPICCTOKEN2".getBytes())));

        plain("00A4040000");
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x33);
        String loadFiles = send(0xF2, 0x10, 0x02, h("4F00"));
        assertEquals("9000", sw(loadFiles));
        assertTrue(loadFiles.contains("4F09" + PKG + "9F700101CE020100" + "840A" + MODULE), loadFiles);
        String apps = send(0xF2, 0x40, 0x02, h("4F00"));
        assertTrue(apps.contains("4F0A" + MODULE + "9F700107C503000000C409" + PKG + "CC08A000000151000000"), apps);
        String isd = send(0xF2, 0x80, 0x00, h("4F00"));
        assertEquals("08A0000001510000000F9E9000", isd);
        String legacy = send(0xF2, 0x10, 0x00, h("4F00"));
        assertTrue(legacy.contains("09" + PKG + "0100010A" + MODULE), legacy);

        assertEquals("6985", sw(send(0xE4, 0x00, 0x00, h("4F09" + PKG))));
        assertEquals("009000", send(0xE4, 0x00, 0x80, h("4F09" + PKG)));
        assertEquals("6A88", sw(send(0xF2, 0x40, 0x02, h("4F0A" + MODULE))));
        assertEquals("6A82", plain(SELECT_JPKI));
    }

    @Test
    void installParametersReachTheApplet() throws Exception {
        byte[] block = CapFiles.jpki();
        assertEquals("9000", loadFile(PKG, block, new byte[0], 255 - 16 - 8));
        // the JPKI applet registers under the instance AID given in its install parameters
        String other = "D392F000260100000002";
        assertEquals("9000", installApplet(other, h("00"), h("C903010203")));
        assertEquals("9000", plain("00A4040C0A" + other));
        plain("00A4040008A000000151000000");
        assertEquals("6A82", plain(SELECT_JPKI));
    }

    @Test
    void malformedLoadFilesAreRefusedWith6A80() throws Exception {
        Map<String, byte[]> c = CapFiles.components(CapFiles.JPKI_CAP);
        byte[] good = CapFiles.jpki();
        byte[] badMagic = good.clone();
        badMagic[3] = 0x00;
        assertEquals("6A80", loadFile(PKG, badMagic, new byte[0], 200));
        assertEquals("6A80", loadFile(PKG, Arrays.copyOf(good, good.length - 5), new byte[0], 200));
        Map<String, byte[]> noMethod = new java.util.HashMap<>(c);
        noMethod.remove("Method");
        assertEquals("6A80", loadFile(PKG, CapFiles.loadFileDataBlock(noMethod), new byte[0], 200));
        // Directory before Header
        byte[] header = c.get("Header");
        byte[] swapped = Arrays.copyOf(c.get("Directory"), good.length);
        System.arraycopy(header, 0, swapped, c.get("Directory").length, header.length);
        System.arraycopy(good, header.length + c.get("Directory").length, swapped, header.length + c.get("Directory").length,
                good.length - header.length - c.get("Directory").length);
        assertEquals("6A80", loadFile(PKG, swapped, new byte[0], 200));
        // unknown component tag
        byte[] unknown = good.clone();
        unknown[header.length] = 0x20;
        assertEquals("6A80", loadFile(PKG, unknown, new byte[0], 200));
        // hash over other data, package AID other than the INSTALL [for load] one
        assertEquals("6A80", loadFile(PKG, good, sha256(badMagic), 200));
        assertEquals("6A80", loadFile("D392F0002601000099", good, new byte[0], 200));
        // nothing of this remains on the card
        assertEquals("6A88", sw(send(0xF2, 0x20, 0x02, h("4F09" + PKG))));
        assertEquals("9000", loadFile(PKG, good, sha256(good), 200));
    }

    @Test
    void packagesWithoutSimulatorClassesLoadAndDelete() throws Exception {
        Map<String, byte[]> c = new java.util.HashMap<>(CapFiles.components(CapFiles.JPKI_CAP));
        byte[] header = c.get("Header").clone();
        header[header.length - 1] = 0x77; // package D392F0002601000077: no classes in the simulator
        c.put("Header", header);
        String other = "D392F0002601000077";
        assertEquals("9000", loadFile(other, CapFiles.loadFileDataBlock(c), new byte[0], 200));
        c.remove("Applet"); // a library package: no applets at all
        byte[] library = c.get("Header").clone();
        library[library.length - 1] = 0x78;
        c.put("Header", library);
        assertEquals("9000", loadFile("D392F0002601000078", CapFiles.loadFileDataBlock(c), new byte[0], 200));
        String status = send(0xF2, 0x10, 0x02, h("4F00"));
        assertTrue(status.contains("4F09" + other + "9F700101CE020100840A" + MODULE), status);
        assertTrue(status.contains("4F09D392F00026010000789F700101CE020100CC"), status);
        // its module cannot be instantiated here: refused, not a crash
        assertEquals("6A80", sw(send(0xE6, 0x0C, 0x00, lv(h(other), h(MODULE), h("D392F000260100000077"), h("00"), h("C900"), new byte[0]))));
        assertEquals("009000", send(0xE4, 0x00, 0x00, h("4F09" + other)));
        assertEquals("009000", send(0xE4, 0x00, 0x00, h("4F09D392F0002601000078")));
    }

    @Test
    void benchmarkPackageLoadsInstallsAndAnswers() throws Exception {
        byte[] block = CapFiles.loadFileDataBlock(CapFiles.components(java.nio.file.Path.of("test-vectors/cap/bench-20k.cap")));
        assertTrue(block.length > 19000);
        assertEquals("9000", loadFile("D392F000267F000000", block, sha256(block), 247 - 8));
        assertEquals("9000", sw(send(0xE6, 0x0C, 0x00, lv(h("D392F000267F000000"), h("D392F000267F00000001"), h("D392F000267F00000001"),
                h("00"), h("C900"), new byte[0]))));
        assertEquals("9000", plain("00A4040C0AD392F000267F00000001"));
        // the first payload byte of each part, as scripts/cap-bench.sh generates them
        assertEquals("F14642E343" + "9000", plain("8001000000"));
    }

    @Test
    void missingImportIsReferencedDataNotFound() throws Exception {
        Map<String, byte[]> c = new java.util.HashMap<>(CapFiles.components(CapFiles.JPKI_CAP));
        byte[] imports = c.get("Import").clone();
        // first imported package AID A0000000620001 -> D000000062 0001 (not on the card)
        imports[7] = (byte) 0xD0;
        c.put("Import", imports);
        assertEquals("6A88", loadFile(PKG, CapFiles.loadFileDataBlock(c), new byte[0], 200));
    }

    @Test
    void loadSequenceErrors() throws Exception {
        assertEquals("6985", sw(send(0xE8, 0x80, 0x00, h("C40100"))));
        assertEquals("9000", sw(send(0xE6, 0x02, 0x00, lv(h(PKG), new byte[0], new byte[0], new byte[0], new byte[0]))));
        assertEquals("9000", sw(send(0xE8, 0x00, 0x00, h("C4820100"))));
        assertEquals("6A86", sw(send(0xE8, 0x00, 0x02, h("00"))));
        assertEquals("6985", sw(send(0xE8, 0x00, 0x01, h("00"))));
        // INSTALL [for load] field errors
        assertEquals("6A80", sw(send(0xE6, 0x02, 0x00, lv(h("D392"), new byte[0], new byte[0], new byte[0], new byte[0]))));
        assertEquals("6A80", sw(send(0xE6, 0x02, 0x00, h("09" + PKG + "00"))));
        assertEquals("6A88", sw(send(0xE6, 0x02, 0x00, lv(h(PKG), h("A0000000030000"), new byte[0], new byte[0], new byte[0]))));
        assertEquals("6A80", sw(send(0xE6, 0x02, 0x00, lv(h("A000000151000000"), new byte[0], new byte[0], new byte[0], new byte[0]))));
        assertEquals("6A86", sw(send(0xE6, 0x03, 0x00, lv(h(PKG), new byte[0], new byte[0], new byte[0], new byte[0]))));
    }

    @Test
    void installErrors() throws Exception {
        assertEquals("6A88", installApplet(MODULE, h("00"), h("C900")));
        assertEquals("9000", loadFile(PKG, CapFiles.jpki(), new byte[0], 200));
        assertEquals("6A88", sw(send(0xE6, 0x0C, 0x00, lv(h(PKG), h("D392F000260100000009"), h(MODULE), h("00"), h("C900"), new byte[0]))));
        assertEquals("6A80", installApplet(MODULE, h("0000"), h("C900")));
        assertEquals("6A80", installApplet(MODULE, h("00"), h("C905")));
        assertEquals("6A80", installApplet("A000000151000000", h("00"), h("C900")));
        assertEquals("6A80", installApplet(MODULE, h("800000"), h("C900")));
        assertEquals("9000", installApplet(MODULE, h("00"), h("C900")));
        assertEquals("6A80", installApplet(MODULE, h("00"), h("C900")));
    }

    @Test
    void installThenMakeSelectable() throws Exception {
        assertEquals("9000", loadFile(PKG, CapFiles.jpki(), new byte[0], 200));
        assertEquals("9000", sw(send(0xE6, 0x04, 0x00, lv(h(PKG), h(MODULE), h(MODULE), h("00"), h("C900"), new byte[0]))));
        assertTrue(send(0xF2, 0x40, 0x02, h("4F00")).contains("9F700103"));
        assertEquals("6A82", plain(SELECT_JPKI));
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        assertEquals("009000", send(0xE6, 0x08, 0x00, h("0000" + "0A" + MODULE + "010000" + "00")));
        assertEquals("6985", sw(send(0xE6, 0x08, 0x00, h("0000" + "0A" + MODULE + "010000" + "00"))));
        assertEquals("9000", plain(SELECT_JPKI));
    }

    @Test
    void deleteErrors() throws Exception {
        assertEquals("6A88", sw(send(0xE4, 0x00, 0x00, h("4F05A000000999"))));
        assertEquals("6985", sw(send(0xE4, 0x00, 0x00, h("4F08A000000151000000"))));
        assertEquals("6A80", sw(send(0xE4, 0x00, 0x00, h("4F03A00000"))));
        assertEquals("6A80", sw(send(0xE4, 0x00, 0x00, h("4F0AA0"))));
        assertEquals("6A86", sw(send(0xE4, 0x00, 0x01, h("4F05A000000999"))));
        assertEquals("9000", loadFile(PKG, CapFiles.jpki(), new byte[0], 200));
        assertEquals("9000", installApplet(MODULE, h("00"), h("C900")));
        // deleting the instance only leaves the load file, which can be instantiated again
        assertEquals("009000", send(0xE4, 0x00, 0x00, h("4F0A" + MODULE)));
        assertEquals("9000", sw(send(0xF2, 0x20, 0x02, h("4F09" + PKG))));
        assertEquals("9000", installApplet(MODULE, h("00"), h("C900")));
    }

    @Test
    void getStatusPagesWith6310() throws Exception {
        assertEquals("9000", loadFile(PKG, CapFiles.jpki(), new byte[0], 200));
        for (int n = 0; n < 8; n++) {
            assertEquals("9000", installApplet(String.format("D392F0002601000010%02X", n), h("00"), h("C900")));
        }
        String first = send(0xF2, 0x40, 0x02, h("4F00"));
        assertEquals("6310", sw(first));
        String next = send(0xF2, 0x40, 0x03, h("4F00"));
        assertEquals("9000", sw(next));
        int total = (first + next).split("4F0AD392F0002601000010").length - 1;
        assertEquals(8, total);
        assertEquals("6A86", sw(send(0xF2, 0x40, 0x03, h("4F00"))));
        assertEquals("6A86", sw(send(0xF2, 0x41, 0x02, h("4F00"))));
        assertEquals("6A80", sw(send(0xF2, 0x40, 0x02, h("9F700107"))));
        assertEquals("6A88", sw(send(0xF2, 0x40, 0x02, h("4F03A0B0C0"))));
    }

    @Test
    void contentManagementNeedsAnAuthenticatedSession() {
        card.reset();
        assertEquals("6982", plain("80F24002024F0000"));
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x01);
        // with C-MAC, a plain command is refused
        assertEquals("6982", plain("80F24002024F0000"));
        assertEquals("9000", sw(send(0xF2, 0x80, 0x02, h("4F00"))));
    }

    @Test
    void setStatusLocksAndUnlocks() throws Exception {
        card.install(h("F0000000010101"), AdminTestApplet.class, new byte[0]);
        assertEquals("9000", sw(send(0xF0, 0x40, 0x80, h("F0000000010101"))));
        assertTrue(send(0xF2, 0x40, 0x02, h("4F00")).contains("9F700187"));
        assertEquals("6A82", plain("00A4040007F0000000010101"));
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("9000", sw(send(0xF0, 0x40, 0x00, h("F0000000010101"))));
        assertEquals("9000", plain("00A4040007F0000000010101"));
        plain("00A4040008A000000151000000");
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("6A88", sw(send(0xF0, 0x40, 0x80, h("F0000000019999"))));
        assertEquals("6A80", sw(send(0xF0, 0x40, 0x80, h("A000000151000000"))));
        assertEquals("6A86", sw(send(0xF0, 0x20, 0x80, h("F0000000010101"))));
        // card lock: applications are no longer selectable, the ISD reports CARD_LOCKED
        assertEquals("9000", sw(send(0xF0, 0x80, 0x7F, new byte[0])));
        assertEquals("08A0000001510000007F9E9000", send(0xF2, 0x80, 0x00, h("4F00")));
        assertEquals("6A82", plain("00A4040007F0000000010101"));
        plain("00A4040008A000000151000000");
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("6A80", sw(send(0xF0, 0x80, 0x07, new byte[0])));
        assertEquals("9000", sw(send(0xF0, 0x80, 0x0F, new byte[0])));
        assertEquals("9000", plain("00A4040007F0000000010101"));
    }

    static byte[] kcvAes(byte[] key) {
        byte[] ones = new byte[16];
        Arrays.fill(ones, (byte) 1);
        return Arrays.copyOf(BlockCiphers.aesEcb(key, ones), 3);
    }

    static byte[] kcvDes(byte[] key) {
        return Arrays.copyOf(BlockCiphers.tdesEcbEncrypt(key, new byte[8]), 3);
    }

    byte[] aesKeySet(int version, byte[] key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(version);
        for (int n = 0; n < 3; n++) {
            out.writeBytes(h("881110"));
            out.writeBytes(scp.encryptSensitive(key));
            out.write(3);
            out.writeBytes(kcvAes(key));
        }
        return out.toByteArray();
    }

    @Test
    void putKeyAddsAndReplacesScp03KeySets() {
        byte[] key = h("00112233445566778899AABBCCDDEEFF");
        String kcv = HEX.formatHex(kcvAes(key));
        assertEquals("31" + kcv + kcv + kcv + "9000", send(0xD8, 0x00, 0x81, aesKeySet(0x31, key)));
        assertEquals("6A80", sw(send(0xD8, 0x00, 0x81, aesKeySet(0x31, key))));
        assertEquals("6A88", sw(send(0xD8, 0x35, 0x81, aesKeySet(0x36, key))));
        assertEquals("6A86", sw(send(0xD8, 0x00, 0x01, aesKeySet(0x32, key))));
        byte[] badKcv = aesKeySet(0x32, key);
        badKcv[badKcv.length - 1] ^= 1;
        assertEquals("6A80", sw(send(0xD8, 0x00, 0x81, badKcv)));
        // the new key set opens sessions; replacing version 30 retires the test keys
        ScpHost withNew = ScpHost.open(card::transmit, new HostKeys(0x31, key, key, key), 0x03);
        assertEquals("9000", sw(HEX.formatHex(withNew.send(h("80F28000024F0000")))));
        scp = withNew;
        assertEquals("30" + kcv + kcv + kcv + "9000", send(0xD8, 0x30, 0x81, aesKeySet(0x30, key)));
        ScpHostException refused = assertThrows(ScpHostException.class,
                () -> ScpHost.open(card::transmit, HostKeys.testKeys(0x30), 0x03));
        assertTrue(refused.getMessage().contains("card cryptogram") || refused.sw() == 0x6982 || refused.sw() == 0x6300,
                refused.getMessage());
        ScpHost.open(card::transmit, new HostKeys(0x30, key, key, key), 0x03);
    }

    @Test
    void putKeyScp02ThreeDesKeySet() {
        scp = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x03);
        byte[] key = h("0123456789ABCDEFFEDCBA9876543210");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x21);
        for (int n = 0; n < 3; n++) {
            out.writeBytes(h("8010"));
            out.writeBytes(scp.encryptSensitive(key));
            out.write(3);
            out.writeBytes(kcvDes(key));
        }
        String kcv = HEX.formatHex(kcvDes(key));
        assertEquals("21" + kcv + kcv + kcv + "9000", send(0xD8, 0x00, 0x81, out.toByteArray()));
        ScpHost withNew = ScpHost.open(card::transmit, new HostKeys(0x21, key, key, key), 0x01);
        assertEquals("9000", sw(HEX.formatHex(withNew.send(h("80F28000024F0000")))));
        // GET DATA key information lists the new set (key type 80 = DES)
        assertTrue(plain("80CA00E000").contains("C00401218010"));
    }

    @Test
    void personalizationThroughStoreData() {
        card.install(h("F0000000010101"), AdminTestApplet.class, new byte[0]);
        assertEquals("6985", sw(send(0xE2, 0x80, 0x00, h("0102"))));
        assertEquals("6A88", sw(send(0xE6, 0x20, 0x00, h("0000" + "07F0000000019999" + "000000"))));
        assertEquals("009000", send(0xE6, 0x20, 0x00, h("0000" + "07F0000000010101" + "000000")));
        assertEquals("9000", send(0xE2, 0x80, 0x00, h("CAFE0102")));
        assertEquals("6985", sw(send(0xE2, 0x80, 0x01, h("0102"))));
        assertEquals("9000", plain("00A4040007F0000000010101"));
        assertEquals("CAFE01029000", plain("8030000000"));
    }
}
