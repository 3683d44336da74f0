package org.jpkisim.gp.host;

/** Whatever carries a command APDU to a card and brings back data || SW1 SW2. */
@FunctionalInterface
public interface ApduTransport {
    byte[] transmit(byte[] command);
}
