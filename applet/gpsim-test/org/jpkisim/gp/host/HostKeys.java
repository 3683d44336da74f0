package org.jpkisim.gp.host;

import java.util.HexFormat;
import org.jpkisim.gp.keys.KeyDiversification;

/**
 * The keys a host uses to open a secure channel; key version 0 lets the card pick its default set.
 * Either static keys, used as they are, or master keys ({@code diversify}) from which the host derives
 * the card's keys with the key diversification data the card returns in INITIALIZE UPDATE, the way
 * the simulated card derives them: KDF3 for SCP03, EMV for SCP02.
 */
public record HostKeys(int version, byte[] enc, byte[] mac, byte[] dek, boolean diversify) {
    public static final byte[] GP_TEST_KEY = HexFormat.of().parseHex("404142434445464748494A4B4C4D4E4F");

    /** Static keys. */
    public HostKeys(int version, byte[] enc, byte[] mac, byte[] dek) {
        this(version, enc, mac, dek, false);
    }

    /**
     * The simulated card's TEST master key (40..4F), key version 0 (the card's default key set): the
     * keys of any simulated card's ISD and of the SSDs it creates, once diversified with its KDD.
     */
    public static HostKeys testKeys() {
        return testKeys(0);
    }

    public static HostKeys testKeys(int version) {
        return new HostKeys(version, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY, true);
    }

    /** The GP test key 40..4F used as it is (a card built with explicit, undiversified key sets). */
    public static HostKeys staticTestKeys(int version) {
        return new HostKeys(version, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY, false);
    }

    /** The static keys for a card that answered with this KDD and protocol (02 or 03). */
    public HostKeys forCard(byte[] kdd, int scp) {
        if (!diversify) {
            return this;
        }
        boolean aes = scp == 0x03;
        return new HostKeys(version,
                aes ? KeyDiversification.kdf3(enc, 1, kdd) : KeyDiversification.emv(enc, 1, kdd),
                aes ? KeyDiversification.kdf3(mac, 2, kdd) : KeyDiversification.emv(mac, 2, kdd),
                aes ? KeyDiversification.kdf3(dek, 3, kdd) : KeyDiversification.emv(dek, 3, kdd), false);
    }

    @Override
    public String toString() {
        return "HostKeys[version=" + version + (diversify ? ", master" : "") + "]";
    }
}
