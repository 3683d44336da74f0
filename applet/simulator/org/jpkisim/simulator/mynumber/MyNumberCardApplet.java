package org.jpkisim.simulator.mynumber;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * TEST: the JPKI application of an applicant's My Number card, for the simulator only (it is no
 * part of the SIM applet and never goes into its CAP file). It stands in for the applicant's real
 * card so issuance services can have an application signed through PC/SC.
 *
 * <p>The user interface answers as the card's JPKI application does for OpenSC's JPKI driver:
 * SELECT by DF name and by file identifier, READ BINARY, VERIFY and COMPUTE DIGITAL SIGNATURE, on
 * the signature side (0001 certificate, 0002 CA certificate, 001A key, 001B password) and the
 * user-authentication side (000A, 000B, 0017, 0018, token information 0006).
 *
 * <p>A proprietary issuance interface (class 80) generates both key pairs on the card, lets the
 * public keys be read, writes the four certificates, sets password and PIN, and finally issues
 * the card, which closes that interface for good (6985). docs/my-number-card.md lists every
 * command. Nothing is allocated after install.
 */
public final class MyNumberCardApplet extends Applet {
    static final byte INS_VERIFY = (byte) 0x20;
    static final byte INS_COMPUTE_DIGITAL_SIGNATURE = (byte) 0x2A;
    static final byte INS_GENERATE_KEY_PAIR = (byte) 0x46;
    static final byte INS_SELECT = (byte) 0xA4;
    static final byte INS_READ_BINARY = (byte) 0xB0;
    static final byte INS_READ_PUBLIC_KEY = (byte) 0xB4;
    static final byte INS_GET_DATA = (byte) 0xCA;
    static final byte INS_SET_REFERENCE_DATA = (byte) 0xDA;
    static final byte INS_PUT_FILE = (byte) 0xDB;
    static final byte INS_ISSUE = (byte) 0xF0;

    static final short FID_SIGN_CERTIFICATE = (short) 0x0001;
    static final short FID_SIGN_CA_CERTIFICATE = (short) 0x0002;
    static final short FID_TOKEN_INFO = (short) 0x0006;
    static final short FID_AUTH_CERTIFICATE = (short) 0x000A;
    static final short FID_AUTH_CA_CERTIFICATE = (short) 0x000B;
    static final short FID_AUTH_KEY = (short) 0x0017;
    static final short FID_AUTH_PIN = (short) 0x0018;
    static final short FID_SIGN_KEY = (short) 0x001A;
    static final short FID_SIGN_PASSWORD = (short) 0x001B;

    /** 63Cx: verification failed, x tries left (63C0: blocked, also for the right value). */
    static final short SW_TRIES_LEFT_BASE = (short) 0x63C0;
    static final short SW_END_OF_FILE = (short) 0x6282;
    static final short SW_INCOMPATIBLE_WITH_FILE = (short) 0x6981;
    static final short SW_SECURE_MESSAGING_NOT_SUPPORTED = (short) 0x6882;
    static final short SW_CHAINING_NOT_SUPPORTED = (short) 0x6884;
    static final short SW_REFERENCED_DATA_NOT_FOUND = (short) 0x6A88;

    /** Certificates are about 1.5 KB; 4 KB leaves room for any CA's choices. */
    static final short CERTIFICATE_CAPACITY = (short) 4096;
    static final byte PASSWORD_TRIES = 5;
    static final byte PIN_TRIES = 3;

    static final short INFO_TAG = (short) 0x0101;

    // The selectable files, as indexes of the current-file byte.
    private static final byte NONE = 0;
    private static final byte SIGN_CERTIFICATE = 1;
    private static final byte SIGN_CA_CERTIFICATE = 2;
    private static final byte TOKEN_INFO = 3;
    private static final byte AUTH_CERTIFICATE = 4;
    private static final byte AUTH_CA_CERTIFICATE = 5;
    private static final byte AUTH_KEY = 6;
    private static final byte AUTH_PIN = 7;
    private static final byte SIGN_KEY = 8;
    private static final byte SIGN_PASSWORD = 9;

    /** "JPKIAPICCTOKEN2" padded with spaces to 32 bytes, as the card's EF 0006 holds. */
    private static final byte[] TOKEN_INFO_CONTENT = {
        'J', 'P', 'K', 'I', 'A', 'P', 'I', 'C', 'C', 'T', 'O', 'K', 'E', 'N', '2',
        ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '
    };

    // Chained PUT FILE: [0] the file being written (NONE when no chain is open), [1] next offset.
    private static final short CHAIN_FILE = 0;
    private static final short CHAIN_OFFSET = 1;

    private final CardFile signCertificate;
    private final CardFile signCaCertificate;
    private final CardFile tokenInfo;
    private final CardFile authCertificate;
    private final CardFile authCaCertificate;
    private final CardKey signKey;
    private final CardKey authKey;
    private final CardPassword signPassword;
    private final CardPassword authPin;
    private final byte[] current;
    private final short[] chain;
    /** Once set, the issuance interface answers 6985 to everything. */
    private boolean issued;

    private MyNumberCardApplet() {
        signCertificate = new CardFile(CERTIFICATE_CAPACITY);
        signCaCertificate = new CardFile(CERTIFICATE_CAPACITY);
        tokenInfo = new CardFile(TOKEN_INFO_CONTENT);
        authCertificate = new CardFile(CERTIFICATE_CAPACITY);
        authCaCertificate = new CardFile(CERTIFICATE_CAPACITY);
        signKey = new CardKey();
        authKey = new CardKey();
        signPassword = new CardPassword(PASSWORD_TRIES, (byte) 6, (byte) 16, true);
        authPin = new CardPassword(PIN_TRIES, (byte) 4, (byte) 4, false);
        current = JCSystem.makeTransientByteArray((short) 1, JCSystem.CLEAR_ON_DESELECT);
        chain = JCSystem.makeTransientShortArray((short) 2, JCSystem.CLEAR_ON_DESELECT);
    }

    public static void install(byte[] parameters, short offset, byte length) {
        MyNumberCardApplet applet = new MyNumberCardApplet();
        byte aidLength = (parameters != null && length > 0) ? parameters[offset] : 0;
        if (aidLength >= 5 && aidLength <= 16 && (short) (aidLength + 1) <= length) {
            applet.register(parameters, (short) (offset + 1), aidLength);
        } else {
            applet.register();
        }
    }

    public boolean select() {
        current[0] = NONE;
        endChain();
        signPassword.logout();
        authPin.logout();
        return true;
    }

    public void deselect() {
        signPassword.logout();
        authPin.logout();
    }

    public void process(APDU apdu) {
        if (selectingApplet()) {
            // SELECT by DF name, P2 = 0C: no FCI.
            return;
        }
        byte[] buf = apdu.getBuffer();
        byte cla = buf[ISO7816.OFFSET_CLA];
        byte ins = buf[ISO7816.OFFSET_INS];
        // Only the first interindustry coding is spoken: 00-0F and, for the proprietary commands, 80-9F.
        if ((cla & 0x60) != 0) {
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        boolean proprietary = (cla & 0x80) != 0;
        boolean chained = (cla & 0x10) != 0;
        if (!(proprietary && ins == INS_PUT_FILE)) {
            // Any other command ends an open chain of PUT FILE blocks.
            endChain();
        }
        if ((cla & 0x0C) != 0) {
            ISOException.throwIt(SW_SECURE_MESSAGING_NOT_SUPPORTED);
        }
        if (chained && !(proprietary && ins == INS_PUT_FILE)) {
            ISOException.throwIt(SW_CHAINING_NOT_SUPPORTED);
        }
        if (proprietary) {
            processProprietary(apdu, buf, ins, chained);
        } else {
            processUser(apdu, buf, ins);
        }
    }

    // ---------------------------------------------------------------- user interface

    private void processUser(APDU apdu, byte[] buf, byte ins) {
        switch (ins) {
            case INS_SELECT:
                select(apdu, buf);
                return;
            case INS_READ_BINARY:
                readBinary(apdu, buf);
                return;
            case INS_VERIFY:
                verify(apdu, buf);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /** SELECT EF 00 A4 02 0C FID (P1 00 and P2 00 accepted too); a DF name that is not this application: 6A82. */
    private void select(APDU apdu, byte[] buf) {
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (p2 != (byte) 0x0C && p2 != (byte) 0x00) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short lc = receive(apdu);
        if (p1 == (byte) 0x04) {
            ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
        }
        if (p1 != (byte) 0x02 && p1 != (byte) 0x00) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (lc != 2) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        byte found;
        switch (Util.getShort(buf, ISO7816.OFFSET_CDATA)) {
            case FID_SIGN_CERTIFICATE: found = SIGN_CERTIFICATE; break;
            case FID_SIGN_CA_CERTIFICATE: found = SIGN_CA_CERTIFICATE; break;
            case FID_TOKEN_INFO: found = TOKEN_INFO; break;
            case FID_AUTH_CERTIFICATE: found = AUTH_CERTIFICATE; break;
            case FID_AUTH_CA_CERTIFICATE: found = AUTH_CA_CERTIFICATE; break;
            case FID_AUTH_KEY: found = AUTH_KEY; break;
            case FID_AUTH_PIN: found = AUTH_PIN; break;
            case FID_SIGN_KEY: found = SIGN_KEY; break;
            case FID_SIGN_PASSWORD: found = SIGN_PASSWORD; break;
            default:
                ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
                return;
        }
        current[0] = found;
    }

    /** READ BINARY 00 B0 offset Le on a certificate or the token information; 6282 when the file ends first. */
    private void readBinary(APDU apdu, byte[] buf) {
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            // P1 bit 8: short EF identifier addressing, which JPKI clients never use.
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        sendFrom(apdu, buf, currentData(), offset);
    }

    /** VERIFY 00 20 00 80 on 001B or 0018. Without data: 63Cx, x = tries left (also when verified). */
    private void verify(APDU apdu, byte[] buf) {
        requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = receive(apdu);
        CardPassword password = currentPassword();
        if (!issued || !password.isSet()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (lc == 0) {
            ISOException.throwIt(password.triesLeftStatus());
        }
        try {
            password.verify(buf, ISO7816.OFFSET_CDATA, lc);
        } finally {
            Util.arrayFillNonAtomic(buf, ISO7816.OFFSET_CDATA, lc, (byte) 0);
        }
    }

    // ---------------------------------------------------------- proprietary interface

    private void processProprietary(APDU apdu, byte[] buf, byte ins, boolean chained) {
        switch (ins) {
            case INS_COMPUTE_DIGITAL_SIGNATURE:
                computeDigitalSignature(apdu, buf);
                return;
            case INS_GET_DATA:
                getData(apdu, buf);
                return;
            case INS_GENERATE_KEY_PAIR:
            case INS_READ_PUBLIC_KEY:
            case INS_PUT_FILE:
            case INS_SET_REFERENCE_DATA:
            case INS_ISSUE:
                if (issued) {
                    ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
                }
                processIssuance(apdu, buf, ins, chained);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /**
     * COMPUTE DIGITAL SIGNATURE 80 2A 00 80 DigestInfo 00: with 001A selected after the signature
     * password was verified, or with 0017 selected after the user-authentication PIN was.
     */
    private void computeDigitalSignature(APDU apdu, byte[] buf) {
        requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = receive(apdu);
        CardKey key = currentKey();
        if (!issued || !key.isPresent()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        CardPassword password = key == signKey ? signPassword : authPin;
        if (!password.isValidated()) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short length = key.sign(buf, ISO7816.OFFSET_CDATA, lc);
        apdu.setOutgoingAndSend((short) 0, length);
    }

    /**
     * GET DATA 80 CA 01 01: the card's state, readable without a password.
     * E0 template: 80 issued (00/01), 81 password tries left, 82 PIN tries left,
     * 83 keys present (bit 1 signature, bit 2 authentication), 84 reference data set (same bits).
     */
    private void getData(APDU apdu, byte[] buf) {
        if (Util.getShort(buf, ISO7816.OFFSET_P1) != INFO_TAG) {
            ISOException.throwIt(SW_REFERENCED_DATA_NOT_FOUND);
        }
        short at = 2;
        at = tlvByte(buf, at, (byte) 0x80, issued ? (byte) 1 : (byte) 0);
        at = tlvByte(buf, at, (byte) 0x81, signPassword.triesLeft());
        at = tlvByte(buf, at, (byte) 0x82, authPin.triesLeft());
        at = tlvByte(buf, at, (byte) 0x83, (byte) ((signKey.isPresent() ? 1 : 0) | (authKey.isPresent() ? 2 : 0)));
        at = tlvByte(buf, at, (byte) 0x84, (byte) ((signPassword.isSet() ? 1 : 0) | (authPin.isSet() ? 2 : 0)));
        buf[0] = (byte) 0xE0;
        buf[1] = (byte) (at - 2);
        apdu.setOutgoingAndSend((short) 0, at);
    }

    private void processIssuance(APDU apdu, byte[] buf, byte ins, boolean chained) {
        switch (ins) {
            case INS_GENERATE_KEY_PAIR:
                requireP1P2(buf, (byte) 0x00, (byte) 0x00);
                if (receive(apdu) != 0) {
                    ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
                }
                currentKey().generate();
                return;
            case INS_READ_PUBLIC_KEY:
                readPublicKey(apdu, buf);
                return;
            case INS_PUT_FILE:
                putFile(apdu, buf, chained);
                return;
            case INS_SET_REFERENCE_DATA:
                requireP1P2(buf, (byte) 0x00, (byte) 0x00);
                short lc = receive(apdu);
                try {
                    currentPassword().replace(buf, ISO7816.OFFSET_CDATA, lc);
                } finally {
                    Util.arrayFillNonAtomic(buf, ISO7816.OFFSET_CDATA, lc, (byte) 0);
                }
                return;
            default: // INS_ISSUE
                issue(apdu, buf);
                return;
        }
    }

    /** READ PUBLIC KEY 80 B4 offset Le: the DER SubjectPublicKeyInfo of the selected key (001A or 0017). */
    private void readPublicKey(APDU apdu, byte[] buf) {
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        CardKey key = currentKey();
        if (!key.isPresent()) {
            ISOException.throwIt(SW_REFERENCED_DATA_NOT_FOUND);
        }
        sendFrom(apdu, buf, key.publicKeyInfo(), offset);
    }

    /**
     * PUT FILE 90 DB 00 00 block ... 80 DB 00 00 last block: the new content of the selected
     * certificate file, in order, with command chaining. The first block empties the file; the last
     * one checks that the whole is one DER SEQUENCE of exactly the received length, then sets the
     * length. A chain broken by any other command leaves the file empty.
     */
    private void putFile(APDU apdu, byte[] buf, boolean chained) {
        requireP1P2(buf, (byte) 0x00, (byte) 0x00);
        short lc = receive(apdu);
        CardFile file = currentCertificate();
        byte target = current[0];
        short at = chain[CHAIN_OFFSET];
        boolean continuing = chain[CHAIN_FILE] == target;
        // Closed while this block is written: a block that fails ends the chain, the file stays empty.
        endChain();
        if (!continuing) {
            // A new chain (or a one-block content).
            file.empty();
            at = 0;
        }
        file.write(at, buf, ISO7816.OFFSET_CDATA, lc);
        at += lc;
        if (chained) {
            chain[CHAIN_FILE] = target;
            chain[CHAIN_OFFSET] = at;
            return;
        }
        if (derLength(file.bytes(), at) != at) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        file.setLength(at);
    }

    /**
     * ISSUE 80 F0 00 00: with both keys, both certificates and both CA certificates, password and
     * PIN in place, closes the issuance interface in one transaction; 6A88 when something is missing.
     */
    private void issue(APDU apdu, byte[] buf) {
        requireP1P2(buf, (byte) 0x00, (byte) 0x00);
        if (receive(apdu) != 0) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        if (!signKey.isPresent() || !authKey.isPresent() || !signPassword.isSet() || !authPin.isSet()
                || signCertificate.length() == 0 || signCaCertificate.length() == 0
                || authCertificate.length() == 0 || authCaCertificate.length() == 0) {
            ISOException.throwIt(SW_REFERENCED_DATA_NOT_FOUND);
        }
        JCSystem.beginTransaction();
        issued = true;
        JCSystem.commitTransaction();
        signPassword.logout();
        authPin.logout();
    }

    // ------------------------------------------------------------------------ helpers

    /** The length a DER SEQUENCE header at data[0..) announces, header included; -1 when it is none. */
    private static short derLength(byte[] data, short available) {
        if (available < 2 || data[0] != (byte) 0x30) {
            return -1;
        }
        byte first = data[1];
        if (first >= 0) {
            return (short) (2 + first);
        }
        if (first == (byte) 0x81 && available >= 3) {
            return (short) (3 + (data[2] & 0xFF));
        }
        if (first == (byte) 0x82 && available >= 4) {
            short length = Util.getShort(data, (short) 2);
            return length < 0 || length > (short) (CERTIFICATE_CAPACITY - 4) ? -1 : (short) (4 + length);
        }
        return -1;
    }

    /** Answers Le bytes of {@code file} from {@code offset}; fewer at the end of the file, with 6282. */
    private static void sendFrom(APDU apdu, byte[] buf, CardFile file, short offset) {
        short expected = apdu.setOutgoing();
        short count = file.read(offset, buf, (short) 0, expected);
        apdu.setOutgoingLength(count);
        apdu.sendBytes((short) 0, count);
        if (count < expected) {
            ISOException.throwIt(SW_END_OF_FILE);
        }
    }

    private void requireFileSelected() {
        if (current[0] == NONE) {
            ISOException.throwIt(ISO7816.SW_COMMAND_NOT_ALLOWED);
        }
    }

    /** The selected file when READ BINARY may read it: 6986 with none selected, 6981 for key and PIN files. */
    private CardFile currentData() {
        requireFileSelected();
        switch (current[0]) {
            case SIGN_CERTIFICATE: return signCertificate;
            case SIGN_CA_CERTIFICATE: return signCaCertificate;
            case TOKEN_INFO: return tokenInfo;
            case AUTH_CERTIFICATE: return authCertificate;
            case AUTH_CA_CERTIFICATE: return authCaCertificate;
            default:
                ISOException.throwIt(SW_INCOMPATIBLE_WITH_FILE);
                return null;
        }
    }

    /** The selected certificate file (the token information is constant): 6986 / 6981 otherwise. */
    private CardFile currentCertificate() {
        CardFile file = currentData();
        if (file == tokenInfo) {
            ISOException.throwIt(SW_INCOMPATIBLE_WITH_FILE);
        }
        return file;
    }

    private CardKey currentKey() {
        requireFileSelected();
        if (current[0] == SIGN_KEY) {
            return signKey;
        }
        if (current[0] != AUTH_KEY) {
            ISOException.throwIt(SW_INCOMPATIBLE_WITH_FILE);
        }
        return authKey;
    }

    private CardPassword currentPassword() {
        requireFileSelected();
        if (current[0] == SIGN_PASSWORD) {
            return signPassword;
        }
        if (current[0] != AUTH_PIN) {
            ISOException.throwIt(SW_INCOMPATIBLE_WITH_FILE);
        }
        return authPin;
    }

    private void endChain() {
        chain[CHAIN_FILE] = NONE;
        chain[CHAIN_OFFSET] = 0;
    }

    private static short tlvByte(byte[] out, short at, byte tag, byte value) {
        out[at] = tag;
        out[(short) (at + 1)] = (byte) 1;
        out[(short) (at + 2)] = value;
        return (short) (at + 3);
    }

    private static short receive(APDU apdu) {
        short lc = apdu.setIncomingAndReceive();
        if (lc != apdu.getIncomingLength()) {
            // Only short APDUs: the data always fits the buffer at once.
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        return lc;
    }

    private static void requireP1P2(byte[] buf, byte p1, byte p2) {
        if (buf[ISO7816.OFFSET_P1] != p1 || buf[ISO7816.OFFSET_P2] != p2) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }
}
