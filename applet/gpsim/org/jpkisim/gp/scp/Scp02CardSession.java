package org.jpkisim.gp.scp;

import java.security.SecureRandom;
import java.util.Arrays;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.crypto.Bytes;
import org.jpkisim.gp.crypto.DesMacs;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;

/**
 * SCP02 on the card (GP Card Specification 2.2 Appendix E) for the i-parameters 15 and 55: three
 * static keys, C-MAC on the modified APDU, ICV encrypted with the first half of the C-MAC key
 * between commands, explicit initiation; 55 adds the pseudo-random card challenge. With i bit 20
 * (35, 75: R-MAC supported) the levels 10, 11 and 13 add an R-MAC to every response (E.4.5).
 * Security levels 00, 01, 03, and with R-MAC support 10, 11, 13.
 */
public final class Scp02CardSession implements CardSession {
    private static final long COUNTER_LIMIT = 0xFFFFL;
    private static final byte[] CONST_CMAC = {0x01, 0x01};
    private static final byte[] CONST_RMAC = {0x01, 0x02};
    private static final byte[] CONST_ENC = {0x01, (byte) 0x82};
    private static final byte[] CONST_DEK = {0x01, (byte) 0x81};

    private final ScpKeySet keys;
    private final KeyRepository repository;
    private final byte[] ownerAid;
    private final byte[] diversificationData;
    private final SecureRandom random;

    private byte[] hostChallenge;
    private byte[] cardChallenge;
    private byte[] sequence;
    private byte[] sEnc;
    private byte[] sMac;
    private byte[] sDek;
    private byte[] sRmac;
    private byte[] icv = new byte[8];
    /** R-MAC chaining value: the previous response's R-MAC, zero after EXTERNAL AUTHENTICATE. */
    private byte[] ricv = new byte[8];
    /** The last command as the R-MAC covers it (CLA with b1-b3 cleared, INS, P1, P2, Lc, plaintext data); null once used. */
    private byte[] rmacCommand;
    private boolean authenticated;
    private int level;

    public Scp02CardSession(ScpKeySet keys, KeyRepository repository, byte[] ownerAid, byte[] diversificationData,
                            SecureRandom random) {
        this.keys = keys;
        this.repository = repository;
        this.ownerAid = ownerAid.clone();
        this.diversificationData = diversificationData.clone();
        this.random = random;
    }

    /** Session key: 3DES-CBC (zero ICV) of constant || sequence counter || twelve 00 bytes (E.4.1). */
    static byte[] deriveSessionKey(byte[] staticKey, byte[] constant, byte[] sequence) {
        byte[] derivation = new byte[16];
        System.arraycopy(constant, 0, derivation, 0, 2);
        System.arraycopy(sequence, 0, derivation, 2, 2);
        return BlockCiphers.tdesCbcEncrypt(staticKey, new byte[8], derivation);
    }

    @Override
    public byte[] initializeUpdate(byte[] hostChallenge) {
        if (hostChallenge.length != 8) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "SCP02 host challenge is 8 bytes");
        }
        this.hostChallenge = hostChallenge.clone();
        long value = repository.nextCounter(keys, COUNTER_LIMIT);
        if (value < 0) {
            throw new ScpException(StatusWords.CONDITIONS_NOT_SATISFIED, "sequence counter exhausted");
        }
        sequence = Bytes.be(value, 2);
        sEnc = deriveSessionKey(keys.enc(), CONST_ENC, sequence);
        sMac = deriveSessionKey(keys.mac(), CONST_CMAC, sequence);
        sDek = deriveSessionKey(keys.dek(), CONST_DEK, sequence);
        sRmac = deriveSessionKey(keys.mac(), CONST_RMAC, sequence);
        if ((keys.i() & 0x40) != 0) {
            // Pseudo-random challenge: a MAC over the owner's AID under this session's S-ENC, first 6 bytes.
            cardChallenge = Arrays.copyOf(DesMacs.fullTripleDes(sEnc, ownerAid), 6);
        } else {
            cardChallenge = new byte[6];
            random.nextBytes(cardChallenge);
        }
        byte[] cardCryptogram = DesMacs.fullTripleDes(sEnc, Bytes.concat(this.hostChallenge, sequence, cardChallenge));
        byte[] keyInfo = {(byte) keys.version(), 0x02};
        return Bytes.concat(diversificationData, keyInfo, sequence, cardChallenge, cardCryptogram);
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
        if (command.data.length != 16) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "host cryptogram and C-MAC are 16 bytes");
        }
        int requested = command.p1;
        boolean rmacSupported = (keys.i() & 0x20) != 0;
        int base = requested & ~SecurityLevels.R_MAC;
        if ((base != 0x00 && base != 0x01 && base != 0x03)
                || ((requested & SecurityLevels.R_MAC) != 0 && !rmacSupported)) {
            throw new ScpException(StatusWords.INCORRECT_P1P2, "security level not supported by this key set");
        }
        byte[] hostCryptogram = Arrays.copyOfRange(command.data, 0, 8);
        byte[] mac = Arrays.copyOfRange(command.data, 8, 16);
        icv = new byte[8];
        if (!Bytes.equalsConstantTime(mac, computeCmac(command.cla, command, hostCryptogram))) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "EXTERNAL AUTHENTICATE C-MAC");
        }
        byte[] expected = DesMacs.fullTripleDes(sEnc, Bytes.concat(sequence, cardChallenge, hostChallenge));
        if (!Bytes.equalsConstantTime(hostCryptogram, expected)) {
            throw new ScpException(StatusWords.HOST_CRYPTOGRAM_FAILED, "host cryptogram");
        }
        level = requested;
        ricv = new byte[8];
        rmacCommand = null;
        authenticated = true;
    }

    /**
     * C-MAC on the modified APDU (CLA as sent, Lc counting the MAC) over the plaintext data, retail MAC
     * with the chained ICV; the next ICV is this MAC encrypted with the C-MAC key's first half (i bit 10).
     */
    private byte[] computeCmac(int cla, CommandApdu command, byte[] plain) {
        byte[] header = {(byte) cla, (byte) command.ins, (byte) command.p1, (byte) command.p2, (byte) (plain.length + 8)};
        byte[] mac = DesMacs.retail(sMac, icv, Bytes.concat(header, plain));
        icv = (keys.i() & 0x10) != 0 ? BlockCiphers.desEcbEncrypt(Arrays.copyOf(sMac, 8), mac) : mac;
        return mac;
    }

    @Override
    public boolean authenticated() {
        return authenticated;
    }

    @Override
    public int level() {
        return authenticated ? level : 0;
    }

    /** Remembers the command for the R-MAC of its response (E.4.5): Lc is the plaintext length, 00 without data. */
    private void rememberForRmac(CommandApdu command, byte[] plain) {
        if (authenticated && (level & SecurityLevels.R_MAC) != 0) {
            byte[] header = {(byte) (command.cla & ~0x07), (byte) command.ins, (byte) command.p1, (byte) command.p2,
                    (byte) plain.length};
            rmacCommand = Bytes.concat(header, plain);
        }
    }

    @Override
    public byte[] unwrap(byte[] apdu) {
        CommandApdu command = CommandApdu.parse(apdu);
        rmacCommand = null;
        if (SecureMessaging.plainCommandPasses(command.cla, authenticated, level)) {
            // A plain command in an R-MAC session (level 10) still gets an R-MAC on its response.
            rememberForRmac(command, command.data);
            return apdu.clone();
        }
        if (!authenticated || (level & SecurityLevels.C_MAC) == 0) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "secured command outside a C-MAC session");
        }
        if (command.data.length < 8) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "C-MAC missing");
        }
        byte[] payload = Arrays.copyOfRange(command.data, 0, command.data.length - 8);
        byte[] mac = Arrays.copyOfRange(command.data, command.data.length - 8, command.data.length);
        byte[] plain = payload;
        if ((level & SecurityLevels.C_DECRYPTION) != 0 && payload.length > 0) {
            if (payload.length % 8 != 0) {
                throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "encrypted data not block aligned");
            }
            plain = Bytes.unpad80(BlockCiphers.tdesCbcDecrypt(sEnc, new byte[8], payload));
            if (plain == null) {
                throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "bad padding");
            }
        }
        if (!Bytes.equalsConstantTime(mac, computeCmac(command.cla, command, plain))) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "C-MAC");
        }
        rememberForRmac(command, plain);
        return CommandApdu.build(command.cla & ~0x04, command.ins, command.p1, command.p2, plain);
    }

    /**
     * R-MAC (E.4.5): retail MAC with S-RMAC, chained through the previous R-MAC (ICV not encrypted),
     * over the remembered command || Li || response data || SW1 SW2; the 8 bytes go between data
     * and SW. Error status words (all but 9000, 62xx, 63xx) get no R-MAC and leave the chain as it is.
     */
    @Override
    public byte[] wrap(byte[] responseAndSw) {
        if (!SecurityLevels.getsRmac(authenticated, level, responseAndSw)) {
            return responseAndSw.clone();
        }
        int n = responseAndSw.length - 2;
        byte[] sw = Arrays.copyOfRange(responseAndSw, n, n + 2);
        if (rmacCommand == null) {
            throw new ScpException(StatusWords.CONDITIONS_NOT_SATISFIED, "R-MAC session: wrap without the command through unwrap");
        }
        if (n > 255) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "response data longer than a short APDU");
        }
        byte[] data = Arrays.copyOf(responseAndSw, n);
        byte[] rmac = DesMacs.retail(sRmac, ricv, Bytes.concat(rmacCommand, new byte[] {(byte) n}, data, sw));
        ricv = rmac;
        rmacCommand = null;
        return Bytes.concat(data, rmac, sw);
    }

    @Override
    public byte[] decryptData(byte[] data) {
        requireBlocks(data);
        return BlockCiphers.tdesEcbDecrypt(sDek, data);
    }

    @Override
    public byte[] encryptData(byte[] data) {
        requireBlocks(data);
        return BlockCiphers.tdesEcbEncrypt(sDek, data);
    }

    private void requireBlocks(byte[] data) {
        if (!authenticated) {
            throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "no authenticated session");
        }
        if (data.length % 8 != 0) {
            throw new ScpException(StatusWords.WRONG_LENGTH, "DES data must be block aligned");
        }
    }

    @Override
    public void close() {
        authenticated = false;
        level = 0;
        rmacCommand = null;
        for (byte[] key : new byte[][] {sEnc, sMac, sDek, sRmac, icv, ricv}) {
            if (key != null) {
                Arrays.fill(key, (byte) 0);
            }
        }
    }
}
