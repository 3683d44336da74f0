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
