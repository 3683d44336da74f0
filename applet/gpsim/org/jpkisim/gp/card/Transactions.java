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
    /** Non-atomic writes to persistent arrays since beginTransaction(): array, offset, bytes written. */
    private final List<Object[]> nonAtomic = new ArrayList<>();
    private boolean tearAtCommit;
    /** Power loss at this commit (1-based) of the next command; 0 when not armed. */
    private int tearAtNthCommit;
    private boolean nthArmedForThisCommand;
    private int commits;
    private int lastCommandCommits;
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
        nonAtomic.clear();
    }

    /**
     * A Util.arrayCopyNonAtomic / arrayFillNonAtomic inside the transaction: if the array is persistent applet
     * state, the bytes are kept to be written again after a rollback (they do not take part in the transaction).
     * Transient arrays and the APDU buffer are outside the snapshot and need nothing.
     */
    void nonAtomicWrite(byte[] array, int offset, int length) {
        if (snapshot != null && snapshot.contains(array)) {
            nonAtomic.add(new Object[] {array, offset, java.util.Arrays.copyOfRange(array, offset, offset + length)});
        }
    }

    void rollBack() {
        if (snapshot != null) {
            snapshot.restore();
            snapshot = null;
            // In the order they happened: a later non-atomic write to the same bytes wins, as on a card.
            for (Object[] write : nonAtomic) {
                byte[] bytes = (byte[]) write[2];
                System.arraycopy(bytes, 0, (byte[]) write[0], (Integer) write[1], bytes.length);
            }
        }
        nonAtomic.clear();
    }

    /** A command starts: commits are counted from 1 within it. */
    void commandStarted() {
        commits = 0;
        nthArmedForThisCommand = tearAtNthCommit > 0;
    }

    /** The command is over: an arming for its Nth commit that it never reached expires. */
    void commandEnded() {
        lastCommandCommits = commits;
        if (nthArmedForThisCommand) {
            tearAtNthCommit = 0;
            nthArmedForThisCommand = false;
        }
    }

    void beforeCommit() {
        commits++;
        if (tearAtCommit || (nthArmedForThisCommand && commits == tearAtNthCommit)) {
            tearAtCommit = false;
            tearAtNthCommit = 0;
            nthArmedForThisCommand = false;
            torn = true;
            throw new PowerLoss();
        }
    }

    void committed() {
        snapshot = null;
        nonAtomic.clear();
    }

    /** Arms a power loss at the n-th commitTransaction() (1-based) of the next command only. */
    void armTearAtCommit(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("commits are counted from 1");
        }
        tearAtNthCommit = n;
        nthArmedForThisCommand = false;
    }

    /** How many transactions the last command committed (or reached the commit of, if power was lost there). */
    int lastCommandCommits() {
        return lastCommandCommits;
    }

    void armTearAtCommit() {
        tearAtCommit = true;
    }

    boolean armed() {
        return tearAtCommit || tearAtNthCommit > 0;
    }

    /** Whether the last command lost power (and clears the flag). */
    boolean takeTorn() {
        boolean t = torn;
        torn = false;
        return t;
    }
}
