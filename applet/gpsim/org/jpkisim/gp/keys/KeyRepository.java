package org.jpkisim.gp.keys;

import java.util.ArrayList;
import java.util.List;

/**
 * The secure-channel key sets of one security domain, in order. INITIALIZE UPDATE with key
 * version 00 means "the first (default) key set", as GP Card Specification E.5.1.3 / Amendment D 7.1.1 say.
 * Sequence counters live here too: they belong to the key set, and must never repeat within it.
 */
public final class KeyRepository {
    private final List<ScpKeySet> keySets = new ArrayList<>();
    private final List<long[]> counters = new ArrayList<>();

    public KeyRepository(List<ScpKeySet> initial) {
        for (ScpKeySet set : initial) {
            put(set);
        }
    }

    /** GlobalPlatform test keys: SCP03 (KVN 30, i=70) first, then SCP02 (KVN 20, i=55). */
    public static KeyRepository withTestKeys() {
        return new KeyRepository(List.of(ScpKeySet.defaultScp03(0x70), ScpKeySet.defaultScp02(0x55)));
    }

    /**
     * The simulated card's ISD: the two sets of withTestKeys() (first and default: SCP03 KVN 30), then
     * the same test key value for the other modes: SCP02 with R-MAC support (KVN 22 i=75, KVN 23 i=35)
     * and SCP03 S16 (KVN 33 i=71, KVN 34 i=61).
     */
    public static KeyRepository issuerTestKeys() {
        return new KeyRepository(List.of(ScpKeySet.defaultScp03(0x70), ScpKeySet.defaultScp02(0x55),
                ScpKeySet.testScp02(ScpKeySet.SCP02_RMAC_KVN, 0x75), ScpKeySet.testScp02(ScpKeySet.SCP02_RMAC_RANDOM_KVN, 0x35),
                ScpKeySet.testScp03(ScpKeySet.SCP03_S16_KVN, 0x71), ScpKeySet.testScp03(ScpKeySet.SCP03_S16_RANDOM_KVN, 0x61)));
    }

    /** Adds a key set, replacing one with the same version. */
    public synchronized void put(ScpKeySet set) {
        for (int n = 0; n < keySets.size(); n++) {
            if (keySets.get(n).version() == set.version()) {
                keySets.set(n, set);
                return;
            }
        }
        keySets.add(set);
        counters.add(new long[] {0});
    }

    /** Replaces the key set with version oldVersion by another (possibly of a new version); its counter restarts. */
    public synchronized void replace(int oldVersion, ScpKeySet set) {
        for (int n = 0; n < keySets.size(); n++) {
            if (keySets.get(n).version() == oldVersion) {
                keySets.set(n, set);
                counters.set(n, new long[] {0});
                return;
            }
        }
        throw new IllegalArgumentException("no key set with version " + oldVersion);
    }

    /** The key set for a version, or the first one for version 00; null when there is none. */
    public synchronized ScpKeySet find(int version) {
        if (keySets.isEmpty()) {
            return null;
        }
        if (version == 0) {
            return keySets.get(0);
        }
        for (ScpKeySet set : keySets) {
            if (set.version() == version) {
                return set;
            }
        }
        return null;
    }

    /**
     * Returns the key set's current sequence counter and advances it, so every INITIALIZE UPDATE
     * gets a value never used before (a pseudo-random card challenge derived from it then never repeats).
     * Returns -1 when the counter is exhausted (the key set must be replaced).
     */
    public synchronized long nextCounter(ScpKeySet set, long limit) {
        long[] counter = counters.get(keySets.indexOf(set));
        if (counter[0] > limit) {
            return -1;
        }
        return counter[0]++;
    }

    /** The next sequence counter value of a key set (for saving the card's state). */
    public synchronized long counter(ScpKeySet set) {
        return counters.get(keySets.indexOf(set))[0];
    }

    /** Restores a key set's sequence counter (from the card's saved state). */
    public synchronized void setCounter(int version, long value) {
        for (int n = 0; n < keySets.size(); n++) {
            if (keySets.get(n).version() == version) {
                counters.get(n)[0] = value;
            }
        }
    }

    public synchronized List<ScpKeySet> all() {
        return List.copyOf(keySets);
    }
}
