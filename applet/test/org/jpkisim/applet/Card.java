package org.jpkisim.applet;

import com.licel.jcardsim.base.Simulator;
import javacard.framework.AID;

import java.util.HexFormat;

/** An in-process jCardSim card holding the JPKI applet, for unit tests. */
final class Card {
    static final String JPKI_AID = "D392F000260100000001";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();

    final Simulator simulator = new Simulator();

    Card() {
        byte[] aid = HEX.parseHex(JPKI_AID);
        simulator.installApplet(new AID(aid, (short) 0, (byte) aid.length), JpkiApplet.class);
    }

    /** Sends an APDU given as hex (spaces allowed) and returns the response as upper-case hex. */
    String send(String apduHex) {
        byte[] response = simulator.transmitCommand(HEX.parseHex(apduHex.replace(" ", "")));
        return HEX.formatHex(response);
    }

    static String sw(String response) {
        return response.substring(response.length() - 4);
    }

    static String data(String response) {
        return response.substring(0, response.length() - 4);
    }

    void selectApplication() {
        expect("00A4040C0A" + JPKI_AID, "9000");
    }

    void selectFile(String fid) {
        expect("00A4020C02" + fid, "9000");
    }

    String expect(String apduHex, String expectedSw) {
        String response = send(apduHex);
        if (!sw(response).equals(expectedSw)) {
            throw new AssertionError(apduHex + " answered " + response + ", expected SW " + expectedSw);
        }
        return data(response);
    }

    /** Writes a file before personalisation completes, in UPDATE BINARY chunks of 255 bytes. */
    void write(String fid, byte[] content) {
        selectFile(fid);
        for (int off = 0; off < content.length; off += 255) {
            int n = Math.min(255, content.length - off);
            byte[] chunk = java.util.Arrays.copyOfRange(content, off, off + n);
            expect(String.format("00D6%04X%02X", off, n) + HEX.formatHex(chunk), "9000");
        }
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
