package org.jpkisim.gp.scp;

/** The status words of GP Card Specification 2.3 chapter 11 that the secure channel answers. */
public final class StatusWords {
    /** EXTERNAL AUTHENTICATE: authentication of the host cryptogram failed. */
    public static final int HOST_CRYPTOGRAM_FAILED = 0x6300;
    public static final int WRONG_LENGTH = 0x6700;
    /** Bad C-MAC, or a secured command with no authenticated session. */
    public static final int SECURITY_STATUS_NOT_SATISFIED = 0x6982;
    /** EXTERNAL AUTHENTICATE without a preceding INITIALIZE UPDATE. */
    public static final int CONDITIONS_NOT_SATISFIED = 0x6985;
    public static final int WRONG_DATA = 0x6A80;
    public static final int INCORRECT_P1P2 = 0x6A86;
    /** INITIALIZE UPDATE: no key set with that key version. */
    public static final int REFERENCED_DATA_NOT_FOUND = 0x6A88;
    public static final int INS_NOT_SUPPORTED = 0x6D00;
    public static final int CLA_NOT_SUPPORTED = 0x6E00;

    private StatusWords() {
    }
}
