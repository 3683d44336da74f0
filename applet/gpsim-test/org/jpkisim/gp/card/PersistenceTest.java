package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.junit.jupiter.api.Test;

/** A card saved and restored (as across a simulator restart) keeps its applets' objects, keys and registry. */
class PersistenceTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String TX = "F0000000020202";

    static String send(GpCard card, String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    static GpCard roundTrip(GpCard card) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        card.save(out);
        return GpCard.restore(new ByteArrayInputStream(out.toByteArray()), GpCard.DEFAULT_DIVERSIFICATION_DATA, AppletCatalog.standard());
    }

    @Test
    void appletObjectsAndPinCounterSurvive() throws IOException {
        GpCard card = new GpCard();
        card.install(HEX.parseHex(TX), TransactionTestApplet.class, new byte[0]);
        assertEquals("9000", send(card, "00A4040007" + TX));
        assertEquals("9000", send(card, "80410000081122334455667788"));
        assertEquals("9000", send(card, "8044000000"));
        assertEquals("9000", send(card, "80460000040A0B0C0D"));
        GpCard restored = roundTrip(card);
        assertEquals("9000", send(restored, "00A4040007" + TX));
        assertEquals("1122334455667788000111" + "9000", send(restored, "8042000000"));
        assertEquals("029000", send(restored, "8045000000"));
        // transient memory starts clear, and is transient again (cleared by a reset)
        assertEquals("00000000" + "9000", send(restored, "8047000000"));
        assertEquals("9000", send(restored, "80460000040A0B0C0D"));
        assertEquals("0A0B0C0D" + "9000", send(restored, "8047000000"));
        restored.reset();
        assertEquals("9000", send(restored, "00A4040007" + TX));
        assertEquals("00000000" + "9000", send(restored, "8047000000"));
        // transactions still roll back on the restored objects
        assertEquals("9000", send(restored, "80400000089999999999999999"));
        assertEquals("1122334455667788000111" + "9000", send(restored, "8042000000"));
    }

    @Test
    void keysRegistryAndLoadedPackagesSurvive() throws Exception {
        GpCard card = new GpCard();
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        byte[] block = CapFiles.jpki();
        ByteArrayOutputStream tagged = new ByteArrayOutputStream();
        tagged.writeBytes(HEX.parseHex("C482"));
        tagged.write(block.length >> 8);
        tagged.write(block.length);
        tagged.writeBytes(block);
        byte[] all = tagged.toByteArray();
        assertEquals("009000", HEX.formatHex(scp.send(HEX.parseHex("80E602000E09D392F0002601000000" + "00000000" + "00"))).substring(0, 6));
        for (int n = 0, off = 0; off < all.length; n++, off += 200) {
            byte[] chunk = java.util.Arrays.copyOfRange(all, off, Math.min(all.length, off + 200));
            boolean last = off + 200 >= all.length;
            String apdu = String.format("80E8%02X%02X%02X", last ? 0x80 : 0, n, chunk.length) + HEX.formatHex(chunk);
            assertTrue(HEX.formatHex(scp.send(HEX.parseHex(apdu))).endsWith("9000"));
        }
        String install = "09D392F0002601000000" + "0AD392F000260100000001" + "0AD392F000260100000001" + "0100" + "02C900" + "00";
        assertTrue(HEX.formatHex(scp.send(HEX.parseHex("80E60C00" + String.format("%02X", install.length() / 2) + install + "00"))).endsWith("9000"));
        byte[] key = HEX.parseHex("00112233445566778899AABBCCDDEEFF");
        ByteArrayOutputStream put = new ByteArrayOutputStream();
        put.write(0x31);
        for (int i = 0; i < 3; i++) {
            put.writeBytes(HEX.parseHex("881110"));
            put.writeBytes(scp.encryptSensitive(key));
            put.write(3);
            put.writeBytes(CardContentTest.kcvAes(key));
        }
        byte[] putData = put.toByteArray();
        assertTrue(HEX.formatHex(scp.send(HEX.parseHex("80D80081" + String.format("%02X", putData.length) + HEX.formatHex(putData) + "00"))).endsWith("9000"));
        String counterBefore = send(card, "8050300008" + "0102030405060708").substring(58, 64);

        GpCard restored = roundTrip(card);
        assertEquals("9000", send(restored, "00A4040C0AD392F000260100000001"));
        assertEquals("9000", send(restored, "00A4020C020006"));
        assertTrue(send(restored, "00B0000000").startsWith(HEX.formatHex("JPKIAPICCTOKEN2".getBytes())));
        send(restored, "00A4040008A000000151000000");
        ScpHost withNew = ScpHost.open(restored::transmit, new HostKeys(0x31, key, key, key), 0x03);
        String apps = HEX.formatHex(withNew.send(HEX.parseHex("80F24002024F0000")));
        assertTrue(apps.contains("4F0AD392F000260100000001"), apps);
        // the SCP03 sequence counter continues: no card challenge repeats after a restart
        String counterAfter = send(restored, "8050300008" + "0102030405060708").substring(58, 64);
        assertTrue(Integer.parseInt(counterAfter, 16) > Integer.parseInt(counterBefore, 16), counterBefore + " " + counterAfter);
    }

    @Test
    void supplementaryDomainKeysSurvive() throws IOException {
        GpCard card = new GpCard();
        ScpHost isd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        String install = "07A0000001515350" + "08A000000151535041" + "0BA000000151535041534901" + "03808000" + "02C900" + "00";
        assertEquals("009000", HEX.formatHex(isd.send(HEX.parseHex("80E60C00" + String.format("%02X", install.length() / 2) + install + "00"))));
        GpCard restored = roundTrip(card);
        assertEquals("9000", send(restored, "00A404000BA00000015153504153490100").substring(send(restored, "00A404000BA00000015153504153490100").length() - 4));
        ScpHost.open(restored::transmit, HostKeys.testKeys(), 0x03);
    }

    @Test
    void refusesAForeignFile() {
        assertThrows(IOException.class, () -> GpCard.restore(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                GpCard.DEFAULT_DIVERSIFICATION_DATA, AppletCatalog.standard()));
        assertNotEquals(0, 1);
    }
}
