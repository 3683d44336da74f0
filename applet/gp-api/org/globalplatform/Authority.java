package org.globalplatform;

import javacard.framework.Shareable;
import javacard.security.CryptoException;

/**
 * The Authority service of the GP Card API (export file version 1.2 and later): signing and
 * key recovery by the card's Controlling Authority Security Domain (CASD, GP Amendment A),
 * reached through {@code GPSystem.getService(null, (short) (GPSystem.FAMILY_AUTHORITY << 8))} and the
 * GlobalService's {@code getServiceInterface}.
 * On the simulator the card's simulated CASD answers; on a UICC the card's own implementation
 * is linked instead of this source.
 */
public interface Authority extends Shareable {
    byte MODE_SIGN = 1;
    byte MODE_KEY_RECOVERY = 2;

    void init(byte mode) throws CryptoException;

    void update(byte[] inBuff, short inOffset, short inLength) throws CryptoException;

    short sign(byte[] inBuff, short inOffset, short inLength, byte[] sigBuff, short sigOffset) throws CryptoException;

    short recoverKey(byte[] inBuff, short inOffset, short inLength, byte[] outBuff, short outOffset)
            throws CryptoException;
}
