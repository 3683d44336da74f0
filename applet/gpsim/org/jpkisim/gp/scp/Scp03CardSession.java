package org.jpkisim.gp.scp;

import java.security.SecureRandom;
import java.util.Arrays;
import org.jpkisim.gp.crypto.AesCmac;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.crypto.Bytes;
import org.jpkisim.gp.crypto.Scp03Kdf;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;

/**
 * SCP03 on the card (GP Card Specification 2.3 Amendment D). i-parameter bits honoured:
 * 01 S16 mode (16-byte challenges, cryptograms, C-MACs and R-MACs; Amendment D v1.1.1), otherwise S8;
 * 10 pseudo-random card challenge (with the 3-byte sequence counter in the INITIALIZE UPDATE
 * response), 20 R-MAC support, 40 R-ENCRYPTION support.
 */
public final class Scp03CardSession implements CardSession {
    private static final long COUNTER_LIMIT = 0xFFFFFFL;

    private final ScpKeySet keys;
    private final KeyRepository repository;
    private final byte[] ownerAid;
    private final byte[] diversificationData;
    private final SecureRandom random;
    /** 8 (S8) or 16 (S16): length of challenges, cryptograms and MACs. */
    private final int s;

    private byte[] hostChallenge;
    private byte[] cardChallenge;
    private byte[] sEnc;
    private byte[] sMac;
    private byte[] sRmac;
    private byte[] chaining = new byte[16];
    private long encryptionCounter;
    private boolean authenticated;
    private int level;

    public Scp03CardSession(ScpKeySet keys, KeyRepository repository, byte[] ownerAid, byte[] diversificationData,
                            SecureRandom random) {
        this.keys = keys;
        this.repository = repository;
        this.ownerAid = ownerAid.clone();
        this.diversificationData = diversificationData.clone();
        this.random = random;
        this.s = (keys.i() & 0x01) != 0 ? 16 : 8;
    }

    private boolean pseudoRandomChallenge() {
        return (keys.i() & 0x10) != 0;
    }

    @Override
    public byte[] initializeUpdate(byte[] hostChallenge) {
        if (hostChallenge.length != s) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "SCP03 S" + s + " host challenge is " + s + " bytes");
        }
        this.hostChallenge = hostChallenge.clone();
        byte[] counter = new byte[0];
        if (pseudoRandomChallenge()) {
            long value = repository.nextCounter(keys, COUNTER_LIMIT);
            if (value < 0) {
                throw new ScpException(StatusWords.CONDITIONS_NOT_SATISFIED, "sequence counter exhausted");
            }
            counter = Bytes.be(value, 3);
            // Amendment D 6.2.2.1: card challenge = KDF(Key-ENC, 02, sequence counter || AID), 64 (S16: 128) bits.
            cardChallenge = Scp03Kdf.derive(keys.enc(), Scp03Kdf.CARD_CHALLENGE, Bytes.concat(counter, ownerAid), s * 8);
        } else {
            cardChallenge = new byte[s];
            random.nextBytes(cardChallenge);
        }
        byte[] context = Bytes.concat(this.hostChallenge, cardChallenge);
        int bits = keys.enc().length * 8;
        sEnc = Scp03Kdf.derive(keys.enc(), Scp03Kdf.S_ENC, context, bits);
        sMac = Scp03Kdf.derive(keys.mac(), Scp03Kdf.S_MAC, context, bits);
        sRmac = Scp03Kdf.derive(keys.mac(), Scp03Kdf.S_RMAC, context, bits);
        byte[] cardCryptogram = Scp03Kdf.derive(sMac, Scp03Kdf.CARD_CRYPTOGRAM, context, s * 8);
        byte[] keyInfo = {(byte) keys.version(), 0x03, (byte) keys.i()};
        return Bytes.concat(diversificationData, keyInfo, cardChallenge, cardCryptogram, counter);
    }

    @Override
    public void externalAuthenticate(byte[] apdu) {
        CommandApdu command = CommandApdu.parse(apdu);
        if (SecureMessaging.of(command.cla) != SecureMessaging.GP) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "EXTERNAL AUTHENTICATE without C-MAC");
        }
        if (command.p2 != 0x00) {
            throw new ScpException(StatusWords.INCORRECT_P1P2, "P2 must be 00");
        }
        if (command.data.length != 2 * s) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "host cryptogram and C-MAC are " + 2 * s + " bytes");
        }
        int requested = command.p1;
        if (!SecurityLevels.isWellFormed(requested)
                || ((requested & SecurityLevels.R_MAC) != 0 && (keys.i() & 0x20) == 0)
                || ((requested & SecurityLevels.R_ENCRYPTION) != 0 && (keys.i() & 0x40) == 0)) {
            throw new ScpException(StatusWords.INCORRECT_P1P2, "security level not supported by this key set");
        }
        byte[] hostCryptogram = Arrays.copyOfRange(command.data, 0, s);
        byte[] mac = Arrays.copyOfRange(command.data, s, 2 * s);
        chaining = new byte[16];
        byte[] expectedMac = computeCmac(command, hostCryptogram);
        if (!Bytes.equalsConstantTime(mac, expectedMac)) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "EXTERNAL AUTHENTICATE C-MAC");
        }
        byte[] expected = Scp03Kdf.derive(sMac, Scp03Kdf.HOST_CRYPTOGRAM, Bytes.concat(hostChallenge, cardChallenge), s * 8);
        if (!Bytes.equalsConstantTime(hostCryptogram, expected)) {
            throw new ScpException(StatusWords.HOST_CRYPTOGRAM_FAILED, "host cryptogram");
        }
        level = requested;
        encryptionCounter = 0;
        authenticated = true;
    }

    /** C-MAC over chaining value || header (CLA with channel zeroed and SM bit set, Lc with MAC) || data; updates the chain. */
    private byte[] computeCmac(CommandApdu command, byte[] payload) {
        int cla = (command.cla & 0xF0) | 0x04;
        byte[] header = {(byte) cla, (byte) command.ins, (byte) command.p1, (byte) command.p2, (byte) (payload.length + s)};
        chaining = AesCmac.mac(sMac, Bytes.concat(chaining, header, payload));
        return Arrays.copyOf(chaining, s);
    }

    @Override
    public boolean authenticated() {
        return authenticated;
    }

    @Override
    public int level() {
        return authenticated ? level : 0;
    }

    @Override
    public byte[] unwrap(byte[] apdu) {
        CommandApdu command = CommandApdu.parse(apdu);
        if (SecureMessaging.plainCommandPasses(command.cla, authenticated, level)) {
            return apdu.clone();
        }
        if (!authenticated || (level & SecurityLevels.C_MAC) == 0) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "secured command outside a C-MAC session");
        }
        if (command.data.length < s) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "C-MAC missing");
        }
        byte[] payload = Arrays.copyOfRange(command.data, 0, command.data.length - s);
        byte[] mac = Arrays.copyOfRange(command.data, command.data.length - s, command.data.length);
        if (!Bytes.equalsConstantTime(mac, computeCmac(command, payload))) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "C-MAC");
        }
        byte[] plain = payload;
        if ((level & SecurityLevels.C_DECRYPTION) != 0) {
            // Amendment D 6.2.6: the counter advances for every command, with or without data.
            encryptionCounter++;
            if (payload.length > 0) {
                if (payload.length % 16 != 0) {
                    throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "encrypted data not block aligned");
                }
                byte[] icv = BlockCiphers.aesEcb(sEnc, Bytes.be(encryptionCounter, 16));
                plain = Bytes.unpad80(BlockCiphers.aesCbcDecrypt(sEnc, icv, payload));
                if (plain == null) {
                    throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "bad padding");
                }
            }
        }
        return CommandApdu.build(command.cla & ~0x04, command.ins, command.p1, command.p2, plain);
    }

    @Override
    public byte[] wrap(byte[] responseAndSw) {
        if (!SecurityLevels.getsRmac(authenticated, level, responseAndSw)) {
            return responseAndSw.clone();
        }
        int n = responseAndSw.length - 2;
        byte[] sw = Arrays.copyOfRange(responseAndSw, n, n + 2);
        byte[] data = Arrays.copyOf(responseAndSw, n);
        if ((level & SecurityLevels.R_ENCRYPTION) != 0 && data.length > 0) {
            // Amendment D 6.2.7: ICV from the command's counter with its first byte set to 80.
            byte[] block = Bytes.be(encryptionCounter, 16);
            block[0] = (byte) 0x80;
            byte[] icv = BlockCiphers.aesEcb(sEnc, block);
            data = BlockCiphers.aesCbcEncrypt(sEnc, icv, Bytes.pad80(data, 16));
        }
        byte[] rmac = Arrays.copyOf(AesCmac.mac(sRmac, Bytes.concat(chaining, data, sw)), s);
        return Bytes.concat(data, rmac, sw);
    }

    @Override
    public byte[] decryptData(byte[] data) {
        requireBlocks(data);
        return BlockCiphers.aesCbcDecrypt(keys.dek(), new byte[16], data);
    }

    @Override
    public byte[] encryptData(byte[] data) {
        requireBlocks(data);
        return BlockCiphers.aesCbcEncrypt(keys.dek(), new byte[16], data);
    }

    private void requireBlocks(byte[] data) {
        if (!authenticated) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "no authenticated session");
        }
        if (data.length % 16 != 0) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "AES data must be block aligned");
        }
    }

    @Override
    public void close() {
        authenticated = false;
        level = 0;
        for (byte[] key : new byte[][] {sEnc, sMac, sRmac, chaining}) {
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }
}
