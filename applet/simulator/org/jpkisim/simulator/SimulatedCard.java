package org.jpkisim.simulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import org.jpkisim.applet.JpkiApplet;
import org.jpkisim.gp.card.AppletCatalog;
import org.jpkisim.gp.card.CardIdentity;
import org.jpkisim.gp.card.GpCard;
import org.jpkisim.gp.persona.Persona;
import org.jpkisim.gp.persona.PersonaCard;
import org.jpkisim.simulator.mynumber.MyNumberCardApplet;

/**
 * One simulated card: a GlobalPlatform card on jCardSim (issuer security domain with key sets
 * diversified for this card from the TEST master, selected after reset; its own identity and CASD) with the JPKI applet installed under it, plus the card-side
 * notions the reader sees (power, ATR), its persistent state file and the simulator's control
 * commands. Calls are serialised: a card answers one command at a time, whichever link it arrives on.
 *
 * <p>Control commands (class FF, which no ISO 7816 or GP command uses; answered by the simulator, not
 * the card): {@code FF 70 00 00} status (one byte: bit 1 state file, bit 2 power loss armed, bit 3 T=0
 * persona), {@code FF 70 01 00} arm a power loss at the next transaction commit, {@code FF 70 02 00}
 * write the state file now.
 */
final class SimulatedCard {
    static final byte[] JPKI_AID = {
        (byte) 0xD3, (byte) 0x92, (byte) 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01
    };
    static final byte[] JPKI_PACKAGE = HexFormat.of().parseHex(AppletCatalog.JPKI_PACKAGE);
    /** TEST: the package and module standing for the applicant's My Number card (its instance keeps the JPKI AID). */
    static final String MY_NUMBER_CARD_PACKAGE = "D392F000267E000000";
    static final String MY_NUMBER_CARD_MODULE = "D392F000267E00000001";

    private final GpCard card;
    private final byte[] atr;
    private final Path stateFile;
    private final boolean t0;
    /** The vendor persona's edge rules around the card, or null for the standard card. */
    private final PersonaCard persona;
    private boolean powered;
    private boolean dirty;
    private String lastSaveError;

    SimulatedCard(byte[] atr) {
        this(atr, null, false, false, null);
    }

    /**
     * With a state file: the card is read from it unless fresh (or absent), and written back as it changes.
     * A new card's identity comes from {@code cardSeed} when given (the same seed, the same card), else at random.
     */
    SimulatedCard(byte[] atr, Path stateFile, boolean fresh, boolean t0, byte[] cardSeed) {
        this(atr, stateFile, fresh, t0, cardSeed, null, 1.0);
    }

    /**
     * As above, as a card of a vendor persona when {@code persona} is given: its ATR (unless {@code atr} is given),
     * protocol, key sets, install rules and edge behaviour; operation times scaled by {@code latencyScale}.
     */
    SimulatedCard(byte[] atr, Path stateFile, boolean fresh, boolean t0, byte[] cardSeed, Persona persona, double latencyScale) {
        this(atr, stateFile, fresh, t0, cardSeed, persona, latencyScale, false);
    }

    /**
     * As above; with {@code myNumberCard}, a new card holds the TEST My Number card application
     * ({@link MyNumberCardApplet}) under the JPKI AID instead of the SIM's JPKI applet, and presents
     * {@link SimulatorMain#MY_NUMBER_CARD_ATR} unless an ATR is given.
     */
    SimulatedCard(byte[] atr, Path stateFile, boolean fresh, boolean t0, byte[] cardSeed, Persona persona, double latencyScale,
                  boolean myNumberCard) {
        this(atr, stateFile, fresh, t0, cardSeed, persona, latencyScale, myNumberCard, null);
    }

    /** As above; a new card gets {@code iin} (6 bytes, its issuer's) instead of the one from its seed when given. */
    SimulatedCard(byte[] atr, Path stateFile, boolean fresh, boolean t0, byte[] cardSeed, Persona persona, double latencyScale,
                  boolean myNumberCard, byte[] iin) {
        this.atr = atr != null ? atr.clone() : persona != null ? persona.atr.clone()
                : HexFormat.of().parseHex(myNumberCard ? SimulatorMain.MY_NUMBER_CARD_ATR : SimulatorMain.DEFAULT_ATR);
        this.stateFile = stateFile;
        this.t0 = t0 || (persona != null && persona.t0);
        GpCard restored = null;
        if (stateFile != null && !fresh && Files.exists(stateFile)) {
            try (InputStream in = Files.newInputStream(stateFile)) {
                restored = GpCard.restore(new java.io.BufferedInputStream(in), GpCard.DEFAULT_DIVERSIFICATION_DATA, catalog());
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot read card state " + stateFile + ": " + e.getMessage()
                        + " (start with --fresh to begin a new card)", e);
            }
        }
        if (restored != null) {
            card = restored;
            if (persona != null) {
                persona.configure(card);
            }
        } else {
            CardIdentity seeded = cardSeed == null ? CardIdentity.random() : CardIdentity.fromSeed(cardSeed);
            CardIdentity identity = iin == null ? seeded : seeded.withIin(iin);
            identity.prepareInBackground();
            card = persona == null ? new GpCard(identity) : persona.newCard(identity);
            if (myNumberCard) {
                card.installFromPackage(HexFormat.of().parseHex(MY_NUMBER_CARD_PACKAGE), 1, 0,
                        HexFormat.of().parseHex(MY_NUMBER_CARD_MODULE), JPKI_AID, MyNumberCardApplet.class, new byte[0]);
            } else {
                // As a SIM comes from its maker: the JPKI package loaded, one instance installed under the ISD.
                card.installFromPackage(JPKI_PACKAGE, 1, 0, JPKI_AID, JPKI_AID, JpkiApplet.class, new byte[0]);
            }
            dirty = stateFile != null;
        }
        card.setT0(this.t0);
        this.persona = persona == null ? null : new PersonaCard(persona, card::transmit, latencyScale);
    }

    /** The standard catalog and the TEST My Number card, so a saved card of either kind restores. */
    private static AppletCatalog catalog() {
        return AppletCatalog.standard().add(MY_NUMBER_CARD_PACKAGE, MY_NUMBER_CARD_MODULE, MyNumberCardApplet.class.getName());
    }

    boolean restoredFromState() {
        return stateFile != null && !dirty;
    }

    synchronized byte[] atr() {
        return atr.clone();
    }

    synchronized void powerOn() {
        if (!powered) {
            card.reset();
            powered = true;
        }
    }

    synchronized void powerOff() {
        card.reset();
        powered = false;
        saveIfDirty();
    }

    synchronized void reset() {
        card.reset();
        powered = true;
    }

    synchronized byte[] transmit(byte[] command) {
        if (command.length >= 4 && command[0] == (byte) 0xFF && command[1] == 0x70) {
            return control(command);
        }
        if (!powered) {
            // A reader never sends to an unpowered card: no answer, as from a mute card.
            return new byte[0];
        }
        byte[] response = persona == null ? card.transmit(command) : persona.transmit(command);
        dirty = stateFile != null;
        if (response.length == 0) {
            // The command lost power (injected): the card stays unpowered until the reader powers it.
            powered = false;
        }
        return response;
    }

    private byte[] control(byte[] command) {
        if (command.length > 5) {
            return new byte[] {0x6A, (byte) 0x86};
        }
        if (command[2] == 0x03 && command[3] != 0) {
            // power loss at the P2-th commit of the next command
            card.armPowerLossAtCommit(command[3] & 0xFF);
            return new byte[] {(byte) 0x90, 0x00};
        }
        if (command[3] != 0) {
            return new byte[] {0x6A, (byte) 0x86};
        }
        switch (command[2]) {
            case 0x04:
                return new byte[] {(byte) Math.min(card.lastCommandCommits(), 255), (byte) 0x90, 0x00};
            case 0x00: {
                int flags = (stateFile != null ? 1 : 0) | (card.powerLossArmed() ? 2 : 0) | (t0 ? 4 : 0);
                return new byte[] {(byte) flags, (byte) 0x90, 0x00};
            }
            case 0x01:
                card.armPowerLossAtNextCommit();
                return new byte[] {(byte) 0x90, 0x00};
            case 0x02:
                if (stateFile == null) {
                    return new byte[] {0x69, (byte) 0x85};
                }
                dirty = true;
                return saveIfDirty() ? new byte[] {(byte) 0x90, 0x00} : new byte[] {0x65, (byte) 0x81};
            default:
                return new byte[] {0x6A, (byte) 0x86};
        }
    }

    /** Writes the state file if anything may have changed since the last write; true when it is current. */
    synchronized boolean saveIfDirty() {
        if (stateFile == null || !dirty) {
            return true;
        }
        try {
            Path dir = stateFile.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".card-state", ".tmp");
            try {
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not POSIX: the directory's permissions apply
                }
                try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp))) {
                    card.save(out);
                }
                try {
                    Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            dirty = false;
            lastSaveError = null;
            return true;
        } catch (IOException | RuntimeException e) {
            String message = "jpki-simulator: cannot write card state " + stateFile + ": " + e.getMessage();
            if (!message.equals(lastSaveError)) {
                System.err.println(message);
                lastSaveError = message;
            }
            return false;
        }
    }
}
