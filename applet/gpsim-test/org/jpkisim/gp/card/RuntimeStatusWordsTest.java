package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.jpkisim.applet.JpkiApplet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Status words the runtime answers itself: SELECT of an absent application, unsupported classes, T=0 per channel. */
class RuntimeStatusWordsTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String JPKI = "D392F000260100000001";
    static final String TX = "F0000000020202";
    GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(JPKI), JpkiApplet.class, new byte[0]);
        card.install(HEX.parseHex(TX), TransactionTestApplet.class, new byte[0]);
    }

    String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void selectOfAnAbsentApplicationWhileJpkiIsSelectedIs6A82() {
        assertEquals("9000", send("00A4040C0A" + JPKI));
        // what a JPKI client selects next: the card's visual application, not on a SIM
        assertEquals("6A82", send("00A4040C0AD3921000310001010402"));
        assertEquals("6A82", send("00A4040008A0000001510000FF"));
        // the JPKI applet stays selected
        assertEquals("9000", send("00A4020C020006"));
        assertEquals("4A504B49", send("00B0000004").substring(0, 8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"FF", "F0", "F4", "FE", "D0", "DF", "20", "2F", "30", "3F"})
    void unsupportedClassesAre6E00(String cla) {
        assertEquals("9000", send("00A4040C0A" + JPKI));
        assertEquals("6E00", send(cla + "A4040C0A" + JPKI));
        assertEquals("6E00", send(cla + "B0000004"));
    }

    @Test
    void classesOfChannelsFourToNineteenAre6881() {
        assertEquals("6881", send("40B0000004"));
        assertEquals("6881", send("C0CA00E000"));
        assertEquals("6881", send("E0CA00E000"));
    }

    @Test
    void t0GetResponseBelongsToTheChannelThatProducedTheData() {
        card.setT0(true);
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("019000", send("0070000001"));
        assertEquals("6105", send("804800000101"));
        // channel 1 has nothing pending: channel 0's answer is not handed over
        assertEquals("6985", send("01C0000005"));
        assertEquals("0001000000" + "9000", send("00C0000005"));
        // data produced on channel 1 is fetched on channel 1 only, also after a command on channel 0
        card.install(HEX.parseHex("F0000000020203"), TransactionTestApplet.class, new byte[0]);
        assertEquals("9000", send("01A4040007F0000000020203"));
        assertEquals("6105", send("814800000101"));
        assertEquals("6985", send("00C0000005"));
        assertEquals("9000", send("00A4040C0A" + JPKI));
        assertEquals("0001000001" + "9000", send("01C0000005"));
        assertEquals("6985", send("01C0000005"));
    }
}
