package org.jpkisim.gp.host;

import java.util.Arrays;
import org.jpkisim.gp.crypto.AesCmac;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.crypto.Bytes;
import org.jpkisim.gp.crypto.Scp03Kdf;

/** Host side of SCP03 (GP Card Specification 2.3 Amendment D), S8, and S16 when the card's i has bit 01. */
public final class Scp03Host extends ScpHost {
    private final HostKeys keys;
    private final byte[] sEnc;
    private final byte[] sMac;
    private final byte[] sRmac;
    private final byte[] hostCryptogram;
    private byte[] chaining = new byte[16];
    private long counter;
    private final int i;
    private final byte[] sequenceCounter;
    /** 8 (S8) or 16 (S16). */
    private final int s;

    private Scp03Host(ApduTransport transport, HostKeys keys, int level, byte[] hostChallenge, byte[] cardChallenge,
                      int i, byte[] sequenceCounter) {
        super(transport, level);
        this.keys = keys;
        this.i = i;
        this.sequenceCounter = sequenceCounter;
        this.s = (i & 0x01) != 0 ? 16 : 8;
        byte[] context = Bytes.concat(hostChallenge, cardChallenge);
        int bits = keys.enc().length * 8;
        sEnc = Scp03Kdf.derive(keys.enc(), Scp03Kdf.S_ENC, context, bits);
        sMac = Scp03Kdf.derive(keys.mac(), Scp03Kdf.S_MAC, context, bits);
        sRmac = Scp03Kdf.derive(keys.mac(), Scp03Kdf.S_RMAC, context, bits);
        hostCryptogram = Scp03Kdf.derive(sMac, Scp03Kdf.HOST_CRYPTOGRAM, context, s * 8);
    }

    static Scp03Host start(ApduTransport transport, HostKeys keys, int level, byte[] hostChallenge, byte[] response) {
        // key diversification data (10) | KVN | 03 | i | card challenge (s) | card cryptogram (s) [| sequence counter (3)]
        if (response.length < 13) {
            throw new ScpHostException("SCP03 INITIALIZE UPDATE answer of " + response.length + " bytes", -1);
        }
        int i = response[12] & 0xFF;
        int s = (i & 0x01) != 0 ? 16 : 8;
        int expectedLength = 13 + 2 * s + ((i & 0x10) != 0 ? 3 : 0);
        if (response.length != expectedLength) {
            throw new ScpHostException("SCP03 INITIALIZE UPDATE answer of " + response.length + " bytes, i="
                    + Integer.toHexString(i) + " needs " + expectedLength, -1);
        }
        if (hostChallenge.length != s) {
            throw new ScpHostException("the card runs S" + s + ", the host challenge has " + hostChallenge.length + " bytes", -1);
        }
        byte[] cardChallenge = Arrays.copyOfRange(response, 13, 13 + s);
        byte[] cardCryptogram = Arrays.copyOfRange(response, 13 + s, 13 + 2 * s);
        byte[] sequence = (i & 0x10) != 0 ? Arrays.copyOfRange(response, 13 + 2 * s, 16 + 2 * s) : null;
        Scp03Host host = new Scp03Host(transport, keys, level, hostChallenge, cardChallenge, i, sequence);
        byte[] expected = Scp03Kdf.derive(host.sMac, Scp03Kdf.CARD_CRYPTOGRAM, Bytes.concat(hostChallenge, cardChallenge), s * 8);
        if (!Bytes.equalsConstantTime(expected, cardCryptogram)) {
            throw new ScpHostException("card cryptogram does not verify: wrong keys or not this card", -1);
        }
        return host;
    }

    /** 8 in S8 mode, 16 in S16 mode: the length of challenges, cryptograms and MACs. */
    public int macLength() {
        return s;
    }

    /** The i-parameter the card announced. */
    public int i() {
        return i;
    }

    /** The 3-byte sequence counter the card returned (pseudo-random challenge mode), else null. */
    public byte[] sequenceCounter() {
        return sequenceCounter == null ? null : sequenceCounter.clone();
    }

    @Override
    protected byte[] externalAuthenticate() {
        return macOnly(new PlainApdu(0x84, 0x82, level, 0x00, hostCryptogram, false));
    }

    private byte[] macOnly(PlainApdu apdu) {
        int macCla = (apdu.cla() & 0xF0) | 0x04;
        byte[] header = {(byte) macCla, (byte) apdu.ins(), (byte) apdu.p1(), (byte) apdu.p2(), (byte) (apdu.data().length + s)};
        chaining = AesCmac.mac(sMac, Bytes.concat(chaining, header, apdu.data()));
        byte[] body = Bytes.concat(apdu.data(), Arrays.copyOf(chaining, s));
        return PlainApdu.encode(apdu.cla() | 0x04, apdu.ins(), apdu.p1(), apdu.p2(), body, apdu.hasLe());
    }

    @Override
    public byte[] wrap(byte[] command) {
        if ((level & C_MAC) == 0) {
            return command.clone();
        }
        PlainApdu apdu = PlainApdu.parse(command);
        byte[] data = apdu.data();
        if ((level & C_DECRYPTION) != 0) {
            counter++;
            if (data.length > 0) {
                byte[] icv = BlockCiphers.aesEcb(sEnc, Bytes.be(counter, 16));
                data = BlockCiphers.aesCbcEncrypt(sEnc, icv, Bytes.pad80(data, 16));
            }
        }
        return macOnly(new PlainApdu(apdu.cla(), apdu.ins(), apdu.p1(), apdu.p2(), data, apdu.hasLe()));
    }

    @Override
    public byte[] unwrap(byte[] response) {
        int sw = sw(response);
        int sw1 = sw >> 8;
        if ((level & R_MAC) == 0 || !(sw == 0x9000 || sw1 == 0x62 || sw1 == 0x63)) {
            return response.clone();
        }
        if (response.length < s + 2) {
            throw new ScpHostException("response without R-MAC", sw);
        }
        byte[] data = Arrays.copyOf(response, response.length - s - 2);
        byte[] rmac = Arrays.copyOfRange(response, response.length - s - 2, response.length - 2);
        byte[] swBytes = Arrays.copyOfRange(response, response.length - 2, response.length);
        byte[] expected = Arrays.copyOf(AesCmac.mac(sRmac, Bytes.concat(chaining, data, swBytes)), s);
        if (!Bytes.equalsConstantTime(expected, rmac)) {
            throw new ScpHostException("R-MAC does not verify", sw);
        }
        if ((level & R_ENCRYPTION) != 0 && data.length > 0) {
            byte[] block = Bytes.be(counter, 16);
            block[0] = (byte) 0x80;
            byte[] icv = BlockCiphers.aesEcb(sEnc, block);
            data = Bytes.unpad80(BlockCiphers.aesCbcDecrypt(sEnc, icv, data));
            if (data == null) {
                throw new ScpHostException("R-ENCRYPTION padding", sw);
            }
        }
        return Bytes.concat(data, swBytes);
    }

    @Override
    public byte[] encryptSensitive(byte[] data) {
        return BlockCiphers.aesCbcEncrypt(keys.dek(), new byte[16], data);
    }
}
