package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.jpkisim.applet.JpkiApplet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Logical channels and multiselection as the Java Card 3.0.4 Runtime Environment Specification, chapter 4,
 * defines them: a non-multiselectable applet is active on one channel only (SELECT elsewhere 6985, 4.5.2
 * step 5; MANAGE CHANNEL OPEN that would inherit it 6985 and the channel stays closed, 4.5.1 step 8);
 * select() is called whenever an applet becomes selected on a channel; a SELECT on one channel does not
 * deselect another channel's applet; each channel has its own selection and channel number.
 */
class LogicalChannelRulesTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String SINGLE = "F0000000030101";
    static final String MULTI = "F0000000030202";
    static final String OTHER = "F0000000030303";
    static final String JPKI = "D392F000260100000001";
    GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(SINGLE), ChannelTestApplet.class, new byte[0]);
        card.install(HEX.parseHex(MULTI), ChannelTestApplet.Multi.class, new byte[0]);
        card.install(HEX.parseHex(OTHER), ChannelTestApplet.class, new byte[0]);
    }

    String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    static String select(int channel, String aid) {
        return "0" + channel + "A40400" + String.format("%02X", aid.length() / 2) + aid;
    }

    @Test
    void nonMultiselectableAppletIsActiveOnOneChannelOnly() {
        assertEquals("9000", send(select(0, SINGLE)));
        assertEquals("019000", send("0070000001"));
        assertEquals("6985", send(select(1, SINGLE)));
        // channel 1 keeps what it had (the ISD, the default application), channel 0 its applet, selected once
        assertTrue(send("81CA006600").endsWith("9000"));
        assertEquals("01000000FF9000", send("8010000000"));
    }

    @Test
    void manageChannelFromAChannelWithANonMultiselectableAppletFails() {
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send(select(1, SINGLE)));
        // 01 70 00 02: channel 2 would inherit the applet of channel 1
        assertEquals("6985", send("01700002"));
        assertEquals("6881", send("8210000000"));
        assertEquals("6985", send("0170000001"));
        // the applet was selected once, on channel 1, and never deselected
        assertEquals("01000101FF9000", send("8110000000"));
    }

    @Test
    void manageChannelInheritsAMultiselectableAppletAndSelectsIt() {
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send(select(1, MULTI)));
        assertEquals("01000101FF9000", send("8110000000"));
        assertEquals("029000", send("0170000001"));
        // select(true) was called for channel 2: two selections, the second while already active
        assertEquals("0200020201" + "9000", send("8210000000"));
        // closing channel 2 deselects it there, it stays active on channel 1
        assertEquals("9000", send("02708002"));
        assertEquals("0201010101" + "9000", send("8110000000"));
    }

    @Test
    void selectOnAnotherChannelDoesNotDeselectTheFirst() {
        assertEquals("9000", send(select(0, SINGLE)));
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send(select(1, OTHER)));
        assertEquals("01000000FF9000", send("8010000000"));
        assertEquals("01000101FF9000", send("8110000000"));
        // the multiselectable applet on two channels: the second select() knows it is already active
        assertEquals("029000", send("0070000001"));
        assertEquals("9000", send(select(2, MULTI)));
        assertEquals("9000", send(select(0, MULTI)));
        assertEquals("0200000001" + "9000", send("8010000000"));
        assertEquals("0200020201" + "9000", send("8210000000"));
    }

    @Test
    void selectOnAClosedChannelOpensIt() {
        assertEquals("9000", send(select(3, SINGLE)));
        assertEquals("01000303FF9000", send("8310000000"));
        assertEquals("9000", send("03708003"));
        assertEquals("6881", send("8310000000"));
    }

    @Test
    void jpkiVerifiedOnOneChannelCannotBeUsedOnAnother() {
        card.install(HEX.parseHex(JPKI), JpkiApplet.class, new byte[0]);
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send("01A4040C0A" + JPKI));
        assertEquals("9000", send("01A4020C020018"));
        // VERIFY on channel 1 (pre-personalised: 6985; personalised it would set the PIN's verified state)
        assertEquals(4, send("012000800431323334").length());
        // channel 2 can select the applet neither by SELECT nor by inheriting it
        assertEquals("029000", send("0070000001"));
        assertEquals("6985", send("02A4040C0A" + JPKI));
        // so a signature on channel 2 never reaches the applet: the ISD selected there does not know it
        assertEquals("6D00", send("822A00BC0330313200"));
        assertEquals("9000", send("02708002"));
        assertEquals("6985", send("01700002"));
        assertEquals("6881", send("822A00BC0330313200"));
    }
}
