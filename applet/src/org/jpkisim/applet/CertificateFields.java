package org.jpkisim.applet;

/**
 * Finds the serial number and notAfter of a DER X.509 certificate without allocating:
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber
 * INTEGER, signature SEQUENCE, issuer SEQUENCE, validity SEQUENCE { notBefore, notAfter } ...
 *
 * <p>Results go to a small transient array: value offsets and lengths inside the
 * certificate. Any structure it does not expect yields "not found", never an exception.
 */
final class CertificateFields {
    static final short SERIAL_OFFSET = 0;
    static final short SERIAL_LENGTH = 1;
    static final short NOT_AFTER_OFFSET = 2;
    static final short NOT_AFTER_LENGTH = 3;
    /** Shorts the caller provides for the results (also used as the cursor while walking). */
    static final short FIELDS = 4;

    private CertificateFields() {
    }

    /** Fills {@code out} ({@link #FIELDS} shorts); returns false when the certificate is not understood. */
    static boolean parse(byte[] der, short length, short[] out) {
        short[] cursor = out; // reused: [0] = position while walking
        cursor[0] = 0;
        short certEnd = enter(der, length, cursor, (byte) 0x30);
        if (certEnd < 0) {
            return false;
        }
        short tbsEnd = enter(der, certEnd, cursor, (byte) 0x30);
        if (tbsEnd < 0) {
            return false;
        }
        if (cursor[0] < tbsEnd && der[cursor[0]] == (byte) 0xA0 && skip(der, tbsEnd, cursor) < 0) {
            return false;
        }
        if (cursor[0] >= tbsEnd || der[cursor[0]] != (byte) 0x02) {
            return false;
        }
        short serialEnd = enter(der, tbsEnd, cursor, (byte) 0x02);
        if (serialEnd < 0) {
            return false;
        }
        short serialOffset = cursor[0];
        short serialLength = (short) (serialEnd - serialOffset);
        cursor[0] = serialEnd;
        if (skip(der, tbsEnd, cursor) < 0 || skip(der, tbsEnd, cursor) < 0) {
            return false; // signature algorithm, issuer
        }
        short validityEnd = enter(der, tbsEnd, cursor, (byte) 0x30);
        if (validityEnd < 0 || skip(der, validityEnd, cursor) < 0 || cursor[0] >= validityEnd) {
            return false;
        }
        byte tag = der[cursor[0]];
        if (tag != (byte) 0x17 && tag != (byte) 0x18) {
            return false;
        }
        short notAfterEnd = enter(der, validityEnd, cursor, tag);
        if (notAfterEnd < 0) {
            return false;
        }
        out[NOT_AFTER_OFFSET] = cursor[0];
        out[NOT_AFTER_LENGTH] = (short) (notAfterEnd - cursor[0]);
        out[SERIAL_OFFSET] = serialOffset;
        out[SERIAL_LENGTH] = serialLength;
        return true;
    }

    /**
     * Reads the tag and length at cursor[0]; on success moves cursor[0] to the value and
     * returns the end of the value, else -1. Only definite lengths up to 2 bytes.
     */
    private static short enter(byte[] der, short limit, short[] cursor, byte expectedTag) {
        short at = cursor[0];
        if ((short) (at + 2) > limit || der[at] != expectedTag) {
            return -1;
        }
        at++;
        short len = (short) (der[at] & 0xFF);
        at++;
        if (len == 0x81) {
            if (at >= limit) {
                return -1;
            }
            len = (short) (der[at] & 0xFF);
            at++;
        } else if (len == 0x82) {
            if ((short) (at + 2) > limit || (der[at] & 0x80) != 0) {
                return -1;
            }
            len = (short) (((der[at] & 0xFF) << 8) | (der[(short) (at + 1)] & 0xFF));
            at += 2;
        } else if (len > 0x7F) {
            return -1;
        }
        short end = (short) (at + len);
        if (end < at || end > limit) {
            return -1;
        }
        cursor[0] = at;
        return end;
    }

    /** Skips the element at cursor[0], whatever its tag; returns the new position or -1. */
    private static short skip(byte[] der, short limit, short[] cursor) {
        if (cursor[0] >= limit) {
            return -1;
        }
        short end = enter(der, limit, cursor, der[cursor[0]]);
        if (end < 0) {
            return -1;
        }
        cursor[0] = end;
        return end;
    }
}
