package org.jpkisim.applet;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * The JPKI user-authentication application (利用者証明機能) for a UICC.
 *
 * <p>It answers JPKI clients the way the card's JPKI application does: selected by the
 * JPKI AID, files selected by two-byte identifiers with P2 = 0C, certificates read with
 * READ BINARY. See docs/applet-apdu.md for every command and status word.
 */
public final class JpkiApplet extends Applet {
    /** Applet version reported by the information command: major, minor. */
    static final short VERSION = (short) 0x0001;

    static final byte INS_SELECT = (byte) 0xA4;
    static final byte INS_READ_BINARY = (byte) 0xB0;
    static final byte INS_UPDATE_BINARY = (byte) 0xD6;


    static final byte LIFECYCLE_PRE_PERSONALISED = (byte) 0x01;
    static final byte LIFECYCLE_PERSONALISED = (byte) 0x0F;

    private static final short CERTIFICATE_CAPACITY = (short) 4096;

    private final FileSystem files;
    private byte lifecycle;

    private JpkiApplet() {
        files = new FileSystem(CERTIFICATE_CAPACITY, CERTIFICATE_CAPACITY);
        lifecycle = LIFECYCLE_PRE_PERSONALISED;
    }

    public static void install(byte[] parameters, short offset, byte length) {
        JpkiApplet applet = new JpkiApplet();
        if (parameters != null && length > 0 && parameters[offset] > 0) {
            applet.register(parameters, (short) (offset + 1), parameters[offset]);
        } else {
            applet.register();
        }
    }

    public boolean select() {
        files.selectNone();
        return true;
    }

    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        if (selectingApplet()) {
            // SELECT by DF name: JPKI clients ask for no FCI (P2 = 0C) and get none.
            return;
        }
        if (apdu.isSecureMessagingCLA()) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        if (apdu.isCommandChainingCLA()) {
            ISOException.throwIt(StatusWords.CHAINING_NOT_SUPPORTED);
        }
        if (!apdu.isISOInterindustryCLA()) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        switch (buf[ISO7816.OFFSET_INS]) {
            case INS_SELECT:
                select(apdu, buf);
                return;
            case INS_READ_BINARY:
                readBinary(apdu, buf);
                return;
            case INS_UPDATE_BINARY:
                updateBinary(apdu, buf);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /** SELECT by file identifier (P1 = 02, or 00 for the MF-relative form); DF-name selection is the runtime's. */
    private void select(APDU apdu, byte[] buf) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        if ((p1 != (byte) 0x02 && p1 != (byte) 0x00) || (p2 != (byte) 0x0C && p2 != (byte) 0x00)) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short lc = apdu.setIncomingAndReceive();
        if (lc != 2 || apdu.getIncomingLength() != 2) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (!files.select(Util.getShort(buf, ISO7816.OFFSET_CDATA))) {
            ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
        }
    }

    private void readBinary(APDU apdu, byte[] buf) {
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            // P1 bit 8 set: short EF identifier addressing, which JPKI clients never use.
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        TransparentFile file = files.currentReadable();
        short expected = apdu.setOutgoing();
        short count = file.read(offset, buf, (short) 0, expected);
        apdu.setOutgoingLength(count);
        apdu.sendBytes((short) 0, count);
        if (count < expected) {
            ISOException.throwIt(StatusWords.END_OF_FILE);
        }
    }

    /** Writes a certificate EF; only before personalisation is complete. */
    private void updateBinary(APDU apdu, byte[] buf) {
        if (lifecycle != LIFECYCLE_PRE_PERSONALISED) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        TransparentFile file = files.currentWritable();
        short lc = apdu.setIncomingAndReceive();
        if (lc != apdu.getIncomingLength() || lc == 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        file.write(offset, buf, apdu.getOffsetCdata(), lc);
    }

    byte lifecycle() {
        return lifecycle;
    }
}
