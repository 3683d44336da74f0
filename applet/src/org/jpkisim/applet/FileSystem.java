package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;

/**
 * The elementary files of the JPKI application's user-authentication half and the
 * current-file pointer. The pointer is transient (cleared on deselect) so a new
 * selection of the application always starts with no file selected.
 */
final class FileSystem {
    static final short FID_TOKEN_INFO = (short) 0x0006;
    static final short FID_AUTH_CERTIFICATE = (short) 0x000A;
    static final short FID_AUTH_CA_CERTIFICATE = (short) 0x000B;
    static final short FID_AUTH_KEY = (short) 0x0017;
    static final short FID_AUTH_PIN = (short) 0x0018;
    /** The signature PIN of the card's other half; see docs/applet-apdu.md for why it is selectable. */
    static final short FID_SIGN_PIN = (short) 0x001B;

    static final byte NONE = 0;
    static final byte TOKEN_INFO = 1;
    static final byte AUTH_CERTIFICATE = 2;
    static final byte AUTH_CA_CERTIFICATE = 3;
    static final byte AUTH_KEY = 4;
    static final byte AUTH_PIN = 5;
    static final byte SIGN_PIN = 6;

    /** "JPKIAPICCTOKEN2" padded with spaces to 32 bytes, as the card's EF 0006 holds. */
    private static final byte[] TOKEN_INFO_CONTENT = {
        'J', 'P', 'K', 'I', 'A', 'P', 'I', 'C', 'C', 'T', 'O', 'K', 'E', 'N', '2',
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '
    };

    private final TransparentFile tokenInfo;
    private final TransparentFile authCertificate;
    private final TransparentFile authCaCertificate;
    private final byte[] current;

    /** Both certificate files get {@code certificateCapacity} bytes of EEPROM. */
    FileSystem(short certificateCapacity) {
        tokenInfo = new TransparentFile(TOKEN_INFO_CONTENT);
        authCertificate = new TransparentFile(certificateCapacity);
        authCaCertificate = new TransparentFile(certificateCapacity);
        current = JCSystem.makeTransientByteArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
    }

    void selectNone() {
        current[0] = NONE;
    }

    /** Selects the file with this identifier; false when the application has no such file. */
    boolean select(short fid) {
        byte found;
        switch (fid) {
            case FID_TOKEN_INFO: found = TOKEN_INFO; break;
            case FID_AUTH_CERTIFICATE: found = AUTH_CERTIFICATE; break;
            case FID_AUTH_CA_CERTIFICATE: found = AUTH_CA_CERTIFICATE; break;
            case FID_AUTH_KEY: found = AUTH_KEY; break;
            case FID_AUTH_PIN: found = AUTH_PIN; break;
            case FID_SIGN_PIN: found = SIGN_PIN; break;
            default: return false;
        }
        current[0] = found;
        return true;
    }

    byte current() {
        return current[0];
    }

    /** The current file when READ BINARY may read it: 6986 with none selected, 6981 for key and PIN files. */
    TransparentFile currentReadable() {
        switch (current[0]) {
            case TOKEN_INFO: return tokenInfo;
            case AUTH_CERTIFICATE: return authCertificate;
            case AUTH_CA_CERTIFICATE: return authCaCertificate;
            case NONE: ISOException.throwIt(ISO7816.SW_COMMAND_NOT_ALLOWED); return null;
            default: ISOException.throwIt(StatusWords.COMMAND_INCOMPATIBLE_WITH_FILE); return null;
        }
    }

    /** Requires the current file to be {@code expected}: 6986 with none selected, 6981 for another. */
    void requireCurrent(byte expected) {
        if (current[0] == NONE) {
            ISOException.throwIt(ISO7816.SW_COMMAND_NOT_ALLOWED);
        }
        if (current[0] != expected) {
            ISOException.throwIt(StatusWords.COMMAND_INCOMPATIBLE_WITH_FILE);
        }
    }

    TransparentFile authCertificate() {
        return authCertificate;
    }

    TransparentFile authCaCertificate() {
        return authCaCertificate;
    }
}
