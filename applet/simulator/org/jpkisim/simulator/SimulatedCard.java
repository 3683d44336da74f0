package org.jpkisim.simulator;

import org.jpkisim.applet.JpkiApplet;
import org.jpkisim.gp.card.AppletCatalog;
import org.jpkisim.gp.card.GpCard;

/**
 * One simulated card: a GlobalPlatform card on jCardSim (issuer security domain with the GP test
 * key sets, selected after reset) with the JPKI applet installed under it, plus the card-side
 * notions the reader sees (power, ATR). Calls are serialised: a card answers one command at a
 * time, whichever link it arrives on.
 */
final class SimulatedCard {
    static final byte[] JPKI_AID = {
        (byte) 0xD3, (byte) 0x92, (byte) 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01
    };

    static final byte[] JPKI_PACKAGE = java.util.HexFormat.of().parseHex(AppletCatalog.JPKI_PACKAGE);

    private final GpCard card = new GpCard();
    private final byte[] atr;
    private boolean powered;

    SimulatedCard(byte[] atr) {
        this.atr = atr.clone();
        // As a SIM comes from its maker: the JPKI package loaded, one instance installed under the ISD.
        card.installFromPackage(JPKI_PACKAGE, 1, 0, JPKI_AID, JPKI_AID, JpkiApplet.class, new byte[0]);
    }

    synchronized byte[] atr() {
        return atr.clone();
    }

    synchronized void powerOn() {
        if (!powered) {
            card.reset();
            powered = true;
        }
    }

    synchronized void powerOff() {
        card.reset();
        powered = false;
    }

    synchronized void reset() {
        card.reset();
        powered = true;
    }

    synchronized byte[] transmit(byte[] command) {
        if (!powered) {
            // A reader never sends to an unpowered card; answer as a mute card would be reported.
            return new byte[] {0x6F, 0x00};
        }
        return card.transmit(command);
    }
}
