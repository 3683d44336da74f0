package javacard.framework;

import org.jpkisim.gp.card.NonAtomicWrites;

/**
 * javacard.framework.Util as the simulated card provides it, in place of jCardSim's (this class comes
 * first on the simulator's class path and in its jar). The same methods, with one difference that makes
 * the simulator behave as a card: arrayCopyNonAtomic and arrayFillNonAtomic do not participate in a
 * transaction (Java Card 3.0.4 API, Util), so what they write to a persistent array keeps its new value
 * when the transaction is aborted or the card loses power before the commit. The simulator rolls a
 * transaction back by restoring a copy of the applets' persistent objects; these methods tell it what they
 * wrote so that the bytes are written again after the rollback.
 */
public class Util {
    public Util() {
    }

    private static void checkRange(byte[] array, short offset, short length) {
        if (array == null) {
            throw new NullPointerException();
        }
        if (offset < 0 || length < 0 || offset + length > array.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
    }

    /** Atomic fill (outside the Java Card 3.0.4 API; kept because jCardSim's Util declares it). */
    public static final short arrayFill(byte[] bArray, short bOff, short bLen, byte bValue) {
        checkRange(bArray, bOff, bLen);
        for (int i = 0; i < bLen; i++) {
            bArray[bOff + i] = bValue;
        }
        return (short) (bOff + bLen);
    }

    public static final short arrayCopy(byte[] src, short srcOff, byte[] dest, short destOff, short length)
            throws TransactionException {
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        System.arraycopy(src, srcOff, dest, destOff, length);
        return (short) (destOff + length);
    }

    public static final short arrayCopyNonAtomic(byte[] src, short srcOff, byte[] dest, short destOff, short length) {
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        System.arraycopy(src, srcOff, dest, destOff, length);
        NonAtomicWrites.written(dest, destOff, length);
        return (short) (destOff + length);
    }

    public static final short arrayFillNonAtomic(byte[] bArray, short bOff, short bLen, byte bValue) {
        checkRange(bArray, bOff, bLen);
        for (int i = 0; i < bLen; i++) {
            bArray[bOff + i] = bValue;
        }
        NonAtomicWrites.written(bArray, bOff, bLen);
        return (short) (bOff + bLen);
    }

    public static final byte arrayCompare(byte[] src, short srcOff, byte[] dest, short destOff, short length) {
        checkRange(src, srcOff, length);
        checkRange(dest, destOff, length);
        for (int i = 0; i < length; i++) {
            int a = src[srcOff + i] & 0xFF;
            int b = dest[destOff + i] & 0xFF;
            if (a != b) {
                return (byte) (a < b ? -1 : 1);
            }
        }
        return 0;
    }

    public static final short makeShort(byte b1, byte b2) {
        return (short) (((b1 & 0xFF) << 8) | (b2 & 0xFF));
    }

    public static final short getShort(byte[] bArray, short bOff) {
        return makeShort(bArray[bOff], bArray[bOff + 1]);
    }

    public static final short setShort(byte[] bArray, short bOff, short sValue) throws TransactionException {
        if (bArray == null) {
            throw new NullPointerException();
        }
        if (bOff < 0 || bOff + 2 > bArray.length) {
            throw new ArrayIndexOutOfBoundsException();
        }
        bArray[bOff] = (byte) (sValue >> 8);
        bArray[bOff + 1] = (byte) sValue;
        return (short) (bOff + 2);
    }
}
