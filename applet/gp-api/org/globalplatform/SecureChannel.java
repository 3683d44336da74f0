package org.globalplatform;

import javacard.framework.APDU;
import javacard.framework.ISOException;
import javacard.framework.Shareable;

/**
 * The GlobalPlatform Secure Channel interface (GP Card API, org.globalplatform), as an applet
 * sees it on a real card. On the simulator the security domain the applet belongs to
 * implements it; on a card the card's own implementation is linked instead of this source.
 */
public interface SecureChannel extends Shareable {
    byte NO_SECURITY_LEVEL = (byte) 0x00;
    byte C_MAC = (byte) 0x01;
    byte C_DECRYPTION = (byte) 0x02;
    byte R_MAC = (byte) 0x10;
    byte R_ENCRYPTION = (byte) 0x20;
    byte ANY_AUTHENTICATED = (byte) 0x40;
    byte AUTHENTICATED = (byte) 0x80;

    short processSecurity(APDU apdu) throws ISOException;

    short wrap(byte[] baBuffer, short sOffset, short sLength) throws ISOException;

    short unwrap(byte[] baBuffer, short sOffset, short sLength) throws ISOException;

    short decryptData(byte[] baBuffer, short sOffset, short sLength) throws ISOException;

    short encryptData(byte[] baBuffer, short sOffset, short sLength) throws ISOException;

    void resetSecurity();

    byte getSecurityLevel();
}
