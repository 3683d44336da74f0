package org.globalplatform;

import javacard.framework.AID;
import org.jpkisim.gp.api.GpBackend;
import org.jpkisim.gp.api.GpBackends;

/**
 * GlobalPlatform system services (GP Card API, org.globalplatform.GPSystem) for applets running
 * on the simulator. Every call is answered by the backend of the card the current APDU is
 * addressed to, so the same applet code runs here and on a UICC (where the card's own
 * GPSystem is linked instead of this source).
 */
public final class GPSystem {
    public static final byte APPLICATION_INSTALLED = (byte) 0x03;
    public static final byte APPLICATION_SELECTABLE = (byte) 0x07;
    public static final byte SECURITY_DOMAIN_PERSONALIZED = (byte) 0x0F;
    public static final byte CARD_OP_READY = (byte) 0x01;
    public static final byte CARD_INITIALIZED = (byte) 0x07;
    public static final byte CARD_SECURED = (byte) 0x0F;
    public static final byte CARD_LOCKED = (byte) 0x7F;
    public static final byte CARD_TERMINATED = (byte) 0xFF;
    public static final byte CVM_GLOBAL_PIN = (byte) 0x11;
    /** Global Service families, as the GP Card API numbers them (export file 1.5). */
    public static final byte FAMILY_SECURE_CHANNEL = (byte) 0x81;
    public static final byte FAMILY_CVM = (byte) 0x82;
    public static final byte FAMILY_AUTHORITY = (byte) 0x83;
    public static final byte FAMILY_HTTP_ADMINISTRATION = (byte) 0x84;
    public static final byte FAMILY_HTTP_REPORT = (byte) 0x85;
    public static final byte FAMILY_USSM = (byte) 0xA0;

    private GPSystem() {
    }

    private static GpBackend backend() {
        return GpBackends.current();
    }

    /** The Secure Channel of the security domain the calling applet is associated with. */
    public static SecureChannel getSecureChannel() {
        return backend().secureChannel();
    }

    public static byte getCardState() {
        return backend().cardState();
    }

    /** Life cycle state of the calling application. */
    public static byte getCardContentState() {
        return backend().applicationState();
    }

    /** Sets the calling application's life cycle state (application-specific states 0x07..0x7F with bits 1-3 set). */
    public static boolean setCardContentState(byte state) {
        return backend().setApplicationState(state);
    }

    /**
     * A Global Service (GP Card API 1.1+): {@code serverAID} null asks the card for whichever
     * application registered {@code serviceName} (family in the high byte, e.g.
     * {@code FAMILY_AUTHORITY << 8} for the CASD's Authority). Null when there is none.
     */
    public static GlobalService getService(AID serverAID, short serviceName) {
        return backend().service(serverAID, serviceName);
    }

    /** The registry entry of {@code aid}, or of the calling application when null. */
    public static GPRegistryEntry getRegistryEntry(AID aid) {
        return backend().registryEntry(aid);
    }

    public static boolean lockCard() {
        return backend().lockCard();
    }

    public static boolean terminateCard() {
        return backend().terminateCard();
    }
}
