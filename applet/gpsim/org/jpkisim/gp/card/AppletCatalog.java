package org.jpkisim.gp.card;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javacard.framework.Applet;

/**
 * Which Java classes in the simulator stand for the modules of a loaded package. A card links the
 * loaded bytecode; the simulator cannot run Java Card bytecode, so a LOADed package becomes
 * installable when its package AID and module AID are listed here with the class that implements
 * them. Classes are named, and resolved when a module is installed, so the catalog needs no
 * compile-time dependency on the applets.
 */
public final class AppletCatalog {
    /** The JPKI applet's package (as in its CAP file's Header component). */
    public static final String JPKI_PACKAGE = "D392F0002601000000";
    public static final String JPKI_MODULE = "D392F000260100000001";
    /** GlobalPlatform's security domain package and module (the AIDs GP cards use for SSD creation). */
    public static final String SD_PACKAGE = "A0000001515350";
    public static final String SD_MODULE = "A000000151535041";

    private final Map<String, Map<String, String>> packages = new LinkedHashMap<>();

    public static AppletCatalog standard() {
        AppletCatalog catalog = new AppletCatalog();
        catalog.add(JPKI_PACKAGE, JPKI_MODULE, "org.jpkisim.applet.JpkiApplet");
        catalog.add(SD_PACKAGE, SD_MODULE, SupplementarySecurityDomain.class.getName());
        catalog.add("D392F000267F000000", "D392F000267F00000001", BenchPackageApplet.class.getName());
        return catalog;
    }

    /** Lists (or replaces) the class standing for one module of a package; AIDs in hex. */
    public synchronized AppletCatalog add(String packageAid, String moduleAid, String className) {
        packages.computeIfAbsent(packageAid.toUpperCase(), k -> new LinkedHashMap<>()).put(moduleAid.toUpperCase(), className);
        return this;
    }

    /** The class of a module, or null when the simulator has none (or it is not on the class path). */
    synchronized Class<? extends Applet> moduleClass(byte[] packageAid, byte[] moduleAid) {
        Map<String, String> modules = packages.get(HexFormat.of().withUpperCase().formatHex(packageAid));
        if (modules == null) {
            return null;
        }
        String name = modules.get(HexFormat.of().withUpperCase().formatHex(moduleAid));
        if (name == null) {
            return null;
        }
        try {
            return Class.forName(name).asSubclass(Applet.class);
        } catch (ClassNotFoundException | ClassCastException e) {
            return null;
        }
    }
}
