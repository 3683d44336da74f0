package org.globalplatform;

import javacard.framework.ISOException;
import javacard.framework.Shareable;

/**
 * A Global Service of the GP Card API (export file 1.1 and later): returned by
 * GPSystem.getService, it hands out the service's own interface (for the Authority family, an
 * {@link Authority}) to the requesting application. On a UICC the card's implementation is linked.
 */
public interface GlobalService extends Shareable {
    Shareable getServiceInterface(GPRegistryEntry clientRegistryEntry, short serviceName, byte[] buffer,
                                  short offset, short length) throws ISOException;
}
