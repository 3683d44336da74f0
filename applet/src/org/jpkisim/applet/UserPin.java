package org.jpkisim.applet;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;

/**
 * The user-authentication PIN: four ASCII digits, three tries.
 *
 * <p>OwnerPIN keeps the try counter in EEPROM and decrements it before comparing, so pulling
 * the card during a wrong guess still costs the try; its validated flag is transient and is
 * also cleared here on deselect. A blocked PIN stays blocked across power cycles until the
 * SP-TSM resets it with a new PIN.
 */
final class UserPin {
    static final byte LENGTH = 4;
    static final byte TRY_LIMIT = 3;

    private final OwnerPIN pin;
    /** Whether a PIN has ever been set; VERIFY before that is refused. */
    private boolean set;

    UserPin() {
        pin = new OwnerPIN(TRY_LIMIT, LENGTH);
    }

    boolean isSet() {
        return set;
    }

    boolean isValidated() {
        return set && pin.isValidated();
    }

    byte triesLeft() {
        return set ? pin.getTriesRemaining() : 0;
    }

    void logout() {
        pin.reset();
    }

    /** 63Cx with x = tries left: the answer to an empty VERIFY and to a failed one. */
    short triesLeftStatus() {
        return (short) (StatusWords.PIN_TRIES_LEFT_BASE | triesLeft());
    }

    /**
     * Checks a PIN candidate. A wrong format is refused with 6A80 before the counter is
     * touched: the format (four digits) is public, so refusing it reveals nothing.
     */
    void verify(byte[] buf, short offset, short length) {
        checkFormat(buf, offset, length);
        if (pin.getTriesRemaining() == 0) {
            ISOException.throwIt(StatusWords.PIN_TRIES_LEFT_BASE);
        }
        if (!pin.check(buf, offset, (byte) length)) {
            ISOException.throwIt(triesLeftStatus());
        }
    }

    /** Sets a new PIN and a full try counter, atomically (initial PIN, change and reset). */
    void replace(byte[] buf, short offset, short length) {
        checkFormat(buf, offset, length);
        JCSystem.beginTransaction();
        pin.update(buf, offset, (byte) length);
        set = true;
        JCSystem.commitTransaction();
    }

    /**
     * Forgets the PIN entirely (termination): the stored value is overwritten with zero bytes
     * (not a PIN: four digits are required) and the PIN is marked unset, in one transaction.
     */
    void clear(byte[] zeros, short offset) {
        JCSystem.beginTransaction();
        pin.update(zeros, offset, LENGTH);
        set = false;
        pin.reset();
        JCSystem.commitTransaction();
    }

    /** Refuses a PIN that is not four ASCII digits with 6A80. */
    static void checkFormat(byte[] buf, short offset, short length) {
        if (!isWellFormed(buf, offset, length)) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
    }

    /**
     * The one definition of a PIN's format, four ASCII digits: for VERIFY, CHANGE REFERENCE DATA
     * and a PIN that arrives sealed (which must be refused without throwing halfway through).
     */
    static boolean isWellFormed(byte[] buf, short offset, short length) {
        if (length != LENGTH) {
            return false;
        }
        for (short i = 0; i < LENGTH; i++) {
            byte b = buf[(short) (offset + i)];
            if (b < (byte) '0' || b > (byte) '9') {
                return false;
            }
        }
        return true;
    }
}
