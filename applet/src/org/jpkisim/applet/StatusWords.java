package org.jpkisim.applet;

/**
 * Status words the applet uses that javacard.framework.ISO7816 does not name.
 * docs/applet-apdu.md lists, per command, when each one is returned.
 */
final class StatusWords {
    private StatusWords() {
    }

    /** 6282: end of file reached before Ne bytes could be read. */
    static final short END_OF_FILE = (short) 0x6282;
    /** 63C0: verification failed or impossible, no tries left (also: the PIN is blocked). */
    static final short PIN_TRIES_LEFT_BASE = (short) 0x63C0;
    /** 6981: the current file's structure does not allow this command (key and PIN files). */
    static final short COMMAND_INCOMPATIBLE_WITH_FILE = (short) 0x6981;
    /** 6882: secure messaging (CLA bits) is not supported by the JPKI user interface. */
    static final short SECURE_MESSAGING_NOT_SUPPORTED = (short) 0x6882;
    /** 6884: command chaining is not supported by this command. */
    static final short CHAINING_NOT_SUPPORTED = (short) 0x6884;
    /** 6A88: referenced data (the key) not found. */
    static final short REFERENCED_DATA_NOT_FOUND = (short) 0x6A88;
}
