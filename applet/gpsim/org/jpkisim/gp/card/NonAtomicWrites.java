package org.jpkisim.gp.card;

import com.licel.jcardsim.base.SimulatorRuntime;
import com.licel.jcardsim.base.SimulatorSystem;

/**
 * Called by the simulator's javacard.framework.Util after arrayCopyNonAtomic / arrayFillNonAtomic: inside a
 * transaction, the card's transaction log records the bytes written so that a rollback leaves them as
 * written (Java Card API: the non-atomic methods do not participate in the transaction).
 */
public final class NonAtomicWrites {
    private NonAtomicWrites() {
    }

    public static void written(byte[] array, int offset, int length) {
        SimulatorRuntime runtime;
        try {
            runtime = SimulatorSystem.instance();
        } catch (RuntimeException e) {
            return;
        }
        if (runtime instanceof GpRuntime && length > 0) {
            ((GpRuntime) runtime).nonAtomicWrite(array, offset, length);
        }
    }
}
