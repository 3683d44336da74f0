package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.keys.KeyRepository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Privileges granted by INSTALL [for install] and checked by GPSystem.lockCard() / terminateCard()
 * (GP Card Specification 2.3 6.6; GP Card API GPSystem).
 */
class PrivilegesTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String PKG = "F000000004";
    static final String MODULE = "F00000000401";
    GpCard card;

    @BeforeEach
    void setUp() {
        AppletCatalog catalog = AppletCatalog.standard().add(PKG, MODULE, CardLockTestApplet.class.getName());
        card = new GpCard(KeyRepository.issuerTestKeys(), GpCard.DEFAULT_DIVERSIFICATION_DATA, catalog);
        card.installFromPackage(HEX.parseHex(PKG), 1, 0, HEX.parseHex(MODULE), HEX.parseHex("F0000000040100"),
                CardLockTestApplet.class, new byte[0]);
    }

    String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    String install(String instance, String privileges) {
        select("A000000151000000");
        ScpHost scp = ScpHost.open(card::transmit, HostKeys.staticTestKeys(0), 0x03);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (String field : new String[] {PKG, MODULE, instance, privileges, "", ""}) {
            byte[] f = HEX.parseHex(field);
            data.write(f.length);
            data.writeBytes(f);
        }
        byte[] d = data.toByteArray();
        String r = HEX.formatHex(scp.send(HEX.parseHex(String.format("80E60C00%02X", d.length) + HEX.formatHex(d) + "00")));
        return r.substring(r.length() - 4);
    }

    String select(String aid) {
        return send(String.format("00A40400%02X", aid.length() / 2) + aid);
    }

    @Test
    void withoutTheCardLockPrivilegeLockCardReturnsFalse() {
        assertEquals("9000", select("F0000000040100"));
        assertEquals("000F9000", send("8010000000"));
        assertEquals("000F9000", send("8020000000"));
        assertEquals("9000", install("F0000000040101", "00"));
        assertEquals("9000", select("F0000000040101"));
        assertEquals("000F9000", send("8010000000"));
    }

    @Test
    void cardLockPrivilegeGrantedByInstall() {
        assertEquals("9000", install("F0000000040102", "100000"));
        assertEquals("9000", select("F0000000040102"));
        // Card Lock but not Card Terminate
        assertEquals("000F9000", send("8020000000"));
        assertEquals("017F9000", send("8010000000"));
    }

    @Test
    void cardTerminatePrivilegeGrantedByInstall() {
        assertEquals("9000", install("F0000000040103", "08"));
        assertEquals("9000", select("F0000000040103"));
        assertEquals("000F9000", send("8010000000"));
        assertEquals("01FF9000", send("8020000000"));
    }

    @Test
    void cardResetIsHeldByOneApplicationOnly() {
        // the ISD is the default-selected application and holds Card Reset
        assertEquals("6A80", install("F0000000040104", "04"));
        assertEquals("6A80", install("F0000000040104", "040000"));
    }

    @Test
    void securityDomainPrivilegesAreNotForApplications() {
        assertEquals("6A80", install("F0000000040105", "20"));
        assertEquals("6A80", install("F0000000040105", "004000"));
        assertEquals("6A80", install("F0000000040105", "000080"));
    }
}
