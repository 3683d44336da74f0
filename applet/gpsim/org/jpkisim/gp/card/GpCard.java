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
    private final Simulator simulator;

    public GpCard() {
        this(KeyRepository.withTestKeys(), DEFAULT_DIVERSIFICATION_DATA);
    }

    public GpCard(KeyRepository keys) {
        this(keys, DEFAULT_DIVERSIFICATION_DATA);
    }

    public GpCard(KeyRepository keys, byte[] diversificationData) {
        if (diversificationData.length != 10) {
            throw new IllegalArgumentException("key diversification data is 10 bytes");
        }
        this.keys = keys;
        this.backend = new CardBackend(keys, diversificationData);
        this.simulator = new Simulator(new GpRuntime(backend));
        install(ISD_AID, IssuerSecurityDomain.class, new byte[0]);
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

    /** Installs and makes selectable an applet associated with the ISD; parameters reach its install() in the GP layout. */
    public synchronized void install(byte[] aid, Class<? extends Applet> appletClass, byte[] parameters) {
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
        GpBackend previous = bind();
        try {
            return simulator.transmitCommand(command);
        } finally {
            GpBackends.setForThread(previous);
        }
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
