package org.jpkisim.gp.card;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javacard.framework.AID;
import javacard.framework.Applet;
import javacard.framework.CardRuntimeException;
import javacard.framework.ISOException;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;
import org.jpkisim.gp.content.ContentException;
import org.jpkisim.gp.content.LoadFile;
import org.jpkisim.gp.crypto.BlockCiphers;
import org.jpkisim.gp.keys.KeyRepository;
import org.jpkisim.gp.keys.ScpKeySet;

/**
 * Card content management of a card's security domains (GP Card Specification 2.3 chapter 11):
 * INSTALL, LOAD, DELETE, GET STATUS, SET STATUS, PUT KEY, STORE DATA, on the card's registry and
 * jCardSim's runtime. Commands arrive here already unwrapped from the secure channel; answers
 * go back to be wrapped. Refusals are ContentExceptions carrying the GP status word.
 */
final class CardContent {
    static final int SW_OK = 0x9000;
    static final int SW_MORE_DATA = 0x6310;
    static final int SW_WRONG_LENGTH = 0x6700;
    static final int SW_CONDITIONS = 0x6985;
    static final int SW_WRONG_DATA = 0x6A80;
    static final int SW_NOT_ENOUGH_MEMORY = 0x6A84;
    static final int SW_P1P2 = 0x6A86;
    static final int SW_NOT_FOUND = 0x6A88;
    /** Largest load file the simulated card accepts (its "non-volatile memory"). */
    static final int MAX_LOAD_FILE = 128 * 1024;
    /** Largest GET STATUS answer per response, leaving room for R-MAC and R-ENC padding in a short APDU. */
    static final int STATUS_PAGE = 224;

    /** Package AIDs the card's platform provides (Java Card API, GlobalPlatform, ETSI/3GPP UICC APIs), by prefix. */
    private static final String[] PLATFORM_PACKAGES = {"A000000062", "A000000151", "A000000009", "A000000087"};

    /** The answer to one command: data and status word. */
    record Answer(byte[] data, int sw) {
        static Answer ok(byte[] data) {
            return new Answer(data, SW_OK);
        }
    }

    private final Registry registry = new Registry();
    private final AppletCatalog catalog;
    private final GpRuntime runtime;
    private final CardBackend backend;
    private final byte[] isdAid;
    private final Map<String, KeyRepository> domainKeys = new HashMap<>();

    // INSTALL [for load] + LOAD in progress
    private byte[] loadingAid;
    private byte[] loadingHash;
    private byte[] loadingSd;
    private ByteArrayOutputStream loadBuffer;
    private int nextBlock;
    // GET STATUS paging
    private List<byte[]> pendingStatus;
    private int pendingScope;
    // INSTALL [for personalization]
    private byte[] personalizing;

    CardContent(AppletCatalog catalog, GpRuntime runtime, CardBackend backend, byte[] isdAid, KeyRepository isdKeys) {
        this.catalog = catalog;
        this.runtime = runtime;
        this.backend = backend;
        this.isdAid = isdAid.clone();
        registry.add(new Registry.Application(isdAid, null, null, Registry.ISD_PRIVILEGES, isdAid, Registry.SD_PERSONALIZED));
        domainKeys.put(Registry.key(isdAid), isdKeys);
    }

    Registry registry() {
        return registry;
    }

    Map<String, KeyRepository> domainKeys() {
        return new java.util.LinkedHashMap<>(domainKeys);
    }

    /** Replaces the registry and the domains' keys with a saved state's. */
    void restore(CardStateStore.Saved saved) {
        for (Registry.Application a : registry.applications()) {
            registry.removeApplication(a.aid);
        }
        for (Registry.LoadFileEntry l : registry.loadFiles()) {
            registry.removeLoadFile(l.aid);
        }
        for (Registry.LoadFileEntry l : saved.loadFiles) {
            registry.add(l);
        }
        for (Registry.Application a : saved.applications) {
            registry.add(a);
        }
        domainKeys.clear();
        domainKeys.putAll(saved.domains);
    }

    /** Makes a load file of the registry known to jCardSim again (its modules that have classes). */
    void relink(Registry.LoadFileEntry l) {
        List<com.licel.jcardsim.base.Module> modules = new ArrayList<>();
        for (byte[] module : l.modules) {
            Class<? extends Applet> type = catalog.moduleClass(l.aid, module);
            if (type != null) {
                modules.add(new com.licel.jcardsim.base.Module(aidOf(module), type));
            }
        }
        if (!modules.isEmpty()) {
            runtime.loadLoadFile(new com.licel.jcardsim.base.LoadFile(aidOf(l.aid), modules.toArray(new com.licel.jcardsim.base.Module[0])));
        }
    }

    // ---- what the rest of the card asks -------------------------------------------------------

    /** The key sets of the security domain an application is associated with (its own, for a domain). */
    KeyRepository keysFor(byte[] aid) {
        Registry.Application app = registry.application(aid);
        byte[] sd = app == null || app.securityDomain == null ? isdAid : (app.isSecurityDomain() ? app.aid : app.securityDomain);
        KeyRepository keys = domainKeys.get(Registry.key(sd));
        return keys != null ? keys : domainKeys.get(Registry.key(isdAid));
    }

    void registerDomainKeys(byte[] sdAid, KeyRepository keys) {
        domainKeys.put(Registry.key(sdAid), keys);
    }

    /** Whether SELECT may pick this application (unknown AIDs are jCardSim's business). */
    boolean selectable(byte[] aid) {
        Registry.Application app = registry.application(aid);
        if (app == null) {
            return true;
        }
        if (Arrays.equals(aid, isdAid)) {
            return backend.cardState() != GPSystem.CARD_TERMINATED;
        }
        if (backend.cardState() == GPSystem.CARD_LOCKED || backend.cardState() == GPSystem.CARD_TERMINATED) {
            return false;
        }
        return app.selectable();
    }

    /** An application installed by the card's maker (GpCard.install): recorded under the ISD. */
    void preinstalled(byte[] aid, byte[] loadFile, byte[] module) {
        registry.add(new Registry.Application(aid, loadFile, module, new byte[3], isdAid, Registry.SELECTABLE));
    }

    /** The CASD as the card's maker puts it: a security domain with the global service privilege, under the ISD. */
    void casdInstalled() {
        if (registry.application(ControllingAuthorityDomain.AID) == null) {
            registry.add(new Registry.Application(ControllingAuthorityDomain.AID, null, null,
                    ControllingAuthorityDomain.PRIVILEGES.clone(), isdAid, Registry.SD_PERSONALIZED));
        }
    }

    void preloaded(byte[] packageAid, int major, int minor, byte[]... modules) {
        registry.add(new Registry.LoadFileEntry(packageAid, major, minor, new ArrayList<>(Arrays.asList(modules)), isdAid));
    }

    // ---- commands -----------------------------------------------------------------------------

    /**
     * One card content management command of the security domain `sd`, plain. `channel` is that
     * domain's secure channel (for the data-encryption key).
     */
    Answer process(byte[] sd, int ins, int p1, int p2, byte[] data, SecureChannel channel) {
        if (ins != 0xF2) {
            pendingStatus = null;
        }
        if (ins != 0xE8 && loadBuffer != null) {
            // Any other command ends a LOAD sequence (GP: the load is abandoned).
            abandonLoad();
        }
        boolean issuer = Arrays.equals(sd, isdAid);
        switch (ins) {
            case 0xE6:
                return install(sd, issuer, p1, p2, data);
            case 0xE8:
                return load(p1, p2, data);
            case 0xE4:
                requireIssuer(issuer);
                return delete(p1, p2, data);
            case 0xF2:
                requireIssuer(issuer);
                return getStatus(p1, p2, data);
            case 0xF0:
                requireIssuer(issuer);
                return setStatus(p1, p2, data);
            case 0xD8:
                return putKey(sd, p1, p2, data, channel);
            case 0xE2:
                return storeData(sd, p1, p2, data);
            default:
                throw new ContentException(0x6D00, "instruction not supported");
        }
    }

    private static void requireIssuer(boolean issuer) {
        if (!issuer) {
            // A supplementary domain here has neither delegated nor authorized management.
            throw new ContentException(SW_CONDITIONS, "security domain without management privilege");
        }
    }

    // ---- INSTALL ------------------------------------------------------------------------------

    private Answer install(byte[] sd, boolean issuer, int p1, int p2, byte[] data) {
        if (p2 != 0x00 && p2 != 0x80 && p2 != 0x01) {
            throw new ContentException(SW_P1P2, "INSTALL P2");
        }
        Fields f = new Fields(data);
        switch (p1) {
            case 0x02:
                requireIssuer(issuer);
                return installForLoad(f);
            case 0x04:
            case 0x0C:
                requireIssuer(issuer);
                return installForInstall(f, p1 == 0x0C);
            case 0x08:
                requireIssuer(issuer);
                return makeSelectable(f);
            case 0x10:
                requireIssuer(issuer);
                return extradite(f);
            case 0x20:
                return forPersonalization(sd, issuer, f);
            default:
                throw new ContentException(SW_P1P2, "INSTALL P1 " + Integer.toHexString(p1));
        }
    }

    private Answer installForLoad(Fields f) {
        byte[] aid = f.aid("load file AID", false);
        byte[] sd = f.lv();
        byte[] hash = f.lv();
        byte[] parameters = f.lv();
        f.lv(); // load token: the ISD has the token verification privilege itself
        f.end();
        if (registry.contains(aid)) {
            throw new ContentException(SW_WRONG_DATA, "AID already on the card");
        }
        if (sd.length > 0) {
            Registry.Application domain = registry.application(sd);
            if (domain == null || !domain.isSecurityDomain()) {
                throw new ContentException(SW_NOT_FOUND, "no such security domain");
            }
        }
        if (hash.length != 0 && hash.length != 20 && hash.length != 32 && hash.length != 48 && hash.length != 64) {
            throw new ContentException(SW_WRONG_DATA, "load file hash length");
        }
        Tlv.parseAll(parameters); // load parameters (EF system parameters) must at least be well-formed
        loadingAid = aid;
        loadingHash = hash;
        loadingSd = sd.length > 0 ? sd : isdAid;
        loadBuffer = new ByteArrayOutputStream();
        nextBlock = 0;
        return Answer.ok(new byte[] {0x00});
    }

    private Answer load(int p1, int p2, byte[] data) {
        if (loadBuffer == null) {
            throw new ContentException(SW_CONDITIONS, "LOAD without INSTALL [for load]");
        }
        if ((p1 & 0x7F) != 0 || p2 != (nextBlock & 0xFF)) {
            abandonLoad();
            throw new ContentException(SW_P1P2, "LOAD block out of sequence");
        }
        if (loadBuffer.size() + data.length > MAX_LOAD_FILE + 8) {
            abandonLoad();
            throw new ContentException(SW_NOT_ENOUGH_MEMORY, "load file too large");
        }
        loadBuffer.writeBytes(data);
        nextBlock++;
        if ((p1 & 0x80) == 0) {
            return Answer.ok(new byte[0]);
        }
        byte[] all = loadBuffer.toByteArray();
        byte[] aid = loadingAid;
        byte[] hash = loadingHash;
        byte[] sd = loadingSd;
        abandonLoad();
        byte[] block = loadFileDataBlock(all);
        if (hash.length > 0 && !MessageDigest.isEqual(hash, digest(hash.length, block))) {
            throw new ContentException(SW_WRONG_DATA, "load file hash does not match");
        }
        LoadFile file = LoadFile.parse(block);
        if (!Arrays.equals(file.packageAid(), aid)) {
            throw new ContentException(SW_WRONG_DATA, "package AID differs from INSTALL [for load]");
        }
        for (LoadFile.Import imported : file.imports()) {
            if (!platformPackage(imported.aid())) {
                Registry.LoadFileEntry present = registry.loadFile(imported.aid());
                if (present == null || present.major != imported.major() || present.minor < imported.minor()) {
                    throw new ContentException(SW_NOT_FOUND, "imported package " + imported + " not on the card");
                }
            }
        }
        List<com.licel.jcardsim.base.Module> modules = new ArrayList<>();
        for (byte[] module : file.appletAids()) {
            Class<? extends Applet> type = catalog.moduleClass(aid, module);
            if (type != null) {
                modules.add(new com.licel.jcardsim.base.Module(aidOf(module), type));
            }
        }
        if (!modules.isEmpty()) {
            // jCardSim only knows load files with applet classes; libraries and packages the
            // simulator has no classes for live in the registry alone.
            runtime.loadLoadFile(new com.licel.jcardsim.base.LoadFile(aidOf(aid), modules.toArray(new com.licel.jcardsim.base.Module[0])));
        }
        registry.add(new Registry.LoadFileEntry(aid, file.major(), file.minor(), file.appletAids(), sd));
        return Answer.ok(new byte[] {0x00});
    }

    private void abandonLoad() {
        loadBuffer = null;
        loadingAid = null;
        loadingHash = null;
        loadingSd = null;
    }

    /** Skips DAP blocks (E2), then takes the value of C4, which must end the data. */
    private static byte[] loadFileDataBlock(byte[] all) {
        int off = 0;
        while (off < all.length && (all[off] & 0xFF) == 0xE2) {
            int[] header = Tlv.header(all, off);
            off = header[1] + header[2];
        }
        if (off >= all.length || (all[off] & 0xFF) != 0xC4) {
            throw new ContentException(SW_WRONG_DATA, "load file without the C4 load file data block");
        }
        int[] header = Tlv.header(all, off);
        if (header[1] + header[2] != all.length) {
            throw new ContentException(SW_WRONG_DATA, "C4 length does not match the data loaded");
        }
        return Arrays.copyOfRange(all, header[1], header[1] + header[2]);
    }

    private static byte[] digest(int length, byte[] data) {
        String algorithm = switch (length) {
            case 20 -> "SHA-1";
            case 32 -> "SHA-256";
            case 48 -> "SHA-384";
            default -> "SHA-512";
        };
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean platformPackage(byte[] aid) {
        String hex = Registry.key(aid);
        for (String prefix : PLATFORM_PACKAGES) {
            if (hex.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Install rules some cards apply (a persona sets them): install parameters must carry C9 even when it is
     * empty; they must carry the UICC system parameters (EF with C7 volatile and C8 non-volatile memory quotas,
     * ETSI TS 102 226 8.2.1.3.2). A card that wants them and gets none answers 6A80.
     */
    private boolean requireC9;
    private boolean requireUiccSystemParameters;

    void setInstallRules(boolean requireC9, boolean requireUiccSystemParameters) {
        this.requireC9 = requireC9;
        this.requireUiccSystemParameters = requireUiccSystemParameters;
    }

    private void checkInstallRules(byte[] parameters) {
        boolean c9 = false;
        boolean quotas = false;
        for (Tlv t : Tlv.parseAll(parameters)) {
            c9 |= t.tag() == 0xC9;
            if (t.tag() == 0xEF) {
                boolean c7 = false;
                boolean c8 = false;
                for (Tlv q : Tlv.parseAll(t.value())) {
                    c7 |= q.tag() == 0xC7;
                    c8 |= q.tag() == 0xC8;
                }
                quotas = c7 && c8;
            }
        }
        if (requireC9 && !c9) {
            throw new ContentException(SW_WRONG_DATA, "install parameters without C9 (this card requires it, even empty)");
        }
        if (requireUiccSystemParameters && !quotas) {
            throw new ContentException(SW_WRONG_DATA, "install parameters without UICC system parameters EF (C7, C8)");
        }
    }

    private Answer installForInstall(Fields f, boolean makeSelectable) {
        byte[] loadFileAid = f.aid("load file AID", false);
        byte[] moduleAid = f.aid("module AID", false);
        byte[] appAid = f.aid("application AID", false);
        byte[] privileges = privileges(f.lv());
        byte[] parameters = f.lv();
        f.lv(); // install token
        f.end();
        checkInstallRules(parameters);
        Registry.LoadFileEntry loadFile = registry.loadFile(loadFileAid);
        if (loadFile == null) {
            throw new ContentException(SW_NOT_FOUND, "load file not on the card");
        }
        if (!loadFile.hasModule(moduleAid)) {
            throw new ContentException(SW_NOT_FOUND, "module not in the load file");
        }
        if (registry.contains(appAid)) {
            throw new ContentException(SW_WRONG_DATA, "AID already on the card");
        }
        Class<? extends Applet> type = catalog.moduleClass(loadFileAid, moduleAid);
        if (type == null) {
            throw new ContentException(SW_WRONG_DATA, "the simulator has no executable code for this module");
        }
        boolean domain = (privileges[0] & Registry.PRIV_SECURITY_DOMAIN) != 0;
        if (domain != SupplementarySecurityDomain.class.isAssignableFrom(type)) {
            throw new ContentException(SW_WRONG_DATA, "security domain privilege and module do not agree");
        }
        checkGrantable(privileges, domain);
        byte[] c9 = new byte[0];
        for (Tlv t : Tlv.parseAll(parameters)) {
            if (t.tag() == 0xC9) {
                c9 = t.value();
            }
        }
        byte[] arguments = installArguments(appAid, privileges, c9);
        Registry.Application app = new Registry.Application(appAid, loadFileAid, moduleAid, privileges,
                loadFile.securityDomain, makeSelectable ? Registry.SELECTABLE : Registry.INSTALLED);
        if (domain) {
            app.securityDomain = appAid;
            // Transport keys, diversified for this card like the ISD's (a host derives them from the TEST master).
            registerDomainKeys(appAid, org.jpkisim.gp.keys.KeyDiversification.diversify(KeyRepository.withTestKeys(),
                    backend.diversificationData()));
        }
        registry.add(app);
        try {
            runtime.installApplet(aidOf(loadFileAid), aidOf(moduleAid), aidOf(appAid), arguments, (short) 0, (byte) arguments.length);
        } catch (ISOException e) {
            registry.removeApplication(appAid);
            throw new ContentException(e.getReason() == 0 ? SW_WRONG_DATA : e.getReason() & 0xFFFF, "install() refused");
        } catch (RuntimeException e) {
            registry.removeApplication(appAid);
            throw new ContentException(SW_WRONG_DATA, "install() failed: " + e.getClass().getSimpleName());
        }
        if (runtime.lookupApplet(aidOf(appAid)) == null) {
            // The applet registered under another AID than the one asked for: a card refuses that.
            registry.removeApplication(appAid);
            throw new ContentException(SW_WRONG_DATA, "applet did not register the application AID");
        }
        return Answer.ok(new byte[] {0x00});
    }

    /**
     * Privileges an INSTALL may grant (GP Card Specification 2.3, 6.6 and Table 6-1): the card-wide ones (Card
     * Lock, Card Terminate, Card Reset, CVM Management; Trusted Path, Global Delete/Lock/Registry, Final
     * Application, Global Service) only by a security domain with Authorized Management (here the ISD, which
     * alone installs); the security-domain ones (DAP Verification, Delegated Management, Mandated DAP,
     * Authorized Management, Token Verification, Receipt Generation, Ciphered Load File Data Block) only to a
     * security domain; Card Reset (the default-selected application) to one application at a time, and the ISD
     * holds it. Anything else: 6A80.
     */
    private void checkGrantable(byte[] privileges, boolean domain) {
        int b1 = privileges[0] & 0xFF;
        int b2 = privileges[1] & 0xFF;
        int b3 = privileges[2] & 0xFF;
        boolean cardWide = (b1 & (Registry.PRIV_CARD_LOCK | Registry.PRIV_CARD_TERMINATE | Registry.PRIV_CARD_RESET | 0x02)) != 0
                || (b2 & 0x9F) != 0;
        Registry.Application installer = registry.application(isdAid);
        if (cardWide && (installer == null || (installer.privileges[1] & Registry.PRIV_AUTHORIZED_MANAGEMENT) == 0)) {
            throw new ContentException(SW_WRONG_DATA, "the installing security domain may not grant card-wide privileges");
        }
        if (!domain && ((b1 & 0x61) != 0 || (b2 & 0x60) != 0 || (b3 & 0xC0) != 0)) {
            throw new ContentException(SW_WRONG_DATA, "security domain privileges for an application");
        }
        if ((b1 & Registry.PRIV_CARD_RESET) != 0) {
            for (Registry.Application a : registry.applications()) {
                if ((a.privileges[0] & Registry.PRIV_CARD_RESET) != 0) {
                    throw new ContentException(SW_WRONG_DATA, "Card Reset is held by another application");
                }
            }
        }
    }

    /** install() parameters in the GP layout: instance AID, privileges, application-specific parameters (C9). */
    private static byte[] installArguments(byte[] aid, byte[] privileges, byte[] c9) {
        int length = 1 + aid.length + 1 + privileges.length + 1 + c9.length;
        if (length > 127) {
            throw new ContentException(SW_WRONG_DATA, "install parameters too long");
        }
        byte[] out = new byte[length];
        int off = 0;
        out[off++] = (byte) aid.length;
        System.arraycopy(aid, 0, out, off, aid.length);
        off += aid.length;
        out[off++] = (byte) privileges.length;
        System.arraycopy(privileges, 0, out, off, privileges.length);
        off += privileges.length;
        out[off++] = (byte) c9.length;
        System.arraycopy(c9, 0, out, off, c9.length);
        return out;
    }

    private static byte[] privileges(byte[] encoded) {
        if (encoded.length == 1) {
            return new byte[] {encoded[0], 0, 0};
        }
        if (encoded.length == 3) {
            return encoded.clone();
        }
        throw new ContentException(SW_WRONG_DATA, "privileges are 1 or 3 bytes");
    }

    /**
     * INSTALL [for make selectable / personalization / extradition] data: empty load file and module
     * AIDs, the application AID, then empty privileges, parameters and token.
     */
    private static byte[] targetApplication(Fields f) {
        f.lv();
        f.lv();
        byte[] appAid = f.aid("application AID", false);
        f.lv();
        f.lv();
        f.lv();
        f.end();
        return appAid;
    }

    private Answer makeSelectable(Fields f) {
        byte[] appAid = targetApplication(f);
        Registry.Application app = registry.application(appAid);
        if (app == null) {
            throw new ContentException(SW_NOT_FOUND, "no such application");
        }
        if (app.state != Registry.INSTALLED) {
            throw new ContentException(SW_CONDITIONS, "application is not in the INSTALLED state");
        }
        app.state = Registry.SELECTABLE;
        return Answer.ok(new byte[] {0x00});
    }

    private Answer extradite(Fields f) {
        byte[] sdAid = f.aid("security domain AID", false);
        f.lv();
        byte[] appAid = f.aid("application AID", false);
        f.lv();
        f.lv();
        f.lv();
        f.end();
        Registry.Application domain = registry.application(sdAid);
        if (domain == null || !domain.isSecurityDomain()) {
            throw new ContentException(SW_NOT_FOUND, "no such security domain");
        }
        Registry.Application app = registry.application(appAid);
        if (app == null) {
            Registry.LoadFileEntry loadFile = registry.loadFile(appAid);
            if (loadFile == null) {
                throw new ContentException(SW_NOT_FOUND, "no such application or load file");
            }
            loadFile.securityDomain = sdAid.clone();
            return Answer.ok(new byte[] {0x00});
        }
        if (Arrays.equals(appAid, isdAid) || Arrays.equals(appAid, sdAid) || Arrays.equals(appAid, ControllingAuthorityDomain.AID)
                || Arrays.equals(sdAid, ControllingAuthorityDomain.AID)) {
            throw new ContentException(SW_CONDITIONS, "cannot extradite this domain there");
        }
        if (app.isSecurityDomain()) {
            // An SSD moves under another domain; its own keys stay its own.
            app.securityDomain = sdAid.clone();
            return Answer.ok(new byte[] {0x00});
        }
        app.securityDomain = sdAid.clone();
        backend.forgetChannel(appAid);
        return Answer.ok(new byte[] {0x00});
    }

    private Answer forPersonalization(byte[] sd, boolean issuer, Fields f) {
        byte[] appAid = targetApplication(f);
        Registry.Application app = registry.application(appAid);
        if (app == null || app.isSecurityDomain() && !issuer) {
            throw new ContentException(SW_NOT_FOUND, "no such application");
        }
        if (!issuer && !Arrays.equals(app.securityDomain, sd)) {
            throw new ContentException(SW_NOT_FOUND, "application not associated with this security domain");
        }
        if (issuer && !Arrays.equals(app.securityDomain, isdAid) && !Arrays.equals(app.aid, app.securityDomain)) {
            throw new ContentException(SW_NOT_FOUND, "application is associated with another security domain");
        }
        if (!(runtimeApplet(appAid) instanceof org.globalplatform.Application)) {
            throw new ContentException(SW_CONDITIONS, "application does not accept personalization data");
        }
        personalizing = appAid;
        return Answer.ok(new byte[] {0x00});
    }

    private Applet runtimeApplet(byte[] aid) {
        com.licel.jcardsim.base.SimulatorRuntime.ApplicationInstance instance = runtime.lookupApplet(aidOf(aid));
        return instance == null ? null : instance.getApplet();
    }

    /** STORE DATA: forwarded to the application named by INSTALL [for personalization] (its processData()). */
    private Answer storeData(byte[] sd, int p1, int p2, byte[] data) {
        if (personalizing == null) {
            throw new ContentException(SW_CONDITIONS, "STORE DATA without INSTALL [for personalization]");
        }
        Applet applet = runtimeApplet(personalizing);
        if (!(applet instanceof org.globalplatform.Application target)) {
            personalizing = null;
            throw new ContentException(SW_CONDITIONS, "application gone");
        }
        if ((p1 & 0x80) != 0) {
            personalizing = null;
        }
        byte[] buffer = new byte[5 + data.length];
        buffer[0] = (byte) 0x80;
        buffer[1] = (byte) 0xE2;
        buffer[2] = (byte) p1;
        buffer[3] = (byte) p2;
        buffer[4] = (byte) data.length;
        System.arraycopy(data, 0, buffer, 5, data.length);
        try {
            target.processData(buffer, (short) 0, (short) buffer.length);
        } catch (CardRuntimeException e) {
            throw new ContentException(e.getReason() & 0xFFFF, "processData refused");
        }
        return Answer.ok(new byte[0]);
    }

    // ---- DELETE -------------------------------------------------------------------------------

    private Answer delete(int p1, int p2, byte[] data) {
        if (p1 != 0x00 || (p2 != 0x00 && p2 != 0x80)) {
            throw new ContentException(SW_P1P2, "DELETE P1/P2");
        }
        List<Tlv> items = Tlv.parseAll(data);
        if (items.isEmpty() || items.get(0).tag() != 0x4F) {
            throw new ContentException(SW_WRONG_DATA, "DELETE without an AID (tag 4F)");
        }
        byte[] aid = items.get(0).value();
        if (aid.length < 5 || aid.length > 16) {
            throw new ContentException(SW_WRONG_DATA, "AID length");
        }
        boolean related = p2 == 0x80;
        if (Arrays.equals(aid, isdAid) || Arrays.equals(aid, ControllingAuthorityDomain.AID)) {
            throw new ContentException(SW_CONDITIONS, "the ISD and the CASD cannot be deleted");
        }
        Registry.Application app = registry.application(aid);
        if (app != null) {
            List<Registry.Application> associated = app.isSecurityDomain() ? registry.associatedWith(aid) : List.of();
            if (!associated.isEmpty() && !related) {
                throw new ContentException(SW_CONDITIONS, "security domain has associated applications");
            }
            for (Registry.Application a : associated) {
                deleteInstance(a);
            }
            deleteInstance(app);
            return Answer.ok(new byte[] {0x00});
        }
        Registry.LoadFileEntry loadFile = registry.loadFile(aid);
        if (loadFile == null) {
            throw new ContentException(SW_NOT_FOUND, "no such AID on the card");
        }
        List<Registry.Application> instances = registry.instancesOf(aid);
        if (!instances.isEmpty() && !related) {
            throw new ContentException(SW_CONDITIONS, "load file has instances (delete with related objects)");
        }
        for (Registry.Application a : instances) {
            if (a.isSecurityDomain() && !registry.associatedWith(a.aid).isEmpty()) {
                throw new ContentException(SW_CONDITIONS, "an instance is a security domain with applications");
            }
        }
        for (Registry.Application a : instances) {
            deleteInstance(a);
        }
        runtime.removeLoadFile(aidOf(aid));
        registry.removeLoadFile(aid);
        return Answer.ok(new byte[] {0x00});
    }

    private void deleteInstance(Registry.Application app) {
        if (runtime.lookupApplet(aidOf(app.aid)) != null) {
            runtime.removeApplet(aidOf(app.aid));
        }
        backend.forgetChannel(app.aid);
        domainKeys.remove(Registry.key(app.aid));
        registry.removeApplication(app.aid);
        if (personalizing != null && Arrays.equals(personalizing, app.aid)) {
            personalizing = null;
        }
    }

    // ---- GET STATUS ---------------------------------------------------------------------------

    private Answer getStatus(int p1, int p2, byte[] data) {
        if (p1 != 0x80 && p1 != 0x40 && p1 != 0x20 && p1 != 0x10) {
            throw new ContentException(SW_P1P2, "GET STATUS P1");
        }
        if ((p2 & ~0x03) != 0) {
            throw new ContentException(SW_P1P2, "GET STATUS P2");
        }
        List<byte[]> entries;
        if ((p2 & 0x01) != 0) {
            if (pendingStatus == null || pendingScope != ((p1 << 8) | (p2 & 0x02))) {
                throw new ContentException(SW_P1P2, "GET STATUS next occurrence without a previous 6310");
            }
            entries = pendingStatus;
        } else {
            entries = statusEntries(p1, (p2 & 0x02) != 0, searchPrefix(data));
            if (entries.isEmpty()) {
                pendingStatus = null;
                throw new ContentException(SW_NOT_FOUND, "no matching entry");
            }
        }
        ByteArrayOutputStream page = new ByteArrayOutputStream();
        int n = 0;
        while (n < entries.size() && page.size() + entries.get(n).length <= STATUS_PAGE) {
            page.writeBytes(entries.get(n));
            n++;
        }
        if (n < entries.size()) {
            pendingStatus = new ArrayList<>(entries.subList(n, entries.size()));
            pendingScope = (p1 << 8) | (p2 & 0x02);
            return new Answer(page.toByteArray(), SW_MORE_DATA);
        }
        pendingStatus = null;
        return Answer.ok(page.toByteArray());
    }

    private static byte[] searchPrefix(byte[] data) {
        List<Tlv> items = Tlv.parseAll(data);
        byte[] prefix = null;
        for (Tlv t : items) {
            if (t.tag() == 0x4F) {
                prefix = t.value();
            } else if (t.tag() != 0x5C) {
                throw new ContentException(SW_WRONG_DATA, "GET STATUS search criterion not supported");
            }
        }
        if (prefix == null) {
            throw new ContentException(SW_WRONG_DATA, "GET STATUS without search criteria (4F)");
        }
        return prefix;
    }

    private static boolean matches(byte[] aid, byte[] prefix) {
        return aid.length >= prefix.length && Arrays.equals(Arrays.copyOf(aid, prefix.length), prefix);
    }

    private List<byte[]> statusEntries(int scope, boolean tlv, byte[] prefix) {
        List<byte[]> out = new ArrayList<>();
        if (scope == 0x80) {
            if (matches(isdAid, prefix)) {
                out.add(entry(tlv, isdAid, backend.cardState() & 0xFF, Registry.ISD_PRIVILEGES, null, null, null, null, false));
            }
            return out;
        }
        if (scope == 0x40) {
            for (Registry.Application a : registry.applications()) {
                if (!Arrays.equals(a.aid, isdAid) && matches(a.aid, prefix)) {
                    out.add(entry(tlv, a.aid, a.state, a.privileges, a.loadFile, a.securityDomain, null, null, false));
                }
            }
            return out;
        }
        for (Registry.LoadFileEntry l : registry.loadFiles()) {
            if (matches(l.aid, prefix)) {
                out.add(entry(tlv, l.aid, Registry.LOADED, new byte[3], null, l.securityDomain,
                        new byte[] {(byte) l.major, (byte) l.minor}, l.modules, scope == 0x10));
            }
        }
        return out;
    }

    private static byte[] entry(boolean tlv, byte[] aid, int state, byte[] privileges, byte[] loadFile, byte[] sd,
                                byte[] version, List<byte[]> modules, boolean withModules) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        if (!tlv) {
            o.write(aid.length);
            o.writeBytes(aid);
            o.write(state);
            o.write(privileges[0]);
            if (withModules) {
                o.write(modules.size());
                for (byte[] m : modules) {
                    o.write(m.length);
                    o.writeBytes(m);
                }
            }
            return o.toByteArray();
        }
        Tlv.write(o, 0x4F, aid);
        Tlv.write(o, 0x9F70, new byte[] {(byte) state});
        if (version == null) {
            Tlv.write(o, 0xC5, privileges);
        }
        if (loadFile != null) {
            Tlv.write(o, 0xC4, loadFile);
        }
        if (version != null) {
            Tlv.write(o, 0xCE, version);
        }
        if (withModules) {
            for (byte[] m : modules) {
                Tlv.write(o, 0x84, m);
            }
        }
        if (sd != null) {
            Tlv.write(o, 0xCC, sd);
        }
        ByteArrayOutputStream e3 = new ByteArrayOutputStream();
        Tlv.write(e3, 0xE3, o.toByteArray());
        return e3.toByteArray();
    }

    // ---- SET STATUS ---------------------------------------------------------------------------

    private Answer setStatus(int p1, int p2, byte[] data) {
        if (p1 == 0x80) {
            int state = backend.cardState() & 0xFF;
            if (data.length != 0 && !Arrays.equals(Tlv.bareOrTagged(data), isdAid)) {
                throw new ContentException(SW_WRONG_DATA, "card life cycle is set through the ISD AID");
            }
            if (p2 == 0x7F && state == 0x0F) {
                backend.setCardState(GPSystem.CARD_LOCKED);
            } else if (p2 == 0x0F && state == 0x7F) {
                backend.setCardState(GPSystem.CARD_SECURED);
            } else if (p2 == 0xFF) {
                backend.setCardState(GPSystem.CARD_TERMINATED);
            } else {
                throw new ContentException(SW_WRONG_DATA, "card life cycle transition not allowed");
            }
            return Answer.ok(new byte[0]);
        }
        if (p1 != 0x40 && p1 != 0x60) {
            throw new ContentException(SW_P1P2, "SET STATUS P1");
        }
        byte[] aid = Tlv.bareOrTagged(data);
        if (Arrays.equals(aid, isdAid)) {
            throw new ContentException(SW_WRONG_DATA, "the ISD's state is the card's (P1 80)");
        }
        Registry.Application app = registry.application(aid);
        if (app == null) {
            throw new ContentException(SW_NOT_FOUND, "no such application");
        }
        List<Registry.Application> targets = new ArrayList<>();
        targets.add(app);
        if (p1 == 0x60) {
            if (!app.isSecurityDomain()) {
                throw new ContentException(SW_WRONG_DATA, "P1 60 names a security domain");
            }
            targets.addAll(registry.associatedWith(aid));
        }
        for (Registry.Application a : targets) {
            if ((p2 & 0x80) != 0) {
                a.state |= Registry.LOCKED_BIT;
            } else if (a.locked()) {
                a.state &= ~Registry.LOCKED_BIT;
            } else if ((p2 & 0x07) == 0x07 && (a.state & 0x07) == 0x07 && (!a.isSecurityDomain() || p2 == 0x0F)) {
                a.state = p2;
            } else {
                throw new ContentException(SW_WRONG_DATA, "life cycle transition not allowed");
            }
        }
        return Answer.ok(new byte[0]);
    }

    // ---- PUT KEY ------------------------------------------------------------------------------

    private Answer putKey(byte[] sd, int p1, int p2, byte[] data, SecureChannel channel) {
        if (p1 > 0x7F || p2 != 0x81) {
            throw new ContentException(SW_P1P2, "PUT KEY: whole key sets only (P2 81), key version 00-7F in P1");
        }
        if (data.length < 1) {
            throw new ContentException(SW_WRONG_LENGTH, "PUT KEY without data");
        }
        KeyRepository keys = domainKeys.get(Registry.key(sd));
        int version = data[0] & 0xFF;
        if (version < 0x01 || version > 0x7F) {
            throw new ContentException(SW_WRONG_DATA, "new key version out of range");
        }
        ScpKeySet old = null;
        if (p1 != 0) {
            old = keys.find(p1);
            if (old == null) {
                throw new ContentException(SW_NOT_FOUND, "no key set with that version");
            }
            if (version != p1 && keys.find(version) != null) {
                throw new ContentException(SW_WRONG_DATA, "new key version already in use");
            }
        } else if (keys.find(version) != null) {
            throw new ContentException(SW_WRONG_DATA, "key version already in use");
        }
        int off = 1;
        int type = -1;
        byte[][] values = new byte[3][];
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        answer.write(version);
        for (int n = 0; n < 3; n++) {
            if (off + 2 > data.length) {
                throw new ContentException(SW_WRONG_DATA, "PUT KEY: three keys expected");
            }
            int keyType = data[off] & 0xFF;
            int length = data[off + 1] & 0xFF;
            off += 2;
            if ((keyType != 0x80 && keyType != 0x88) || (type != -1 && keyType != type) || off + length + 1 > data.length) {
                throw new ContentException(SW_WRONG_DATA, "PUT KEY key block");
            }
            type = keyType;
            byte[] encrypted;
            int keyLength;
            if (keyType == 0x88) {
                keyLength = data[off] & 0xFF;
                encrypted = Arrays.copyOfRange(data, off + 1, off + length);
                if ((keyLength != 16 && keyLength != 24 && keyLength != 32) || encrypted.length < keyLength) {
                    throw new ContentException(SW_WRONG_DATA, "AES key length");
                }
            } else {
                keyLength = 16;
                encrypted = Arrays.copyOfRange(data, off, off + length);
                if (length != 16) {
                    throw new ContentException(SW_WRONG_DATA, "3DES key length");
                }
            }
            off += length;
            int kcvLength = data[off++] & 0xFF;
            if (kcvLength != 3 || off + 3 > data.length) {
                throw new ContentException(SW_WRONG_DATA, "key check value");
            }
            byte[] kcv = Arrays.copyOfRange(data, off, off + 3);
            off += 3;
            if (encrypted.length % (channelBlock(channel)) != 0) {
                throw new ContentException(SW_WRONG_DATA, "encrypted key not block aligned");
            }
            byte[] plain = encrypted.clone();
            channel.decryptData(plain, (short) 0, (short) plain.length);
            byte[] key = Arrays.copyOf(plain, keyLength);
            Arrays.fill(plain, (byte) 0);
            byte[] expected = keyType == 0x88
                    ? Arrays.copyOf(BlockCiphers.aesEcb(key, filled(16, 0x01)), 3)
                    : Arrays.copyOf(BlockCiphers.tdesEcbEncrypt(key, new byte[8]), 3);
            if (!MessageDigest.isEqual(expected, kcv)) {
                throw new ContentException(SW_WRONG_DATA, "key check value does not match");
            }
            values[n] = key;
            answer.writeBytes(kcv);
        }
        if (off != data.length) {
            throw new ContentException(SW_WRONG_DATA, "data after the third key");
        }
        int scp = type == 0x88 ? 0x03 : 0x02;
        int i = old != null && old.scp() == scp ? old.i() : (scp == 0x03 ? 0x70 : 0x55);
        ScpKeySet fresh;
        try {
            fresh = new ScpKeySet(version, scp, i, values[0], values[1], values[2]);
        } catch (IllegalArgumentException e) {
            throw new ContentException(SW_WRONG_DATA, "key set refused");
        } finally {
            for (byte[] v : values) {
                Arrays.fill(v, (byte) 0);
            }
        }
        if (old != null) {
            keys.replace(old.version(), fresh);
        } else {
            keys.put(fresh);
        }
        return Answer.ok(answer.toByteArray());
    }

    private static int channelBlock(SecureChannel channel) {
        return channel instanceof CardSecureChannel c ? c.dataBlockSize() : 8;
    }

    private static byte[] filled(int length, int value) {
        byte[] out = new byte[length];
        Arrays.fill(out, (byte) value);
        return out;
    }

    static AID aidOf(byte[] aid) {
        return new AID(aid, (short) 0, (byte) aid.length);
    }

    /** The LV-coded fields of INSTALL. */
    private static final class Fields {
        private final byte[] data;
        private int off;

        Fields(byte[] data) {
            this.data = data;
        }

        byte[] lv() {
            if (off >= data.length) {
                throw new ContentException(SW_WRONG_DATA, "INSTALL data too short");
            }
            int length = data[off] & 0xFF;
            if (off + 1 + length > data.length) {
                throw new ContentException(SW_WRONG_DATA, "INSTALL field runs past the data");
            }
            byte[] out = Arrays.copyOfRange(data, off + 1, off + 1 + length);
            off += 1 + length;
            return out;
        }

        byte[] aid(String what, boolean optional) {
            byte[] aid = lv();
            if ((aid.length == 0 && optional) || (aid.length >= 5 && aid.length <= 16)) {
                return aid;
            }
            throw new ContentException(SW_WRONG_DATA, what + " length " + aid.length);
        }

        void end() {
            if (off != data.length) {
                throw new ContentException(SW_WRONG_DATA, "data after the last INSTALL field");
            }
        }
    }
}
