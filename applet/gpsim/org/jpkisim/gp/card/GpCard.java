package org.jpkisim.gp.card;

import com.licel.jcardsim.base.Simulator;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javacard.framework.AID;
import javacard.framework.Applet;
import org.jpkisim.gp.api.GpBackend;
import org.jpkisim.gp.api.GpBackends;
import org.jpkisim.gp.keys.KeyDiversification;
import org.jpkisim.gp.keys.KeyRepository;

/**
 * A GlobalPlatform card on jCardSim: an issuer security domain (selected after every reset, as
 * the card's default application) holding the secure-channel key sets, applets installed under it,
 * and the org.globalplatform API answered for whichever applet is running. One instance per card;
 * several can live in one JVM because the API is bound to the calling thread while a card works.
 */
public final class GpCard {
    /** The ISD AID GP Card Specification uses for the issuer security domain. */
    public static final byte[] ISD_AID = HexFormat.of().parseHex("A000000151000000");
    /**
     * Key diversification data of a card built with explicit keys and no identity of its own, and of every
     * card saved before cards had identities (their keys and sealed content were bound to it).
     */
    public static final byte[] DEFAULT_DIVERSIFICATION_DATA = HexFormat.of().parseHex("00004A504B4953494D01");

    private static final ThreadLocal<GpCard> INSTALLING = new ThreadLocal<>();
    private static final java.security.SecureRandom SEED_SOURCE = new java.security.SecureRandom();

    static {
        // jCardSim's RandomData starts from a fixed state unless told otherwise: every simulated card
        // would generate the same "random" keys. Seed it from SecureRandom unless a seed is set on purpose.
        if (System.getProperty("com.licel.jcardsim.randomdata.seed") == null) {
            System.setProperty("com.licel.jcardsim.randomdata.secure", "1");
        }
    }

    private final KeyRepository keys;
    private final CardIdentity identity;
    private final CardBackend backend;
    private final GpRuntime runtime;
    private final Simulator simulator;
    private final CardContent content;
    private final Transactions transactions;
    /** Applets whose key-pair generators already draw on a real random source. */
    private final java.util.Set<Object> seededApplets = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** T=0 persona: data of case-4 commands is fetched with GET RESPONSE after 61xx. */
    private boolean t0;
    /** T=0: response data waiting for GET RESPONSE, per logical channel (it belongs to the channel that produced it). */
    private final byte[][] pendingResponses = new byte[GpRuntime.CHANNELS][];
    /** The last answer was an application's own 61xx: the next GET RESPONSE is the application's. */
    private boolean appletChaining;
    /** A warning status (6310) the ISD answered with data: jCardSim only passes data with 9000. */
    private int finishStatus;

    /** A new card with an identity of its own (random) and its ISD key sets diversified from the TEST master. */
    public GpCard() {
        this(CardIdentity.random());
    }

    /** A card with this identity: the ISD's key sets of issuerTestKeys() diversified with its KDD. */
    public GpCard(CardIdentity identity) {
        this(KeyDiversification.diversify(KeyRepository.issuerTestKeys(), identity.keyDiversificationData()), identity,
                AppletCatalog.standard());
    }

    /** A card (random identity) whose ISD holds these master key sets diversified with its KDD. */
    public static GpCard withMasterKeys(KeyRepository masters) {
        CardIdentity identity = CardIdentity.random();
        return new GpCard(KeyDiversification.diversify(masters, identity.keyDiversificationData()), identity, AppletCatalog.standard());
    }

    /** Exactly these ISD keys, undiversified, and DEFAULT_DIVERSIFICATION_DATA (other identity values random). */
    public GpCard(KeyRepository keys) {
        this(keys, DEFAULT_DIVERSIFICATION_DATA);
    }

    public GpCard(KeyRepository keys, byte[] diversificationData) {
        this(keys, diversificationData, AppletCatalog.standard());
    }

    public GpCard(KeyRepository keys, byte[] diversificationData, AppletCatalog catalog) {
        this(keys, CardIdentity.withDiversificationData(diversificationData), catalog);
    }

    public GpCard(KeyRepository keys, CardIdentity identity, AppletCatalog catalog) {
        this.keys = keys;
        this.identity = identity;
        this.backend = new CardBackend(keys, identity.keyDiversificationData());
        this.runtime = new GpRuntime(backend);
        this.simulator = new Simulator(runtime);
        this.content = new CardContent(catalog, runtime, backend, ISD_AID, keys);
        this.transactions = new Transactions(runtime, runtime.memory());
        runtime.attach(transactions);
        runtime.setDefaultApplication(CardContent.aidOf(ISD_AID));
        backend.attach(content);
        installClass(ISD_AID, IssuerSecurityDomain.class, new byte[0]);
        installClass(ControllingAuthorityDomain.AID, ControllingAuthorityDomain.class, new byte[0]);
        content.casdInstalled();
        backend.registerAuthority(new CasdAuthority(identity::casd));
        // GlobalPlatform's security domain package is in every GP card's ROM: SSDs are instantiated from it.
        byte[] sdPackage = HexFormat.of().parseHex(AppletCatalog.SD_PACKAGE);
        byte[] sdModule = HexFormat.of().parseHex(AppletCatalog.SD_MODULE);
        content.preloaded(sdPackage, 1, 1, sdModule);
        runtime.loadLoadFile(new com.licel.jcardsim.base.LoadFile(CardContent.aidOf(sdPackage),
                new com.licel.jcardsim.base.Module(CardContent.aidOf(sdModule), SupplementarySecurityDomain.class)));
        reset();
    }

    /** The card whose applet is being installed on this thread (applets' static install() has no other context). */
    static GpCard installing() {
        GpCard card = INSTALLING.get();
        if (card == null) {
            throw new IllegalStateException("install() outside GpCard.install");
        }
        return card;
    }

    public KeyRepository keys() {
        return keys;
    }

    /** IIN, CIN, CPLC, ICCID, key diversification data and the CASD credential of this card. */
    public CardIdentity identity() {
        return identity;
    }

    CardContent content() {
        return content;
    }

    /** Called by a security domain answering with data and a warning status. */
    void finishWith(int sw) {
        finishStatus = sw;
    }

    /** Installs and makes selectable an applet associated with the ISD; parameters reach its install() in the GP layout. */
    public synchronized void install(byte[] aid, Class<? extends Applet> appletClass, byte[] parameters) {
        installClass(aid, appletClass, parameters);
        content.preinstalled(aid, null, null);
    }

    /**
     * Records a package as loaded at card manufacture and installs one instance of a module from it
     * (as the JPKI applet comes on a SIM): it shows in GET STATUS and can be deleted with its load file,
     * and the package can be LOADed again after that.
     */
    public synchronized void installFromPackage(byte[] packageAid, int major, int minor, byte[] moduleAid, byte[] instanceAid,
                                                Class<? extends Applet> appletClass, byte[] parameters) {
        content.preloaded(packageAid, major, minor, moduleAid);
        GpBackend previous = bind();
        INSTALLING.set(this);
        try {
            runtime.loadLoadFile(new com.licel.jcardsim.base.LoadFile(CardContent.aidOf(packageAid),
                    new com.licel.jcardsim.base.Module(CardContent.aidOf(moduleAid), appletClass)));
            byte[] install = installArguments(instanceAid, parameters);
            runtime.installApplet(CardContent.aidOf(packageAid), CardContent.aidOf(moduleAid), CardContent.aidOf(instanceAid),
                    install, (short) 0, (byte) install.length);
        } finally {
            INSTALLING.remove();
            GpBackends.setForThread(previous);
        }
        content.preinstalled(instanceAid, packageAid, moduleAid);
    }

    private static byte[] installArguments(byte[] aid, byte[] parameters) {
        byte[] install = new byte[1 + aid.length + 1 + 1 + parameters.length];
        int off = 0;
        install[off++] = (byte) aid.length;
        System.arraycopy(aid, 0, install, off, aid.length);
        off += aid.length;
        install[off++] = 0; // no privileges
        install[off++] = (byte) parameters.length;
        System.arraycopy(parameters, 0, install, off, parameters.length);
        return install;
    }

    private void installClass(byte[] aid, Class<? extends Applet> appletClass, byte[] parameters) {
        byte[] install = new byte[1 + aid.length + 1 + 1 + parameters.length];
        int off = 0;
        install[off++] = (byte) aid.length;
        System.arraycopy(aid, 0, install, off, aid.length);
        off += aid.length;
        install[off++] = 0; // no control information
        install[off++] = (byte) parameters.length;
        System.arraycopy(parameters, 0, install, off, parameters.length);
        GpBackend previous = bind();
        INSTALLING.set(this);
        try {
            simulator.installApplet(new AID(aid, (short) 0, (byte) aid.length), appletClass, install, (short) 0, (byte) install.length);
        } finally {
            INSTALLING.remove();
            GpBackends.setForThread(previous);
        }
    }

    /** Install rules of some cards (see CardContent): C9 required even when empty; EF with C7/C8 required. */
    public synchronized void setInstallRules(boolean requireC9, boolean requireUiccSystemParameters) {
        content.setInstallRules(requireC9, requireUiccSystemParameters);
    }

    /**
     * Speaks like a T=0 card: a case-4 command's response data is announced with 61xx and fetched with
     * GET RESPONSE (00 C0 00 00 Le, 61xx again while more remains, 6Cxx for a Le larger than what is
     * left); a case-2 command with a Le that does not match the data gets 6Cxx (the host re-issues it).
     */
    public synchronized void setT0(boolean t0) {
        this.t0 = t0;
        java.util.Arrays.fill(pendingResponses, null);
    }

    /** Sends one command APDU and returns the response (data || SW1 SW2). */
    public synchronized byte[] transmit(byte[] command) {
        if (!t0) {
            return process(command);
        }
        if (command.length >= 4 && (command[0] & 0xFC) == 0x00 && command[1] == (byte) 0xC0) {
            int getResponseChannel = GpRuntime.channelOf(command[0]);
            if (appletChaining && (getResponseChannel < 0 || pendingResponses[getResponseChannel] == null)) {
                // the application answers in parts itself (the CASD's certificate): its GET RESPONSE goes to it
                byte[] part = process(command);
                appletChaining = part.length >= 2 && part[part.length - 2] == 0x61;
                return part;
            }
            return getResponse(command);
        }
        int channel = command.length >= 4 ? GpRuntime.channelOf(command[0]) : -1;
        if (channel >= 0) {
            pendingResponses[channel] = null;
        }
        byte[] response = process(command);
        if (response.length == 0) {
            java.util.Arrays.fill(pendingResponses, null); // power lost: the card was reset
            appletChaining = false;
            return response;
        }
        appletChaining = response.length >= 2 && response[response.length - 2] == 0x61;
        if (appletChaining) {
            return response;
        }
        int dataLength = response.length - 2;
        if (dataLength <= 0) {
            return response;
        }
        int lc = command.length > 5 ? command[4] & 0xFF : -1;
        boolean case4 = lc > 0 && command.length == 6 + lc;
        boolean case3 = lc > 0 && command.length == 5 + lc;
        if ((case4 || case3) && channel >= 0) {
            pendingResponses[channel] = response;
            return new byte[] {0x61, (byte) Math.min(dataLength, 256)};
        }
        if (command.length == 5) {
            int le = command[4] == 0 ? 256 : command[4] & 0xFF;
            if (le != dataLength) {
                return new byte[] {0x6C, (byte) Math.min(dataLength, 256)};
            }
        }
        return response;
    }

    /** GET RESPONSE on channel n (CLA 0n) collects what a command on channel n left; 6985 when it left nothing. */
    private byte[] getResponse(byte[] command) {
        int channel = command[0] & 0x03;
        byte[] pending = pendingResponses[channel];
        if (pending == null) {
            return new byte[] {0x69, (byte) 0x85};
        }
        if (command.length != 5 || command[2] != 0 || command[3] != 0) {
            pendingResponses[channel] = null;
            return new byte[] {0x6A, (byte) 0x86};
        }
        int remaining = pending.length - 2;
        int le = command[4] == 0 ? 256 : command[4] & 0xFF;
        if (le > remaining) {
            return new byte[] {0x6C, (byte) remaining};
        }
        if (le == remaining) {
            pendingResponses[channel] = null;
            return pending;
        }
        byte[] out = new byte[le + 2];
        System.arraycopy(pending, 0, out, 0, le);
        int left = remaining - le;
        out[le] = 0x61;
        out[le + 1] = (byte) Math.min(left, 256);
        byte[] rest = new byte[left + 2];
        System.arraycopy(pending, le, rest, 0, left + 2);
        pendingResponses[channel] = rest;
        return out;
    }

    /**
     * jCardSim's KeyPair draws on an unseeded digest generator, so every simulated card would
     * generate the same key pairs. Every key pair of every applet not seen before gets its
     * generator seeded from SecureRandom (applets allocate their key pairs at install).
     */
    private void seedKeyGenerators() {
        List<Object> fresh = new ArrayList<>();
        for (Object applet : transactions.roots()) {
            if (seededApplets.add(applet)) {
                fresh.add(applet);
            }
        }
        if (fresh.isEmpty()) {
            return;
        }
        for (Object o : ObjectGraph.reach(fresh, transactions.transientArrays(), true)) {
            if (o.getClass().getName().equals("com.licel.jcardsim.crypto.KeyPairImpl")) {
                try {
                    java.lang.reflect.Field rnd = o.getClass().getDeclaredField("rnd");
                    rnd.setAccessible(true);
                    // A new generator of jCardSim's own kind (the saved card state knows how to keep
                    // it; a restored one has lost its internals), seeded from SecureRandom.
                    java.lang.reflect.Constructor<?> make = Class.forName("com.licel.jcardsim.crypto.SecureRandomNullProvider")
                            .getDeclaredConstructor();
                    make.setAccessible(true);
                    java.security.SecureRandom generator = (java.security.SecureRandom) make.newInstance();
                    byte[] seed = new byte[32];
                    SEED_SOURCE.nextBytes(seed);
                    generator.setSeed(seed);
                    rnd.set(o, generator);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot give jCardSim's key pair generator a random source", e);
                }
            }
        }
    }

    private byte[] process(byte[] command) {
        if (!wellFramed(command)) {
            // Length and Lc disagree (or not even a header): a card's transport layer answers wrong length.
            return new byte[] {0x67, 0x00};
        }
        if (refusedSelection(command)) {
            return new byte[] {0x6A, (byte) 0x82};
        }
        GpBackend previous = bind();
        INSTALLING.set(this);
        finishStatus = 0;
        transactions.commandStarted();
        try {
            byte[] response;
            try {
                response = simulator.transmitCommand(command);
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                return new byte[] {0x67, 0x00};
            } finally {
                transactions.commandEnded();
            }
            seedKeyGenerators();
            boolean torn = transactions.takeTorn();
            if (!torn && runtime.getTransactionDepth() != 0) {
                // An applet returned with its transaction open: the Java Card runtime aborts it.
                runtime.abortTransaction();
            }
            if (torn) {
                // Power went at the commit: the transaction's writes roll back, the card answers nothing.
                reset();
                return new byte[0];
            }
            int n = response.length;
            if (finishStatus != 0 && n >= 2 && response[n - 2] == (byte) 0x90 && response[n - 1] == 0x00) {
                response[n - 2] = (byte) (finishStatus >> 8);
                response[n - 1] = (byte) finishStatus;
            }
            return response;
        } finally {
            finishStatus = 0;
            INSTALLING.remove();
            GpBackends.setForThread(previous);
        }
    }

    /** Writes the card's persistent state (see CardStateStore); call between commands. */
    public synchronized void save(java.io.OutputStream out) throws java.io.IOException {
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        CardStateStore.write(data, backend, content, runtime, transactions, identity);
        data.flush();
    }

    /**
     * A card as it was saved: identity, keys, registry, card life cycle and every applet's persistent
     * objects. Transient memory starts clear and no session is open, as after a power-up.
     */
    public static GpCard restore(java.io.InputStream in, AppletCatalog catalog) throws java.io.IOException {
        return restore(in, DEFAULT_DIVERSIFICATION_DATA, catalog);
    }

    /**
     * As restore(in, catalog); {@code diversificationData} only matters for a state saved before cards
     * had identities: such a card gets new identity numbers but keeps that KDD, and its ISD key sets
     * still holding the undiversified GP test key become the diversified ones (PUT KEY'd sets stay).
     */
    public static GpCard restore(java.io.InputStream in, byte[] diversificationData, AppletCatalog catalog) throws java.io.IOException {
        java.io.DataInputStream data = new java.io.DataInputStream(in);
        CardStateStore.Saved saved = CardStateStore.readHead(data);
        KeyRepository isdKeys = saved.domains.get(Registry.key(ISD_AID));
        if (isdKeys == null) {
            throw new java.io.IOException("card state without the ISD's keys");
        }
        CardIdentity identity = saved.identity;
        if (identity == null) {
            identity = CardIdentity.withDiversificationData(diversificationData);
            for (org.jpkisim.gp.keys.ScpKeySet set : isdKeys.all()) {
                if (KeyDiversification.isUndiversifiedTestKey(set)) {
                    long counter = isdKeys.counter(set);
                    isdKeys.put(KeyDiversification.diversify(set, diversificationData));
                    isdKeys.setCounter(set.version(), counter);
                }
            }
        }
        GpCard card = new GpCard(isdKeys, identity, catalog);
        card.restoreFrom(saved);
        return card;
    }

    private synchronized void restoreFrom(CardStateStore.Saved saved) throws java.io.IOException {
        content.restore(saved);
        content.casdInstalled(); // a state saved before the card had a CASD
        backend.setCardState(saved.cardState);
        for (Registry.LoadFileEntry l : content.registry().loadFiles()) {
            if (!runtime.hasLoadFile(CardContent.aidOf(l.aid))) {
                content.relink(l);
            }
        }
        GpBackend previous = bind();
        INSTALLING.set(this);
        try {
            java.util.Map<String, Applet> applets = CardStateStore.readApplets(saved.rest, runtime.memory());
            for (Registry.Application a : content.registry().applications()) {
                if (java.util.Arrays.equals(a.aid, ISD_AID) || java.util.Arrays.equals(a.aid, ControllingAuthorityDomain.AID)) {
                    continue; // installed by the constructor, from the identity
                }
                Applet applet = a.isSecurityDomain() ? new SupplementarySecurityDomain(this) : applets.get(Registry.key(a.aid));
                if (applet == null) {
                    throw new java.io.IOException("card state without the objects of application " + Registry.key(a.aid));
                }
                runtime.restoreApplet(CardContent.aidOf(a.aid), applet);
            }
        } finally {
            INSTALLING.remove();
            GpBackends.setForThread(previous);
        }
        reset();
    }

    /**
     * Injects a power loss into the next command that commits a transaction: the card loses power at
     * the commit, that transaction's writes are rolled back (writes outside it stay, as on a card), and
     * transmit() returns an empty answer (the reader sees a mute card). The card is then reset.
     */
    /** Bytes of transient memory the card's applications hold in transient arrays (not counting keys). */
    public synchronized int transientArrayBytes() {
        return runtime.memory().bytes();
    }

    public synchronized void armPowerLossAtNextCommit() {
        transactions.armTearAtCommit();
    }

    /**
     * Injects a power loss at the n-th JCSystem.commitTransaction() (counted from 1) of the next command sent
     * with transmit(): the card loses power at that commit, that transaction rolls back (earlier commits of the
     * command stay, as do non-atomic writes), transmit() returns an empty answer and the card is reset. If the
     * next command commits fewer than n times, the arming expires with it. Use lastCommandCommits() on an
     * identical card to learn how many commits a command makes, then cut at each of them.
     */
    public synchronized void armPowerLossAtCommit(int n) {
        transactions.armTearAtCommit(n);
    }

    /** How many transactions the last command committed (counting the one power was lost at). */
    public synchronized int lastCommandCommits() {
        return transactions.lastCommandCommits();
    }

    public synchronized boolean powerLossArmed() {
        return transactions.armed();
    }

    /** ISO 7816-3 cases 1-4, short or extended: the length matches what the header and Lc say. */
    static boolean wellFramed(byte[] c) {
        int n = c.length;
        if (n == 4 || n == 5) {
            return true;
        }
        if (n < 4) {
            return false;
        }
        int b4 = c[4] & 0xFF;
        if (b4 != 0) {
            return n == 5 + b4 || n == 6 + b4;
        }
        if (n == 7) {
            return true; // extended case 2
        }
        if (n < 7) {
            return false;
        }
        int lc = ((c[5] & 0xFF) << 8) | (c[6] & 0xFF);
        return lc > 0 && (n == 7 + lc || n == 9 + lc);
    }

    /** SELECT by AID of an application that is not selectable (INSTALLED, LOCKED, or the card locked): 6A82. */
    private boolean refusedSelection(byte[] command) {
        if (command.length < 6 || (command[0] & 0xFC) != 0x00 || command[1] != (byte) 0xA4 || command[2] != 0x04) {
            return false;
        }
        int lc = command[4] & 0xFF;
        if (lc < 5 || lc > 16 || command.length < 5 + lc) {
            return false;
        }
        byte[] aid = java.util.Arrays.copyOfRange(command, 5, 5 + lc);
        return !content.selectable(aid);
    }

    /** Warm reset / power cycle: transient state and secure-channel sessions end; the ISD is selected again. */
    public synchronized void reset() {
        java.util.Arrays.fill(pendingResponses, null);
        GpBackend previous = bind();
        try {
            simulator.reset();
            simulator.selectApplet(new AID(ISD_AID, (short) 0, (byte) ISD_AID.length));
        } finally {
            GpBackends.setForThread(previous);
        }
    }

    private GpBackend bind() {
        GpBackend previous = GpBackends.boundToThread();
        GpBackends.setForThread(backend);
        return previous;
    }
}
