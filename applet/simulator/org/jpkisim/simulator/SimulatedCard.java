package org.jpkisim.simulator;

import com.licel.jcardsim.base.Simulator;
import javacard.framework.AID;
import org.jpkisim.applet.JpkiApplet;

/**
 * One simulated card: jCardSim with the JPKI applet installed, plus the card-side
 * notions the reader sees (power, ATR). Calls are serialised: a card answers one
 * command at a time, whichever link it arrives on.
 */
final class SimulatedCard {
    static final byte[] JPKI_AID = {
        (byte) 0xD3, (byte) 0x92, (byte) 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01
    };

    private final Simulator simulator = new Simulator();
    private final byte[] atr;
    private boolean powered;

    SimulatedCard(byte[] atr) {
        this.atr = atr.clone();
        simulator.installApplet(new AID(JPKI_AID, (short) 0, (byte) JPKI_AID.length), JpkiApplet.class);
    }

    synchronized byte[] atr() {
        return atr.clone();
    }

    synchronized void powerOn() {
        if (!powered) {
            simulator.reset();
            powered = true;
        }
    }

    synchronized void powerOff() {
        simulator.reset();
        powered = false;
    }

    synchronized void reset() {
        simulator.reset();
        powered = true;
    }

    synchronized byte[] transmit(byte[] command) {
        if (!powered) {
            // A reader never sends to an unpowered card; answer as a mute card would be reported.
            return new byte[] {0x6F, 0x00};
        }
        return simulator.transmitCommand(command);
    }
}
