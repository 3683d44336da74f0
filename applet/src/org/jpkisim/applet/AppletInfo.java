package org.jpkisim.applet;

import javacard.framework.APDU;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * The information record readable without PIN (GET DATA, tag E0 template):
 * <pre>
 *   80 01 life cycle state         81 01 PIN tries left        82 01 PIN policy
 *   83 01 key present (00/01)      84 20 SHA-256 of the public key's SubjectPublicKeyInfo (when present)
 *   85 nn certificate serial       86 nn certificate notAfter (UTCTime or GeneralizedTime text)
 *   87 02 applet version           88 01 interface: 00 contact, 01 contactless
 *   89 04 last accepted content counter
 *   8A 08 content keys' check value (when content keys are set)
 * </pre>
 */
final class AppletInfo {
    static final byte INTERFACE_CONTACT = 0;
    static final byte INTERFACE_CONTACTLESS = 1;

    private final short[] fields;

    AppletInfo() {
        fields = JCSystem.makeTransientShortArray(CertificateFields.FIELDS, JCSystem.CLEAR_ON_DESELECT);
    }

    static byte currentInterface() {
        byte media = (byte) (APDU.getProtocol() & APDU.PROTOCOL_MEDIA_MASK);
        return media == APDU.PROTOCOL_MEDIA_DEFAULT ? INTERFACE_CONTACT : INTERFACE_CONTACTLESS;
    }

    /** Writes the record at out[offset]; returns its length. Fits in 256 bytes. */
    short write(byte[] out, short offset, byte lifecycle, UserPin pin, boolean pinLess, AuthKey key,
                TransparentFile certificate, ContentEnvelope envelope, short version) {
        short at = (short) (offset + 2);
        at = tlvByte(out, at, (byte) 0x80, lifecycle);
        at = tlvByte(out, at, (byte) 0x81, pin.triesLeft());
        at = tlvByte(out, at, (byte) 0x82, pinLess ? (byte) 1 : (byte) 0);
        at = tlvByte(out, at, (byte) 0x83, key.isPresent() ? (byte) 1 : (byte) 0);
        if (key.isPresent()) {
            out[at++] = (byte) 0x84;
            out[at++] = (byte) AuthKey.FINGERPRINT_BYTES;
            at = key.copyFingerprint(out, at);
        }
        byte[] der = certificate.bytes();
        if (certificate.length() > 0 && CertificateFields.parse(der, certificate.length(), fields)) {
            short serialLength = fields[CertificateFields.SERIAL_LENGTH];
            short notAfterLength = fields[CertificateFields.NOT_AFTER_LENGTH];
            if (serialLength <= 32 && notAfterLength <= 24) {
                out[at++] = (byte) 0x85;
                out[at++] = (byte) serialLength;
                at = Util.arrayCopyNonAtomic(der, fields[CertificateFields.SERIAL_OFFSET], out, at, serialLength);
                out[at++] = (byte) 0x86;
                out[at++] = (byte) notAfterLength;
                at = Util.arrayCopyNonAtomic(der, fields[CertificateFields.NOT_AFTER_OFFSET], out, at, notAfterLength);
            }
        }
        out[at++] = (byte) 0x87;
        out[at++] = (byte) 2;
        at = Util.setShort(out, at, version);
        at = tlvByte(out, at, (byte) 0x88, currentInterface());
        out[at++] = (byte) 0x89;
        out[at++] = (byte) ContentEnvelope.COUNTER_BYTES;
        at = envelope.copyCounter(out, at);
        if (envelope.keysSet()) {
            out[at++] = (byte) 0x8A;
            out[at++] = (byte) ContentEnvelope.KCV_BYTES;
            at = envelope.copyCheckValue(out, at);
        }
        out[offset] = (byte) 0xE0;
        out[(short) (offset + 1)] = (byte) (at - offset - 2);
        return (short) (at - offset);
    }

    private static short tlvByte(byte[] out, short at, byte tag, byte value) {
        out[at] = tag;
        out[(short) (at + 1)] = (byte) 1;
        out[(short) (at + 2)] = value;
        return (short) (at + 3);
    }
}
