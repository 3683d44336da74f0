package org.jpkisim.gp.host;

import java.util.HexFormat;

/** The static keys a host uses to open a secure channel; key version 0 lets the card pick its default set. */
public record HostKeys(int version, byte[] enc, byte[] mac, byte[] dek) {
    public static final byte[] GP_TEST_KEY = HexFormat.of().parseHex("404142434445464748494A4B4C4D4E4F");

    /** GP test keys 40..4F, key version 0 (the card's default key set), as GlobalPlatformPro uses by default. */
    public static HostKeys testKeys() {
        return new HostKeys(0, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    public static HostKeys testKeys(int version) {
        return new HostKeys(version, GP_TEST_KEY, GP_TEST_KEY, GP_TEST_KEY);
    }

    @Override
    public String toString() {
        return "HostKeys[version=" + version + "]";
    }
}
