package org.jpkisim.gp.card;

import java.security.SecureRandom;
import java.util.Arrays;
import javacard.framework.APDU;
import javacard.framework.APDUException;
import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import org.globalplatform.SecureChannel;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;
import org.jpkisim.gp.scp.CardSession;
import org.jpkisim.gp.scp.Scp02CardSession;
import org.jpkisim.gp.scp.Scp03CardSession;
import org.jpkisim.gp.scp.ScpException;
import org.jpkisim.gp.scp.SecureMessaging;
import org.jpkisim.gp.scp.StatusWords;

/**
 * The org.globalplatform.SecureChannel a security domain gives one application (itself or an
 * associated applet): the session state machine around the protocol engines. Any failure inside a
 * session closes it, as GP requires, before the status word goes out.
 */
public final class CardSecureChannel implements SecureChannel {
    static final byte INS_INITIALIZE_UPDATE = 0x50;
    static final byte INS_EXTERNAL_AUTHENTICATE = (byte) 0x82;

    private final KeyRepository keys;
    private final byte[] ownerAid;
    private final byte[] diversificationData;
    private final SecureRandom random;
    private CardSession session;

    public CardSecureChannel(KeyRepository keys, byte[] ownerAid, byte[] diversificationData, SecureRandom random) {
        this.keys = keys;
        this.ownerAid = ownerAid.clone();
        this.diversificationData = diversificationData.clone();
        this.random = random;
    }

    @Override
    public short processSecurity(APDU apdu) throws ISOException {
        byte[] buffer = apdu.getBuffer();
        int cla = buffer[ISO7816.OFFSET_CLA] & 0xFF;
        byte ins = buffer[ISO7816.OFFSET_INS];
        if (ins != INS_INITIALIZE_UPDATE && ins != INS_EXTERNAL_AUTHENTICATE) {
            ISOException.throwIt((short) StatusWords.INS_NOT_SUPPORTED);
        }
        if ((cla & 0x80) == 0) {
            ISOException.throwIt((short) StatusWords.CLA_NOT_SUPPORTED);
        }
        byte[] command = receive(apdu);
        try {
            if (ins == INS_INITIALIZE_UPDATE) {
                byte[] response = initializeUpdate(cla, command);
                System.arraycopy(response, 0, buffer, ISO7816.OFFSET_CDATA, response.length);
                return (short) response.length;
            }
            if (session == null || session.authenticated()) {
                throw new ScpException(StatusWords.CONDITIONS_NOT_SATISFIED, "EXTERNAL AUTHENTICATE not after INITIALIZE UPDATE");
            }
            session.externalAuthenticate(command);
            return 0;
        } catch (ScpException e) {
            resetSecurity();
            ISOException.throwIt(e.sw());
            return 0;
        }
    }

    private byte[] initializeUpdate(int cla, byte[] command) {
        // A new INITIALIZE UPDATE always ends the current session, whatever its outcome.
        resetSecurity();
        if (SecureMessaging.of(cla) != SecureMessaging.NONE) {
            throw new ScpException(StatusWords.CLA_NOT_SUPPORTED, "INITIALIZE UPDATE is never secured");
        }
        if (command[ISO7816.OFFSET_P2] != 0x00) {
            throw new ScpException(StatusWords.INCORRECT_P1P2, "P2 must be 00");
        }
        ScpKeySet set = keys.find(command[ISO7816.OFFSET_P1] & 0xFF);
        if (set == null) {
            throw new ScpException(StatusWords.REFERENCED_DATA_NOT_FOUND, "no key set with this version");
        }
        CardSession fresh = set.scp() == 0x03
                ? new Scp03CardSession(set, keys, ownerAid, diversificationData, random)
                : new Scp02CardSession(set, keys, ownerAid, diversificationData, random);
        byte[] response = fresh.initializeUpdate(Arrays.copyOfRange(command, ISO7816.OFFSET_CDATA, command.length));
        session = fresh;
        return response;
    }

    /** Receives the data field if the applet has not yet, and returns header || Lc || data. */
    private static byte[] receive(APDU apdu) {
        byte[] buffer = apdu.getBuffer();
        try {
            if (apdu.getCurrentState() == APDU.STATE_INITIAL) {
                apdu.setIncomingAndReceive();
            }
        } catch (APDUException e) {
            ISOException.throwIt((short) StatusWords.WRONG_LENGTH);
        }
        int lc = buffer[ISO7816.OFFSET_LC] & 0xFF;
        return Arrays.copyOf(buffer, ISO7816.OFFSET_CDATA + lc);
    }

    @Override
    public short unwrap(byte[] buffer, short offset, short length) throws ISOException {
        byte[] command = Arrays.copyOfRange(buffer, offset, offset + length);
        if (session == null) {
            // No session: a plain command stays as it is; one that claims secure messaging cannot be
            // verified and is never handed back as if it had been.
            if (length > 0 && SecureMessaging.of(buffer[offset]) != SecureMessaging.NONE) {
                ISOException.throwIt((short) StatusWords.SECURITY_STATUS_NOT_SATISFIED);
            }
            return length;
        }
        try {
            byte[] plain = session.unwrap(command);
            System.arraycopy(plain, 0, buffer, offset, plain.length);
            return (short) plain.length;
        } catch (ScpException e) {
            resetSecurity();
            ISOException.throwIt(e.sw());
            return 0;
        }
    }

    @Override
    public short wrap(byte[] buffer, short offset, short length) throws ISOException {
        // GP Card API: the caller appends the expected status bytes; they are covered by the
        // R-MAC, then removed, and the returned length excludes them.
        if (length < 2) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        if (session == null) {
            return (short) (length - 2);
        }
        byte[] wrapped;
        try {
            wrapped = session.wrap(Arrays.copyOfRange(buffer, offset, offset + length));
        } catch (ScpException e) {
            ISOException.throwIt(e.sw());
            return 0;
        }
        if (offset + wrapped.length > buffer.length) {
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        System.arraycopy(wrapped, 0, buffer, offset, wrapped.length - 2);
        return (short) (wrapped.length - 2);
    }

    @Override
    public short decryptData(byte[] buffer, short offset, short length) throws ISOException {
        return transform(buffer, offset, length, false);
    }

    @Override
    public short encryptData(byte[] buffer, short offset, short length) throws ISOException {
        return transform(buffer, offset, length, true);
    }

    private short transform(byte[] buffer, short offset, short length, boolean encrypt) {
        if (session == null) {
            ISOException.throwIt((short) StatusWords.SECURITY_STATUS_NOT_SATISFIED);
        }
        try {
            byte[] in = Arrays.copyOfRange(buffer, offset, offset + length);
            byte[] out = encrypt ? session.encryptData(in) : session.decryptData(in);
            System.arraycopy(out, 0, buffer, offset, out.length);
            Arrays.fill(in, (byte) 0);
            Arrays.fill(out, (byte) 0);
            return length;
        } catch (ScpException e) {
            ISOException.throwIt(e.sw());
            return 0;
        }
    }

    /** Block size of the data-encryption key of the open session (16 for SCP03, 8 for SCP02). */
    int dataBlockSize() {
        return session instanceof Scp03CardSession ? 16 : 8;
    }

    @Override
    public void resetSecurity() {
        if (session != null) {
            session.close();
            session = null;
        }
    }

    @Override
    public byte getSecurityLevel() {
        if (session == null || !session.authenticated()) {
            return NO_SECURITY_LEVEL;
        }
        return (byte) (AUTHENTICATED | session.level());
    }
}
