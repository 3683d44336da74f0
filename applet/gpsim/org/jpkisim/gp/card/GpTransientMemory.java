package org.jpkisim.gp.card;

import com.licel.jcardsim.base.TransientMemory;
import java.util.ArrayList;
import java.util.List;

/** jCardSim's transient memory, with the list of transient arrays visible (they are not persistent state). */
final class GpTransientMemory extends TransientMemory {
    List<Object> arrays() {
        List<Object> out = new ArrayList<>(clearOnDeselect);
        out.addAll(clearOnReset);
        return out;
    }

    /** Clear-on-reset (1) or clear-on-deselect (2) for a transient array, 0 for a persistent one. */
    byte kind(Object array) {
        for (Object o : clearOnReset) {
            if (o == array) {
                return 1;
            }
        }
        for (Object o : clearOnDeselect) {
            if (o == array) {
                return 2;
            }
        }
        return 0;
    }

    void register(Object array, byte kind) {
        storeArray(array, kind == 1 ? javacard.framework.JCSystem.CLEAR_ON_RESET : javacard.framework.JCSystem.CLEAR_ON_DESELECT);
    }

    /** Bytes held by transient arrays (byte, short, boolean), for memory budgets in tests. */
    int bytes() {
        int total = 0;
        for (Object o : arrays()) {
            if (o instanceof byte[] b) {
                total += b.length;
            } else if (o instanceof short[] s) {
                total += 2 * s.length;
            } else if (o instanceof boolean[] f) {
                total += f.length;
            }
        }
        return total;
    }
}
