package org.jpkisim.gp.host;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;

/** A transport that answers from a recorded list and remembers what was sent: for known-answer tests. */
final class Replay implements ApduTransport {
    final List<String> sent = new ArrayList<>();
    private final Deque<String> answers = new ArrayDeque<>();

    Replay(String... answersHex) {
        for (String answer : answersHex) {
            answers.add(answer);
        }
    }

    @Override
    public byte[] transmit(byte[] command) {
        sent.add(HexFormat.of().withUpperCase().formatHex(command));
        return HexFormat.of().parseHex(answers.isEmpty() ? "9000" : answers.poll());
    }
}
