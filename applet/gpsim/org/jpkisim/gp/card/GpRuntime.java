package org.jpkisim.gp.card;

import com.licel.jcardsim.base.ApduCase;
import com.licel.jcardsim.base.SimulatorRuntime;
import java.lang.reflect.Field;
import java.util.Arrays;
import javacard.framework.AID;
import javacard.framework.APDU;
import javacard.framework.Applet;
import javacard.framework.ISOException;
import javacard.framework.MultiSelectable;

/**
 * jCardSim's runtime with what a GlobalPlatform card adds to it:
 * <ul>
 * <li>the events a security domain must see: an application deselected, a card reset (both end
 *     secure-channel sessions, GP Card Specification 10.2.x);</li>
 * <li>logical channels: MANAGE CHANNEL and the channel number in CLA (basic channel and channels 1-3,
 *     first interindustry CLA encoding), each channel with its own selected application, with the
 *     multiselection rules of the Java Card 3.0.4 Runtime Environment Specification, chapter 4 (its own
 *     dispatcher in place of jCardSim's, which knows one selection only);</li>
 * <li>status words of the runtime: SELECT of an AID not on the card 6A82, unsupported classes 6E00;</li>
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

    // ---- logical channels ----------------------------------------------------------------

    /** The logical channel of a CLA: 0-3 in the first interindustry (and GP proprietary) form, -1 otherwise. */
    static int channelOf(byte cla) {
        if ((cla & 0x40) != 0) {
            return -1;
        }
        return cla & 0x03;
    }

    /**
     * Class bytes the runtime answers with 6E00 before any applet sees them: FF (invalid, ISO/IEC 7816-4
     * 5.4.1; the PPS byte), 20-3F (reserved for future use, ISO/IEC 7816-4 5.4.1 Table 2), and the proprietary
     * classes GlobalPlatform does not define (D0-DF, F0-FE; GP Card Specification 11.1.4 uses 80-8F, C0-CF, E0-EF).
     */
    static boolean classNotSupported(byte cla) {
        int c = cla & 0xFF;
        return (c & 0xE0) == 0x20 || (c & 0xF0) == 0xD0 || (c & 0xF0) == 0xF0;
    }

    @Override
    public byte[] transmitCommand(byte[] command) {
        if (command.length < 4) {
            return sw(0x6700);
        }
        byte cla = command[0];
        if (classNotSupported(cla)) {
            return sw(0x6E00);
        }
        int ch = channelOf(cla);
        if (ch < 0) {
            return sw(0x6881); // channels 4-19 (further interindustry encoding): not supported here
        }
        if (command[1] == 0x70 && (cla & 0xF0) == 0x00) {
            if ((cla & 0x0C) != 0) {
                return sw(0x6882); // JCRE 4.5.1: MANAGE CHANNEL with secure messaging bits
            }
            if (!channelOpen[ch]) {
                return sw(0x6881);
            }
            return manageChannel(ch, command);
        }
        ApduCase apduCase = ApduCase.getCase(command);
        boolean selection = !apduCase.isExtended() && isAppletSelectionApdu(command);
        if (!channelOpen[ch]) {
            if (!selection) {
                return sw(0x6881);
            }
            // JCRE 4.5.2 step 3: a SELECT on a channel that is not open opens it, with no applet active.
            channelOpen[ch] = true;
            channelSelection[ch] = null;
        }
        channel = ch;
        currentAID = channelSelection[ch];
        try {
            return dispatch(command, apduCase, selection, ch);
        } finally {
            channelSelection[ch] = currentAID;
            currentAID = channelSelection[0];
            channel = 0;
        }
    }

    /** One command on one channel: applet selection (JCRE 4.5.2), then the selected applet's process(). */
    private byte[] dispatch(byte[] command, ApduCase apduCase, boolean selection, int ch) {
        activateSimulatorRuntimeInstance();
        selecting = false;
        if (selection) {
            AID candidate = findAppletForSelectApdu(command, apduCase);
            if (candidate == null) {
                // GP Card Specification 11.9: the OPEN answers a SELECT [by name] of an application that is not
                // on the card with 6A82; the applet selected on the channel stays selected.
                return sw(0x6A82);
            }
            ApplicationInstance instance = lookupApplet(candidate);
            boolean contextActive = contextActiveElsewhere(candidate, ch);
            if (contextActive && !(instance.getApplet() instanceof MultiSelectable)) {
                // JCRE 4.5.2 step 5: the channel stays open, its applet stays selected.
                return sw(0x6985);
            }
            if (currentAID != null) {
                deselectOn(ch, currentAID);
                currentAID = null;
            }
            currentAID = candidate;
            if (!callSelect(instance, contextActive)) {
                currentAID = null;
                return sw(0x6999);
            }
            selecting = true;
        }
        Applet applet = getApplet(currentAID);
        if (applet == null) {
            selecting = false;
            return sw(0x6986); // no applet selected on this channel
        }
        if (apduCase.isExtended()) {
            if (!(applet instanceof javacardx.apdu.ExtendedLength)) {
                selecting = false;
                return sw(0x6700);
            }
            usingExtendedAPDUs = true;
        } else {
            usingExtendedAPDUs = false;
        }
        responseBufferSize = 0;
        APDU apdu = getCurrentAPDU();
        int status;
        try {
            resetAPDU(apdu, apduCase, command);
            applet.process(apdu);
            status = 0x9000;
        } catch (ISOException e) {
            status = e.getReason() & 0xFFFF;
        } catch (Throwable e) {
            status = 0x6F00;
        } finally {
            selecting = false;
            resetAPDU(apdu, null, null);
        }
        int sw1 = status >> 8;
        boolean withData = sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63 || (sw1 >= 0x90 && sw1 <= 0x9F);
        int n = withData ? responseBufferSize : 0;
        byte[] response = new byte[n + 2];
        System.arraycopy(responseBuffer, 0, response, 0, n);
        response[n] = (byte) (status >> 8);
        response[n + 1] = (byte) status;
        return response;
    }

    /** select(), or MultiSelectable.select(true) when the applet's context is active on another channel. */
    private static boolean callSelect(ApplicationInstance instance, boolean contextActive) {
        Applet applet = instance.getApplet();
        try {
            if (contextActive && applet instanceof MultiSelectable) {
                return ((MultiSelectable) applet).select(true);
            }
            return applet.select();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Deselects the applet on one channel (JCRE 4.6): deselect(), or MultiSelectable.deselect() while its
     * context stays active on another channel (then CLEAR_ON_DESELECT memory and its secure-channel session,
     * which belongs to the application, survive).
     */
    private void deselectOn(int ch, AID aid) {
        ApplicationInstance instance = lookupApplet(aid);
        if (instance == null) {
            return;
        }
        AID saved = currentAID;
        currentAID = aid;
        try {
            if (instance.getApplet() instanceof MultiSelectable && contextActiveElsewhere(aid, ch)) {
                try {
                    ((MultiSelectable) instance.getApplet()).deselect(selectedElsewhere(aid, ch));
                } catch (Exception ignored) {
                    // JCRE: exceptions from deselect are ignored
                }
                if (getTransactionDepth() != 0) {
                    abortTransaction();
                }
            } else {
                deselect(instance);
            }
        } finally {
            currentAID = saved;
        }
    }

    /** The application's context: its load file (applets of one package share it), else the instance itself. */
    private String contextOf(AID aid) {
        byte[] bytes = aidBytes(aid);
        CardContent content = backend.content();
        Registry.Application app = content == null ? null : content.registry().application(bytes);
        if (app != null && app.loadFile != null) {
            return "package " + Registry.key(app.loadFile);
        }
        return "instance " + Registry.key(bytes);
    }

    /** Whether an applet of the AID's context (itself, or another of its package) is selected on another open channel. */
    private boolean contextActiveElsewhere(AID aid, int ch) {
        String context = contextOf(aid);
        for (int n = 0; n < CHANNELS; n++) {
            if (n != ch && channelOpen[n] && channelSelection[n] != null && contextOf(channelSelection[n]).equals(context)) {
                return true;
            }
        }
        return false;
    }

    private boolean selectedElsewhere(AID aid, int ch) {
        for (int n = 0; n < CHANNELS; n++) {
            if (n != ch && channelOpen[n] && aid.equals(channelSelection[n])) {
                return true;
            }
        }
        return false;
    }

    private static byte[] aidBytes(AID aid) {
        byte[] bytes = new byte[16];
        byte n = aid.getBytes(bytes, (short) 0);
        return Arrays.copyOf(bytes, n);
    }

    /** SELECT by name without an AID (case 1/2): the card's default application, not jCardSim's first applet. */
    @Override
    protected AID findAppletForSelectApdu(byte[] command, ApduCase apduCase) {
        if (apduCase == ApduCase.Case1 || apduCase == ApduCase.Case2) {
            return defaultApplication;
        }
        return super.findAppletForSelectApdu(command, apduCase);
    }

    /** MANAGE CHANNEL (JCRE 4.5.1 open, 4.7 close) from an open origin channel. */
    private byte[] manageChannel(int origin, byte[] command) {
        int p1 = command[2] & 0xFF;
        int p2 = command[3] & 0xFF;
        if (command.length > 5) {
            return sw(0x6700);
        }
        if ((p1 != 0x00 && p1 != 0x80) || p2 > 19) {
            return sw(0x6A81);
        }
        if (p1 == 0x00) {
            int target = p2;
            if (target == 0) {
                if (command.length == 5 && command[4] != 0x01) {
                    return sw(0x6C01);
                }
                for (int n = 1; n < CHANNELS && target == 0; n++) {
                    if (!channelOpen[n]) {
                        target = n;
                    }
                }
                if (target == 0) {
                    return sw(0x6A81); // no channel left
                }
            } else if (target >= CHANNELS || channelOpen[target]) {
                return sw(0x6A86); // channel not available or already open
            }
            // JCRE 4.5.1 step 7: from the basic channel the new channel gets the default application (the ISD);
            // from another channel, the applet active on the origin channel.
            AID candidate = origin == 0 ? defaultApplication : channelSelection[origin];
            channelOpen[target] = true;
            channelSelection[target] = null;
            if (candidate != null && lookupApplet(candidate) != null) {
                ApplicationInstance instance = lookupApplet(candidate);
                boolean contextActive = contextActiveElsewhere(candidate, target);
                if (contextActive && !(instance.getApplet() instanceof MultiSelectable)) {
                    channelOpen[target] = false; // step 8: the new channel is closed again
                    return sw(0x6985);
                }
                AID saved = currentAID;
                int savedChannel = channel;
                currentAID = candidate;
                channel = target;
                activateSimulatorRuntimeInstance();
                try {
                    if (!callSelect(instance, contextActive)) {
                        channelOpen[target] = false; // step 10: selection refused, the channel is closed
                        return sw(0x6999);
                    }
                } finally {
                    currentAID = saved;
                    channel = savedChannel;
                }
                channelSelection[target] = candidate;
            }
            return p2 == 0 ? new byte[] {(byte) target, (byte) 0x90, 0x00} : sw(0x9000);
        }
        int target = p2 == 0 ? origin : p2;
        if (target == 0 || target >= CHANNELS) {
            return sw(0x6A86);
        }
        if (!channelOpen[target]) {
            return sw(0x6881);
        }
        AID selected = channelSelection[target];
        if (selected != null) {
            int savedChannel = channel;
            channel = target;
            try {
                deselectOn(target, selected);
            } finally {
                channel = savedChannel;
            }
        }
        channelOpen[target] = false;
        channelSelection[target] = null;
        return sw(0x9000);
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
        for (int n = 0; n < CHANNELS; n++) {
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

    /** A non-atomic write (Util.*NonAtomic) to an array: survives a rollback of the open transaction. */
    void nonAtomicWrite(byte[] array, int offset, int length) {
        if (transactions != null && getTransactionDepth() != 0) {
            transactions.nonAtomicWrite(array, offset, length);
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
