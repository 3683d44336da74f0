package org.jpkisim.gp.card;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Test helper: the load file data block of a CAP file (its components in load order, Descriptor left out). */
final class CapFiles {
    static final Path JPKI_CAP = Path.of("test-vectors/cap/jpki-applet.cap");
    private static final String[] ORDER = {"Header", "Directory", "Import", "Applet", "Class", "Method", "StaticField",
        "Export", "ConstantPool", "RefLocation"};

    private CapFiles() {
    }

    static Map<String, byte[]> components(Path cap) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(cap))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName();
                if (name.endsWith(".cap") && name.contains("/javacard/")) {
                    out.put(name.substring(name.lastIndexOf('/') + 1, name.length() - 4), zip.readAllBytes());
                }
            }
        }
        return out;
    }

    static byte[] loadFileDataBlock(Map<String, byte[]> components) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String name : ORDER) {
            byte[] c = components.get(name);
            if (c != null) {
                out.writeBytes(c);
            }
        }
        return out.toByteArray();
    }

    static byte[] jpki() throws IOException {
        return loadFileDataBlock(components(JPKI_CAP));
    }
}
