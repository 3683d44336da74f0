package org.jpkisim.gp.scp;

/**
 * A secure-channel failure with the status word the card answers. The session engines throw
 * it; the SecureChannel adapter closes the session where GP says so and turns it into an ISOException.
 */
public final class ScpException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final short sw;

    public ScpException(int sw, String reason) {
        super(String.format("%04X %s", sw & 0xFFFF, reason));
        this.sw = (short) sw;
    }

    public short sw() {
        return sw;
    }
}
