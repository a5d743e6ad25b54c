package io.clip4j.image;

/**
 * The pixel modes of a decoded image, named as Pillow names them. The reference pipeline resizes an image in the
 * mode Pillow opened it in, so the mode decides the resampling path and the conversion to RGB.
 */
public enum PilMode {
    /** 8-bit grey. */
    L("L", 1),
    /** 8-bit grey + alpha. */
    LA("LA", 2),
    /** 8-bit RGB. */
    RGB("RGB", 3),
    /** 8-bit RGB + alpha (not premultiplied). */
    RGBA("RGBA", 4),
    /** 8-bit palette indices; see {@link PilImage#palette()}. */
    P("P", 1),
    /** Bilevel; stored as 0 / 255 per pixel, as Pillow stores mode "1". */
    ONE("1", 1),
    /** 32-bit signed integer grey (16-bit PNGs open in this mode); see {@link PilImage#ints()}. */
    I("I", 1),
    /** 8-bit CMYK, in Pillow's polarity (0 = no ink). */
    CMYK("CMYK", 4);

    private final String pilName;
    private final int channels;

    PilMode(String pilName, int channels) {
        this.pilName = pilName;
        this.channels = channels;
    }

    /** The mode's name in Pillow ("1" for {@link #ONE}). */
    public String pilName() { return pilName; }

    /** Samples per pixel in this library's storage ({@code I}: one int). */
    public int channels() { return channels; }

    /** Whether the mode carries an alpha channel. */
    public boolean hasAlpha() { return this == LA || this == RGBA; }
}
