package org.jpkisim.applet;

import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.RandomData;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;

/**
 * The JPKI user-authentication application (利用者証明機能) for a UICC.
 *
 * <p>Two faces. The user interface answers JPKI clients exactly as the card's JPKI
 * application does: SELECT by AID and by file ID, READ BINARY, VERIFY, CHANGE REFERENCE
 * DATA and COMPUTE DIGITAL SIGNATURE. The administration interface (proprietary class)
 * is reached only through the GlobalPlatform secure channel of the applet's security
 * domain, with personalisation content additionally protected end to end by the SP-TSM.
 * docs/applet-apdu.md lists every command and status word.
 *
 * <p>Nothing is allocated after install; transient memory is the current-file byte, the
 * PIN's validated flag, 10 bytes of certificate-field offsets, 48 bytes of MAC scratch, a
 * 160-byte window that decrypted content passes through, and one transient AES key.
 *
 * <p>Two gates guard every command that changes the credential: the GlobalPlatform secure
 * channel of the applet's security domain (verified C-MAC, C-DECRYPTION), and, inside it, the
 * SP-TSM's own end-to-end authorisation under content keys that only the SP-TSM and the applet
 * hold ({@link ContentEnvelope}, established through {@link KeyTransport}). Whoever holds the
 * security domain's keys passes the first gate only.
 */
public final class JpkiApplet extends Applet {
    /** Applet version reported by the information command: major, minor. */
    static final short VERSION = (short) 0x0100;

    static final byte INS_VERIFY = (byte) 0x20;
    static final byte INS_CHANGE_REFERENCE_DATA = (byte) 0x24;
    static final byte INS_GET_CHALLENGE = (byte) 0x84;
    static final byte INS_COMPUTE_DIGITAL_SIGNATURE = (byte) 0x2A;
    static final byte INS_GENERATE_KEY_PAIR = (byte) 0x46;
    static final byte INS_INITIALIZE_UPDATE = (byte) 0x50;
    static final byte INS_EXTERNAL_AUTHENTICATE = (byte) 0x82;
    static final byte INS_SELECT = (byte) 0xA4;
    static final byte INS_READ_BINARY = (byte) 0xB0;
    static final byte INS_READ_PUBLIC_KEY = (byte) 0xB4;
    static final byte INS_READ_ATTESTATION = (byte) 0xB6;
    static final byte INS_GET_DATA = (byte) 0xCA;
    static final byte INS_SET_CONTENT_KEYS = (byte) 0xD4;
    static final byte INS_SET_PIN_POLICY = (byte) 0xDA;
    static final byte INS_PUT_CONTENT = (byte) 0xDB;
    static final byte INS_SET_LIFECYCLE = (byte) 0xF0;

    static final short INFO_TAG = (short) 0x0101;
    static final byte POLICY_PIN_REQUIRED = 0;
    static final byte POLICY_PIN_LESS = 1;

    /** Certificates of JPKI are about 1.5 KB; 4 KB leaves room for any CA's choices. */
    static final short CERTIFICATE_CAPACITY = (short) 4096;

    /** Security level every administration command needs. */
    private static final byte ADMIN_LEVEL =
            (byte) (SecureChannel.AUTHENTICATED | SecureChannel.C_MAC | SecureChannel.C_DECRYPTION);

    private final FileSystem files;
    private final UserPin pin;
    private final AuthKey key;
    private final ContentEnvelope envelope;
    private final AppletInfo info;
    private final KeyTransport transport;
    private final RandomData random;
    private byte lifecycle;
    private byte pinPolicy;
    /** Set on termination; cleared once everything is zeroised (the wipe resumes after a power loss). */
    private boolean wipePending;

    @SuppressWarnings("deprecation") // ALG_SECURE_RANDOM: the 2.2.2 API; ALG_TRNG came with 3.0.5
    private JpkiApplet() {
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        files = new FileSystem(CERTIFICATE_CAPACITY, CERTIFICATE_CAPACITY);
        pin = new UserPin();
        key = new AuthKey();
        envelope = new ContentEnvelope(CERTIFICATE_CAPACITY, random);
        info = new AppletInfo();
        transport = new KeyTransport();
        lifecycle = Lifecycle.PRE_PERSONALISED;
        pinPolicy = POLICY_PIN_REQUIRED;
    }

    public static void install(byte[] parameters, short offset, byte length) {
        JpkiApplet applet = new JpkiApplet();
        // GlobalPlatform install parameters: AID length + instance AID, then privileges and
        // application parameters. Register under the instance AID when one is given.
        byte aidLength = (parameters != null && length > 0) ? parameters[offset] : 0;
        if (aidLength >= 5 && aidLength <= 16 && (short) (aidLength + 1) <= length) {
            applet.register(parameters, (short) (offset + 1), aidLength);
        } else {
            applet.register();
        }
    }

    public boolean select() {
        files.selectNone();
        pin.logout();
        return true;
    }

    public void deselect() {
        pin.logout();
        resetSecureChannel();
    }

    public void process(APDU apdu) {
        byte[] buf = apdu.getBuffer();
        recover();
        if (selectingApplet()) {
            // SELECT by DF name: JPKI clients ask for no FCI (P2 = 0C) and get none.
            return;
        }
        byte cla = buf[ISO7816.OFFSET_CLA];
        boolean interindustry = isInterindustryClass(cla);
        if (!interindustry && !isGlobalPlatformClass(cla)) {
            // 20-3F (RFU), A0 (GSM), 90, B0, F0-FF and the rest: not classes this applet speaks.
            ISOException.throwIt(ISO7816.SW_CLA_NOT_SUPPORTED);
        }
        if (apdu.isCommandChainingCLA()) {
            ISOException.throwIt(StatusWords.CHAINING_NOT_SUPPORTED);
        }
        byte ins = buf[ISO7816.OFFSET_INS];
        if (interindustry) {
            if (apdu.isSecureMessagingCLA()) {
                ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
            }
            processUser(apdu, buf, ins);
        } else {
            processProprietary(apdu, buf, ins);
        }
    }

    // ---------------------------------------------------------------- user interface

    private void processUser(APDU apdu, byte[] buf, byte ins) {
        switch (ins) {
            case INS_SELECT:
                requireNotTerminated();
                select(apdu, buf);
                return;
            case INS_READ_BINARY:
                requireNotTerminated();
                readBinary(apdu, buf);
                return;
            case INS_VERIFY:
                verify(apdu, buf);
                return;
            case INS_CHANGE_REFERENCE_DATA:
                changeReferenceData(apdu, buf);
                return;
            case INS_GET_CHALLENGE:
                getChallenge(apdu, buf);
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
        short lc = receive(apdu);
        if (lc != 2) {
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
        sendFrom(apdu, buf, files.currentReadable(), offset);
    }

    /** Answers Le bytes of {@code file} from {@code offset}; fewer at the end of the file, with 6282. */
    private static void sendFrom(APDU apdu, byte[] buf, TransparentFile file, short offset) {
        short expected = apdu.setOutgoing();
        short count = file.read(offset, buf, (short) 0, expected);
        apdu.setOutgoingLength(count);
        apdu.sendBytes((short) 0, count);
        if (count < expected) {
            ISOException.throwIt(StatusWords.END_OF_FILE);
        }
    }

    /**
     * VERIFY 00 20 00 80 on the selected PIN file. Without data: 63Cx, x = tries left, always
     * (also when verified: OpenSC's JPKI driver treats anything but 63xx as an error).
     */
    private void verify(APDU apdu, byte[] buf) {
        requireNotTerminated();
        requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = receive(apdu);
        requireUserPinFile();
        if (lc == 0) {
            ISOException.throwIt(pin.triesLeftStatus());
        }
        pin.verify(buf, ISO7816.OFFSET_CDATA, lc);
        Util.arrayFillNonAtomic(buf, ISO7816.OFFSET_CDATA, lc, (byte) 0);
    }

    /**
     * CHANGE REFERENCE DATA on the selected PIN file: P1 = 00 with old PIN || new PIN, or
     * P1 = 01 with the new PIN only after a successful VERIFY in this session.
     */
    private void changeReferenceData(APDU apdu, byte[] buf) {
        requireNotTerminated();
        byte p1 = buf[ISO7816.OFFSET_P1];
        if ((p1 != 0x00 && p1 != 0x01) || buf[ISO7816.OFFSET_P2] != (byte) 0x80) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        short lc = receive(apdu);
        requireUserPinFile();
        short newAt = ISO7816.OFFSET_CDATA;
        if (p1 == 0x00) {
            if (lc != (short) (2 * UserPin.LENGTH)) {
                ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            }
            UserPin.checkFormat(buf, (short) (newAt + UserPin.LENGTH), UserPin.LENGTH);
            pin.verify(buf, newAt, UserPin.LENGTH);
            newAt += UserPin.LENGTH;
        } else {
            if (lc != UserPin.LENGTH) {
                ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
            }
            if (!pin.isValidated()) {
                ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
            }
        }
        pin.replace(buf, newAt, UserPin.LENGTH);
        Util.arrayFillNonAtomic(buf, ISO7816.OFFSET_CDATA, lc, (byte) 0);
    }

    /**
     * GET CHALLENGE 00 84 00 00 Le: Le random bytes (00 = 256), for clients that seed or test
     * with the card's generator (PKCS#11 C_GenerateRandom).
     */
    @SuppressWarnings("deprecation") // generateData: the 2.2.2 API; nextBytes came with 3.0.5
    private void getChallenge(APDU apdu, byte[] buf) {
        requireP1P2(buf, (byte) 0x00, (byte) 0x00);
        short length = apdu.setOutgoing();
        if (length <= 0 || length > 256) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        random.generateData(buf, (short) 0, length);
        apdu.setOutgoingLength(length);
        apdu.sendBytes((short) 0, length);
    }

    /**
     * PIN commands work on the selected PIN file. The signature PIN (001B) exists only for
     * clients' bookkeeping: no signature function on a SIM, so it answers 63C0 (no tries) to all.
     */
    private void requireUserPinFile() {
        if (files.current() == FileSystem.SIGN_PIN) {
            ISOException.throwIt(StatusWords.PIN_TRIES_LEFT_BASE);
        }
        files.requireCurrent(FileSystem.AUTH_PIN);
        requirePersonalised();
    }

    /** COMPUTE DIGITAL SIGNATURE 80 2A 00 80 DigestInfo 00 with the key file 0017 selected. */
    private void computeDigitalSignature(APDU apdu, byte[] buf) {
        if (secureMessaging(buf[ISO7816.OFFSET_CLA]) != SM_NONE) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = receive(apdu);
        requirePersonalised();
        files.requireCurrent(FileSystem.AUTH_KEY);
        if (!key.isPresent()) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        if (pinPolicy != POLICY_PIN_LESS && !pin.isValidated()) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short length = key.sign(buf, ISO7816.OFFSET_CDATA, lc);
        apdu.setOutgoingAndSend((short) 0, length);
    }

    // ------------------------------------------------------- administration interface

    private void processProprietary(APDU apdu, byte[] buf, byte ins) {
        switch (ins) {
            case INS_COMPUTE_DIGITAL_SIGNATURE:
                computeDigitalSignature(apdu, buf);
                return;
            case INS_INITIALIZE_UPDATE:
            case INS_EXTERNAL_AUTHENTICATE:
                requireNotTerminated();
                short length = GPSystem.getSecureChannel().processSecurity(apdu);
                if (length > 0) {
                    apdu.setOutgoingAndSend(ISO7816.OFFSET_CDATA, length);
                }
                return;
            case INS_GET_DATA:
                getData(apdu, buf);
                return;
            case INS_READ_PUBLIC_KEY:
                readPublicKey(apdu, buf);
                return;
            case INS_READ_ATTESTATION:
                readAttestation(apdu, buf);
                return;
            case INS_GENERATE_KEY_PAIR:
            case INS_PUT_CONTENT:
            case INS_SET_CONTENT_KEYS:
            case INS_SET_PIN_POLICY:
            case INS_SET_LIFECYCLE:
                processAdmin(apdu, buf, ins);
                return;
            default:
                ISOException.throwIt(ISO7816.SW_INS_NOT_SUPPORTED);
        }
    }

    /**
     * Commands that change the applet. Gate 1: a GlobalPlatform secure-messaging class whose
     * C-MAC the security domain verified, at AUTHENTICATED + C-MAC + C-DECRYPTION. Gate 2: the
     * SP-TSM's end-to-end authorisation (sealed envelope, authorised command, or the one-time
     * key transport), which no security-domain key holder can produce.
     */
    private void processAdmin(APDU apdu, byte[] buf, byte ins) {
        requireNotTerminated();
        if (secureMessaging(buf[ISO7816.OFFSET_CLA]) != SM_GLOBALPLATFORM) {
            // No SM, or an ISO SM form (CLA b4 set) that the security domain does not verify.
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        SecureChannel channel = GPSystem.getSecureChannel();
        if ((byte) (channel.getSecurityLevel() & ADMIN_LEVEL) != ADMIN_LEVEL) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short lc = receive(apdu);
        short unwrapped = channel.unwrap(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
        short dataLength = (short) (unwrapped - ISO7816.OFFSET_CDATA);
        if (dataLength < 0) {
            dataLength = 0;
        }
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        short responseLength = 0;
        switch (ins) {
            case INS_GENERATE_KEY_PAIR:
                requireP1P2(buf, (byte) 0x00, (byte) 0x00);
                requireLength(envelope.authorise(ins, p1, p2, buf, ISO7816.OFFSET_CDATA, dataLength), (short) 0);
                JCSystem.beginTransaction();
                envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
                key.beginImport();
                JCSystem.commitTransaction();
                key.generate();
                // The fingerprint answers with the SP-TSM's tag: nobody on the path can swap the key.
                responseLength = envelope.tagAnswer(ins, buf, key.copyFingerprint(buf, (short) 0));
                break;
            case INS_PUT_CONTENT:
                putContent(buf, p1, p2, dataLength);
                break;
            case INS_SET_CONTENT_KEYS:
                setContentKeys(buf, p1, p2, dataLength);
                break;
            case INS_SET_PIN_POLICY:
                requireP1P2(buf, (byte) 0x00, (byte) 0x00);
                short length = envelope.authorise(ins, p1, p2, buf, ISO7816.OFFSET_CDATA, dataLength);
                requireLength(length, (short) 1);
                byte policy = buf[(short) (ISO7816.OFFSET_CDATA + ContentEnvelope.COUNTER_BYTES)];
                if (policy != POLICY_PIN_REQUIRED && policy != POLICY_PIN_LESS) {
                    ISOException.throwIt(ISO7816.SW_WRONG_DATA);
                }
                JCSystem.beginTransaction();
                envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
                pinPolicy = policy;
                JCSystem.commitTransaction();
                break;
            default: // INS_SET_LIFECYCLE
                if (p2 != 0x00) {
                    ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
                }
                if (p1 != Lifecycle.PERSONALISED && p1 != Lifecycle.TERMINATED) {
                    ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
                }
                requireLength(envelope.authorise(ins, p1, p2, buf, ISO7816.OFFSET_CDATA, dataLength), (short) 0);
                setLifecycle(p1, buf);
                break;
        }
        sendWrapped(apdu, buf, channel, responseLength);
    }

    /**
     * SET CONTENT KEYS 84 D4 00 block: the key-transport block and its tag, staged like an
     * envelope. Only while no keys are set: they are never replaced, only erased by termination.
     */
    private void setContentKeys(byte[] buf, byte p1, byte p2, short dataLength) {
        if (p1 != 0x00) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (envelope.keysSet() || !transport.isReady()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (envelope.receive(ContentEnvelope.TARGET_CONTENT_KEYS, (byte) (p2 & 0x7F), (p2 & 0x80) != 0,
                buf, ISO7816.OFFSET_CDATA, dataLength)) {
            envelope.establish(transport);
        }
    }

    /** PUT CONTENT 84 DB target block: P2 = block number, bit 8 set on the last block. */
    private void putContent(byte[] buf, byte target, byte p2, short dataLength) {
        if (target != ContentEnvelope.TARGET_KEY && target != ContentEnvelope.TARGET_PIN
                && target != ContentEnvelope.TARGET_CERTIFICATE && target != ContentEnvelope.TARGET_CA_CERTIFICATE) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        boolean last = (p2 & 0x80) != 0;
        byte block = (byte) (p2 & 0x7F);
        if (!envelope.keysSet()) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (envelope.receive(target, block, last, buf, ISO7816.OFFSET_CDATA, dataLength)) {
            envelope.open(target);
            applyPending();
        }
    }

    /**
     * Applies a verified envelope; safe to repeat until it completes (redo after power loss).
     * The content is decrypted piece by piece into RAM on its way to its place.
     */
    private void applyPending() {
        short length = envelope.pendingLength();
        byte[] plain = envelope.window();
        boolean valid;
        switch (envelope.pendingTarget()) {
            case ContentEnvelope.TARGET_CERTIFICATE:
            case ContentEnvelope.TARGET_CA_CERTIFICATE:
                valid = applyCertificate(envelope.pendingTarget() == ContentEnvelope.TARGET_CERTIFICATE
                        ? files.authCertificate() : files.authCaCertificate(), length, plain);
                break;
            case ContentEnvelope.TARGET_KEY:
                valid = length == AuthKey.importLength() && applyKey(plain);
                break;
            default: // TARGET_PIN: initial PIN, or reset of a forgotten or blocked PIN
                valid = false;
                if (length == UserPin.LENGTH) {
                    envelope.decryptContent((short) 0, length);
                    valid = isPinFormat(plain, (short) 0);
                    if (valid) {
                        pin.replace(plain, (short) 0, length);
                    }
                }
                break;
        }
        envelope.clearWindow();
        envelope.applied();
        if (!valid) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
    }

    /** A certificate: 30 82 LL LL checked first, then copied in pieces; the length goes last. */
    private boolean applyCertificate(TransparentFile file, short length, byte[] plain) {
        if (length < 4 || length > file.capacity()) {
            return false;
        }
        envelope.decryptContent((short) 0, (short) 4);
        if (!isDerSequence(plain, (short) 0, length)) {
            return false;
        }
        for (short at = 0; at < length; at += ContentEnvelope.WINDOW_CONTENT) {
            short piece = (short) (length - at);
            if (piece > ContentEnvelope.WINDOW_CONTENT) {
                piece = ContentEnvelope.WINDOW_CONTENT;
            }
            envelope.decryptContent(at, piece);
            file.write(at, plain, (short) 0, piece);
        }
        file.setLength(length);
        return true;
    }

    /**
     * The private key: {@code 03 010001 || n || p q dp dq qinv}. n is public and passes through
     * EEPROM; each secret component goes from the RAM window straight into the key object.
     */
    private boolean applyKey(byte[] plain) {
        envelope.decryptContent((short) 0, (short) 4);
        if (!AuthKey.isImportHeader(plain, (short) 0)) {
            return false;
        }
        key.beginImport();
        byte[] modulus = key.modulusBuffer();
        for (short half = 0; half < 2; half++) {
            envelope.decryptContent((short) (4 + half * AuthKey.HALF_BYTES), AuthKey.HALF_BYTES);
            Util.arrayCopyNonAtomic(plain, (short) 0, modulus,
                    (short) (AuthKey.modulusOffset() + half * AuthKey.HALF_BYTES), AuthKey.HALF_BYTES);
        }
        for (short component = 0; component < 5; component++) {
            envelope.decryptContent((short) (4 + AuthKey.MODULUS_BYTES + component * AuthKey.HALF_BYTES),
                    AuthKey.HALF_BYTES);
            key.setPrivateComponent(component, plain, (short) 0);
        }
        key.finishImport();
        return true;
    }

    private static boolean isPinFormat(byte[] buf, short at) {
        for (short i = 0; i < UserPin.LENGTH; i++) {
            byte b = buf[(short) (at + i)];
            if (b < (byte) '0' || b > (byte) '9') {
                return false;
            }
        }
        return true;
    }

    /** 30 82 LL LL with LL LL + 4 = length: what JPKI clients rely on to size the file. */
    private static boolean isDerSequence(byte[] buf, short at, short length) {
        return length >= 4 && buf[at] == (byte) 0x30 && buf[(short) (at + 1)] == (byte) 0x82
                && (short) (Util.getShort(buf, (short) (at + 2)) + 4) == length;
    }

    /** Life cycle change, committed together with the authorised command's counter. */
    private void setLifecycle(byte target, byte[] buf) {
        if (target == Lifecycle.PERSONALISED) {
            if (lifecycle != Lifecycle.PRE_PERSONALISED) {
                ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
            }
            if (!key.isPresent() || !pin.isSet() || files.authCertificate().length() == 0) {
                ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
            }
            JCSystem.beginTransaction();
            envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
            lifecycle = Lifecycle.PERSONALISED;
            JCSystem.commitTransaction();
        } else {
            JCSystem.beginTransaction();
            envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
            lifecycle = Lifecycle.TERMINATED;
            wipePending = true;
            JCSystem.commitTransaction();
            wipe();
        }
    }

    /** Zeroises key, certificates, PIN and content keys; repeated after a power loss until done. */
    private void wipe() {
        key.clear();
        files.authCertificate().erase();
        files.authCaCertificate().erase();
        envelope.clearWindow();
        pin.clear(envelope.window(), (short) 0);
        envelope.clear();
        pinPolicy = POLICY_PIN_REQUIRED;
        wipePending = false;
    }

    /** GET DATA 80 CA 01 01: the information record; inside a secure channel it is wrapped. */
    private void getData(APDU apdu, byte[] buf) {
        if (Util.getShort(buf, ISO7816.OFFSET_P1) != INFO_TAG) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        SecureChannel channel = null;
        byte sm = secureMessaging(buf[ISO7816.OFFSET_CLA]);
        if (sm == SM_OTHER) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        if (sm == SM_GLOBALPLATFORM) {
            channel = GPSystem.getSecureChannel();
            short lc = receive(apdu);
            channel.unwrap(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
        }
        short length = info.write(buf, (short) 0, lifecycle, pin, pinPolicy == POLICY_PIN_LESS, key,
                files.authCertificate(), envelope, VERSION);
        if (channel != null) {
            sendWrapped(apdu, buf, channel, length);
        } else {
            apdu.setOutgoingAndSend((short) 0, length);
        }
    }

    /**
     * READ PUBLIC KEY 80 B4 offset Le: the DER SubjectPublicKeyInfo, read like a file. Inside a
     * secure channel (84) the answer is wrapped; keep Le small enough for the R-MAC to fit.
     */
    private void readPublicKey(APDU apdu, byte[] buf) {
        requireNotTerminated();
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (!key.isPresent()) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        TransparentFile file = key.publicKeyInfo();
        byte sm = secureMessaging(buf[ISO7816.OFFSET_CLA]);
        if (sm == SM_OTHER) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        if (sm == SM_GLOBALPLATFORM) {
            SecureChannel channel = GPSystem.getSecureChannel();
            short lc = receive(apdu);
            channel.unwrap(buf, (short) 0, (short) (ISO7816.OFFSET_CDATA + lc));
            // Le is not protected: answer up to 224 bytes so data, MAC and padding fit in 256.
            short count = file.read(offset, buf, (short) 0, (short) 224);
            sendWrapped(apdu, buf, channel, count);
            return;
        }
        sendFrom(apdu, buf, file, offset);
    }

    /**
     * READ ATTESTATION 80 B6 offset Le: the key-transport public key (DER SPKI) and the card
     * authority's signature over it, read like a file; created on the first read. Public.
     */
    private void readAttestation(APDU apdu, byte[] buf) {
        requireNotTerminated();
        if (secureMessaging(buf[ISO7816.OFFSET_CLA]) != SM_NONE) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        short offset = Util.getShort(buf, ISO7816.OFFSET_P1);
        if (offset < 0) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        sendFrom(apdu, buf, transport.attestation(buf), offset);
    }

    // ------------------------------------------------------------------------ helpers

    static final byte SM_NONE = 0;
    static final byte SM_GLOBALPLATFORM = 1;
    static final byte SM_OTHER = 2;

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
    private static boolean isInterindustryClass(byte cla) {
        return (cla & 0xE0) == 0x00 || (cla & 0xC0) == 0x40;
    }

    /** 80-8F (logical channels 0-3, with or without SM), C0-CF and E0-EF (channels 4-19). */
    private static boolean isGlobalPlatformClass(byte cla) {
        byte high = (byte) (cla & 0xF0);
        return high == (byte) 0x80 || high == (byte) 0xC0 || high == (byte) 0xE0;
    }

    /** Appends the expected 9000, lets the security domain wrap (R-MAC/R-ENC), and sends. */
    private static void sendWrapped(APDU apdu, byte[] buf, SecureChannel channel, short length) {
        Util.setShort(buf, length, ISO7816.SW_NO_ERROR);
        short wrapped = channel.wrap(buf, (short) 0, (short) (length + 2));
        if (wrapped > 0) {
            apdu.setOutgoingAndSend((short) 0, wrapped);
        }
    }

    /** Finishes what a power loss interrupted, before anything else runs. */
    private void recover() {
        if (wipePending) {
            wipe();
        }
        if (envelope.phase() == ContentEnvelope.PHASE_PENDING) {
            try {
                applyPending();
            } catch (ISOException invalid) {
                // Invalid content was refused when it arrived; nothing to repeat.
            }
        } else {
            envelope.finish();
        }
    }

    private void resetSecureChannel() {
        try {
            GPSystem.getSecureChannel().resetSecurity();
        } catch (Exception none) {
            // No security domain services (a bare simulator): there is no session to end.
        }
    }

    private static short receive(APDU apdu) {
        short lc = apdu.setIncomingAndReceive();
        if (lc != apdu.getIncomingLength()) {
            // Only short APDUs are accepted, so the data always fits the buffer at once.
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        return lc;
    }

    private static void requireP1P2(byte[] buf, byte p1, byte p2) {
        if (buf[ISO7816.OFFSET_P1] != p1 || buf[ISO7816.OFFSET_P2] != p2) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
    }

    private static void requireLength(short actual, short expected) {
        if (actual != expected) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
    }

    private void requirePersonalised() {
        if (lifecycle != Lifecycle.PERSONALISED) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
    }

    private void requireNotTerminated() {
        if (lifecycle == Lifecycle.TERMINATED) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
    }

    byte lifecycle() {
        return lifecycle;
    }
}
