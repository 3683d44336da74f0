package org.jpkisim.gp.host;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The host (off-card) end of a GlobalPlatform secure channel, for tests that drive a card
 * in-process: opens an SCP02 or SCP03 session (whichever the card's INITIALIZE UPDATE answer names),
 * verifies the card cryptogram before answering, then wraps commands and unwraps responses.
 *
 * <pre>
 *   ScpHost scp = ScpHost.open(card::transmit, HostKeys.testKeys(), ScpHost.C_MAC | ScpHost.C_DECRYPTION);
 *   byte[] response = scp.send(command);   // wrapped, sent, response checked and unwrapped
 * </pre>
 */
public abstract class ScpHost {
    public static final int C_MAC = 0x01;
    public static final int C_DECRYPTION = 0x02;
    public static final int R_MAC = 0x10;
    public static final int R_ENCRYPTION = 0x20;

    protected final ApduTransport transport;
    protected final int level;

    protected ScpHost(ApduTransport transport, int level) {
        this.transport = transport;
        this.level = level;
    }

    public static ScpHost open(ApduTransport transport, HostKeys keys, int level) {
        byte[] hostChallenge = new byte[8];
        new SecureRandom().nextBytes(hostChallenge);
        return open(transport, keys, level, hostChallenge);
    }

    /** SCP03 S16: a 16-byte host challenge, for a key set whose i-parameter has the S16 bit (01). */
    public static ScpHost openS16(ApduTransport transport, HostKeys keys, int level) {
        byte[] hostChallenge = new byte[16];
        new SecureRandom().nextBytes(hostChallenge);
        return open(transport, keys, level, hostChallenge);
    }

    /** With a given host challenge (8 bytes, 16 for SCP03 S16), for known-answer tests. CLA is 80 (basic channel). */
    public static ScpHost open(ApduTransport transport, HostKeys keys, int level, byte[] hostChallenge) {
        byte[] initializeUpdate = PlainApdu.encode(0x80, 0x50, keys.version(), 0x00, hostChallenge, true);
        byte[] response = transport.transmit(initializeUpdate);
        int sw = sw(response);
        if (sw != 0x9000) {
            throw new ScpHostException("INITIALIZE UPDATE refused", sw);
        }
        byte[] data = Arrays.copyOf(response, response.length - 2);
        if (data.length < 12) {
            throw new ScpHostException("INITIALIZE UPDATE answer too short", sw);
        }
        // Master keys become this card's keys with the diversification data it sent (first 10 bytes).
        keys = keys.forCard(Arrays.copyOf(data, 10), data[11]);
        ScpHost host;
        switch (data[11]) {
            case 0x03: host = Scp03Host.start(transport, keys, level, hostChallenge, data); break;
            case 0x02: host = Scp02Host.start(transport, keys, level, hostChallenge, data); break;
            default: throw new ScpHostException(String.format("card offers SCP%02X", data[11]), sw);
        }
        byte[] externalAuthenticate = host.externalAuthenticate();
        int authSw = sw(transport.transmit(externalAuthenticate));
        if (authSw != 0x9000) {
            throw new ScpHostException("EXTERNAL AUTHENTICATE refused", authSw);
        }
        return host;
    }

    static int sw(byte[] response) {
        if (response.length < 2) {
            throw new ScpHostException("response without status word", -1);
        }
        return ((response[response.length - 2] & 0xFF) << 8) | (response[response.length - 1] & 0xFF);
    }

    /** The EXTERNAL AUTHENTICATE command for the requested level (computed once, after INITIALIZE UPDATE). */
    protected abstract byte[] externalAuthenticate();

    /** Protects a plain command APDU (cases 1-4) at the session's level. */
    public abstract byte[] wrap(byte[] command);

    /** Checks and removes response protection; input and output are data || SW1 SW2. */
    public abstract byte[] unwrap(byte[] response);

    /** Encrypts sensitive data (key values) with the session's data-encryption key, as PUT KEY and STORE DATA carry it. */
    public abstract byte[] encryptSensitive(byte[] data);

    public int level() {
        return level;
    }

    /** Wrap, transmit, unwrap. */
    public byte[] send(byte[] command) {
        return unwrap(transport.transmit(wrap(command)));
    }
}
