package org.jpkisim.gp.card;

/**
 * A supplementary security domain (GP Card Specification 7.2), instantiated by INSTALL [for install]
 * from GlobalPlatform's security domain module with the security domain privilege. It has its own
 * key sets (created with the GP test keys, to be replaced with PUT KEY in its own secure channel),
 * opens secure channels for itself and for the applications extradited to it, and personalises them
 * (INSTALL [for personalization] + STORE DATA). It has no delegated or authorized management.
 */
public final class SupplementarySecurityDomain extends IssuerSecurityDomain {
    private SupplementarySecurityDomain(GpCard card) {
        super(card);
    }

    public static void install(byte[] parameters, short offset, byte length) {
        SupplementarySecurityDomain sd = new SupplementarySecurityDomain(GpCard.installing());
        sd.register(parameters, (short) (offset + 1), parameters[offset]);
    }
}
