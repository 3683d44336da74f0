package org.jpkisim.simulator.mynumber;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.Util;

/**
 * A transparent elementary file of the test My Number card: capacity fixed at install, content
 * and length in persistent memory. Content is written while the length is zero and the length is
 * set last, in one atomic field write, so a torn write leaves an empty file, never half a file.
 */
final class CardFile {
    private final byte[] data;
    private short length;

    CardFile(short capacity) {
        data = new byte[capacity];
    }

    /** Constant content (token information): full from the start. */
    CardFile(byte[] constant) {
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

    /** Copies up to {@code max} bytes from {@code offset}; 6B00 at or past the end (ISO 7816-4 READ BINARY). */
    short read(short offset, byte[] out, short outOffset, short max) {
        if (offset < 0 || offset >= length) {
            ISOException.throwIt(ISO7816.SW_WRONG_P1P2);
        }
        short available = (short) (length - offset);
        short count = max < available ? max : available;
        Util.arrayCopyNonAtomic(data, offset, out, outOffset, count);
        return count;
    }

    /** Empties the file before a new content is written into it (one atomic field write). */
    void empty() {
        length = 0;
    }

    /** Writes part of a new content while the file is empty; 6A84 when it does not fit. */
    void write(short offset, byte[] in, short inOffset, short count) {
        if (count < 0 || offset < 0 || (short) (offset + count) < 0 || (short) (offset + count) > data.length) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        Util.arrayCopyNonAtomic(in, inOffset, data, offset, count);
    }

    /** Makes the written content visible: the length goes last. */
    void setLength(short count) {
        length = count;
    }
}
