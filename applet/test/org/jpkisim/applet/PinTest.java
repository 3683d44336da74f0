package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** VERIFY and CHANGE REFERENCE DATA on the user-authentication PIN (EF 0018). */
class PinTest {
    private Card card;

    @BeforeEach
    void setUp() {
        card = new Card();
        card.personalise();
        card.selectApplication();
    }

    private static String pin(String digits) {
        return "04" + Card.hex(digits.getBytes(StandardCharsets.US_ASCII));
    }

    private String verify(String digits) {
        return card.send("00200080" + pin(digits));
    }

    @Test
    void emptyVerifyAnswersTriesLeft() {
        card.selectFile("0018");
        assertEquals("63C3", card.send("00200080"));
    }

    @Test
    void wrongPinsCountDownThenBlock() {
        card.selectFile("0018");
        assertEquals("63C2", verify("0000"));
        assertEquals("63C1", verify("9999"));
        assertEquals("63C1", card.send("00200080"));
        assertEquals("63C0", verify("1111"));
        // Blocked: even the right PIN is refused, and the answer stays 63C0.
        assertEquals("63C0", verify(Card.PIN));
        assertEquals("63C0", card.send("00200080"));
    }

    @Test
    void rightPinRestoresTheCounter() {
        card.selectFile("0018");
        assertEquals("63C2", verify("0000"));
        assertEquals("9000", verify(Card.PIN));
        assertEquals("63C3", card.send("00200080"));
    }

    @Test
    void blockedSurvivesPowerCycles() {
        card.selectFile("0018");
        verify("0000");
        verify("0000");
        verify("0000");
        card.powerCycle();
        card.selectApplication();
        card.selectFile("0018");
        assertEquals("63C0", card.send("00200080"));
        assertEquals("63C0", verify(Card.PIN));
    }

    @Test
    void tryCounterSurvivesPowerCycles() {
        card.selectFile("0018");
        assertEquals("63C2", verify("0000"));
        card.powerCycle();
        card.selectApplication();
        card.selectFile("0018");
        assertEquals("63C2", card.send("00200080"));
    }

    @Test
    void malformedPinsDoNotCostATry() {
        card.selectFile("0018");
        assertEquals("6A80", card.send("0020008003313233"));
        assertEquals("6A80", card.send("00200080053132333435"));
        assertEquals("6A80", card.send("002000800431323341"));
        assertEquals("6A80", card.send("0020008004" + "00000000"));
        assertEquals("63C3", card.send("00200080"));
    }

    @Test
    void verifyNeedsThePinFileAndParameters() {
        assertEquals("6986", verify(Card.PIN));
        card.selectFile("000A");
        assertEquals("6981", verify(Card.PIN));
        card.selectFile("0018");
        assertEquals("6A86", card.send("00200081" + pin(Card.PIN)));
        assertEquals("6A86", card.send("00200180" + pin(Card.PIN)));
    }

    @Test
    void signaturePinAnswersNoTriesLeft() {
        // OpenSC's JPKI emulation asks both PINs with an empty VERIFY and needs 63xx from each.
        card.selectFile("001B");
        assertEquals("63C0", card.send("00200080"));
        assertEquals("63C0", card.send("0020008006313233343536"));
        assertEquals("63C0", card.send("00240180" + pin("5678")));
    }

    @Test
    void verifiedStateEndsOnReselectAndPowerCycle() {
        card.verifyPin(Card.PIN);
        card.selectFile("0018");
        assertEquals("9000", card.send("00240180" + pin("4321")));
        card.selectApplication();
        card.selectFile("0018");
        assertEquals("6982", card.send("00240180" + pin("1111")));
        card.verifyPin("4321");
        card.powerCycle();
        card.selectApplication();
        card.selectFile("0018");
        assertEquals("6982", card.send("00240180" + pin("1111")));
    }

    @Test
    void changeWithOldAndNewPin() {
        card.selectFile("0018");
        String oldNew = "08" + Card.hex((Card.PIN + "8642").getBytes(StandardCharsets.US_ASCII));
        assertEquals("9000", card.send("00240080" + oldNew));
        assertEquals("63C2", verify(Card.PIN));
        assertEquals("9000", verify("8642"));
    }

    @Test
    void changeWithWrongOldPinCostsATry() {
        card.selectFile("0018");
        String wrongOldNew = "08" + Card.hex("00008642".getBytes(StandardCharsets.US_ASCII));
        assertEquals("63C2", card.send("00240080" + wrongOldNew));
        assertEquals("9000", verify(Card.PIN));
    }

    @Test
    void changeRefusesMalformedNewPinWithoutCost() {
        card.selectFile("0018");
        String oldBadNew = "08" + Card.hex((Card.PIN + "12a4").getBytes(StandardCharsets.US_ASCII));
        assertEquals("6A80", card.send("00240080" + oldBadNew));
        assertEquals("63C3", card.send("00200080"));
        assertEquals("6700", card.send("00240080" + pin(Card.PIN)));
        assertEquals("6A86", card.send("00240280" + pin(Card.PIN)));
    }

    @Test
    void prePersonalisedAppletRefusesPinCommands() {
        Card fresh = new Card();
        fresh.selectApplication();
        fresh.selectFile("0018");
        assertEquals("6985", fresh.send("00200080"));
        assertEquals("6985", fresh.send("00200080" + pin(Card.PIN)));
    }

    @Test
    void theSpTsmResetsABlockedPin() {
        card.selectFile("0018");
        verify("0000");
        verify("0000");
        verify("0000");
        card.authenticate();
        card.putContent(0x18, "2580".getBytes(StandardCharsets.US_ASCII));
        card.domain.resetSecurity();
        card.selectFile("0018");
        assertEquals("63C3", card.send("00200080"));
        assertEquals("63C2", verify(Card.PIN));
        assertEquals("9000", verify("2580"));
    }
}
