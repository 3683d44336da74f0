package org.globalplatform;

import javacard.framework.AID;

/**
 * An application's entry in the GlobalPlatform registry, as the GP Card API shows it (the part
 * the simulator provides). On a UICC the card's implementation is linked.
 */
public interface GPRegistryEntry {
    byte PRIVILEGE_SECURITY_DOMAIN = (byte) 0x00;
    byte PRIVILEGE_CARD_LOCK = (byte) 0x03;
    byte PRIVILEGE_CARD_TERMINATE = (byte) 0x04;
    byte PRIVILEGE_CARD_RESET = (byte) 0x05;
    byte PRIVILEGE_AUTHORIZED_MANAGEMENT = (byte) 0x09;
    byte PRIVILEGE_GLOBAL_SERVICE = (byte) 0x0F;

    AID getAID();

    byte getState();

    boolean isPrivileged(byte privilege);
}
