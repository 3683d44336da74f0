package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.jpkisim.applet.JpkiApplet;
import org.jpkisim.gp.host.HostKeys;
import org.jpkisim.gp.host.ScpHost;
import org.jpkisim.gp.scp.SecureMessaging;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SecureChannel.unwrap() never hands back as verified a command it did not verify: ISO secure
 * messaging forms (CLA 88-8F, E0-EF), which no session here processes, are refused with 6982; a plain
 * command where the session's level requires a C-MAC is refused too (GP Card API SecureChannel.unwrap:
 * processing complies with the Secure Channel Protocol rules, otherwise a security error).
 */
class SecureMessagingClassTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final byte[] PROBE = HEX.parseHex("F0000000020101");
    private GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(PROBE, UnwrapProbeApplet.class, new byte[0]);
        assertEquals("9000", send("00A4040007F0000000020101"));
    }

    private String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void classification() {
        assertEquals(SecureMessaging.NONE, SecureMessaging.of(0x80));
        assertEquals(SecureMessaging.NONE, SecureMessaging.of(0x03));
        assertEquals(SecureMessaging.GP, SecureMessaging.of(0x84));
        assertEquals(SecureMessaging.GP, SecureMessaging.of(0x87));
        for (int cla : new int[] {0x08, 0x0C, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8F, 0xE0, 0xEF, 0x60}) {
            assertEquals(SecureMessaging.UNPROCESSED, SecureMessaging.of(cla), Integer.toHexString(cla));
        }
        assertEquals(SecureMessaging.NONE, SecureMessaging.of(0xC0));
        assertEquals(SecureMessaging.NONE, SecureMessaging.of(0x40));
    }

    @ParameterizedTest
    @ValueSource(strings = {"88", "89", "8A", "8B", "8C", "8D", "8E", "8F"})
    void isoSecureMessagingFormsAreRefusedInsideAnEncryptedSession(String cla) {
        // The probe (multiselectable) selected on channels 1-3 as well: CLA 89-8B reach it there.
        for (int n = 1; n <= 3; n++) {
            assertEquals("9000", send("0070000" + n));
            assertEquals("9000", send("0" + n + "A4040007F0000000020101"));
        }
        ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC | ScpHost.C_DECRYPTION);
        assertEquals("839000", send("8020000000"));
        // Never reaches the applet as unwrapped data with the session's level: 6982, session aborted.
        assertEquals("6982", send(cla + "DA00000101"));
        assertEquals("009000", send("8020000000"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x20, 0x30})
    void isoSecureMessagingFormsAreRefusedWithoutASession(int keyVersion) {
        assertEquals("9000", send("00700003"));
        assertEquals("9000", send("03A4040007F0000000020101"));
        assertEquals("6982", send("88DA00000101"));
        assertEquals("6982", send("8CDA00000101"));
        // Authenticated without C-MAC (level 00): still not handed back.
        ScpHost.open(card::transmit, HostKeys.testKeys(keyVersion), 0x00);
        assertEquals("6982", send("8BDA00000101"));
    }

    @Test
    void headerTamperedFromGpToIsoFormIsRefused() {
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC);
        byte[] wrapped = host.wrap(HEX.parseHex("80DA00000101"));
        wrapped[0] = (byte) 0x8C; // same MAC input for a session that ignored bit 08
        assertEquals("6982", HEX.formatHex(card.transmit(wrapped)));
    }

    @Test
    void gpSecuredCommandIsUnwrapped() {
        ScpHost host = ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC | ScpHost.C_DECRYPTION);
        byte[] raw = card.transmit(host.wrap(HEX.parseHex("80DA00000101")));
        assertEquals("8380DA000001019000", HEX.formatHex(raw));
    }

    @Test
    void plainCommandWhereTheLevelRequiresCmacIsRefused() {
        ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC);
        assertEquals("6982", send("80DA00000101"));
        assertEquals("009000", send("8020000000"));
        ScpHost.open(card::transmit, HostKeys.testKeys(0x20), ScpHost.C_MAC);
        assertEquals("6982", send("00DA00000101"));
    }

    @Test
    void plainCommandPassesUntouchedWithoutCmacLevel() {
        assertEquals("0080DA000001019000", send("80DA00000101"));
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x00);
        assertEquals("8080DA000001019000", send("80DA00000101"));
        // SCP02 R-MAC only (level 10): commands come plain, unwrap passes them.
        ScpHost.open(card::transmit, HostKeys.testKeys(0x22), ScpHost.R_MAC);
        assertEquals("9080DA00000101", send("80DA00000101").substring(0, 14));
    }

    @ParameterizedTest
    @ValueSource(strings = {"88", "8C"})
    void jpkiAdminCommandInIsoFormIsRefused(String cla) {
        GpCard jpki = new GpCard();
        jpki.install(HEX.parseHex("D392F000260100000001"), JpkiApplet.class, new byte[0]);
        assertEquals("9000", HEX.formatHex(jpki.transmit(HEX.parseHex("00A4040C0AD392F000260100000001"))));
        ScpHost.open(jpki::transmit, HostKeys.testKeys(), ScpHost.C_MAC | ScpHost.C_DECRYPTION);
        assertEquals("6982", HEX.formatHex(jpki.transmit(HEX.parseHex(cla + "DA00000101"))));
    }

    @Test
    void isdRefusesIsoFormsToo() {
        assertEquals("9000", send("00A4040008A000000151000000").substring(send("00A4040008A000000151000000").length() - 4));
        ScpHost.open(card::transmit, HostKeys.testKeys(), 0x00);
        // GET STATUS in an ISO SM form, in a session whose level needs no C-MAC: not processed as plain.
        assertEquals("6982", send("88F28000024F00"));
        assertEquals("6982", send("88CA00E000"));
        assertEquals("6982", send("8850000008" + "0102030405060708"));
    }
}
