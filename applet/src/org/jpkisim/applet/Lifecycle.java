package org.jpkisim.applet;

/**
 * Application life cycle of the JPKI applet (coded like GlobalPlatform application-specific
 * states: low three bits set).
 */
final class Lifecycle {
    private Lifecycle() {
    }

    /** Installed; the SP-TSM personalises it. User commands that need the key or PIN answer 6985. */
    static final byte PRE_PERSONALISED = (byte) 0x07;
    /** Key, certificate and PIN in place: the JPKI user interface is fully available. */
    static final byte PERSONALISED = (byte) 0x0F;
    /** Key, certificates and PIN zeroised (loss, revocation, transfer); final. */
    static final byte TERMINATED = (byte) 0x7F;
}
