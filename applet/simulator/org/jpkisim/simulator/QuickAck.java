package org.jpkisim.simulator;

import java.net.SocketOption;

/** Finds jdk.net.ExtendedSocketOptions.TCP_QUICKACK where the platform has it (Linux). */
final class QuickAck {
    private QuickAck() {
    }

    @SuppressWarnings("unchecked")
    static SocketOption<Boolean> option() {
        try {
            Class<?> options = Class.forName("jdk.net.ExtendedSocketOptions");
            return (SocketOption<Boolean>) options.getField("TCP_QUICKACK").get(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }
}
