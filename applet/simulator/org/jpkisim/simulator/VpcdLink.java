package org.jpkisim.simulator;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketOption;

/**
 * The card side of the vpcd socket protocol (vsmartcard): the reader side (pcscd's vpcd
 * driver, or the harness) listens; the card connects. Every message is a two-byte
 * big-endian length and a body. A one-byte body is a control code: 0 power off,
 * 1 power on, 2 reset, 4 "send the ATR"; any longer body is a command APDU, answered
 * with the response APDU.
 *
 * <p>Latency matters here: vpcd writes the length and the body in two writes, so a card
 * side that delays its ACK stalls every APDU for the delayed-ACK timer (~40 ms). The
 * link sets TCP_NODELAY and re-arms TCP_QUICKACK after every read, and answers in a
 * single write.
 */
final class VpcdLink {
    static final int CONTROL_POWER_OFF = 0;
    static final int CONTROL_POWER_ON = 1;
    static final int CONTROL_RESET = 2;
    static final int CONTROL_ATR = 4;

    private final SimulatedCard card;
    private final String host;
    private final int port;
    private final ApduLog log;
    private final SocketOption<Boolean> quickAck = QuickAck.option();

    VpcdLink(SimulatedCard card, String host, int port, ApduLog log) {
        this.card = card;
        this.host = host;
        this.port = port;
        this.log = log;
    }

    /** When the last connection ended with a power loss (System.nanoTime), or 0. */
    volatile long tornAt;

    String endpoint() {
        return host + ":" + port;
    }

    /** Connects once and serves until the reader side closes the connection. */
    void serve(int connectTimeoutMillis) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
            armQuickAck(socket);
            System.out.println("connected " + endpoint());
            System.out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] header = new byte[2];
            while (true) {
                try {
                    in.readFully(header);
                } catch (EOFException closed) {
                    return;
                }
                // vpcd sends the body only once the length is acknowledged (Nagle on its side).
                armQuickAck(socket);
                int length = ((header[0] & 0xFF) << 8) | (header[1] & 0xFF);
                byte[] body = new byte[length];
                in.readFully(body);
                armQuickAck(socket);
                byte[] answer = handle(body);
                if (answer != null && answer.length == 0) {
                    // The card lost power in the middle of the command: to the reader it leaves the slot
                    // (the command fails), and comes back once the reader has seen it gone.
                    log.event("power lost during the command");
                    tornAt = System.nanoTime();
                    return;
                }
                if (answer != null) {
                    byte[] frame = new byte[2 + answer.length];
                    frame[0] = (byte) (answer.length >> 8);
                    frame[1] = (byte) answer.length;
                    System.arraycopy(answer, 0, frame, 2, answer.length);
                    out.write(frame);
                    out.flush();
                }
            }
        }
    }

    private byte[] handle(byte[] body) {
        if (body.length == 1) {
            switch (body[0]) {
                case CONTROL_POWER_OFF: card.powerOff(); log.event("power off"); return null;
                case CONTROL_POWER_ON: card.powerOn(); log.event("power on"); return null;
                case CONTROL_RESET: card.reset(); log.event("reset"); return null;
                case CONTROL_ATR: return card.atr();
                default: log.event("unknown control code " + body[0]); return null;
            }
        }
        byte[] response = card.transmit(body);
        log.exchange(body, response);
        return response;
    }

    private void armQuickAck(Socket socket) {
        if (quickAck != null) {
            try {
                socket.setOption(quickAck, Boolean.TRUE);
            } catch (IOException | UnsupportedOperationException ignored) {
                // Not Linux: latency is higher but behaviour is the same.
            }
        }
    }
}
