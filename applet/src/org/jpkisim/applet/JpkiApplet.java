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
 * PIN's validated flag, 8 bytes of certificate-field offsets, 48 bytes of MAC scratch, a
 * 160-byte window that decrypted content passes through, and one transient AES key.
 *
 * <p>This class dispatches: one handler per instruction, each checking its own parameters and
 * state in the order docs/applet-apdu.md gives the status words. The wire rules they share are in
 * {@link Apdus}; sealed content is put in place by {@link ContentInstaller}.
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

    private static final byte INS_VERIFY = (byte) 0x20;
    private static final byte INS_CHANGE_REFERENCE_DATA = (byte) 0x24;
    private static final byte INS_GET_CHALLENGE = (byte) 0x84;
    private static final byte INS_COMPUTE_DIGITAL_SIGNATURE = (byte) 0x2A;
    private static final byte INS_GENERATE_KEY_PAIR = (byte) 0x46;
    private static final byte INS_INITIALIZE_UPDATE = (byte) 0x50;
    private static final byte INS_EXTERNAL_AUTHENTICATE = (byte) 0x82;
    private static final byte INS_SELECT = (byte) 0xA4;
    private static final byte INS_READ_BINARY = (byte) 0xB0;
    private static final byte INS_READ_PUBLIC_KEY = (byte) 0xB4;
    private static final byte INS_READ_ATTESTATION = (byte) 0xB6;
    private static final byte INS_GET_DATA = (byte) 0xCA;
    private static final byte INS_SET_CONTENT_KEYS = (byte) 0xD4;
    private static final byte INS_SET_PIN_POLICY = (byte) 0xDA;
    private static final byte INS_PUT_CONTENT = (byte) 0xDB;
    private static final byte INS_SET_LIFECYCLE = (byte) 0xF0;

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
    private final ContentInstaller installer;
    private byte lifecycle;
    private byte pinPolicy;
    /** Set on termination; cleared once everything is zeroised (the wipe resumes after a power loss). */
    private boolean wipePending;

    @SuppressWarnings("deprecation") // ALG_SECURE_RANDOM: the 2.2.2 API; ALG_TRNG came with 3.0.5
    private JpkiApplet() {
        random = RandomData.getInstance(RandomData.ALG_SECURE_RANDOM);
        files = new FileSystem(CERTIFICATE_CAPACITY);
        pin = new UserPin();
        key = new AuthKey();
        envelope = new ContentEnvelope(CERTIFICATE_CAPACITY, random);
        info = new AppletInfo();
        transport = new KeyTransport();
        installer = new ContentInstaller(envelope, files, key, pin);
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
        boolean interindustry = Apdus.isInterindustryClass(cla);
        if (!interindustry && !Apdus.isGlobalPlatformClass(cla)) {
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

    /** The interindustry class: what JPKI clients send to the card's JPKI application. */
    private void processUser(APDU apdu, byte[] buf, byte ins) {
        switch (ins) {
            case INS_SELECT:
                selectFile(apdu, buf);
                return;
            case INS_READ_BINARY:
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
    private void selectFile(APDU apdu, byte[] buf) {
        requireNotTerminated();
        byte p1 = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
        if ((p1 != (byte) 0x02 && p1 != (byte) 0x00) || (p2 != (byte) 0x0C && p2 != (byte) 0x00)) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        Apdus.requireLength(Apdus.receive(apdu), (short) 2);
        if (!files.select(Util.getShort(buf, ISO7816.OFFSET_CDATA))) {
            ISOException.throwIt(ISO7816.SW_FILE_NOT_FOUND);
        }
    }

    /** READ BINARY 00 B0 offset Le on the selected certificate or token-information file. */
    private void readBinary(APDU apdu, byte[] buf) {
        requireNotTerminated();
        short offset = Apdus.fileOffset(buf);
        Apdus.sendFrom(apdu, buf, files.currentReadable(), offset);
    }

    /**
     * VERIFY 00 20 00 80 on the selected PIN file. Without data: 63Cx, x = tries left, always
     * (also when verified: OpenSC's JPKI driver treats anything but 63xx as an error).
     */
    private void verify(APDU apdu, byte[] buf) {
        requireNotTerminated();
        Apdus.requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = Apdus.receive(apdu);
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
        short lc = Apdus.receive(apdu);
        requireUserPinFile();
        short newAt = ISO7816.OFFSET_CDATA;
        if (p1 == 0x00) {
            Apdus.requireLength(lc, (short) (2 * UserPin.LENGTH));
            // The new PIN's format first: a malformed one must not cost a try of the old PIN.
            UserPin.checkFormat(buf, (short) (newAt + UserPin.LENGTH), UserPin.LENGTH);
            pin.verify(buf, newAt, UserPin.LENGTH);
            newAt += UserPin.LENGTH;
        } else {
            Apdus.requireLength(lc, UserPin.LENGTH);
            requirePinValidated();
        }
        pin.replace(buf, newAt, UserPin.LENGTH);
        Util.arrayFillNonAtomic(buf, ISO7816.OFFSET_CDATA, lc, (byte) 0);
    }

    /**
     * GET CHALLENGE 00 84 00 00 Le: Le random bytes (00 = 256), for clients that seed or test
     * with the card's generator (PKCS#11 C_GenerateRandom). Answers in every life-cycle state.
     */
    @SuppressWarnings("deprecation") // generateData: the 2.2.2 API; nextBytes came with 3.0.5
    private void getChallenge(APDU apdu, byte[] buf) {
        Apdus.requireP1P2(buf, (byte) 0x00, (byte) 0x00);
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

    /** The one PIN gate: 6982 unless the PIN was verified since the application was selected. */
    private void requirePinValidated() {
        if (!pin.isValidated()) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
    }

    // ------------------------------------------------------------ proprietary class

    /**
     * The proprietary class: the signature (as JPKI clients send it), the security domain's
     * session set-up, public reads, and the administration commands behind both gates.
     */
    private void processProprietary(APDU apdu, byte[] buf, byte ins) {
        switch (ins) {
            case INS_COMPUTE_DIGITAL_SIGNATURE:
                computeDigitalSignature(apdu, buf);
                return;
            case INS_INITIALIZE_UPDATE:
            case INS_EXTERNAL_AUTHENTICATE:
                processSecurity(apdu);
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

    /** COMPUTE DIGITAL SIGNATURE 80 2A 00 80 DigestInfo 00 with the key file 0017 selected. */
    private void computeDigitalSignature(APDU apdu, byte[] buf) {
        if (Apdus.secureMessaging(buf[ISO7816.OFFSET_CLA]) != Apdus.SM_NONE) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        Apdus.requireP1P2(buf, (byte) 0x00, (byte) 0x80);
        short lc = Apdus.receive(apdu);
        requirePersonalised();
        files.requireCurrent(FileSystem.AUTH_KEY);
        if (!key.isPresent()) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        if (pinPolicy != POLICY_PIN_LESS) {
            requirePinValidated();
        }
        short length = key.sign(buf, ISO7816.OFFSET_CDATA, lc);
        apdu.setOutgoingAndSend((short) 0, length);
    }

    /** INITIALIZE UPDATE and EXTERNAL AUTHENTICATE: handed to the applet's security domain. */
    private void processSecurity(APDU apdu) {
        requireNotTerminated();
        short length = GPSystem.getSecureChannel().processSecurity(apdu);
        if (length > 0) {
            apdu.setOutgoingAndSend(ISO7816.OFFSET_CDATA, length);
        }
    }

    /** GET DATA 80 CA 01 01: the information record; inside a secure channel it is wrapped. */
    private void getData(APDU apdu, byte[] buf) {
        if (Util.getShort(buf, ISO7816.OFFSET_P1) != INFO_TAG) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        SecureChannel channel = Apdus.sessionOf(apdu, buf);
        short length = info.write(buf, (short) 0, lifecycle, pin, pinPolicy == POLICY_PIN_LESS, key,
                files.authCertificate(), envelope, VERSION);
        if (channel != null) {
            Apdus.sendWrapped(apdu, buf, channel, length);
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
        short offset = Apdus.fileOffset(buf);
        if (!key.isPresent()) {
            ISOException.throwIt(StatusWords.REFERENCED_DATA_NOT_FOUND);
        }
        TransparentFile file = key.publicKeyInfo();
        SecureChannel channel = Apdus.sessionOf(apdu, buf);
        if (channel == null) {
            Apdus.sendFrom(apdu, buf, file, offset);
            return;
        }
        // Le is not protected: answer up to 224 bytes so data, MAC and padding fit in 256.
        short count = file.read(offset, buf, (short) 0, (short) 224);
        Apdus.sendWrapped(apdu, buf, channel, count);
    }

    /**
     * READ ATTESTATION 80 B6 offset Le: the key-transport public key (DER SPKI) and the card
     * authority's signature over it, read like a file; created on the first read. Public.
     */
    private void readAttestation(APDU apdu, byte[] buf) {
        requireNotTerminated();
        if (Apdus.secureMessaging(buf[ISO7816.OFFSET_CLA]) != Apdus.SM_NONE) {
            ISOException.throwIt(StatusWords.SECURE_MESSAGING_NOT_SUPPORTED);
        }
        short offset = Apdus.fileOffset(buf);
        Apdus.sendFrom(apdu, buf, transport.attestation(buf), offset);
    }

    // ------------------------------------------------------- administration interface

    /**
     * Commands that change the applet. Gate 1 (here, once for all of them): a GlobalPlatform
     * secure-messaging class whose C-MAC the security domain verified, at AUTHENTICATED + C-MAC +
     * C-DECRYPTION. Gate 2, in each handler: the SP-TSM's end-to-end authorisation (sealed
     * envelope, authorised command, or the one-time key transport), which no security-domain key
     * holder can produce. Every answer goes back through the session.
     */
    private void processAdmin(APDU apdu, byte[] buf, byte ins) {
        requireNotTerminated();
        if (Apdus.secureMessaging(buf[ISO7816.OFFSET_CLA]) != Apdus.SM_GLOBALPLATFORM) {
            // No SM, or an ISO SM form (CLA b4 set) that the security domain does not verify.
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        SecureChannel channel = GPSystem.getSecureChannel();
        if ((byte) (channel.getSecurityLevel() & ADMIN_LEVEL) != ADMIN_LEVEL) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        short dataLength = Apdus.unwrap(apdu, buf, channel);
        short responseLength = 0;
        switch (ins) {
            case INS_GENERATE_KEY_PAIR:
                responseLength = generateKeyPair(buf, dataLength);
                break;
            case INS_PUT_CONTENT:
                putContent(buf, dataLength);
                break;
            case INS_SET_CONTENT_KEYS:
                setContentKeys(buf, dataLength);
                break;
            case INS_SET_PIN_POLICY:
                setPinPolicy(buf, dataLength);
                break;
            default: // INS_SET_LIFECYCLE
                setLifecycle(buf, dataLength);
                break;
        }
        Apdus.sendWrapped(apdu, buf, channel, responseLength);
    }

    /**
     * GENERATE KEY PAIR 84 46 00 00 counter || T: a new key on the card. The old key stops being
     * usable in the transaction that takes the counter; the answer is the new key's fingerprint
     * with the SP-TSM's answer tag, so nobody on the path can swap the key.
     */
    private short generateKeyPair(byte[] buf, short dataLength) {
        Apdus.requireP1P2(buf, (byte) 0x00, (byte) 0x00);
        requireAuthorised(buf, dataLength, (short) 0);
        JCSystem.beginTransaction();
        envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
        key.beginImport();
        JCSystem.commitTransaction();
        key.generate();
        return envelope.tagAnswer(INS_GENERATE_KEY_PAIR, buf, key.copyFingerprint(buf, (short) 0));
    }

    /** SET PIN POLICY 84 DA 00 00 counter || policy || T: PIN required (00) or PIN-less (01). */
    private void setPinPolicy(byte[] buf, short dataLength) {
        Apdus.requireP1P2(buf, (byte) 0x00, (byte) 0x00);
        requireAuthorised(buf, dataLength, (short) 1);
        byte policy = buf[(short) (ISO7816.OFFSET_CDATA + ContentEnvelope.COUNTER_BYTES)];
        if (policy != POLICY_PIN_REQUIRED && policy != POLICY_PIN_LESS) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        JCSystem.beginTransaction();
        envelope.acceptCounter(buf, ISO7816.OFFSET_CDATA);
        pinPolicy = policy;
        JCSystem.commitTransaction();
    }

    /**
     * SET LIFE CYCLE 84 F0 state 00 counter || T: personalised once key, certificate and PIN are
     * in place, or terminated (final). The new state is committed together with the counter.
     */
    private void setLifecycle(byte[] buf, short dataLength) {
        byte target = buf[ISO7816.OFFSET_P1];
        if (buf[ISO7816.OFFSET_P2] != 0x00 || (target != Lifecycle.PERSONALISED && target != Lifecycle.TERMINATED)) {
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        requireAuthorised(buf, dataLength, (short) 0);
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

    /**
     * Gate 2 of an authorised command: the tag over INS, P1, P2, counter and payload, and a
     * fresh counter (6982), then the payload length this instruction takes (6700). The caller
     * commits the counter in the transaction that makes its change.
     */
    private void requireAuthorised(byte[] buf, short dataLength, short payloadLength) {
        Apdus.requireLength(envelope.authorise(buf[ISO7816.OFFSET_INS], buf[ISO7816.OFFSET_P1], buf[ISO7816.OFFSET_P2],
                buf, ISO7816.OFFSET_CDATA, dataLength), payloadLength);
    }

    /**
     * SET CONTENT KEYS 84 D4 00 block: the key-transport block and its tag, staged like an
     * envelope. Only while no keys are set: they are never replaced, only erased by termination.
     */
    private void setContentKeys(byte[] buf, short dataLength) {
        byte p2 = buf[ISO7816.OFFSET_P2];
        if (buf[ISO7816.OFFSET_P1] != 0x00) {
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
    private void putContent(byte[] buf, short dataLength) {
        byte target = buf[ISO7816.OFFSET_P1];
        byte p2 = buf[ISO7816.OFFSET_P2];
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
            installer.applyPending();
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

    // ------------------------------------------------------------------------ helpers

    /** Finishes what a power loss interrupted, before anything else runs. */
    private void recover() {
        if (wipePending) {
            wipe();
        }
        if (envelope.phase() == ContentEnvelope.PHASE_PENDING) {
            try {
                installer.applyPending();
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
}
