package org.jpkisim.applet;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The SP-TSM side of the content envelope (see docs/personalisation.md), written from the
 * specification with the JDK's AES, independently of the card code.
 */
final class ContentSealer {
    private final byte[] encryptionKey;
    private final byte[] macKey;
    private int counter;

    ContentSealer(byte[] encryptionKey, byte[] macKey) {
        this.encryptionKey = encryptionKey.clone();
        this.macKey = macKey.clone();
    }

    int counter() {
        return counter;
    }

    byte[] keys() {
        byte[] both = new byte[32];
        System.arraycopy(encryptionKey, 0, both, 0, 16);
        System.arraycopy(macKey, 0, both, 16, 16);
        return both;
    }

    /** CBC-MAC (AES, zero IV) over data that is already a multiple of 16 bytes. */
    byte[] cbcMac(byte[] data) {
        try {
            Cipher mac = Cipher.getInstance("AES/CBC/NoPadding");
            mac.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(macKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] chain = mac.doFinal(data);
            return Arrays.copyOfRange(chain, chain.length - 16, chain.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** data || 80 00.. to a multiple of 16. */
    static byte[] pad(byte[] data) {
        byte[] padded = new byte[(data.length / 16 + 1) * 16];
        System.arraycopy(data, 0, padded, 0, data.length);
        padded[data.length] = (byte) 0x80;
        return padded;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** An authorised command's data with the next counter: counter || payload || T. */
    byte[] authorise(int ins, int p1, int p2, byte[] payload) {
        return authorise(ins, p1, p2, payload, ++counter);
    }

    byte[] authorise(int ins, int p1, int p2, byte[] payload, int counterValue) {
        byte[] counterBytes = ByteBuffer.allocate(4).putInt(counterValue).array();
        byte[] header = new byte[16];
        header[0] = 'J';
        header[1] = 'C';
        header[2] = (byte) ins;
        header[3] = (byte) p1;
        header[4] = (byte) p2;
        System.arraycopy(counterBytes, 0, header, 5, 4);
        header[9] = (byte) (payload.length >> 8);
        header[10] = (byte) payload.length;
        return concat(counterBytes, payload, cbcMac(concat(header, pad(payload))));
    }

    /** The tag the card appends to an authenticated answer to INS, for the current counter. */
    byte[] answerTag(int ins, byte[] data) {
        byte[] header = new byte[16];
        header[0] = 'J';
        header[1] = 'R';
        header[2] = (byte) ins;
        System.arraycopy(ByteBuffer.allocate(4).putInt(counter).array(), 0, header, 3, 4);
        header[7] = (byte) (data.length >> 8);
        header[8] = (byte) data.length;
        return cbcMac(concat(header, pad(data)));
    }

    /** SET CONTENT KEYS data: RSA-PKCS1(K-ENC || K-MAC) under the applet's transport key || T. */
    byte[] keyTransport(java.security.PublicKey transportKey) {
        try {
            Cipher rsa = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            rsa.init(Cipher.ENCRYPT_MODE, transportKey);
            byte[] block = rsa.doFinal(keys());
            byte[] header = new byte[16];
            header[0] = 'J';
            header[1] = 'K';
            header[7] = (byte) (block.length >> 8);
            header[8] = (byte) block.length;
            return concat(block, cbcMac(concat(header, block)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Key check value: CBC-MAC of 'J' 'V' 00*14, first 8 bytes. */
    byte[] checkValue() {
        byte[] block = new byte[16];
        block[0] = 'J';
        block[1] = 'V';
        return Arrays.copyOf(cbcMac(block), 8);
    }

    void setCounter(int value) {
        counter = value;
    }

    /** Seals with the next counter value. */
    byte[] seal(int target, byte[] content) {
        return seal(target, content, ++counter);
    }

    byte[] seal(int target, byte[] content, int counterValue) {
        try {
            byte[] counterBytes = ByteBuffer.allocate(4).putInt(counterValue).array();
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            plain.writeBytes(counterBytes);
            plain.writeBytes(new byte[12]);
            plain.writeBytes(content);
            plain.write(0x80);
            while (plain.size() % 16 != 0) {
                plain.write(0);
            }
            Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encryptionKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] ciphertext = aes.doFinal(plain.toByteArray());

            byte[] header = new byte[16];
            header[0] = 'J';
            header[1] = 'P';
            header[2] = (byte) target;
            System.arraycopy(counterBytes, 0, header, 3, 4);
            header[7] = (byte) (ciphertext.length >> 8);
            header[8] = (byte) ciphertext.length;
            byte[] macInput = new byte[16 + ciphertext.length];
            System.arraycopy(header, 0, macInput, 0, 16);
            System.arraycopy(ciphertext, 0, macInput, 16, ciphertext.length);
            Cipher mac = Cipher.getInstance("AES/CBC/NoPadding");
            mac.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(macKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] chain = mac.doFinal(macInput);
            byte[] tag = Arrays.copyOfRange(chain, chain.length - 16, chain.length);

            ByteArrayOutputStream envelope = new ByteArrayOutputStream();
            envelope.writeBytes(counterBytes);
            envelope.writeBytes(ciphertext);
            envelope.writeBytes(tag);
            return envelope.toByteArray();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
