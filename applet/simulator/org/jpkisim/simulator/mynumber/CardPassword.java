package org.jpkisim.simulator.mynumber;

import javacard.framework.ISO7816;
import javacard.framework.ISOException;
import javacard.framework.JCSystem;
import javacard.framework.OwnerPIN;
import javacard.framework.Util;

/**
 * A reference value of the card: the signature password (6 to 16 characters A-Z and 0-9, five
 * tries) or the user-authentication PIN (four digits, three tries).
 *
 * <p>Values are compared zero-padded to the maximum length, so a shorter candidate costs a try
 * like any wrong one. OwnerPIN decrements its counter before comparing: pulling the card during a
 * wrong guess still costs the try. A candidate in the wrong format is refused with 6A80 before the
 * counter is touched: the format is public, refusing it reveals nothing.
 */
final class CardPassword {
    private final OwnerPIN pin;
    private final byte minLength;
    private final byte maxLength;
    private final boolean letters;
    /** Whether a value was ever set; VERIFY before that is refused. */
    private boolean set;

    CardPassword(byte tries, byte minLength, byte maxLength, boolean letters) {
        pin = new OwnerPIN(tries, maxLength);
        this.minLength = minLength;
        this.maxLength = maxLength;
        this.letters = letters;
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

    /** 63Cx, x = tries left: the answer to an empty VERIFY and to a wrong value (63C0 when blocked). */
    short triesLeftStatus() {
        return (short) (MyNumberCardApplet.SW_TRIES_LEFT_BASE | triesLeft());
    }

    /**
     * Checks the candidate at buf[offset..offset+length). The bytes after it up to the maximum
     * length are zeroed in the buffer, which must have room for them.
     */
    void verify(byte[] buf, short offset, short length) {
        checkFormat(buf, offset, length);
        if (pin.getTriesRemaining() == 0) {
            ISOException.throwIt(MyNumberCardApplet.SW_TRIES_LEFT_BASE);
        }
        pad(buf, offset, length);
        boolean match = pin.check(buf, offset, maxLength);
        Util.arrayFillNonAtomic(buf, offset, maxLength, (byte) 0);
        if (!match) {
            ISOException.throwIt(triesLeftStatus());
        }
    }

    /** Sets a new value and a full try counter in one transaction (issuance). */
    void replace(byte[] buf, short offset, short length) {
        checkFormat(buf, offset, length);
        pad(buf, offset, length);
        JCSystem.beginTransaction();
        pin.update(buf, offset, maxLength);
        set = true;
        JCSystem.commitTransaction();
        Util.arrayFillNonAtomic(buf, offset, maxLength, (byte) 0);
    }

    private void pad(byte[] buf, short offset, short length) {
        Util.arrayFillNonAtomic(buf, (short) (offset + length), (short) (maxLength - length), (byte) 0);
    }

    /** 6A80 unless the value has the allowed length and characters. */
    void checkFormat(byte[] buf, short offset, short length) {
        if (length < minLength || length > maxLength) {
            ISOException.throwIt(ISO7816.SW_WRONG_DATA);
        }
        for (short i = 0; i < length; i++) {
            byte b = buf[(short) (offset + i)];
            boolean digit = b >= (byte) '0' && b <= (byte) '9';
            boolean letter = letters && b >= (byte) 'A' && b <= (byte) 'Z';
            if (!digit && !letter) {
                ISOException.throwIt(ISO7816.SW_WRONG_DATA);
            }
        }
    }
}
