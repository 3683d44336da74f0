package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * Puts the content of a verified envelope in its place: the private key, a certificate file or
 * the PIN. This is the redo half of the envelope's redo log: {@link #applyPending} runs once the
 * envelope is committed as pending and again after a power loss, until it completes, so every
 * step may be repeated. Content is decrypted piece by piece into the envelope's RAM window on its
 * way: plaintext key bytes and PINs never rest in persistent memory.
 */
final class ContentInstaller {
    private final ContentEnvelope envelope;
    private final FileSystem files;
    private final AuthKey key;
    private final UserPin pin;

    ContentInstaller(ContentEnvelope envelope, FileSystem files, AuthKey key, UserPin pin) {
        this.envelope = envelope;
        this.files = files;
        this.key = key;
        this.pin = pin;
    }

    /**
     * Applies the pending envelope and marks it applied. Content that opened but is not acceptable
     * (a malformed certificate, key layout or PIN) is dropped all the same and answered with 6A80.
     */
    void applyPending() {
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
                // The length first: only a PIN-sized content is decrypted into the window.
                valid = length == UserPin.LENGTH;
                if (valid) {
                    envelope.decryptContent((short) 0, length);
                    valid = UserPin.isWellFormed(plain, (short) 0, length);
                }
                if (valid) {
                    pin.replace(plain, (short) 0, length);
                }
                break;
        }
        envelope.clearWindow();
        envelope.applied();
        if (!valid) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
    }

    /**
     * A certificate: 30 82 LL LL checked first, then copied in pieces; the length goes last. The
     * staging area holds a few bytes more than a file (padding), hence the capacity check here.
     */
    private boolean applyCertificate(TransparentFile file, short length, byte[] plain) {
        if (length < 4 || length > JpkiApplet.CERTIFICATE_CAPACITY) {
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

    /** 30 82 LL LL with LL LL + 4 = length: what JPKI clients rely on to size the file. */
    private static boolean isDerSequence(byte[] buf, short at, short length) {
        return length >= 4 && buf[at] == (byte) 0x30 && buf[(short) (at + 1)] == (byte) 0x82
                && (short) (Util.getShort(buf, (short) (at + 2)) + 4) == length;
    }

}
