package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.jpkisim.applet.JpkiApplet;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.junit.jupiter.api.Test;

/** The JPKI applet installed under the simulated ISD, as the simulator host runs it. */
class JpkiUnderIsdTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final byte[] JPKI_AID = HEX.parseHex("D392F000260100000001");

    private static String send(GpCard card, String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void jpkiAppletAndIsdLiveSideBySide() {
        GpCard card = new GpCard();
        card.install(JPKI_AID, JpkiApplet.class, new byte[0]);
        assertEquals("9000", send(card, "00A4040C0AD392F000260100000001"));
        // The ISD still answers once selected again, with its own session.
        String fci = send(card, "00A4040008A000000151000000");
        assertEquals("9000", fci.substring(fci.length() - 4));
        ScpHost isd = ScpHost.open(card::transmit, HostKeys.testKeys(), 0x33);
        String keyInfo = HEX.formatHex(isd.send(HEX.parseHex("80CA00E000")));
        assertEquals("9000", keyInfo.substring(keyInfo.length() - 4));
        assertEquals("9000", send(card, "00A4040C0AD392F000260100000001"));
    }
}
