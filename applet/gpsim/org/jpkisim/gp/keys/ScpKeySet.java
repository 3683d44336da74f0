package org.jpkisim.gp.keys;

import java.util.HexFormat;

/**
 * One secure-channel key set of a security domain: key version number, the protocol it serves
 * (SCP02 with 3DES keys or SCP03 with AES keys), that protocol's i-parameter, and the static
 * ENC/MAC/DEK keys. Key values never appear in toString().
 */
public final class ScpKeySet {
    /** GlobalPlatform's well-known test key value 40 41 .. 4F (GP test cards and GlobalPlatformPro's default). */
    public static final byte[] GP_TEST_KEY = HexFormat.of().parseHex("404142434445464748494A4B4C4D4E4F");
    /** Key version numbers the simulator uses for its default key sets: GP reserves 20-2F for SCP02, 30-3F for SCP03. */
    public static final int DEFAULT_SCP03_KVN = 0x30;
    public static final int DEFAULT_SCP02_KVN = 0x20;
    /** Further test key sets of the simulated ISD: SCP02 with R-MAC support (i = 75, 35), SCP03 S16 (i = 71, 61). */
    public static final int SCP02_RMAC_KVN = 0x22;
    public static final int SCP02_RMAC_RANDOM_KVN = 0x23;
    public static final int SCP03_S16_KVN = 0x33;
    public static final int SCP03_S16_RANDOM_KVN = 0x34;

    private final int version;
    private final int scp;
    private final int i;
    private final byte[] enc;
    private final byte[] mac;
    private final byte[] dek;

    public ScpKeySet(int version, int scp, int i, byte[] enc, byte[] mac, byte[] dek) {
        if (version < 0x01 || version > 0xFF) {
            throw new IllegalArgumentException("key version must be 01..FF");
        }
        if (scp != 0x02 && scp != 0x03) {
            throw new IllegalArgumentException("only SCP02 and SCP03 key sets are supported");
        }
        int[] lengths = scp == 0x02 ? new int[] {16} : new int[] {16, 24, 32};
        for (byte[] key : new byte[][] {enc, mac, dek}) {
            boolean ok = false;
            for (int length : lengths) {
                ok |= key.length == length;
            }
            if (!ok) {
                throw new IllegalArgumentException("SCP0" + scp + " key of " + key.length + " bytes");
            }
        }
        // Refuse, when the card is configured, i-parameters the session engines do not implement.
        if (scp == 0x03 && (i & ~0x71) != 0) {
            throw new IllegalArgumentException(String.format("SCP03 i=%02X: only bits 01 (S16), 10, 20, 40 are implemented", i));
        }
        if (scp == 0x02 && (i & ~0x70) != 0x05) {
            throw new IllegalArgumentException(String.format(
                    "SCP02 i=%02X: only 05/15/35/45/55/75 (3 keys, C-MAC on modified APDU, explicit initiation) are implemented", i));
        }
        this.version = version;
        this.scp = scp;
        this.i = i & 0xFF;
        this.enc = enc.clone();
        this.mac = mac.clone();
        this.dek = dek.clone();
    }

    /** AES-128 key set 40..4F, KVN 30, with the given SCP03 i-parameter. */
    public static ScpKeySet defaultScp03(int i) {
        return new ScpKeySet(DEFAULT_SCP03_KVN, 0x03, i, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    /** AES-128 key set 40..4F with the given key version and SCP03 i-parameter. */
    public static ScpKeySet testScp03(int version, int i) {
        return new ScpKeySet(version, 0x03, i, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    /** Two-key 3DES key set 40..4F with the given key version and SCP02 i-parameter. */
    public static ScpKeySet testScp02(int version, int i) {
        return new ScpKeySet(version, 0x02, i, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    /** Two-key 3DES key set 40..4F, KVN 20, with the given SCP02 i-parameter. */
    public static ScpKeySet defaultScp02(int i) {
        return new ScpKeySet(DEFAULT_SCP02_KVN, 0x02, i, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    public int version() {
        return version;
    }

    public int scp() {
        return scp;
    }

    public int i() {
        return i;
    }

    public byte[] enc() {
        return enc.clone();
    }

    public byte[] mac() {
        return mac.clone();
    }

    public byte[] dek() {
        return dek.clone();
    }

    @Override
    public String toString() {
        return String.format("key set %02X (SCP%02X i=%02X, %d-byte keys)", version, scp, i, enc.length);
    }
}
