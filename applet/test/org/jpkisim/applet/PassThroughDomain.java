package org.jpkisim.applet;

import javacard.framework.APDU;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;
import org.jpkisim.gp.api.GpBackend;

/**
 * A security domain for unit tests of the applet's own logic: it reports whatever security
 * level the test sets and leaves commands and responses as they are (wrap drops the status
 * bytes the applet appends, as the GlobalPlatform API prescribes). The real secure channel
 * is exercised separately, end to end.
 */
final class PassThroughDomain implements GpBackend, SecureChannel {
    static final byte ADMIN = (byte) (AUTHENTICATED | C_MAC | C_DECRYPTION);

    byte level = NO_SECURITY_LEVEL;
    int resets;

    @Override
    public SecureChannel secureChannel() {
        return this;
    }

    @Override
    public byte cardState() {
        return GPSystem.CARD_SECURED;
    }

    @Override
    public byte applicationState() {
        return GPSystem.APPLICATION_SELECTABLE;
    }

    @Override
    public boolean setApplicationState(byte state) {
        return true;
    }

    @Override
    public boolean lockCard() {
        return false;
    }

    @Override
    public boolean terminateCard() {
        return false;
    }

    /** Card-side authority for tests; null means the card has none. */
    org.globalplatform.Authority authority;

    @Override
    public org.globalplatform.GlobalService service(javacard.framework.AID server, short serviceName) {
        if (serviceName != (short) (GPSystem.FAMILY_AUTHORITY << 8) || authority == null) {
            return null;
        }
        return (client, name, buffer, offset, length) -> authority;
    }

    @Override
    public org.globalplatform.GPRegistryEntry registryEntry(javacard.framework.AID aid) {
        return null;
    }

    @Override
    public short processSecurity(APDU apdu) {
        ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        return 0;
    }

    @Override
    public short wrap(byte[] buffer, short offset, short length) {
        if (length < 2) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        return (short) (length - 2);
    }

    @Override
    public short unwrap(byte[] buffer, short offset, short length) {
        return length;
    }

    @Override
    public short decryptData(byte[] buffer, short offset, short length) {
        return length;
    }

    @Override
    public short encryptData(byte[] buffer, short offset, short length) {
        return length;
    }

    @Override
    public void resetSecurity() {
        level = NO_SECURITY_LEVEL;
        resets++;
    }

    @Override
    public byte getSecurityLevel() {
        return level;
    }
}
