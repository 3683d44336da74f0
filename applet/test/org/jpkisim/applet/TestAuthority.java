package org.jpkisim.applet;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import javacard.framework.AID;
import javacard.framework.JCSystem;
import javacard.security.CryptoException;
import org.globalplatform.Authority;

/**
 * A card-side authority for unit tests: signs like the simulated CASD (RSASSA-PKCS1-v1_5 with
 * SHA-256 over {@code 4F len callerAID || data}) with a key of its own.
 */
final class TestAuthority implements Authority {
    static final KeyPair KEYS;

    static {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KEYS = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte mode;
    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

    @Override
    public void init(byte theMode) {
        if (theMode != MODE_SIGN && theMode != MODE_KEY_RECOVERY) {
            CryptoException.throwIt(CryptoException.ILLEGAL_VALUE);
        }
        mode = theMode;
        pending.reset();
    }

    @Override
    public void update(byte[] in, short offset, short length) {
        pending.write(in, offset, length);
    }

    static byte[] callerContext() {
        AID aid = JCSystem.getAID();
        byte[] bytes = new byte[16];
        byte n = aid.getBytes(bytes, (short) 0);
        byte[] context = new byte[2 + n];
        context[0] = 0x4F;
        context[1] = n;
        System.arraycopy(bytes, 0, context, 2, n);
        return context;
    }

    @Override
    public short sign(byte[] in, short offset, short length, byte[] out, short outOffset) {
        if (mode != MODE_SIGN) {
            CryptoException.throwIt(CryptoException.INVALID_INIT);
        }
        try {
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(KEYS.getPrivate());
            signer.update(callerContext());
            signer.update(pending.toByteArray());
            signer.update(java.util.Arrays.copyOfRange(in, offset, offset + length));
            byte[] signature = signer.sign();
            System.arraycopy(signature, 0, out, outOffset, signature.length);
            pending.reset();
            return (short) signature.length;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public short recoverKey(byte[] in, short offset, short length, byte[] out, short outOffset) {
        CryptoException.throwIt(CryptoException.ILLEGAL_USE);
        return 0;
    }
}
