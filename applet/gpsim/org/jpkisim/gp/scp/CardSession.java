package org.jpkisim.gp.scp;

/**
 * The card side of one secure-channel session (one protocol, one key set), from INITIALIZE UPDATE
 * to its end. Works on whole command APDUs (header, Lc, data) and on response data followed by
 * SW1 SW2. Failures are ScpExceptions carrying the status word.
 */
public interface CardSession {
    /** Answers INITIALIZE UPDATE: the response data (key diversification data, key information, challenge, cryptogram...). */
    byte[] initializeUpdate(byte[] hostChallenge);

    /** Checks EXTERNAL AUTHENTICATE (the whole APDU as received) and opens the session at the level in P1. */
    void externalAuthenticate(byte[] apdu);

    boolean authenticated();

    /** The session's security level bits (C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION) once authenticated. */
    int level();

    /** Verifies and decrypts a secured command; returns it with CLA's secure-messaging bit cleared and Lc adjusted. */
    byte[] unwrap(byte[] apdu);

    /** Protects a response (data || SW1 SW2) at the session's response level; returns data' || R-MAC || SW1 SW2. */
    byte[] wrap(byte[] responseAndSw);

    /** Decrypts sensitive data (keys) with the session's data-encryption key, as PUT KEY and STORE DATA need. */
    byte[] decryptData(byte[] data);

    byte[] encryptData(byte[] data);

    /** Wipes the session keys. */
    void close();
}
