package org.jpkisim.gp.card;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import javacard.security.RandomData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a card does and stock jCardSim does not: rollback, power loss, logical channels, long APDUs, random seeding. */
class CardPlatformTest {
    static final HexFormat HEX = HexFormat.of().withUpperCase();
    static final String TX = "F0000000020202";
    static final String ADMIN = "F0000000010101";
    GpCard card;

    @BeforeEach
    void setUp() {
        card = new GpCard();
        card.install(HEX.parseHex(TX), TransactionTestApplet.class, new byte[0]);
        card.install(HEX.parseHex(ADMIN), AdminTestApplet.class, new byte[0]);
    }

    String send(String hex) {
        return HEX.formatHex(card.transmit(HEX.parseHex(hex)));
    }

    @Test
    void abortedTransactionRollsBack() {
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("9000", send("80410000081111111111111111"));
        assertEquals("1111111111111111000111" + "9000", send("8042000000"));
        assertEquals("9000", send("80400000082222222222222222"));
        assertEquals("1111111111111111000111" + "9000", send("8042000000"));
    }

    @Test
    void transactionLeftOpenByTheAppletIsAborted() {
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("9000", send("80410000081111111111111111"));
        assertEquals("9000", send("80490000085555555555555555"));
        assertEquals("1111111111111111000111" + "9000", send("8042000000"));
        // and the next transaction starts normally
        assertEquals("9000", send("80410000086666666666666666"));
        assertEquals("6666666666666666000266" + "9000", send("8042000000"));
    }

    @Test
    void pinTryCounterIsNotRolledBack() {
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("039000", send("8045000000"));
        assertEquals("9000", send("8044000000"));
        assertEquals("029000", send("8045000000"));
    }

    @Test
    void powerLossAtCommitRollsBackThatTransactionOnly() {
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("9000", send("80410000081111111111111111"));
        assertEquals("9000", send("80460000040A0B0C0D"));
        card.armPowerLossAtNextCommit();
        // a command without a transaction is not affected; its write stays
        assertEquals("9000", send("80430000083333333333333333"));
        assertTrue(card.powerLossArmed());
        assertEquals("", send("80410000084444444444444444"));
        assertFalse(card.powerLossArmed());
        // after the power loss: the ISD is selected again, transient memory is clear, the torn write is gone
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("00000000" + "9000", send("8047000000"));
        assertEquals("3333333333333333000233" + "9000", send("8042000000"));
    }

    @Test
    void caseFourWithLc255AndLeReachesTheApplet() {
        assertEquals("9000", send("00A4040007" + TX));
        String data = "AB".repeat(255);
        assertEquals("00FF010000" + "9000", send("804800FFFF" + data + "00"));
        assertEquals("00FF000500" + "9000", send("804800FFFF" + data + "05"));
        assertEquals("00FE010000" + "9000", send("804800FFFE" + data.substring(2) + "00"));
    }

    @Test
    void logicalChannelsKeepTheirOwnSelection() {
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send("01A4040007" + TX));
        assertEquals("029000", send("0070000001"));
        assertEquals("9000", send("02A4040007" + ADMIN));
        // basic channel: still the ISD
        assertTrue(send("80CA006600").endsWith("9000"));
        // channel 1: the test applet, which sees its channel number
        assertEquals("0000010001" + "9000", send("8148000000"));
        // channel 2: the admin applet (security level 00)
        assertEquals("009000", send("8220000000"));
        assertEquals("039000", send("0070000001"));
        assertEquals("6A81", send("0070000001"));
        assertEquals("6A86", send("0070000001".substring(0, 6) + "02"));
        assertEquals("9000", send("0070800100"));
        assertEquals("6881", send("8148000000"));
        assertEquals("6881", send("4148000000"));
        assertEquals("6A86", send("00708000"));
        assertEquals("9000", send("02708000"));
        assertEquals("6881", send("8220000000"));
        // JCRE 4.5.1 step 1: MANAGE CHANNEL with P1 other than 00/80 is 6A81 (function not supported)
        assertEquals("6A81", send("0070200000"));
        // after a reset only the basic channel is open
        card.reset();
        assertEquals("6881", send("0370800300"));
    }

    @Test
    void randomDataIsSeededPerInstance() {
        RandomData a = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        RandomData b = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        byte[] x = new byte[16];
        byte[] y = new byte[16];
        a.generateData(x, (short) 0, (short) 16);
        b.generateData(y, (short) 0, (short) 16);
        assertFalse(Arrays.equals(x, y));
    }

    @Test
    void t0PersonaAnswersWithGetResponse() {
        card.setT0(true);
        assertEquals("9000", send("00A4040007" + TX));
        assertEquals("9000", send("80410000081111111111111111"));
        // case 2 with the right Le: data at once; with another Le: 6Cxx
        assertEquals("1111111111111111000111" + "9000", send("804200000B"));
        assertEquals("6C0B", send("8042000000"));
        // case 4: 61xx, then GET RESPONSE in pieces
        assertEquals("6105", send("804800000101"));
        assertEquals("6C05", send("00C0000010"));
        assertEquals("0001" + "6103", send("00C0000002"));
        assertEquals("000000" + "9000", send("00C0000003"));
        assertEquals("6985", send("00C0000003"));
        card.setT0(false);
        assertEquals("0001000000" + "9000", send("804800000101"));
    }

    @Test
    void jpkiAppletAnswersOnALogicalChannel() {
        card.install(HEX.parseHex("D392F000260100000001"), org.jpkisim.applet.JpkiApplet.class, new byte[0]);
        assertEquals("019000", send("0070000001"));
        assertEquals("9000", send("01A4040C0AD392F000260100000001"));
        assertEquals("9000", send("01A4020C020006"));
        assertTrue(send("01B0000000").startsWith(HEX.formatHex("JPKIAPICCTOKEN2".getBytes())));
        // the basic channel still has the ISD
        assertTrue(send("80CA00E000").startsWith("E0"));
        assertEquals("9000", send("00708001"));
    }
}
