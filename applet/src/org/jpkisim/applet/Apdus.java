package org.jpkisim.applet;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;

/**
 * The wire rules every handler shares: what a class byte means, receiving a command (short APDUs
 * only), checking its parameters and lengths, unwrapping it in the security domain's session, and
 * answering, plain or wrapped. Each rule lives here once, so a malformed command gets the same
 * status word whichever instruction it carries.
 */
final class Apdus {
    static final byte SM_NONE = 0;
    static final byte SM_GLOBALPLATFORM = 1;
    static final byte SM_OTHER = 2;

    private Apdus() {
    }

    /**
     * The secure-messaging indication of a class byte. GlobalPlatform uses one form only:
     * b3 (04) for classes 80-8F, b6 (20) for C0-CF/E0-EF. b4 (08, ISO "header authenticated")
     * is a form no security domain verifies, so it must never count as protected.
     */
    static byte secureMessaging(byte cla) {
        if ((cla & 0x40) == 0) {
            byte sm = (byte) (cla & 0x0C);
            return sm == 0 ? SM_NONE : sm == 0x04 ? SM_GLOBALPLATFORM : SM_OTHER;
        }
        return (cla & 0x20) != 0 ? SM_GLOBALPLATFORM : SM_NONE;
    }

    /** ISO 7816-4 interindustry classes: 00-1F (first, channels 0-3) and 40-7F (further, channels 4-19). */
    static boolean isInterindustryClass(byte cla) {
        return (cla & 0xE0) == 0x00 || (cla & 0xC0) == 0x40;
    }

    /** 80-8F (logical channels 0-3, with or without SM), C0-CF and E0-EF (channels 4-19). */
    static boolean isGlobalPlatformClass(byte cla) {
        byte high = (byte) (cla & 0xF0);
        return high == (byte) 0x80 || high == (byte) 0xC0 || high == (byte) 0xE0;
    }

    /**
     * The session a command of the public reads (GET DATA, READ PUBLIC KEY) came in: none for a
     * plain class; for a GlobalPlatform SM class, the security domain's, with the command
     * unwrapped; 6882 for an SM form no security domain verifies.
     */
    static SecureChannel sessionOf(APDU apdu, byte[] buf) {
        byte sm = secureMessaging(buf[ISO7816.OFFSET_CLA]);
        if (sm == SM_OTHER) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        if (sm == SM_NONE) {
            return null;
        }
        SecureChannel channel = GPSystem.getSecureChannel();
        unwrap(apdu, buf, channel);
        return channel;
    }

    /**
     * The one unwrap step: receives the command and has the security domain verify its C-MAC and
     * decrypt it in place (it throws when they do not verify). Returns the plain data length.
     */
    static short unwrap(APDU apdu, byte[] buf, SecureChannel channel) {
        short lc = receive(apdu);
        short unwrapped = channel.unwrap(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
        short dataLength = (short) (unwrapped - ISO7816.OFFSET_CDATA);
        return dataLength < 0 ? 0 : dataLength;
    }

    /** Answers Le bytes of {@code file} from {@code offset}; fewer at the end of the file, with 6282. */
    static void sendFrom(APDU apdu, byte[] buf, TransparentFile file, short offset) {
        short expected = apdu.setOutgoing();
        short count = file.read(offset, buf, (short) 0, expected);
        apdu.setOutgoingLength(count);
        apdu.sendBytes((short) 0, count);
        if (count < expected) {
            ISOException.throwIt(StatusWords.END_OF_FILE);
        }
    }

    /** Appends the expected 9000, lets the security domain wrap (R-MAC/R-ENC), and sends. */
    static void sendWrapped(APDU apdu, byte[] buf, SecureChannel channel, short length) {
        Util.setShort(buf, length, ISO7816.SW_NO_ERROR);
        short wrapped = channel.wrap(buf, (short) 0, (short) (length + 2));
        if (wrapped > 0) {
            apdu.setOutgoingAndSend((short) 0, wrapped);
        }
    }

    /** Receives the command data; returns Lc. */
    static short receive(APDU apdu) {
        short lc = apdu.setIncomingAndReceive();
        if (lc != apdu.getIncomingLength()) {
            // Only short APDUs are accepted, so the data always fits the buffer at once.
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        return lc;
    }

    /** P1-P2 as the 15-bit offset of a read; P1 bit 8 (short EF identifier addressing, unused by JPKI clients) is 6A86. */
    static short fileOffset(byte[] buf) {
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        return offset;
    }

    /** 6A86 unless P1 and P2 are exactly these (commands with fixed parameters). */
    static void requireP1P2(byte[] buf, byte p1, byte p2) {
        if (buf[ISO7816.OFFSET_P1] != p1 || buf[ISO7816.OFFSET_P2] != p2) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }

    /** 6700 unless a data or payload length is the one the command takes. */
    static void requireLength(short actual, short expected) {
        if (actual != expected) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
    }
}
