package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;

/**
 * A transparent elementary file whose capacity is fixed at install time and whose
 * content length grows as it is written. Contents and length live in EEPROM; every
 * write that changes both happens inside one transaction so a power loss leaves
 * either the old or the new file.
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

    short capacity() {
        return (short) data.length;
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

    /** Writes {@code count} bytes at {@code offset}, extending the file; 6A84 when it does not fit. */
    void write(short offset, byte[] in, short inOffset, short count) {
        if (offset < 0 || count < 0 || (short) (offset + count) < 0 || (short) (offset + count) > data.length) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        short end = (short) (offset + count);
        JCSystem.beginTransaction();
        Util.arrayCopy(in, inOffset, data, offset, count);
        if (end > length) {
            length = end;
        }
        JCSystem.commitTransaction();
    }

    /**
     * Empties the file, then overwrites its former contents. The length drops to zero
     * first (a single atomic field write), so a power loss while zeroing leaves an
     * empty file, never a readable half-erased one.
     */
    void erase() {
        short old = length;
        length = 0;
        Util.arrayFillNonAtomic(data, (short) 0, old, (byte) 0);
    }
}
