package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.host.ScpHostException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MNO-TSM / SP-TSM split: the issuer (MNO) creates a supplementary security domain and extradites
 * an application to it; the service provider rotates the SSD's keys, and from then on the application's
 * GPSystem.getSecureChannel() is the SSD's channel with the SP's keys, which the ISD's keys do not open.
 */
class SupplementarySecurityDomainTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String SSD = "A000000151535041534901";
    static final String APP = "F0000000010101";
    static final byte[] SP_KEY = HEX.parseHex("5350544B45595350544B45595350544B");

    GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(APP), AdminTestApplet.class, new byte[0]);
    }

    String plain(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    static String send(ScpHost scp, String hex) {
        return HEX.formatHex(scp.send(HEX.parseHex(hex)));
    }

    static String sw(String r) {
        return r.substring(r.length() - 4);
    }

    static String apdu(int ins, int p1, int p2, String data) {
        return String.format("80%02X%02X%02X%02X", ins, p1, p2, data.length() / 2) + data + "00";
    }

    static String lv(String hex) {
        return String.format("%02X", hex.length() / 2) + hex;
    }

    /** MNO side: create the SSD and extradite the application to it. */
    ScpHost createSsdAndExtradite() {
        ScpHost isd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        String install = lv(AppletCatalog.SD_PACKAGE) + lv(AppletCatalog.SD_MODULE) + lv(SSD) + lv("808000") + lv("C900") + "00";
        assertEquals("009000", send(isd, apdu(0xE6, 0x0C, 0x00, install)));
        String extradite = lv(SSD) + "00" + lv(APP) + "00" + "00" + "00";
        assertEquals("009000", send(isd, apdu(0xE6, 0x10, 0x00, extradite)));
        return isd;
    }

    byte[] putKeyData(ScpHost scp, int version, byte[] key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(version);
        for (int n = 0; n < 3; n++) {
            out.writeBytes(HEX.parseHex("881110"));
            out.writeBytes(scp.encryptSensitive(key));
            out.write(3);
            out.writeBytes(CardContentTest.kcvAes(key));
        }
        return out.toByteArray();
    }

    @Test
    void registryShowsTheSsdAndTheAssociation() {
        ScpHost isd = createSsdAndExtradite();
        String apps = send(isd, apdu(0xF2, 0x40, 0x02, "4F00"));
        assertTrue(apps.contains("4F0B" + SSD + "9F700107C503808000C407" + AppletCatalog.SD_PACKAGE + "CC0B" + SSD), apps);
        assertTrue(apps.contains("4F07" + APP + "9F700107C503000000CC0B" + SSD), apps);
        // the ISD cannot be extradited; unknown domains and applications are not found
        assertEquals("6985", sw(send(isd, apdu(0xE6, 0x10, 0x00, lv(SSD) + "00" + lv("A000000151000000") + "000000"))));
        assertEquals("6A88", sw(send(isd, apdu(0xE6, 0x10, 0x00, lv("A0000001515350415349FF") + "00" + lv(APP) + "000000"))));
        assertEquals("6A88", sw(send(isd, apdu(0xE6, 0x10, 0x00, lv(SSD) + "00" + lv("F00000000199") + "000000"))));
        // an SSD with an application is deleted only with its related objects
        assertEquals("6985", sw(send(isd, apdu(0xE4, 0x00, 0x00, "4F0B" + SSD))));
        assertEquals("009000", send(isd, apdu(0xE4, 0x00, 0x80, "4F0B" + SSD)));
        assertEquals("6A88", sw(send(isd, apdu(0xF2, 0x40, 0x02, "4F07" + APP))));
    }

    @Test
    void serviceProviderKeysOpenTheApplicationsChannelAndIssuerKeysDoNot() {
        createSsdAndExtradite();
        // SP side: select the SSD, open its channel with the keys it was created with, rotate them
        assertEquals("9000", sw(plain("00A404000B" + SSD + "00")));
        ScpHost ssd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        String kcv = HEX.formatHex(CardContentTest.kcvAes(SP_KEY));
        assertEquals("30" + kcv + kcv + kcv + "9000", send(ssd, apdu(0xD8, 0x30, 0x81, HEX.formatHex(putKeyData(ssd, 0x30, SP_KEY)))));
        // the SSD has no card management of its own
        assertEquals("6985", sw(send(ssd, apdu(0xF2, 0x40, 0x02, "4F00"))));
        assertEquals("6985", sw(send(ssd, apdu(0xE4, 0x00, 0x00, "4F07" + APP))));

        assertEquals("9000", plain("00A4040007" + APP));
        assertThrows(ScpHostException.class, () -> ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03));
        ScpHost sp = ScpHost.open(card::transmit, new HostKeys(0x30, SP_KEY, SP_KEY, SP_KEY), 0x03);
        assertEquals("0302019000", send(sp, "801000000301020300"));

        // the ISD's own keys are untouched
        assertEquals("9000", sw(plain("00A4040008A00000015100000000")));
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
    }

    @Test
    void ssdPersonalisesItsApplication() {
        createSsdAndExtradite();
        assertEquals("9000", sw(plain("00A404000B" + SSD + "00")));
        ScpHost ssd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("009000", send(ssd, apdu(0xE6, 0x20, 0x00, "0000" + lv(APP) + "000000")));
        assertEquals("9000", send(ssd, apdu(0xE2, 0x80, 0x00, "5350")));
        assertEquals("9000", plain("00A4040007" + APP));
        assertEquals("53509000", plain("8030000000"));
        // the ISD no longer personalises an application extradited away from it
        assertEquals("9000", sw(plain("00A4040008A00000015100000000")));
        ScpHost isd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        assertEquals("6A88", sw(send(isd, apdu(0xE6, 0x20, 0x00, "0000" + lv(APP) + "000000"))));
    }
}
