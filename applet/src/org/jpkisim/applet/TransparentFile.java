package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * A transparent elementary file whose capacity is fixed at install time. Contents and
 * length live in EEPROM; replacing them is driven by the envelope's redo log (written in pieces,
 * the length last), so a power loss leaves either the old or the new file.
 */
final class TransparentFile {
    private final byte[] data;
    private short length;

    TransparentFile(short capacity) {
        data = new byte[capacity];
    }

    /** Wraps constant content (token information): the file is full from the start. */
    TransparentFile(byte[] constant) {
        data = constant;
        length = (short) constant.length;
    }

    short length() {
        return length;
    }

    byte[] bytes() {
        return data;
    }

    /**
     * Copies up to {@code max} bytes starting at {@code offset} into {@code out}.
     * Returns the count copied; throws 6B00 when the offset is at or past the end,
     * as ISO 7816-4 prescribes for READ BINARY.
     */
    short read(short offset, byte[] out, short outOffset, short max) {
        if (offset >= length) {
            ISOException.throwIt(ISO7816.SW_WRONG_P1P2);
        }
        short available = (short) (length - offset);
        short count = max < available ? max : available;
        Util.arrayCopyNonAtomic(data, offset, out, outOffset, count);
        return count;
    }

    /** Writes part of the content; the length is set afterwards with {@link #setLength}. */
    void write(short offset, byte[] in, short inOffset, short count) {
        if (count < 0 || offset < 0 || (short) (offset + count) > data.length || (short) (offset + count) < 0) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        Util.arrayCopyNonAtomic(in, inOffset, data, offset, count);
    }

    /** Sets the length after {@link #write}s, zeroing what lay beyond it. One atomic field write. */
    void setLength(short count) {
        if (count < length) {
            Util.arrayFillNonAtomic(data, count, (short) (length - count), (byte) 0);
        }
        length = count;
    }

    /**
     * Empties the file, then overwrites all of its capacity. The length drops to zero first
     * (one atomic field write), so a power loss while zeroing leaves an empty file; the
     * caller repeats the erase until it has completed.
     */
    void erase() {
        length = 0;
        Util.arrayFillNonAtomic(data, (short) 0, (short) data.length, (byte) 0);
    }
}
