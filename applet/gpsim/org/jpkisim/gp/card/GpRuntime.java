package org.jpkisim.gp.card;

import com.licel.jcardsim.base.SimulatorRuntime;

/**
 * jCardSim's runtime with the two events a security domain must see: an application being
 * deselected and a card reset. Both end secure-channel sessions (GP Card Specification 10.2.x).
 */
final class GpRuntime extends SimulatorRuntime {
    private final CardBackend backend;

    GpRuntime(CardBackend backend) {
        this.backend = backend;
    }

    @Override
    protected void deselect(ApplicationInstance instance) {
        try {
            super.deselect(instance);
        } finally {
            if (instance != null) {
                endSession(instance);
            }
        }
    }

    private void endSession(ApplicationInstance instance) {
        byte[] aid = new byte[16];
        byte n = instance.getAID().getBytes(aid, (short) 0);
        backend.endSession(java.util.Arrays.copyOf(aid, n));
    }

    /** DELETE of an application instance: uninstall (AppletEvent) and forget it. */
    void removeApplet(javacard.framework.AID aid) {
        deleteApplet(aid);
    }

    /** DELETE of a load file (its instances are gone already). */
    void removeLoadFile(javacard.framework.AID aid) {
        loadFiles.remove(aid);
    }

    @Override
    public void reset() {
        super.reset();
        backend.endAllSessions();
    }
}
