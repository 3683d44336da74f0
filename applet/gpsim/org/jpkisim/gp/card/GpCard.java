package org.jpkisim.gp.card;

import com.licel.jcardsim.base.Simulator;
import java.util.HexFormat;
import javacard.framework.AID;
import javacard.framework.Applet;
import org.jpkisim.gp.api.GpBackend;
import org.jpkisim.gp.api.GpBackends;
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
    /** Key diversification data returned by INITIALIZE UPDATE when none is configured. */
    public static final byte[] DEFAULT_DIVERSIFICATION_DATA = HexFormat.of().parseHex("00004A504B4953494D01");

    private static final ThreadLocal<GpCard> INSTALLING = new ThreadLocal<>();

    private final KeyRepository keys;
    private final CardBackend backend;
    private final GpRuntime runtime;
    private final Simulator simulator;
    private final CardContent content;
    /** A warning status (6310) the ISD answered with data: jCardSim only passes data with 9000. */
    private int finishStatus;

    public GpCard() {
        this(KeyRepository.withTestKeys(), DEFAULT_DIVERSIFICATION_DATA);
    }

    public GpCard(KeyRepository keys) {
        this(keys, DEFAULT_DIVERSIFICATION_DATA);
    }

    public GpCard(KeyRepository keys, byte[] diversificationData) {
        this(keys, diversificationData, AppletCatalog.standard());
    }

    public GpCard(KeyRepository keys, byte[] diversificationData, AppletCatalog catalog) {
        if (diversificationData.length != 10) {
            throw new IllegalArgumentException("key diversification data is 10 bytes");
        }
        this.keys = keys;
        this.backend = new CardBackend(keys, diversificationData);
        this.runtime = new GpRuntime(backend);
        this.simulator = new Simulator(runtime);
        this.content = new CardContent(catalog, runtime, backend, ISD_AID, keys);
        backend.attach(content);
        installClass(ISD_AID, IssuerSecurityDomain.class, new byte[0]);
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

    /** Sends one command APDU and returns the response (data || SW1 SW2). */
    public synchronized byte[] transmit(byte[] command) {
        if (refusedSelection(command)) {
            return new byte[] {0x6A, (byte) 0x82};
        }
        GpBackend previous = bind();
        INSTALLING.set(this);
        finishStatus = 0;
        try {
            byte[] response = simulator.transmitCommand(command);
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
