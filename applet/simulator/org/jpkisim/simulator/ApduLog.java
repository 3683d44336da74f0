package org.jpkisim.simulator;

import java.io.PrintStream;
import java.util.HexFormat;

/**
 * Optional per-card APDU log. Command data of VERIFY and CHANGE REFERENCE DATA (PINs)
 * and of every proprietary-class command (personalisation: keys, PINs) is redacted,
 * so the log can be attached to a bug report.
 */
final class ApduLog {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private final PrintStream out;

    ApduLog(PrintStream out) {
        this.out = out;
    }

    static ApduLog disabled() {
        return new ApduLog(null);
    }

    void event(String what) {
        if (out != null) {
            out.println("-- " + what);
        }
    }

    void exchange(byte[] command, byte[] response) {
        if (out != null) {
            out.println("=> " + redact(command));
            out.println("<= " + HEX.formatHex(response));
        }
    }

    static String redact(byte[] command) {
        if (command.length <= 5 || !carriesSecrets(command)) {
            return HEX.formatHex(command);
        }
        return HEX.formatHex(command, 0, 5) + " [" + (command.length - 5) + " bytes redacted]";
    }

    private static boolean carriesSecrets(byte[] command) {
        int cla = command[0] & 0xFF;
        int ins = command[1] & 0xFF;
        boolean proprietary = (cla & 0x80) != 0;
        return ins == 0x20 || ins == 0x24 || ins == 0x2C || (proprietary && ins != 0x2A);
    }
}
