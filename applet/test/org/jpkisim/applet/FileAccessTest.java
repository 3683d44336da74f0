package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SELECT and READ BINARY as JPKI clients use them, on a personalised applet. */
class FileAccessTest {
    private Card card;
    private byte[] certificate;

    @BeforeEach
    void setUp() {
        card = new Card();
        card.personalise();
        certificate = Card.vector("certs/test-auth.der");
        card.selectApplication();
    }

    @Test
    void selectsApplicationByDfNameWithoutFci() {
        assertEquals("9000", card.send("00A4040C0A" + Card.JPKI_AID));
        assertEquals("9000", card.send("00A404000A" + Card.JPKI_AID));
    }

    @Test
    void unknownFileIsNotFound() {
        for (String fid : new String[] {"0001", "0002", "001A", "1234", "3F00", "FFFF"}) {
            assertEquals("6A82", card.send("00A4020C02" + fid), fid);
        }
    }

    @Test
    void selectParametersAndLength() {
        assertEquals("6700", card.send("00A4020C03000A00"));
        assertEquals("6700", card.send("00A4020C01AA"));
        assertEquals("6A86", card.send("00A4010C02000A"));
        assertEquals("6A86", card.send("00A4020402000A"));
        assertEquals("9000", card.send("00A4000C02000A"));
        assertEquals("9000", card.send("00A4020002000A"));
    }

    @Test
    void readsCertificateHeaderThenWholeFileInChunks() {
        card.selectFile("000A");
        assertEquals(Card.hex(Arrays.copyOf(certificate, 4)), card.expect("00B0000004", "9000"));
        StringBuilder read = new StringBuilder();
        int offset = 0;
        while (true) {
            String response = card.send(String.format("00B0%04X00", offset));
            read.append(Card.data(response));
            if (!Card.sw(response).equals("9000")) {
                // The last chunk is shorter than Le = 256: the data and 6282 (end of file reached).
                assertEquals("6282", Card.sw(response));
                break;
            }
            offset += 256;
        }
        assertEquals(Card.hex(certificate), read.toString());
    }

    @Test
    void readWithExactLengthAtAnOffset() {
        card.selectFile("000A");
        byte[] expected = Arrays.copyOfRange(certificate, 500, 510);
        assertEquals(Card.hex(expected), card.expect("00B001F40A", "9000"));
        byte[] last = Arrays.copyOfRange(certificate, certificate.length - 1, certificate.length);
        assertEquals(Card.hex(last), card.expect(String.format("00B0%04X01", certificate.length - 1), "9000"));
    }

    @Test
    void readAtOrPastTheEndIsWrongParameters() {
        card.selectFile("000A");
        assertEquals("6B00", card.send(String.format("00B0%04X01", certificate.length)));
        assertEquals("6B00", card.send("00B07FFF01"));
    }

    @Test
    void shortEfAddressingIsRejected() {
        card.selectFile("000A");
        assertEquals("6A86", card.send("00B0800001"));
    }

    @Test
    void readWithoutSelectedFileIsNotAllowed() {
        assertEquals("6986", card.send("00B0000004"));
    }

    @Test
    void keyAndPinFilesAreNotReadable() {
        for (String fid : new String[] {"0017", "0018", "001B"}) {
            card.selectFile(fid);
            assertEquals("6981", card.send("00B0000004"), fid);
        }
    }

    @Test
    void tokenInformationNamesTheApplication() {
        card.selectFile("0006");
        String data = card.expect("00B0000020", "9000");
        assertEquals(Card.hex("JPKIAPICCTOKEN2                 ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), data);
        assertEquals("6282", Card.sw(card.send("00B0000021")));
    }

    @Test
    void caCertificateIsReadableToo() {
        card.selectFile("000B");
        byte[] ca = Card.vector("certs/test-ca.der");
        assertEquals(Card.hex(Arrays.copyOf(ca, 4)), card.expect("00B0000004", "9000"));
    }

    @Test
    void reselectingTheApplicationClearsTheCurrentFile() {
        card.selectFile("000A");
        card.selectApplication();
        assertEquals("6986", card.send("00B0000004"));
    }

    @Test
    void powerCycleClearsTheCurrentFileButKeepsTheContent() {
        card.selectFile("000A");
        card.powerCycle();
        card.selectApplication();
        assertEquals("6986", card.send("00B0000004"));
        card.selectFile("000A");
        assertEquals(Card.hex(Arrays.copyOf(certificate, 4)), card.expect("00B0000004", "9000"));
    }

    @Test
    void unknownInstructionAndClass() {
        assertEquals("6D00", card.send("00CA000000"));
        assertEquals("6D00", card.send("00D6000002AABB"));
        assertEquals("6D00", card.send("80EE000000"));
        assertEquals("6E00", card.send("A0B0000004"));
        assertEquals("6E00", card.send("90B0000004"));
        assertEquals("6884", card.send("10B0000004"));
        assertEquals("6882", card.send("0CB0000004"));
        // 20-3F are RFU in ISO 7816-4, F0-FF no class at all: never processed as a user command.
        for (String cla : new String[] {"20", "2F", "30", "3F", "F0", "FE"}) {
            assertEquals("6E00", card.send(cla + "B0000004"), cla);
            assertEquals("6E00", card.send(cla + "A4020C02000A"), cla);
        }
    }

    @Test
    void getChallengeAnswersFreshRandomBytes() {
        String first = card.expect("0084000008", "9000");
        String second = card.expect("0084000008", "9000");
        assertEquals(16, first.length());
        org.junit.jupiter.api.Assertions.assertNotEquals(first, second);
        assertEquals(512, card.expect("0084000000", "9000").length());
        assertEquals("6A86", card.send("0084010008"));
    }

    @Test
    void logicalChannelClassBitsAreAccepted() {
        card.selectFile("000A");
        // Channel bits in CLA: the runtime routes the command, the applet sees the same INS.
        assertEquals(Card.hex(Arrays.copyOf(certificate, 4)), card.expect("00B0000004", "9000"));
    }
}
