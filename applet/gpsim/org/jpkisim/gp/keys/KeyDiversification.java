package org.jpkisim.gp.keys;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jpkisim.gp.crypto.AesCmac;
import org.jpkisim.gp.crypto.BlockCiphers;

/**
 * How the simulated card's security-domain keys are derived from a master key and the card's key
 * diversification data (KDD, 10 bytes): the two methods hosts commonly implement (GlobalPlatformPro,
 * the harness's keys.ts), so a host holding the master can compute every card's keys.
 * <ul>
 *   <li>AES key sets (SCP03): KDF3, AES-CMAC(master, i || 00 00 00 n 00 || KDD) per 16-byte block i = 1, 2;
 *   <li>3DES key sets (SCP02): EMV CPS, 3DES-ECB(master, KDD[4..9] || F0 || n || KDD[4..9] || 0F || n);
 *   <li>3DES key sets, as older Visa-issued cards do: VISA2, 3DES-ECB(master, KDD[0..1] || KDD[4..7] || F0 || n
 *       || KDD[0..1] || KDD[4..7] || 0F || n) (a persona picks it; the standard card uses EMV).
 * </ul>
 * n is 1 for ENC, 2 for MAC, 3 for DEK.
 */
public final class KeyDiversification {
    private KeyDiversification() {
    }

    public static byte[] kdf3(byte[] master, int n, byte[] kdd) {
        checkKdd(kdd);
        byte[] out = new byte[master.length];
        for (int block = 0; block * 16 < master.length; block++) {
            byte[] input = new byte[6 + kdd.length];
            input[0] = (byte) (block + 1);
            input[4] = (byte) n;
            System.arraycopy(kdd, 0, input, 6, kdd.length);
            byte[] mac = AesCmac.mac(master, input);
            System.arraycopy(mac, 0, out, block * 16, Math.min(16, master.length - block * 16));
        }
        return out;
    }

    public static byte[] emv(byte[] master, int n, byte[] kdd) {
        checkKdd(kdd);
        if (master.length != 16) {
            throw new IllegalArgumentException("EMV diversification needs a 16-byte 3DES master key");
        }
        byte[] data = new byte[16];
        System.arraycopy(kdd, 4, data, 0, 6);
        data[6] = (byte) 0xF0;
        data[7] = (byte) n;
        System.arraycopy(kdd, 4, data, 8, 6);
        data[14] = 0x0F;
        data[15] = (byte) n;
        return BlockCiphers.tdesEcbEncrypt(master, data);
    }

    public static byte[] visa2(byte[] master, int n, byte[] kdd) {
        checkKdd(kdd);
        if (master.length != 16) {
            throw new IllegalArgumentException("VISA2 diversification needs a 16-byte 3DES master key");
        }
        byte[] data = new byte[16];
        for (int half = 0; half < 16; half += 8) {
            System.arraycopy(kdd, 0, data, half, 2);
            System.arraycopy(kdd, 4, data, half + 2, 4);
            data[half + 6] = (byte) (half == 0 ? 0xF0 : 0x0F);
            data[half + 7] = (byte) n;
        }
        return BlockCiphers.tdesEcbEncrypt(master, data);
    }

    /** The diversification methods a card may apply to its master key sets. */
    public enum Method { NONE, EMV, VISA2, KDF3 }

    /** A key set diversified with a given method (NONE keeps the master values); version and i-parameter kept. */
    public static ScpKeySet diversify(ScpKeySet master, byte[] kdd, Method method) {
        if (method == Method.NONE) {
            return new ScpKeySet(master.version(), master.scp(), master.i(), master.enc(), master.mac(), master.dek());
        }
        boolean aes = master.scp() == 0x03;
        if (aes != (method == Method.KDF3)) {
            throw new IllegalArgumentException(method + " diversification does not apply to SCP0" + master.scp() + " keys");
        }
        if (aes) {
            return diversify(master, kdd);
        }
        boolean visa = method == Method.VISA2;
        return new ScpKeySet(master.version(), master.scp(), master.i(),
                visa ? visa2(master.enc(), 1, kdd) : emv(master.enc(), 1, kdd),
                visa ? visa2(master.mac(), 2, kdd) : emv(master.mac(), 2, kdd),
                visa ? visa2(master.dek(), 3, kdd) : emv(master.dek(), 3, kdd));
    }

    /** The card's key set from a master key set: KDF3 for SCP03, EMV for SCP02; version and i-parameter kept. */
    public static ScpKeySet diversify(ScpKeySet master, byte[] kdd) {
        boolean aes = master.scp() == 0x03;
        return new ScpKeySet(master.version(), master.scp(), master.i(),
                aes ? kdf3(master.enc(), 1, kdd) : emv(master.enc(), 1, kdd),
                aes ? kdf3(master.mac(), 2, kdd) : emv(master.mac(), 2, kdd),
                aes ? kdf3(master.dek(), 3, kdd) : emv(master.dek(), 3, kdd));
    }

    /** Every key set of a repository diversified (sequence counters start afresh). */
    public static KeyRepository diversify(KeyRepository masters, byte[] kdd) {
        List<ScpKeySet> sets = new ArrayList<>();
        for (ScpKeySet set : masters.all()) {
            sets.add(diversify(set, kdd));
        }
        return new KeyRepository(sets);
    }

    /** Whether a key set still holds the undiversified GP test key (a card made before cards had identities). */
    public static boolean isUndiversifiedTestKey(ScpKeySet set) {
        return Arrays.equals(set.enc(), ScpKeySet.GP_TEST_KEY) && Arrays.equals(set.mac(), ScpKeySet.GP_TEST_KEY)
                && Arrays.equals(set.dek(), ScpKeySet.GP_TEST_KEY);
    }

    private static void checkKdd(byte[] kdd) {
        if (kdd.length != 10) {
            throw new IllegalArgumentException("key diversification data is 10 bytes");
        }
    }
}
