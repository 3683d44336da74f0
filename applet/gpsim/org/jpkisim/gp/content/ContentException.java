package org.jpkisim.gp.content;

/** A card content management command refused with a GlobalPlatform status word. */
public final class ContentException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int sw;

    public ContentException(int sw, String message) {
        super(message);
        this.sw = sw;
    }

    public int sw() {
        return sw;
    }

    public static ContentException wrongData(String message) {
        return new ContentException(0x6A80, message);
    }
}
