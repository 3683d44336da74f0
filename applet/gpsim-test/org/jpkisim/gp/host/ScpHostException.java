package org.jpkisim.gp.host;

/** A secure channel could not be opened or a response failed its check; sw is the card's answer when there was one. */
public final class ScpHostException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int sw;

    public ScpHostException(String message, int sw) {
        super(sw < 0 ? message : String.format("%s (SW %04X)", message, sw));
        this.sw = sw;
    }

    public int sw() {
        return sw;
    }
}
