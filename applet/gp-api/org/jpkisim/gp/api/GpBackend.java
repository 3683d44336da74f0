package org.jpkisim.gp.api;

import javacard.framework.AID;
import org.globalplatform.GPRegistryEntry;
import org.globalplatform.GlobalService;
import org.globalplatform.SecureChannel;

/**
 * What a simulated card's GlobalPlatform layer provides to org.globalplatform.GPSystem for the
 * applet currently being processed. Implemented by the simulator's security domains.
 */
public interface GpBackend {
    SecureChannel secureChannel();

    byte cardState();

    byte applicationState();

    boolean setApplicationState(byte state);

    boolean lockCard();

    boolean terminateCard();

    /** GPSystem.getService: the Global Service registered under {@code serviceName}, or null. */
    GlobalService service(AID server, short serviceName);

    /** GPSystem.getRegistryEntry: the entry of {@code aid}, or of the calling application when null. */
    GPRegistryEntry registryEntry(AID aid);
}
