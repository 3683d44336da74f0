package org.globalplatform;

import javacard.framework.Shareable;

/**
 * GP Card API org.globalplatform.Application: an applet that accepts personalization data from
 * its security domain (STORE DATA after INSTALL [for personalization]) implements this.
 */
public interface Application extends Shareable {
    /** Processes one STORE DATA command: baBuffer holds its header (5 bytes) and data from sOffset. */
    void processData(byte[] baBuffer, short sOffset, short sLength);
}
