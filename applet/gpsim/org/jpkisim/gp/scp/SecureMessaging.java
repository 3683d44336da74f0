package org.jpkisim.gp.scp;

/**
 * What a class byte says about secure messaging (ISO/IEC 7816-4 5.4.1, GP Card Specification 11.1.4).
 *
 * <ul>
 * <li>First interindustry encoding (CLA {@code 0x}-{@code 3x}, and the GP proprietary {@code 8x}-{@code Bx}
 *     built the same way): bits b4 b3 ({@code 0C}). {@code 00} none; {@code 04} proprietary SM, which GP
 *     uses for its C-MAC (CLA {@code 84}-{@code 87}); {@code 08} ISO SM, header not processed; {@code 0C}
 *     ISO SM, header authenticated.</li>
 * <li>Further interindustry encoding (CLA {@code 4x}-{@code 7x}, and GP's {@code Cx}-{@code Fx} for logical
 *     channels 4-19): bit b6 ({@code 20}), ISO SM with the header not processed (GP: {@code E0}-{@code EF}).</li>
 * </ul>
 *
 * The simulator's SCP02/SCP03 sessions process only the GP form on channels 0-3 ({@link #GP}); every other
 * indication of secure messaging is {@link #UNPROCESSED}: a session must never hand such a command back as
 * if it had been verified.
 */
public final class SecureMessaging {
    /** The class byte indicates no secure messaging. */
    public static final int NONE = 0;
    /** GP secure messaging that the SCP02/SCP03 sessions verify: b4 b3 = 01 in the first encoding. */
    public static final int GP = 1;
    /** Secure messaging in a form no session here processes (ISO SM forms; the further encoding). */
    public static final int UNPROCESSED = 2;

    private SecureMessaging() {
    }

    public static int of(int cla) {
        cla &= 0xFF;
        if ((cla & 0x40) != 0) {
            return (cla & 0x20) != 0 ? UNPROCESSED : NONE;
        }
        switch (cla & 0x0C) {
            case 0x00:
                return NONE;
            case 0x04:
                return GP;
            default:
                return UNPROCESSED;
        }
    }

    /**
     * The unwrap rule both secure channel protocols share: an SM form no session processes, or a
     * plain command where the session's level requires a C-MAC, is refused (6982). Returns true
     * for a plain command that may pass as it is, false for a GP-protected one to unwrap.
     */
    public static boolean plainCommandPasses(int cla, boolean authenticated, int level) {
        switch (of(cla)) {
            case UNPROCESSED:
                throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "secure messaging in a form this session does not process");
            case NONE:
                if (authenticated && (level & SecurityLevels.C_MAC) != 0) {
                    throw new ScpException(StatusWords.SECURITY_STATUS_NOT_SATISFIED, "plain command where the level requires a C-MAC");
                }
                return true;
            default:
                return false;
        }
    }
}
