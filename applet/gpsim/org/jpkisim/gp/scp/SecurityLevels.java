package org.jpkisim.gp.scp;

/** Security level bits (EXTERNAL AUTHENTICATE P1, GP Card Specification Table 10-1 and Amendment D 7.1.2). */
public final class SecurityLevels {
    public static final int C_MAC = 0x01;
    public static final int C_DECRYPTION = 0x02;
    public static final int R_MAC = 0x10;
    public static final int R_ENCRYPTION = 0x20;

    private SecurityLevels() {
    }

    /**
     * Whether P1 is a level GP defines: C-DECRYPTION needs C-MAC, R-ENCRYPTION needs C-DECRYPTION and
     * R-MAC; no other bits.
     */
    public static boolean isWellFormed(int level) {
        if ((level & ~0x33) != 0) {
            return false;
        }
        if ((level & C_DECRYPTION) != 0 && (level & C_MAC) == 0) {
            return false;
        }
        if ((level & R_ENCRYPTION) != 0 && ((level & R_MAC) == 0 || (level & C_DECRYPTION) == 0)) {
            return false;
        }
        return true;
    }

    /** Status words after which a response carries no R-MAC: everything except 9000, 62xx and 63xx. */
    public static boolean isProtectedStatus(int sw1, int sw2) {
        return (sw1 == 0x90 && sw2 == 0x00) || sw1 == 0x62 || sw1 == 0x63;
    }

    /**
     * Whether a response (data || SW) is protected by R-MAC: an authenticated session at a level
     * with R-MAC, and a status word that is not an error (errors go out bare, in SCP02 and SCP03).
     */
    static boolean getsRmac(boolean authenticated, int level, byte[] responseAndSw) {
        if (!authenticated || (level & R_MAC) == 0 || responseAndSw.length < 2) {
            return false;
        }
        int n = responseAndSw.length;
        return isProtectedStatus(responseAndSw[n - 2] & 0xFF, responseAndSw[n - 1] & 0xFF);
    }
}
