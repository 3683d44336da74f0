package org.jpkisim.gp.card;

import java.io.ByteArrayOutputStream;
import java.util.function.Supplier;
import javacard.framework.AID;
import javacard.framework.JCSystem;
import javacard.security.CryptoException;
import org.globalplatform.Authority;
import org.jpkisim.gp.authority.CasdCredential;

/**
 * The CASD's Authority service (GP Card API 1.2, org.globalplatform.Authority) on the simulated card.
 *
 * <p>MODE_SIGN: {@code init(MODE_SIGN)}, any number of {@code update()}, then {@code sign()} returns a
 * 256-byte RSASSA-PKCS1-v1_5 / SHA-256 signature by the CASD key over
 * {@code 4F <len> <calling application's AID> || data}, data being everything passed to update() and
 * sign(). The AID is the one the platform knows for the applet on whose behalf the call runs
 * (JCSystem.getAID() at init()), never one the caller supplies: an applet cannot have a statement
 * signed in another application's name. A sequence begun by one application and continued by
 * another is ILLEGAL_USE. After sign() the object is ready for a new message in the same mode.
 *
 * <p>MODE_KEY_RECOVERY is not provided: init() and recoverKey() throw ILLEGAL_USE. Any other mode is
 * ILLEGAL_VALUE; update()/sign() before init() are INVALID_INIT. Data is limited to 32 KB (ILLEGAL_USE).
 */
final class CasdAuthority implements Authority {
    private static final int MAX_DATA = 32 * 1024;
    private final Supplier<CasdCredential> credential;
    private byte[] caller;
    private ByteArrayOutputStream data;

    CasdAuthority(Supplier<CasdCredential> credential) {
        this.credential = credential;
    }

    @Override
    public synchronized void init(byte mode) throws CryptoException {
        caller = null;
        data = null;
        if (mode == MODE_KEY_RECOVERY) {
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        }
        if (mode != MODE_SIGN) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        caller = callerAid();
        data = new ByteArrayOutputStream();
    }

    @Override
    public synchronized void update(byte[] inBuff, short inOffset, short inLength) throws CryptoException {
        append(inBuff, inOffset, inLength);
    }

    @Override
    public synchronized short sign(byte[] inBuff, short inOffset, short inLength, byte[] sigBuff, short sigOffset)
            throws CryptoException {
        append(inBuff, inOffset, inLength);
        byte[] message = new byte[2 + caller.length + data.size()];
        message[0] = 0x4F;
        message[1] = (byte) caller.length;
        System.arraycopy(caller, 0, message, 2, caller.length);
        System.arraycopy(data.toByteArray(), 0, message, 2 + caller.length, data.size());
        byte[] signature = credential.get().sign(message);
        if (sigBuff == null || sigOffset < 0 || sigOffset + signature.length > sigBuff.length) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        System.arraycopy(signature, 0, sigBuff, sigOffset, signature.length);
        data = new ByteArrayOutputStream();
        return (short) signature.length;
    }

    @Override
    public short recoverKey(byte[] inBuff, short inOffset, short inLength, byte[] outBuff, short outOffset)
            throws CryptoException {
        CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        return 0;
    }

    private void append(byte[] in, short offset, short length) {
        if (data == null) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        if (!java.util.Arrays.equals(caller, callerAid())) {
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        }
        if (length < 0 || offset < 0 || in == null || offset + length > in.length) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        if (data.size() + length > MAX_DATA) {
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        }
        data.write(in, offset, length);
    }

    private static byte[] callerAid() {
        AID aid = JCSystem.getAID();
        if (aid == null) {
            CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        }
        byte[] bytes = new byte[16];
        byte n = aid.getBytes(bytes, (short) 0);
        return java.util.Arrays.copyOf(bytes, n);
    }
}
