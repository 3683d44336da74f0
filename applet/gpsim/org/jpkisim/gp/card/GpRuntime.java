package org.jpkisim.gp.card;

import com.licel.jcardsim.base.ApduCase;
import com.licel.jcardsim.base.SimulatorRuntime;
import java.lang.reflect.Field;
import java.util.Arrays;
import javacard.framework.AID;
import javacard.framework.APDU;

/**
 * jCardSim's runtime with what a GlobalPlatform card adds to it:
 * <ul>
 * <li>the events a security domain must see: an application deselected, a card reset (both end
 *     secure-channel sessions, GP Card Specification 10.2.x);</li>
 * <li>logical channels: MANAGE CHANNEL and the channel number in CLA (basic channel and channels 1-3,
 *     first interindustry CLA encoding), each channel with its own selected application;</li>
 * <li>a short case-4 APDU with Lc = 255 and Le: jCardSim's 260-byte APDU buffer cannot hold it with
 *     its Le byte and answered 6F00; here the command reaches the applet as on a card (Le kept);</li>
 * <li>transactions that roll back: abortTransaction() (also the implicit abort on deselect or power
 *     loss) restores the persistent state the applets had at beginTransaction().</li>
 * </ul>
 */
final class GpRuntime extends SimulatorRuntime {
    static final int CHANNELS = 4;
    private static final Field RAM_VARS;
    private static final int LE = 0;
    private static final int LOGICAL_CHANNEL = 6;

    static {
        try {
            RAM_VARS = APDU.class.getDeclaredField("ramVars");
            RAM_VARS.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CardBackend backend;
    private final AID[] channelSelection = new AID[CHANNELS];
    private final boolean[] channelOpen = new boolean[CHANNELS];
    private int channel;
    private Transactions transactions;

    private final GpTransientMemory memory;
    private AID defaultApplication;

    GpRuntime(CardBackend backend) {
        this(backend, new GpTransientMemory());
    }

    private GpRuntime(CardBackend backend, GpTransientMemory memory) {
        super(memory);
        this.backend = backend;
        this.memory = memory;
        channelOpen[0] = true;
    }

    GpTransientMemory memory() {
        return memory;
    }

    void setDefaultApplication(AID aid) {
        defaultApplication = aid;
    }

    void attach(Transactions transactions) {
        this.transactions = transactions;
    }

    // ---- logical channels -------------------------------------------------------------------

    /** The logical channel of a CLA: 0-3 in the first interindustry (and GP proprietary) form, -1 otherwise. */
    static int channelOf(byte cla) {
        if ((cla & 0x40) != 0) {
            return -1;
        }
        return cla & 0x03;
    }

    @Override
    public byte[] transmitCommand(byte[] command) {
        int ch = command.length >= 4 ? channelOf(command[0]) : 0;
        if (ch < 0 || !channelOpen[ch]) {
            return new byte[] {0x68, (byte) 0x81}; // logical channel not supported / not open
        }
        if (command.length >= 4 && command[1] == 0x70 && (command[0] & 0xFC) == 0x00) {
            return manageChannel(ch, command);
        }
        AID basic = currentAID;
        currentAID = channelSelection[ch] == null && ch == 0 ? basic : channelSelection[ch];
        channel = ch;
        try {
            return super.transmitCommand(command);
        } finally {
            channelSelection[ch] = currentAID;
            if (ch != 0) {
                currentAID = channelSelection[0];
            }
            channel = 0;
        }
    }

    private byte[] manageChannel(int origin, byte[] command) {
        int p1 = command[2] & 0xFF;
        int p2 = command[3] & 0xFF;
        if (command.length > 5) {
            return sw(0x6700);
        }
        if (p1 == 0x00) {
            int target = p2;
            if (target == 0) {
                for (int n = 1; n < CHANNELS && target == 0; n++) {
                    if (!channelOpen[n]) {
                        target = n;
                    }
                }
                if (target == 0) {
                    return sw(0x6A81); // no channel left
                }
            } else if (target >= CHANNELS) {
                return sw(0x6A81);
            } else if (channelOpen[target]) {
                return sw(0x6A86);
            }
            channelOpen[target] = true;
            // ISO 7816-4: from the basic channel the new channel gets the default application (the ISD);
            // from another channel, the application selected there.
            channelSelection[target] = origin == 0 ? defaultApplication : channelSelection[origin];
            return p2 == 0 ? new byte[] {(byte) target, (byte) 0x90, 0x00} : sw(0x9000);
        }
        if (p1 == 0x80) {
            int target = p2 == 0 ? origin : p2;
            if (target == 0 || target >= CHANNELS) {
                return sw(0x6A86);
            }
            if (!channelOpen[target]) {
                return sw(0x6881);
            }
            AID selected = channelSelection[target];
            channelOpen[target] = false;
            channelSelection[target] = null;
            if (selected != null && !selectedElsewhere(selected)) {
                deselect(lookupApplet(selected));
            }
            return sw(0x9000);
        }
        return sw(0x6A86);
    }

    private boolean selectedElsewhere(AID aid) {
        for (int n = 0; n < CHANNELS; n++) {
            if (channelOpen[n] && aid.equals(channelSelection[n])) {
                return true;
            }
        }
        return aid.equals(currentAID);
    }

    private static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }

    @Override
    public byte getAssignedChannel() {
        return (byte) channel;
    }

    // ---- APDU buffer ------------------------------------------------------------------------

    @Override
    protected void resetAPDU(APDU apdu, ApduCase apduCase, byte[] buffer) {
        if (apduCase == ApduCase.Case4 && buffer != null && buffer.length == 261) {
            // Lc = 255 and Le: the 260-byte buffer holds header and data; Le is kept aside, as on a card.
            super.resetAPDU(apdu, ApduCase.Case3, Arrays.copyOf(buffer, 260));
            int le = buffer[260] & 0xFF;
            ramVars(apdu)[LE] = (short) (le == 0 ? 256 : le);
        } else {
            super.resetAPDU(apdu, apduCase, buffer);
        }
        if (buffer != null) {
            ramVars(apdu)[LOGICAL_CHANNEL] = (short) channel;
        }
    }

    private static short[] ramVars(APDU apdu) {
        try {
            return (short[]) RAM_VARS.get(apdu);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- events -----------------------------------------------------------------------------

    @Override
    protected void deselect(ApplicationInstance instance) {
        try {
            super.deselect(instance);
        } finally {
            if (instance != null) {
                endSession(instance);
            }
        }
    }

    private void endSession(ApplicationInstance instance) {
        byte[] aid = new byte[16];
        byte n = instance.getAID().getBytes(aid, (short) 0);
        backend.endSession(java.util.Arrays.copyOf(aid, n));
    }

    /** DELETE of an application instance: uninstall (AppletEvent) and forget it, on every channel. */
    void removeApplet(AID aid) {
        deleteApplet(aid);
        for (int n = 1; n < CHANNELS; n++) {
            if (aid.equals(channelSelection[n])) {
                channelSelection[n] = null;
            }
        }
    }

    /** Puts an applet object read from a saved state back under its AID. */
    void restoreApplet(AID aid, javacard.framework.Applet applet) {
        applets.put(aid, new ApplicationInstance(aid, applet));
    }

    boolean hasLoadFile(AID aid) {
        return loadFiles.containsKey(aid);
    }

    /** DELETE of a load file (its instances are gone already). */
    void removeLoadFile(AID aid) {
        loadFiles.remove(aid);
    }

    @Override
    public void reset() {
        if (transactions != null && getTransactionDepth() != 0) {
            transactions.rollBack();
        }
        super.reset();
        Arrays.fill(channelSelection, null);
        Arrays.fill(channelOpen, false);
        channelOpen[0] = true;
        channel = 0;
        backend.endAllSessions();
    }

    // ---- transactions -----------------------------------------------------------------------

    @Override
    public void beginTransaction() {
        super.beginTransaction();
        if (transactions != null) {
            transactions.begin();
        }
    }

    @Override
    public void abortTransaction() {
        super.abortTransaction();
        if (transactions != null) {
            transactions.rollBack();
        }
    }

    @Override
    public void commitTransaction() {
        if (transactions != null) {
            transactions.beforeCommit();
        }
        super.commitTransaction();
        if (transactions != null) {
            transactions.committed();
        }
    }

    /** Whether the applet instance is one of the card's own (security domains), outside applet state. */
    Iterable<ApplicationInstance> instances() {
        return applets.values();
    }
}
