package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.Util;
import javacard.security.AESKey;
import javacard.security.KeyBuilder;
import javacard.security.RandomData;
import javacard.security.Signature;
import javacardx.crypto.Cipher;

/**
 * End-to-end protection between the SP-TSM and the applet, inside and independent of the
 * GlobalPlatform secure channel (which ends in a security domain whose keys the operator holds
 * or held): content keys, sealed envelopes, authorised commands and the replay counter.
 *
 * <p><b>Content keys</b> K-ENC and K-MAC (AES-128) are set once, by key transport to the
 * applet's attested key ({@link KeyTransport}): SET CONTENT KEYS carries
 * {@code RSA-PKCS1(K-ENC || K-MAC) || T}, T a CBC-MAC under the new K-MAC. They cannot be
 * replaced while set; they are erased only on termination, which is final.
 *
 * <p><b>Envelopes</b> carry key, certificates and PIN: {@code counter(4) || C || T}, C is
 * AES-128-CBC with a zero IV over {@code counterBlock(16) || content || 80 00..} under K-ENC, T
 * an AES-128 CBC-MAC under K-MAC over {@code 'J' 'P' target counter(4) len(C)(2) 00*7 || C}.
 * T is checked before anything is decrypted, then the counter against the last one accepted.
 *
 * <p><b>Authorised commands</b> (key generation, PIN policy, life cycle) carry
 * {@code counter(4) || payload || T}, T over {@code 'J' 'C' INS P1 P2 counter(4) len(2) 00*5 ||
 * payload || 80 00..}; answers that must be authentic carry a tag over
 * {@code 'J' 'R' INS counter(4) len(2) 00*7 || data || 80 00..}. The first block of every MAC
 * input names its kind and fixes the length, so the inputs are prefix-free and one kind can
 * never be taken for another.
 *
 * <p>One counter serves all of them and never goes back in the applet's life. Every failure of
 * a MAC or counter answers 6982 after the same work, so neither the status word nor the time
 * tells which check failed.
 *
 * <p>An envelope arrives in blocks and is staged in EEPROM as ciphertext. Once verified, the
 * counter, target and length are committed together with a PENDING mark; the content is then
 * applied by decrypting windows of it into RAM (the APDU buffer): plaintext never rests in
 * persistent memory, and after a power loss the ciphertext is still there to apply again.
 */
final class ContentEnvelope {
    static final byte TARGET_KEY = (byte) 0x17;
    static final byte TARGET_PIN = (byte) 0x18;
    static final byte TARGET_CERTIFICATE = (byte) 0x0A;
    static final byte TARGET_CA_CERTIFICATE = (byte) 0x0B;
    /** Staging target of the key-transport block of SET CONTENT KEYS. */
    static final byte TARGET_CONTENT_KEYS = (byte) 0xD4;

    static final byte PHASE_NONE = 0;
    static final byte PHASE_PENDING = 1;
    static final byte PHASE_APPLIED = 2;

    static final short BLOCK = (short) 16;
    static final short COUNTER_BYTES = (short) 4;
    static final short MAC_BYTES = (short) 16;
    static final short KCV_BYTES = (short) 8;

    private final byte[] staging;
    /** Bytes of the envelope received so far. */
    private short staged;
    /** Target and next block number of the envelope being received; 0 target = none. */
    private byte receivingTarget;
    private byte nextBlock;

    private byte phase;
    private byte pendingTarget;
    private short pendingLength;

    private final byte[] lastCounter;
    private final AESKey encryptionKey;
    private final AESKey macKey;
    /** Holds a candidate K-MAC until SET CONTENT KEYS has proven it; cleared on deselect. */
    private final AESKey candidateMacKey;
    private boolean keysSet;
    private final Cipher aes;
    private final Signature cbcMac;
    private final RandomData random;
    /** Scratch for MAC headers, padded blocks and decrypted check blocks (transient, 48 bytes). */
    private final byte[] scratch;
    /** RAM window that decrypted content passes through on its way to key, PIN or file (160 bytes). */
    private final byte[] window;

    ContentEnvelope(short maxContent, RandomData random) {
        // counter + counter block + content + up to a full padding block + MAC
        staging = new byte[(short) (COUNTER_BYTES + BLOCK + maxContent + BLOCK + MAC_BYTES)];
        lastCounter = new byte[COUNTER_BYTES];
        encryptionKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        macKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES, KeyBuilder.LENGTH_AES_128, false);
        candidateMacKey = (AESKey) KeyBuilder.buildKey(KeyBuilder.TYPE_AES_TRANSIENT_DESELECT,
                KeyBuilder.LENGTH_AES_128, false);
        aes = Cipher.getInstance(Cipher.ALG_AES_BLOCK_128_CBC_NOPAD, false);
        cbcMac = Signature.getInstance(Signature.ALG_AES_MAC_128_NOPAD, false);
        this.random = random;
        scratch = JCSystem.makeTransientByteArray((short) (3 * BLOCK), JCSystem.CLEAR_ON_DESELECT);
        window = JCSystem.makeTransientByteArray(WINDOW_BYTES, JCSystem.CLEAR_ON_DESELECT);
    }

    /** The largest piece {@link #decryptContent} hands out at once. */
    static final short WINDOW_CONTENT = (short) 128;
    private static final short WINDOW_BYTES = (short) (WINDOW_CONTENT + 2 * BLOCK);

    /** Where {@link #decryptContent} leaves the plaintext: window()[0..length). */
    byte[] window() {
        return window;
    }

    /** Zeroes the RAM window once its plaintext has been used. */
    void clearWindow() {
        Util.arrayFillNonAtomic(window, (short) 0, WINDOW_BYTES, (byte) 0);
    }

    boolean keysSet() {
        return keysSet;
    }

    short copyCounter(byte[] out, short offset) {
        return Util.arrayCopyNonAtomic(lastCounter, (short) 0, out, offset, COUNTER_BYTES);
    }

    /**
     * Key check value: the first 8 bytes of the CBC-MAC under K-MAC of {@code 'J' 'V' 00*14}.
     * The SP-TSM compares it with its own keys before it sends anything: keys established by
     * anyone else are refused there. Reveals nothing usable about a 128-bit key.
     */
    short copyCheckValue(byte[] out, short offset) {
        Util.arrayFillNonAtomic(scratch, (short) 0, BLOCK, (byte) 0);
        scratch[0] = (byte) 'J';
        scratch[1] = (byte) 'V';
        cbcMac.init(macKey, Signature.MODE_SIGN);
        cbcMac.sign(scratch, (short) 0, BLOCK, scratch, BLOCK);
        return Util.arrayCopyNonAtomic(scratch, BLOCK, out, offset, KCV_BYTES);
    }

    // ------------------------------------------------------------------ staging

    /**
     * Takes one block of a staged payload. Blocks are numbered from 0; {@code last} ends it.
     * Returns true when the whole payload is staged and {@link #staged()} bytes are ready.
     */
    boolean receive(byte target, byte blockNumber, boolean last, byte[] buf, short offset, short length) {
        if (phase == PHASE_PENDING) {
            // A verified envelope not yet applied: recovery applies it before anything else.
            ISOException.throwIt(ISO7816.SW_CONDITIONS_NOT_SATISFIED);
        }
        if (blockNumber == 0) {
            JCSystem.beginTransaction();
            staged = 0;
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
        // Ciphertext only: what a power loss leaves here reveals nothing.
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
        return true;
    }

    // ------------------------------------------------------------ content keys

    /**
     * SET CONTENT KEYS, once the staged payload is {@code RSA block (256) || T (16)}: decrypts
     * the block with the transport key into the RAM window, proves the new K-MAC with T, then
     * stores both keys. Any failure answers 6982, after the same work.
     */
    @SuppressWarnings("deprecation") // generateData: the 2.2.2 API; nextBytes came with 3.0.5
    void establish(KeyTransport transport) {
        byte[] ram = window;
        short expected = (short) (KeyTransport.SIGNATURE_BYTES + MAC_BYTES);
        short plain = staged == expected ? transport.decrypt(staging, (short) 0, ram, (short) 0) : (short) -1;
        if (plain != (short) (2 * BLOCK)) {
            // Implicit rejection: carry on with random keys, so a bad block costs the same as a bad MAC.
            random.generateData(ram, (short) 0, (short) (2 * BLOCK));
        }
        candidateMacKey.setKey(ram, BLOCK);
        header((byte) 'K', (byte) 0, null, (short) 0, KeyTransport.SIGNATURE_BYTES);
        cbcMac.init(candidateMacKey, Signature.MODE_SIGN);
        cbcMac.update(scratch, (short) 0, BLOCK);
        cbcMac.sign(staging, (short) 0, KeyTransport.SIGNATURE_BYTES, scratch, BLOCK);
        boolean macOk = constantTimeEquals(scratch, BLOCK, staging, KeyTransport.SIGNATURE_BYTES, MAC_BYTES);
        candidateMacKey.clearKey();
        if (!(macOk & plain == (short) (2 * BLOCK))) {
            Util.arrayFillNonAtomic(ram, (short) 0, (short) (2 * BLOCK), (byte) 0);
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        encryptionKey.setKey(ram, (short) 0);
        macKey.setKey(ram, BLOCK);
        Util.arrayFillNonAtomic(ram, (short) 0, (short) (2 * BLOCK), (byte) 0);
        // The flag goes last: keys half written by a power loss are never used, and may be set again.
        keysSet = true;
        discardStaging();
    }

    // ------------------------------------------------------------ authorised commands

    /**
     * Checks an authorised command {@code counter(4) || payload || T(16)} at
     * {@code buf[offset..offset+length)} (payload at most 15 bytes) and stages its counter;
     * returns the payload length. The caller commits with {@link #acceptCounter} inside the
     * transaction that makes the change.
     */
    short authorise(byte ins, byte p1, byte p2, byte[] buf, short offset, short length) {
        short payload = (short) (length - COUNTER_BYTES - MAC_BYTES);
        if (!keysSet || payload < 0 || payload >= BLOCK) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        // 'J' 'C' INS P1 P2 counter(4) len(2) 00*5
        Util.arrayFillNonAtomic(scratch, (short) 0, BLOCK, (byte) 0);
        scratch[0] = (byte) 'J';
        scratch[1] = (byte) 'C';
        scratch[2] = ins;
        scratch[3] = p1;
        scratch[4] = p2;
        Util.arrayCopyNonAtomic(buf, offset, scratch, (short) 5, COUNTER_BYTES);
        Util.setShort(scratch, (short) 9, payload);
        // The payload padded to one block, after the header block.
        Util.arrayFillNonAtomic(scratch, BLOCK, BLOCK, (byte) 0);
        Util.arrayCopyNonAtomic(buf, (short) (offset + COUNTER_BYTES), scratch, BLOCK, payload);
        scratch[(short) (BLOCK + payload)] = (byte) 0x80;
        cbcMac.init(macKey, Signature.MODE_SIGN);
        cbcMac.sign(scratch, (short) 0, (short) (2 * BLOCK), scratch, (short) (2 * BLOCK));
        boolean macOk = constantTimeEquals(scratch, (short) (2 * BLOCK), buf,
                (short) (offset + COUNTER_BYTES + payload), MAC_BYTES);
        boolean fresh = greaterThan(buf, offset, lastCounter);
        if (!(macOk & fresh)) {
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        return payload;
    }

    /** Records {@code counter} as the last accepted one; call inside the caller's transaction. */
    void acceptCounter(byte[] buf, short offset) {
        Util.arrayCopy(buf, offset, lastCounter, (short) 0, COUNTER_BYTES);
    }

    /**
     * Appends the answer tag to {@code data} at buf[0..length) for the command with counter
     * {@code lastCounter}: {@code data || T}. Returns the new length.
     */
    short tagAnswer(byte ins, byte[] buf, short length) {
        header((byte) 'R', ins, lastCounter, (short) 0, length);
        short full = (short) (length - (short) (length % BLOCK));
        short rest = (short) (length - full);
        Util.arrayFillNonAtomic(scratch, BLOCK, BLOCK, (byte) 0);
        Util.arrayCopyNonAtomic(buf, full, scratch, BLOCK, rest);
        scratch[(short) (BLOCK + rest)] = (byte) 0x80;
        cbcMac.init(macKey, Signature.MODE_SIGN);
        cbcMac.update(scratch, (short) 0, BLOCK);
        if (full > 0) {
            cbcMac.update(buf, (short) 0, full);
        }
        return (short) (length + cbcMac.sign(scratch, BLOCK, BLOCK, buf, length));
    }

    // --------------------------------------------------------------- envelopes

    /**
     * MAC check, counter check, check blocks decrypted into RAM, then the PENDING commit. PUT
     * CONTENT refuses blocks before content keys exist, so nothing is staged without them.
     */
    void open(byte target) {
        short cipherLength = (short) (staged - COUNTER_BYTES - MAC_BYTES);
        if (cipherLength < (short) (2 * BLOCK) || (short) (cipherLength % BLOCK) != 0) {
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        header((byte) 'P', target, staging, (short) 0, cipherLength);
        cbcMac.init(macKey, Signature.MODE_SIGN);
        cbcMac.update(scratch, (short) 0, BLOCK);
        cbcMac.sign(staging, COUNTER_BYTES, cipherLength, scratch, BLOCK);
        boolean macOk = constantTimeEquals(scratch, BLOCK, staging, (short) (COUNTER_BYTES + cipherLength), MAC_BYTES);
        boolean fresh = greaterThan(staging, (short) 0, lastCounter);
        if (!(macOk & fresh)) {
            discardStaging();
            ISOException.throwIt(ISO7816.SW_SECURITY_STATUS_NOT_SATISFIED);
        }
        // The first block must be the counter again, then 00s: it binds C to the counter.
        decryptBlocks((short) 0, BLOCK, scratch, (short) 0);
        short bad = (short) Util.arrayCompare(scratch, (short) 0, staging, (short) 0, COUNTER_BYTES);
        for (short i = COUNTER_BYTES; i < BLOCK; i++) {
            bad |= scratch[i];
        }
        // The padding (80 00..) lies in the last block.
        short lastBlock = (short) (cipherLength - BLOCK);
        decryptBlocks(lastBlock, BLOCK, scratch, BLOCK);
        short end = (short) (2 * BLOCK - 1);
        while (end >= BLOCK && scratch[end] == 0) {
            end--;
        }
        if (end < BLOCK || scratch[end] != (byte) 0x80) {
            bad = 1;
        }
        short contentLength = (short) (lastBlock + (short) (end - BLOCK) - BLOCK);
        Util.arrayFillNonAtomic(scratch, (short) 0, (short) (2 * BLOCK), (byte) 0);
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

    /**
     * Decrypts content bytes {@code [from, from + length)} of the pending envelope (offsets in
     * the content, after the counter block; length at most {@link #WINDOW_CONTENT}) into the
     * RAM window: the whole blocks around them are decrypted there and the wanted bytes moved
     * to its start.
     */
    void decryptContent(short from, short length) {
        if (length < 0 || length > WINDOW_CONTENT) {
            ISOException.throwIt(ISO7816.SW_WRONG_LENGTH);
        }
        byte[] ram = window;
        short ramOffset = 0;
        short plainFrom = (short) (from + BLOCK);
        short first = (short) (plainFrom - (short) (plainFrom % BLOCK));
        short end = (short) (plainFrom + length);
        short last = (short) (end + (short) ((BLOCK - (short) (end % BLOCK)) % BLOCK));
        decryptBlocks(first, (short) (last - first), ram, ramOffset);
        short skip = (short) (plainFrom - first);
        if (skip > 0) {
            Util.arrayCopyNonAtomic(ram, (short) (ramOffset + skip), ram, ramOffset, length);
        }
    }

    /** CBC-decrypts ciphertext blocks [cipherFrom, cipherFrom + length) of C; the IV is the block before. */
    private void decryptBlocks(short cipherFrom, short length, byte[] out, short outOffset) {
        short at = (short) (COUNTER_BYTES + cipherFrom);
        if (cipherFrom == 0) {
            Util.arrayFillNonAtomic(out, outOffset, BLOCK, (byte) 0);
            aes.init(encryptionKey, Cipher.MODE_DECRYPT, out, outOffset, BLOCK);
        } else {
            aes.init(encryptionKey, Cipher.MODE_DECRYPT, staging, (short) (at - BLOCK), BLOCK);
        }
        aes.doFinal(staging, at, length, out, outOffset);
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

    /** Called once the pending change is applied: marks it, then drops the ciphertext. */
    void applied() {
        phase = PHASE_APPLIED;
        finish();
    }

    /** Completes an APPLIED change interrupted by a power loss. */
    void finish() {
        if (phase == PHASE_APPLIED) {
            discardStaging();
            phase = PHASE_NONE;
        }
    }

    /** Forgets what was staged (ciphertext only, so nothing needs wiping for secrecy). */
    private void discardStaging() {
        JCSystem.beginTransaction();
        staged = 0;
        receivingTarget = 0;
        JCSystem.commitTransaction();
    }

    /** Termination: the keys go; the counter stays, so nothing sealed before can ever be replayed. */
    void clear() {
        discardStaging();
        encryptionKey.clearKey();
        macKey.clearKey();
        JCSystem.beginTransaction();
        keysSet = false;
        phase = PHASE_NONE;
        JCSystem.commitTransaction();
    }

    /**
     * The first MAC block of envelopes, answers and key transport:
     * {@code 'J' kind b counter(4) len(2) 00*7}; the counter comes from src[at], or zeros.
     */
    private void header(byte kind, byte b, byte[] src, short at, short length) {
        Util.arrayFillNonAtomic(scratch, (short) 0, BLOCK, (byte) 0);
        scratch[0] = (byte) 'J';
        scratch[1] = kind;
        scratch[2] = b;
        if (src != null) {
            Util.arrayCopyNonAtomic(src, at, scratch, (short) 3, COUNTER_BYTES);
        }
        Util.setShort(scratch, (short) 7, length);
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
