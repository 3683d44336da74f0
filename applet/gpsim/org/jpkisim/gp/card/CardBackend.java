package org.jpkisim.gp.card;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import javacard.framework.AID;
import javacard.framework.JCSystem;
import org.globalplatform.GPSystem;
import org.globalplatform.SecureChannel;
import org.jpkisim.gp.api.GpBackend;
import org.jpkisim.gp.keys.KeyRepository;

/**
 * A card's GlobalPlatform layer as GPSystem sees it: card life cycle, per-application life cycle,
 * and one secure channel per application, all backed by the issuer security domain's key sets
 * (every application is associated with the ISD until supplementary domains exist).
 */
final class CardBackend implements GpBackend {
    private final KeyRepository keys;
    private final byte[] diversificationData;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, CardSecureChannel> channels = new HashMap<>();
    private final Map<String, Byte> applicationStates = new HashMap<>();
    private byte cardState = GPSystem.CARD_SECURED;
    private CardContent content;
    private org.globalplatform.Authority authority;

    CardBackend(KeyRepository keys, byte[] diversificationData) {
        this.keys = keys;
        this.diversificationData = diversificationData.clone();
    }

    private static String key(byte[] aid) {
        return HexFormat.of().formatHex(aid);
    }

    private static byte[] currentAid() {
        AID aid = JCSystem.getAID();
        if (aid == null) {
            throw new IllegalStateException("GPSystem called outside an applet context");
        }
        byte[] bytes = new byte[16];
        byte n = aid.getBytes(bytes, (short) 0);
        return java.util.Arrays.copyOf(bytes, n);
    }

    @Override
    public SecureChannel secureChannel() {
        return channelFor(currentAid());
    }

    CardSecureChannel channelFor(byte[] aid) {
        return channels.computeIfAbsent(key(aid), k -> new CardSecureChannel(keysFor(aid), aid, diversificationData, random));
    }

    void attach(CardContent content) {
        this.content = content;
    }

    /** The card content (registry) this backend answers for; null before attach(). */
    CardContent content() {
        return content;
    }

    /** The key sets of the security domain the application is associated with. */
    private KeyRepository keysFor(byte[] aid) {
        return content == null ? keys : content.keysFor(aid);
    }

    /** The application was deleted or moved to another security domain: its channel is rebuilt on next use. */
    void forgetChannel(byte[] aid) {
        CardSecureChannel channel = channels.remove(key(aid));
        if (channel != null) {
            channel.resetSecurity();
        }
    }

    void setCardState(byte state) {
        cardState = state;
    }

    /** The application was deselected (or the card reset): its session ends. */
    void endSession(byte[] aid) {
        CardSecureChannel channel = channels.get(key(aid));
        if (channel != null) {
            channel.resetSecurity();
        }
    }

    void endAllSessions() {
        for (CardSecureChannel channel : channels.values()) {
            channel.resetSecurity();
        }
    }

    @Override
    public byte cardState() {
        return cardState;
    }

    @Override
    public byte applicationState() {
        Registry.Application app = content == null ? null : content.registry().application(currentAid());
        if (app != null) {
            return (byte) app.state;
        }
        return applicationStates.getOrDefault(key(currentAid()), GPSystem.APPLICATION_SELECTABLE);
    }

    /** GP Card API: application-specific states keep bits 1-3 set (selectable) and b8 clear. */
    @Override
    public boolean setApplicationState(byte state) {
        if ((state & 0x07) != 0x07 || (state & 0x80) != 0) {
            return false;
        }
        Registry.Application app = content == null ? null : content.registry().application(currentAid());
        if (app != null) {
            if (app.isSecurityDomain()) {
                return false;
            }
            app.state = state & 0xFF;
            return true;
        }
        applicationStates.put(key(currentAid()), state);
        return true;
    }

    /** GP Card API GPSystem.lockCard(): only an application with the Card Lock privilege (GP 2.3 6.6.1), else false. */
    @Override
    public boolean lockCard() {
        if (cardState == GPSystem.CARD_TERMINATED || !callerHasPrivilege(Registry.PRIV_CARD_LOCK)) {
            return false;
        }
        cardState = GPSystem.CARD_LOCKED;
        return true;
    }

    /** GP Card API GPSystem.terminateCard(): only an application with the Card Terminate privilege, else false. */
    @Override
    public boolean terminateCard() {
        if (!callerHasPrivilege(Registry.PRIV_CARD_TERMINATE)) {
            return false;
        }
        cardState = GPSystem.CARD_TERMINATED;
        return true;
    }

    private boolean callerHasPrivilege(int firstByteMask) {
        Registry.Application app = content == null ? null : content.registry().application(currentAid());
        return app != null && (app.privileges[0] & firstByteMask) != 0;
    }

    /** The card's key diversification data (INITIALIZE UPDATE, and the SSDs' keys are derived with it). */
    byte[] diversificationData() {
        return diversificationData.clone();
    }

    void registerAuthority(org.globalplatform.Authority authority) {
        this.authority = authority;
    }

    /**
     * Global Services: the CASD's Authority, for serverAID null or the CASD's AID and service name
     * FAMILY_AUTHORITY << 8 (identifier 00). Anything else: null, as for a service nobody registered.
     * The GlobalService hands the Authority to any requester: the Authority itself signs in the
     * name of the application it is called from, whatever registry entry the requester shows.
     */
    @Override
    public org.globalplatform.GlobalService service(AID server, short serviceName) {
        if (serviceName != (short) ((GPSystem.FAMILY_AUTHORITY & 0xFF) << 8) || authority == null) {
            return null;
        }
        byte[] casd = ControllingAuthorityDomain.AID;
        if (server != null && !server.equals(casd, (short) 0, (byte) casd.length)) {
            return null;
        }
        final org.globalplatform.Authority service = authority;
        return (client, name, buffer, offset, length) -> name == serviceName ? service : null;
    }

    /** The registry entry is not modelled for applets; the services here do not rely on it. */
    @Override
    public org.globalplatform.GPRegistryEntry registryEntry(AID aid) {
        return null;

    }
}
