package org.jpkisim.gp.card;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GlobalPlatform registry of one card: executable load files with their modules, and
 * application instances (applications and security domains) with life cycle state, privileges,
 * the load file and module they came from and the security domain they are associated with.
 */
final class Registry {
    static final int LOADED = 0x01;
    static final int INSTALLED = 0x03;
    static final int SELECTABLE = 0x07;
    static final int SD_PERSONALIZED = 0x0F;
    static final int LOCKED_BIT = 0x80;

    /** Privileges, first byte (GP Card Specification 6.6.1). */
    static final int PRIV_SECURITY_DOMAIN = 0x80;
    static final int PRIV_CARD_LOCK = 0x10;
    static final int PRIV_CARD_TERMINATE = 0x08;
    static final int PRIV_CARD_RESET = 0x04;
    /** Second byte. */
    static final int PRIV_AUTHORIZED_MANAGEMENT = 0x40;
    /** The issuer security domain: SD, card lock, card terminate, card reset, CVM management; trusted path,
     *  authorized management, token verification, global delete, global lock, global registry, final application;
     *  receipt generation. */
    static final byte[] ISD_PRIVILEGES = {(byte) 0x9E, (byte) 0xFE, (byte) 0x80};

    static final class LoadFileEntry {
        final byte[] aid;
        final int major;
        final int minor;
        final List<byte[]> modules;
        byte[] securityDomain;

        LoadFileEntry(byte[] aid, int major, int minor, List<byte[]> modules, byte[] securityDomain) {
            this.aid = aid.clone();
            this.major = major;
            this.minor = minor;
            this.modules = modules;
            this.securityDomain = securityDomain.clone();
        }

        boolean hasModule(byte[] module) {
            for (byte[] m : modules) {
                if (Arrays.equals(m, module)) {
                    return true;
                }
            }
            return false;
        }
    }

    static final class Application {
        final byte[] aid;
        final byte[] loadFile;
        final byte[] module;
        final byte[] privileges;
        byte[] securityDomain;
        int state;

        Application(byte[] aid, byte[] loadFile, byte[] module, byte[] privileges, byte[] securityDomain, int state) {
            this.aid = aid.clone();
            this.loadFile = loadFile == null ? null : loadFile.clone();
            this.module = module == null ? null : module.clone();
            this.privileges = privileges.clone();
            this.securityDomain = securityDomain == null ? null : securityDomain.clone();
            this.state = state;
        }

        boolean isSecurityDomain() {
            return (privileges[0] & PRIV_SECURITY_DOMAIN) != 0;
        }

        boolean locked() {
            return (state & LOCKED_BIT) != 0;
        }

        boolean selectable() {
            return !locked() && (state & 0x07) == 0x07;
        }
    }

    private final Map<String, LoadFileEntry> loadFiles = new LinkedHashMap<>();
    private final Map<String, Application> applications = new LinkedHashMap<>();

    static String key(byte[] aid) {
        return HexFormat.of().withUpperCase().formatHex(aid);
    }

    void add(LoadFileEntry entry) {
        loadFiles.put(key(entry.aid), entry);
    }

    void add(Application application) {
        applications.put(key(application.aid), application);
    }

    LoadFileEntry loadFile(byte[] aid) {
        return loadFiles.get(key(aid));
    }

    Application application(byte[] aid) {
        return applications.get(key(aid));
    }

    boolean contains(byte[] aid) {
        return loadFiles.containsKey(key(aid)) || applications.containsKey(key(aid));
    }

    void removeLoadFile(byte[] aid) {
        loadFiles.remove(key(aid));
    }

    void removeApplication(byte[] aid) {
        applications.remove(key(aid));
    }

    List<LoadFileEntry> loadFiles() {
        return new ArrayList<>(loadFiles.values());
    }

    List<Application> applications() {
        return new ArrayList<>(applications.values());
    }

    List<Application> instancesOf(byte[] loadFile) {
        List<Application> out = new ArrayList<>();
        for (Application a : applications.values()) {
            if (a.loadFile != null && Arrays.equals(a.loadFile, loadFile)) {
                out.add(a);
            }
        }
        return out;
    }

    List<Application> associatedWith(byte[] securityDomain) {
        List<Application> out = new ArrayList<>();
        for (Application a : applications.values()) {
            if (a.securityDomain != null && Arrays.equals(a.securityDomain, securityDomain) && !Arrays.equals(a.aid, securityDomain)) {
                out.add(a);
            }
        }
        return out;
    }
}
