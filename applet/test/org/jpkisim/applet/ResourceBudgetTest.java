package org.jpkisim.applet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.jpkisim.gp.card.GpCard;
import org.junit.jupiter.api.Test;

/** The applet's resource budget on a constrained UICC: transient memory, and no allocation after install. */
class ResourceBudgetTest {
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    private static final String AID = Card.JPKI_AID;

    /**
     * The applet's transient memory stays within its budget (512 bytes besides the APDU buffer):
     * measured as the transient arrays it adds at install, plus its one 16-byte transient AES key.
     */
    @Test
    void transientMemoryWithinBudget() {
        GpCard card = new GpCard();
        int before = card.transientArrayBytes();
        card.install(HEX.parseHex(AID), JpkiApplet.class, new byte[0]);
        int installed = card.transientArrayBytes();
        int applet = installed - before + 16;
        System.out.println("transient memory of the applet: " + applet + " bytes (arrays " + (installed - before) + " + AES key 16)");
        assertTrue(applet <= 512, "transient " + applet + " bytes");
    }

    /**
     * Nothing is allocated after install: every allocation in the applet's source (new, transient
     * arrays, keys, crypto objects) sits in a constructor or in install().
     */
    @Test
    void allocationsOnlyInConstructorsAndInstall() throws java.io.IOException {
        java.util.regex.Pattern allocation = java.util.regex.Pattern.compile(
                "\\bnew\\s+\\w+\\s*[\\[(]|makeTransient|\\.getInstance\\(|buildKey\\(");
        java.util.regex.Pattern declaration = java.util.regex.Pattern.compile(
                "^\\s{4}(?:public |private |protected |static |final )*(?:[\\w\\[\\]<>]+\\s+)?(\\w+)\\s*\\([^;]*$");
        List<String> misplaced = new ArrayList<>();
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("applet/src/org/jpkisim/applet"))) {
            for (java.nio.file.Path file : files.toList()) {
                String className = file.getFileName().toString().replace(".java", "");
                String method = "(class body)";
                int n = 0;
                for (String line : java.nio.file.Files.readAllLines(file)) {
                    n++;
                    var d = declaration.matcher(line);
                    if (d.find() && !line.contains(" new ") && !line.trim().startsWith("return")) {
                        method = d.group(1);
                    }
                    if (allocation.matcher(line).find() && !line.trim().startsWith("*") && !line.trim().startsWith("//")
                            && !method.equals(className) && !method.equals("install") && !method.equals("(class body)")) {
                        misplaced.add(file.getFileName() + ":" + n + " in " + method + ": " + line.trim());
                    }
                }
            }
        }
        assertEquals(List.of(), misplaced);
    }
}
