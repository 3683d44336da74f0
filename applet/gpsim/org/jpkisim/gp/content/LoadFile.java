package org.jpkisim.gp.content;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * An executable load file as LOAD delivers it: the load file data block (tag C4) of a Java Card CAP
 * file, i.e. its components concatenated, each as tag (1 byte), size (2 bytes), info. Parsed and
 * checked the way a card's loader does before it links anything: component tags known, ordered, each
 * present at most once, sizes consistent, the mandatory components there, the Header's magic
 * DECAFFED, and the package AID and version, applet AIDs and imports read out.
 */
public final class LoadFile {
    public static final int HEADER = 1, DIRECTORY = 2, APPLET = 3, IMPORT = 4, CONSTANT_POOL = 5, CLASS = 6,
            METHOD = 7, STATIC_FIELD = 8, REFERENCE_LOCATION = 9, EXPORT = 10, DESCRIPTOR = 11, DEBUG = 12;
    private static final int[] MANDATORY = {HEADER, DIRECTORY, IMPORT, CONSTANT_POOL, CLASS, METHOD, STATIC_FIELD, REFERENCE_LOCATION};
    /** Load order of the Java Card VM specification (6.2); Descriptor and Debug may follow. */
    private static final int[] ORDER = {HEADER, DIRECTORY, IMPORT, APPLET, CLASS, METHOD, STATIC_FIELD, EXPORT,
        CONSTANT_POOL, REFERENCE_LOCATION, DESCRIPTOR, DEBUG};

    /** A package this one imports: AID and version. */
    public record Import(byte[] aid, int major, int minor) {
        @Override
        public String toString() {
            return HexFormat.of().withUpperCase().formatHex(aid) + " " + major + "." + minor;
        }
    }

    private final byte[] packageAid;
    private final int major;
    private final int minor;
    private final int capMajor;
    private final int capMinor;
    private final List<byte[]> appletAids;
    private final List<Import> imports;
    private final List<Integer> components;
    private final int size;

    private LoadFile(byte[] packageAid, int major, int minor, int capMajor, int capMinor, List<byte[]> appletAids,
                     List<Import> imports, List<Integer> components, int size) {
        this.packageAid = packageAid;
        this.major = major;
        this.minor = minor;
        this.capMajor = capMajor;
        this.capMinor = capMinor;
        this.appletAids = appletAids;
        this.imports = imports;
        this.components = components;
        this.size = size;
    }

    /** Parses the value of the C4 template (the concatenated components). */
    public static LoadFile parse(byte[] block) {
        List<Integer> seen = new ArrayList<>();
        byte[] header = null, applet = null, imports = null;
        int off = 0;
        int lastRank = -1;
        while (off < block.length) {
            if (off + 3 > block.length) {
                throw ContentException.wrongData("truncated component header at offset " + off);
            }
            int tag = block[off] & 0xFF;
            int length = ((block[off + 1] & 0xFF) << 8) | (block[off + 2] & 0xFF);
            int rank = rank(tag);
            if (rank < 0) {
                throw ContentException.wrongData("unknown component tag " + tag + " at offset " + off);
            }
            if (seen.contains(tag)) {
                throw ContentException.wrongData("component " + tag + " appears twice");
            }
            if (rank < lastRank && tag != DESCRIPTOR && tag != DEBUG) {
                throw ContentException.wrongData("component " + tag + " out of load order");
            }
            if (off + 3 + length > block.length) {
                throw ContentException.wrongData("component " + tag + " runs past the load file");
            }
            byte[] info = Arrays.copyOfRange(block, off + 3, off + 3 + length);
            switch (tag) {
                case HEADER: header = info; break;
                case APPLET: applet = info; break;
                case IMPORT: imports = info; break;
                default: break;
            }
            seen.add(tag);
            lastRank = Math.max(lastRank, rank);
            off += 3 + length;
        }
        if (seen.isEmpty() || seen.get(0) != HEADER) {
            throw ContentException.wrongData("the load file does not start with the Header component");
        }
        for (int tag : MANDATORY) {
            if (!seen.contains(tag)) {
                throw ContentException.wrongData("mandatory component " + tag + " missing");
            }
        }
        // Header: magic(4) minor major flags(1) package_info: minor major AID_length AID [package_name]
        if (header.length < 10 || (header[0] & 0xFF) != 0xDE || (header[1] & 0xFF) != 0xCA
                || (header[2] & 0xFF) != 0xFF || (header[3] & 0xFF) != 0xED) {
            throw ContentException.wrongData("Header component without the DECAFFED magic");
        }
        int capMinor = header[4] & 0xFF;
        int capMajor = header[5] & 0xFF;
        if (capMajor != 2) {
            throw ContentException.wrongData("CAP format " + capMajor + "." + capMinor + " not supported");
        }
        int minor = header[7] & 0xFF;
        int major = header[8] & 0xFF;
        int aidLength = header[9] & 0xFF;
        if (aidLength < 5 || aidLength > 16 || 10 + aidLength > header.length) {
            throw ContentException.wrongData("package AID length " + aidLength + " invalid");
        }
        byte[] packageAid = Arrays.copyOfRange(header, 10, 10 + aidLength);
        return new LoadFile(packageAid, major, minor, capMajor, capMinor, appletAids(applet), importList(imports),
                Collections.unmodifiableList(seen), block.length);
    }

    private static int rank(int tag) {
        for (int n = 0; n < ORDER.length; n++) {
            if (ORDER[n] == tag) {
                return n;
            }
        }
        return -1;
    }

    private static List<byte[]> appletAids(byte[] applet) {
        List<byte[]> out = new ArrayList<>();
        if (applet == null) {
            return out;
        }
        if (applet.length < 1) {
            throw ContentException.wrongData("empty Applet component");
        }
        int count = applet[0] & 0xFF;
        int off = 1;
        for (int n = 0; n < count; n++) {
            if (off >= applet.length) {
                throw ContentException.wrongData("Applet component truncated");
            }
            int length = applet[off] & 0xFF;
            if (length < 5 || length > 16 || off + 1 + length + 2 > applet.length) {
                throw ContentException.wrongData("Applet component: applet AID length " + length + " invalid");
            }
            out.add(Arrays.copyOfRange(applet, off + 1, off + 1 + length));
            off += 1 + length + 2;
        }
        if (off != applet.length) {
            throw ContentException.wrongData("Applet component size does not match its applets");
        }
        return out;
    }

    private static List<Import> importList(byte[] imports) {
        List<Import> out = new ArrayList<>();
        if (imports.length < 1) {
            throw ContentException.wrongData("empty Import component");
        }
        int count = imports[0] & 0xFF;
        int off = 1;
        for (int n = 0; n < count; n++) {
            if (off + 3 > imports.length) {
                throw ContentException.wrongData("Import component truncated");
            }
            int length = imports[off + 2] & 0xFF;
            if (length < 5 || length > 16 || off + 3 + length > imports.length) {
                throw ContentException.wrongData("Import component: AID length " + length + " invalid");
            }
            out.add(new Import(Arrays.copyOfRange(imports, off + 3, off + 3 + length), imports[off + 1] & 0xFF, imports[off] & 0xFF));
            off += 3 + length;
        }
        if (off != imports.length) {
            throw ContentException.wrongData("Import component size does not match its packages");
        }
        return out;
    }

    public byte[] packageAid() {
        return packageAid.clone();
    }

    public int major() {
        return major;
    }

    public int minor() {
        return minor;
    }

    public String capVersion() {
        return capMajor + "." + capMinor;
    }

    public List<byte[]> appletAids() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] aid : appletAids) {
            out.add(aid.clone());
        }
        return out;
    }

    public List<Import> imports() {
        return imports;
    }

    /** Component tags in the order they arrived. */
    public List<Integer> components() {
        return components;
    }

    public int size() {
        return size;
    }
}
