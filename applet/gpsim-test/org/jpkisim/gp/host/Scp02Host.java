package org.jpkisim.gp.host;

import java.util.Arrays;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.crypto.Bytes;
import org.jpkisim.gp.crypto.DesMacs;

/**
 * Host side of SCP02 (GP Card Specification 2.2 Appendix E), i = 15 / 55 (and 35 / 75 with R-MAC):
 * C-MAC on the modified APDU, ICV encryption; R-MAC checked with S-RMAC, chained through the previous R-MAC.
 */
public final class Scp02Host extends ScpHost {
    private final byte[] sEnc;
    private final byte[] sMac;
    private final byte[] sDek;
    private final byte[] sRmac;
    private final byte[] hostCryptogram;
    private byte[] icv = new byte[8];
    private byte[] ricv = new byte[8];
    /** The last wrapped command as the R-MAC covers it: CLA (b1-b3 cleared) INS P1 P2 Lc plaintext data. */
    private byte[] rmacCommand = new byte[0];

    private Scp02Host(ApduTransport transport, HostKeys keys, int level, byte[] hostChallenge, byte[] sequence,
                      byte[] cardChallenge) {
        super(transport, level);
        if ((level & R_ENCRYPTION) != 0) {
            throw new IllegalArgumentException("SCP02 has no R-ENCRYPTION");
        }
        sEnc = sessionKey(keys.enc(), 0x0182, sequence);
        sMac = sessionKey(keys.mac(), 0x0101, sequence);
        sDek = sessionKey(keys.dek(), 0x0181, sequence);
        sRmac = sessionKey(keys.mac(), 0x0102, sequence);
        hostCryptogram = DesMacs.fullTripleDes(sEnc, Bytes.concat(sequence, cardChallenge, hostChallenge));
    }

    private static byte[] sessionKey(byte[] key, int constant, byte[] sequence) {
        byte[] derivation = new byte[16];
        derivation[0] = (byte) (constant >> 8);
        derivation[1] = (byte) constant;
        derivation[2] = sequence[0];
        derivation[3] = sequence[1];
        return BlockCiphers.tdesCbcEncrypt(key, new byte[8], derivation);
    }

    static Scp02Host start(ApduTransport transport, HostKeys keys, int level, byte[] hostChallenge, byte[] response) {
        // key diversification data (10) | KVN | 02 | sequence counter (2) | card challenge (6) | card cryptogram (8)
        if (response.length != 28) {
            throw new ScpHostException("SCP02 INITIALIZE UPDATE answer of " + response.length + " bytes", -1);
        }
        byte[] sequence = Arrays.copyOfRange(response, 12, 14);
        byte[] cardChallenge = Arrays.copyOfRange(response, 14, 20);
        byte[] cardCryptogram = Arrays.copyOfRange(response, 20, 28);
        Scp02Host host = new Scp02Host(transport, keys, level, hostChallenge, sequence, cardChallenge);
        byte[] expected = DesMacs.fullTripleDes(host.sEnc, Bytes.concat(hostChallenge, sequence, cardChallenge));
        if (!Bytes.equalsConstantTime(expected, cardCryptogram)) {
            throw new ScpHostException("card cryptogram does not verify: wrong keys or not this card", -1);
        }
        return host;
    }

    @Override
    protected byte[] externalAuthenticate() {
        return protect(new PlainApdu(0x84, 0x82, level, 0x00, hostCryptogram, false), false);
    }

    private byte[] protect(PlainApdu apdu, boolean encrypt) {
        int cla = apdu.cla() | 0x04;
        byte[] header = {(byte) cla, (byte) apdu.ins(), (byte) apdu.p1(), (byte) apdu.p2(), (byte) (apdu.data().length + 8)};
        byte[] mac = DesMacs.retail(sMac, icv, Bytes.concat(header, apdu.data()));
        icv = BlockCiphers.desEcbEncrypt(Arrays.copyOf(sMac, 8), mac);
        byte[] data = apdu.data();
        if (encrypt && data.length > 0) {
            data = BlockCiphers.tdesCbcEncrypt(sEnc, new byte[8], Bytes.pad80(data, 8));
        }
        return PlainApdu.encode(cla, apdu.ins(), apdu.p1(), apdu.p2(), Bytes.concat(data, mac), apdu.hasLe());
    }

    @Override
    public byte[] wrap(byte[] command) {
        PlainApdu apdu = PlainApdu.parse(command);
        byte[] header = {(byte) (apdu.cla() & ~0x07), (byte) apdu.ins(), (byte) apdu.p1(), (byte) apdu.p2(), (byte) apdu.data().length};
        rmacCommand = Bytes.concat(header, apdu.data());
        if ((level & C_MAC) == 0) {
            return command.clone();
        }
        return protect(apdu, (level & C_DECRYPTION) != 0);
    }

    @Override
    public byte[] unwrap(byte[] response) {
        int sw = sw(response);
        int sw1 = sw >> 8;
        if ((level & R_MAC) == 0 || !(sw == 0x9000 || sw1 == 0x62 || sw1 == 0x63)) {
            return response.clone();
        }
        if (response.length < 10) {
            throw new ScpHostException("response without R-MAC", sw);
        }
        byte[] data = Arrays.copyOf(response, response.length - 10);
        byte[] rmac = Arrays.copyOfRange(response, response.length - 10, response.length - 2);
        byte[] swBytes = Arrays.copyOfRange(response, response.length - 2, response.length);
        byte[] expected = DesMacs.retail(sRmac, ricv, Bytes.concat(rmacCommand, new byte[] {(byte) data.length}, data, swBytes));
        if (!Bytes.equalsConstantTime(expected, rmac)) {
            throw new ScpHostException("R-MAC does not verify", sw);
        }
        ricv = expected;
        return Bytes.concat(data, swBytes);
    }

    @Override
    public byte[] encryptSensitive(byte[] data) {
        return BlockCiphers.tdesEcbEncrypt(sDek, data);
    }
}
