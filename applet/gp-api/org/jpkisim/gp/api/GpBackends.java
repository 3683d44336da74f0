package org.jpkisim.gp.api;

/**
 * Which card's GlobalPlatform layer answers GPSystem calls. The simulator sets it for the
 * thread that dispatches an APDU to a card, so several cards can run in one JVM.
 */
public final class GpBackends {
    private static final ThreadLocal<GpBackend> CURRENT = new ThreadLocal<GpBackend>();
    private static volatile GpBackend fallback;

    private GpBackends() {
    }

    /** The backend for this thread, else the process-wide one; fails loudly when neither is set. */
    public static GpBackend current() {
        GpBackend backend = CURRENT.get();
        if (backend == null) {
            backend = fallback;
        }
        if (backend == null) {
            throw new IllegalStateException("no GlobalPlatform backend: run the applet inside the simulator's card");
        }
        return backend;
    }

    /** The backend bound to this thread only (null when none), so a caller can restore it afterwards. */
    public static GpBackend boundToThread() {
        return CURRENT.get();
    }

    public static void setForThread(GpBackend backend) {
        if (backend == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(backend);
        }
    }

    public static void setDefault(GpBackend backend) {
        fallback = backend;
    }
}
