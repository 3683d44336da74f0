package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FileAccessTest {
    private Card card;
    private byte[] certificate;

    @BeforeEach
    void setUp() {
        card = new Card();
        certificate = new byte[1000];
        certificate[0] = 0x30;
        certificate[1] = (byte) 0x82;
        certificate[2] = 0x03;
        certificate[3] = (byte) 0xE4;
        for (int i = 4; i < certificate.length; i++) {
            certificate[i] = (byte) (i * 7);
        }
        card.selectApplication();
        card.write("000A", certificate);
    }

    @Test
    void selectsApplicationByDfNameWithoutFci() {
        assertEquals("9000", card.send("00A4040C0A" + Card.JPKI_AID));
    }

    @Test
    void unknownFileIsNotFound() {
        assertEquals("6A82", card.send("00A4020C020001"));
        assertEquals("6A82", card.send("00A4020C021234"));
    }

    @Test
    void selectWithWrongLengthIsRejected() {
        assertEquals("6700", card.send("00A4020C03000A00"));
    }

    @Test
    void readsCertificateHeaderThenWholeFileInChunks() {
        card.selectFile("000A");
        assertEquals("308203E4", card.expect("00B0000004", "9000"));
        StringBuilder read = new StringBuilder();
        read.append(card.expect("00B0000000", "9000"));
        read.append(card.expect("00B0010000", "9000"));
        read.append(card.expect("00B0020000", "9000"));
        // The last chunk is shorter than Le = 256: the data and 6282 (end of file reached).
        read.append(card.expect("00B0030000", "6282"));
        assertEquals(Card.hex(certificate), read.toString());
    }

    @Test
    void readWithExactLengthAtAnOffset() {
        card.selectFile("000A");
        byte[] expected = java.util.Arrays.copyOfRange(certificate, 500, 510);
        assertEquals(Card.hex(expected), card.expect("00B001F40A", "9000"));
    }

    @Test
    void readAtOrPastTheEndIsWrongParameters() {
        card.selectFile("000A");
        assertEquals("6B00", card.send("00B003E801"));
        assertEquals("6B00", card.send("00B07FFF01"));
    }

    @Test
    void shortEfAddressingIsRejected() {
        card.selectFile("000A");
        assertEquals("6A86", card.send("00B0800001"));
    }

    @Test
    void readWithoutSelectedFileIsNotAllowed() {
        card.selectApplication();
        assertEquals("6986", card.send("00B0000004"));
    }

    @Test
    void keyAndPinFilesAreNotReadable() {
        card.selectFile("0017");
        assertEquals("6981", card.send("00B0000004"));
        card.selectFile("0018");
        assertEquals("6981", card.send("00B0000004"));
    }

    @Test
    void tokenInformationNamesTheApplication() {
        card.selectFile("0006");
        String data = card.expect("00B0000020", "9000");
        assertEquals(Card.hex("JPKIAPICCTOKEN2                 ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), data);
    }

    @Test
    void reselectingTheApplicationClearsTheCurrentFile() {
        card.selectFile("000A");
        card.selectApplication();
        assertEquals("6986", card.send("00B0000004"));
    }

    @Test
    void unknownInstructionAndClass() {
        assertEquals("6D00", card.send("00CA000000"));
        assertEquals("6E00", card.send("A0B0000004"));
        assertEquals("6884", card.send("10B0000004"));
    }

    @Test
    void writePastCapacityIsFileFull() {
        card.selectFile("000A");
        assertEquals("6A84", card.send("00D60FFF02AABB"));
    }
}
