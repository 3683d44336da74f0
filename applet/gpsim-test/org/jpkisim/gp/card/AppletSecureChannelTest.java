package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An applet under the ISD uses GPSystem.getSecureChannel() exactly as on a UICC. */
class AppletSecureChannelTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final byte[] AID = HEX.parseHex("F0000000010101");
    private GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(AID, AdminTestApplet.class, new byte[0]);
        assertEquals("9000", send("00A4040007F0000000010101"));
    }

    private String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void adminCommandNeedsAnEncryptedSession() {
        assertEquals("6982", send("8010000003010203"));
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC);
        assertEquals("81", send("8020000000").substring(0, 2));
        assertEquals("6982", HEX.formatHex(host.send(HEX.parseHex("8010000003010203"))));
    }

    @Test
    void adminCommandInsideScp03WithResponseProtection() {
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x33);
        assertEquals("B3", send("8020000000").substring(0, 2));
        assertEquals("0302019000", HEX.formatHex(host.send(HEX.parseHex("801000000301020300"))));
        assertEquals("0504039000", HEX.formatHex(host.send(HEX.parseHex("801000000303040500"))));
        // A plain admin command inside the session is refused: it carries no MAC.
        assertEquals("6982", send("8010000003010203"));
    }

    @Test
    void adminCommandInsideScp02() {
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x20), 0x03);
        assertEquals("0302019000", HEX.formatHex(host.send(HEX.parseHex("801000000301020300"))));
    }

    @Test
    void adminCommandInsideScp02WithRmac() {
        // key set 22: SCP02 i=75; the applet's wrap() appends the R-MAC, the host checks it
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(0x22), 0x13);
        assertEquals("93", send("8020000000").substring(0, 2));
        byte[] raw = card.transmit(host.wrap(HEX.parseHex("801000000301020300")));
        assertEquals(3 + 8 + 2, raw.length);
        assertEquals("0302019000", HEX.formatHex(host.unwrap(raw)));
        assertEquals("0504039000", HEX.formatHex(host.send(HEX.parseHex("801000000303040500"))));
    }

    @Test
    void adminCommandInsideScp03S16() {
        // key set 33: SCP03 S16 i=71; 16-byte C-MAC in, R-ENC data and 16-byte R-MAC out
        ScpHost host = ScpHost.openS16(card::transmit, HostKeys.testKeys(0x33), 0x33);
        byte[] raw = card.transmit(host.wrap(HEX.parseHex("801000000301020300")));
        assertEquals(16 + 16 + 2, raw.length);
        assertEquals("0302019000", HEX.formatHex(host.unwrap(raw)));
        assertEquals("0504039000", HEX.formatHex(host.send(HEX.parseHex("801000000303040500"))));
    }

    @Test
    void eachApplicationHasItsOwnSession() {
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x03);
        // Selecting the ISD deselects the applet: its session is over when it is selected again.
        assertEquals("9000", send("00A4040008A000000151000000").substring(send("00A4040008A000000151000000").length() - 4));
        assertEquals("9000", send("00A4040007F0000000010101"));
        assertEquals("00", send("8020000000").substring(0, 2));
    }
}
