package org.jpkisim.gp.card;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import com.licel.jcardsim.base.SimulatorRuntime.ApplicationInstance;

/**
 * Java Card transactions for jCardSim, whose abortTransaction() only resets the depth: at
 * beginTransaction() the applets' persistent graph is copied; an abort (explicit, on deselect, on
 * reset or power loss inside the transaction) writes the copy back; a commit drops it. The OwnerPIN
 * try counter is excluded, as the Java Card API requires.
 *
 * <p>Power loss injection: when armed, the next commitTransaction() does not happen — the card
 * loses power at that instant, the transaction's writes are rolled back, and the command gets no
 * answer (PowerLoss).
 */
final class Transactions {
    /** Thrown through the applet's code when the card loses power (an Error: applets catch Exceptions). */
    static final class PowerLoss extends Error {
        private static final long serialVersionUID = 1L;

        PowerLoss() {
            super("power lost", null, false, false);
        }
    }

    private final GpRuntime runtime;
    private final GpTransientMemory transientMemory;
    private ObjectGraph.Snapshot snapshot;
    private boolean tearAtCommit;
    private boolean torn;

    Transactions(GpRuntime runtime, GpTransientMemory transientMemory) {
        this.runtime = runtime;
        this.transientMemory = transientMemory;
    }

    /** The applet instances that hold applet state (security domains keep theirs in the simulator). */
    List<Object> roots() {
        List<Object> roots = new ArrayList<>();
        for (ApplicationInstance instance : runtime.instances()) {
            Object applet = instance.getApplet();
            if (!(applet instanceof IssuerSecurityDomain)) {
                roots.add(applet);
            }
        }
        return roots;
    }

    Set<Object> transientArrays() {
        Set<Object> out = Collections.newSetFromMap(new IdentityHashMap<>());
        out.addAll(transientMemory.arrays());
        return out;
    }

    void begin() {
        snapshot = new ObjectGraph.Snapshot(ObjectGraph.reach(roots(), transientArrays()));
    }

    void rollBack() {
        if (snapshot != null) {
            snapshot.restore();
            snapshot = null;
        }
    }

    void beforeCommit() {
        if (tearAtCommit) {
            tearAtCommit = false;
            torn = true;
            throw new PowerLoss();
        }
    }

    void committed() {
        snapshot = null;
    }

    void armTearAtCommit() {
        tearAtCommit = true;
    }

    boolean armed() {
        return tearAtCommit;
    }

    /** Whether the last command lost power (and clears the flag). */
    boolean takeTorn() {
        boolean t = torn;
        torn = false;
        return t;
    }
}
