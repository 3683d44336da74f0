package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * End-to-end protection of personalisation content from the SP-TSM, on top of the
 * GlobalPlatform secure channel (which ends at the security domain, so whoever manages the
 * domain could otherwise see keys and certificates).
 *
 * <p>An envelope is {@code counter(4) || C || T}: C is AES-128-CBC with a zero IV over
 * {@code counterBlock(16) || content || 80 00..} under the card's content-encryption key, and
 * T is an AES-128 CBC-MAC (16 bytes) under the content-MAC key over
 * {@code 'J' 'P' target counter(4) len(C)(2) 00*6 || C}. The first block fixes the length, so
 * the MAC input is prefix-free. The card checks T before decrypting anything, then that the
 * counter is larger than every counter it accepted before. Every failure answers 6982, and
 * both checks always run, so neither the status word nor the time says which one failed.
 *
 * <p>The envelope arrives in blocks and is staged in EEPROM. Applying it is a small redo log:
 * the decrypted content and the new counter are committed together with a PENDING marker;
 * the change is then applied (idempotently) and the marker moved to APPLIED, after which the
 * plaintext is wiped. A power loss at any point is finished at the next command.
 */
final class ContentEnvelope {
    static final byte TARGET_KEY = (byte) 0x17;
    static final byte TARGET_PIN = (byte) 0x18;
    static final byte TARGET_CERTIFICATE = (byte) 0x0A;
    static final byte TARGET_CA_CERTIFICATE = (byte) 0x0B;

    static final byte PHASE_NONE = 0;
    static final byte PHASE_PENDING = 1;
    static final byte PHASE_APPLIED = 2;

    static final short BLOCK = (short) 16;
    static final short COUNTER_BYTES = (short) 4;
    static final short MAC_BYTES = (short) 16;

    private final byte[] staging;
    /** Bytes of the envelope received so far. */
    private short staged;
    /** Target and next block number of the envelope being received; 0 target = none. */
    private byte receivingTarget;
    private byte nextBlock;
    /** Set before plaintext is written to staging; cleared once it has been wiped. */
    private boolean plaintextInStaging;

    private byte phase;
    private byte pendingTarget;
    private short pendingLength;

    private final byte[] lastCounter;
    private final AESKey encryptionKey;
    private final AESKey macKey;
    private boolean keysSet;
    private final Cipher aes;
    private final Signature cbcMac;
    /** Scratch for the MAC header and the expected counter block (transient, 32 bytes). */
    private final byte[] scratch;

    ContentEnvelope(short maxContent) {
        // counter + counter block + content + up to a full padding block + MAC
        staging = new byte[(short) (COUNTER_BYTES + BLOCK + maxContent + BLOCK + MAC_BYTES)];
        lastCounter = new byte[COUNTER_BYTES];
        encryptionKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        macKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        aes = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        cbcMac = Signature.getInstance(Signature.ALG_AES_MAC_128_NOPAD, false);
        scratch = JCSystem.makeTransientByteArray((short) (2 * BLOCK), JCSystem.CLEAR_ON_DESELECT);
    }

    boolean keysSet() {
        return keysSet;
    }

    /** Installs new content keys (32 bytes: encryption key, MAC key) and restarts the counter. */
    void setKeys(byte[] buf, short offset, short length) {
        if (length != (short) (2 * BLOCK)) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        JCSystem.beginTransaction();
        encryptionKey.setKey(buf, offset);
        macKey.setKey(buf, (short) (offset + BLOCK));
        Util.arrayFillNonAtomic(lastCounter, (short) 0, COUNTER_BYTES, (byte) 0);
        keysSet = true;
        receivingTarget = 0;
        staged = 0;
        JCSystem.commitTransaction();
    }

    short copyCounter(byte[] out, short offset) {
        return Util.arrayCopyNonAtomic(lastCounter, (short) 0, out, offset, COUNTER_BYTES);
    }

    /**
     * Takes one block of an envelope. Blocks are numbered from 0; {@code last} ends the
     * envelope, which is then checked and decrypted. Returns true when a verified envelope is
     * PENDING and must be applied by the caller.
     */
    boolean receive(byte target, byte blockNumber, boolean last, byte[] buf, short offset, short length) {
        if (!keysSet) {
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (blockNumber == 0) {
            discardStaging();
            JCSystem.beginTransaction();
            receivingTarget = target;
            nextBlock = 0;
            JCSystem.commitTransaction();
        }
        if (target != receivingTarget || blockNumber != nextBlock) {
            receivingTarget = 0;
            ISOException.throwIt(ISO7816.SW_INCORRECT_P1P2);
        }
        if (length > (short) (staging.length - staged)) {
            receivingTarget = 0;
            ISOException.throwIt(ISO7816.SW_FILE_FULL);
        }
        Util.arrayCopyNonAtomic(buf, offset, staging, staged, length);
        // Length and block number move together, or a block repeated after a power loss is staged twice.
        JCSystem.beginTransaction();
        staged += length;
        nextBlock++;
        JCSystem.commitTransaction();
        if (!last) {
            return false;
        }
        receivingTarget = 0;
        open(target);
        return true;
    }

    /** MAC check, counter check, decryption, then the PENDING commit. */
    private void open(byte target) {
        short cipherLength = (short) (staged - COUNTER_BYTES - MAC_BYTES);
        if (cipherLength < (short) (2 * BLOCK) || (short) (cipherLength % BLOCK) != 0) {
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        // MAC over header block || C.
        Util.arrayFillNonAtomic(scratch, (short) 0, BLOCK, (byte) 0);
        scratch[0] = (byte) 'J';
        scratch[1] = (byte) 'P';
        scratch[2] = target;
        Util.arrayCopyNonAtomic(staging, (short) 0, scratch, (short) 3, COUNTER_BYTES);
        Util.setShort(scratch, (short) 7, cipherLength);
        cbcMac.init(macKey, Signature.MODE_SIGN);
        cbcMac.update(scratch, (short) 0, BLOCK);
        cbcMac.sign(staging, COUNTER_BYTES, cipherLength, scratch, BLOCK);
        short macAt = (short) (COUNTER_BYTES + cipherLength);
        boolean macOk = constantTimeEquals(scratch, BLOCK, staging, macAt, MAC_BYTES);
        boolean fresh = greaterThan(staging, (short) 0, lastCounter);
        if (!(macOk & fresh)) {
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        // Decrypt in place; plaintext now exists in EEPROM until wiped.
        plaintextInStaging = true;
        aes.init(encryptionKey, Cipher.MODE_DECRYPT);
        aes.doFinal(staging, COUNTER_BYTES, cipherLength, staging, COUNTER_BYTES);
        // The first block must be the counter again, then 00s: it binds C to the counter.
        short bad = (short) Util.arrayCompare(staging, COUNTER_BYTES, staging, (short) 0, COUNTER_BYTES);
        for (short i = (short) (2 * COUNTER_BYTES); i < (short) (COUNTER_BYTES + BLOCK); i++) {
            bad |= staging[i];
        }
        short contentLength = unpad(cipherLength);
        if (bad != 0 || contentLength < 0) {
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        JCSystem.beginTransaction();
        Util.arrayCopy(staging, (short) 0, lastCounter, (short) 0, COUNTER_BYTES);
        pendingTarget = target;
        pendingLength = contentLength;
        phase = PHASE_PENDING;
        JCSystem.commitTransaction();
    }

    /** Length of the content after removing 80 00.. padding, or -1 when the padding is wrong. */
    private short unpad(short cipherLength) {
        short end = (short) (COUNTER_BYTES + cipherLength - 1);
        short first = (short) (COUNTER_BYTES + BLOCK);
        while (end >= first && staging[end] == 0) {
            end--;
        }
        if (end < first || staging[end] != (byte) 0x80) {
            return -1;
        }
        return (short) (end - first);
    }

    byte phase() {
        return phase;
    }

    byte pendingTarget() {
        return pendingTarget;
    }

    short pendingLength() {
        return pendingLength;
    }

    /** The verified plaintext: staging()[contentOffset() .. + pendingLength()). */
    byte[] staging() {
        return staging;
    }

    static short contentOffset() {
        return (short) (COUNTER_BYTES + BLOCK);
    }

    /** Called once the pending change is applied: marks it, then wipes the plaintext. */
    void applied() {
        phase = PHASE_APPLIED;
        finish();
    }

    /** Completes an APPLIED change interrupted by a power loss, and wipes leftovers. */
    void finish() {
        if (phase == PHASE_APPLIED) {
            discardStaging();
            phase = PHASE_NONE;
        } else if (phase == PHASE_NONE && (plaintextInStaging || staged != 0) && receivingTarget == 0) {
            discardStaging();
        }
    }

    /** Wipes every byte of staging: it may have held plaintext. */
    private void discardStaging() {
        if (plaintextInStaging || staged != 0) {
            Util.arrayFillNonAtomic(staging, (short) 0, (short) staging.length, (byte) 0);
        }
        JCSystem.beginTransaction();
        staged = 0;
        plaintextInStaging = false;
        JCSystem.commitTransaction();
    }

    /** Resets everything on termination: keys, counter and staging. */
    void clear() {
        discardStaging();
        JCSystem.beginTransaction();
        encryptionKey.clearKey();
        macKey.clearKey();
        keysSet = false;
        receivingTarget = 0;
        phase = PHASE_NONE;
        JCSystem.commitTransaction();
    }

    private static boolean constantTimeEquals(byte[] a, short aOffset, byte[] b, short bOffset, short length) {
        byte diff = 0;
        for (short i = 0; i < length; i++) {
            diff |= (byte) (a[(short) (aOffset + i)] ^ b[(short) (bOffset + i)]);
        }
        return diff == 0;
    }

    /** Unsigned big-endian a[aOffset..+4) > b[0..4), without an early exit. */
    private static boolean greaterThan(byte[] a, short aOffset, byte[] b) {
        short result = 0;
        for (short i = 0; i < COUNTER_BYTES; i++) {
            short x = (short) (a[(short) (aOffset + i)] & 0xFF);
            short y = (short) (b[i] & 0xFF);
            if (result == 0) {
                result = (short) (x - y);
            }
        }
        return result > 0;
    }
}
