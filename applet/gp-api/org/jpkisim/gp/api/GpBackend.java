package org.jpkisim.gp.api;

import javacard.framework.AID;
import javacard.framework.Shareable;
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
    Shareable service(AID server, short serviceName);
}
