package io.clip4j.nn;

/**
 * Activation buffers reused across forward calls: slot i holds one growable array.
 * A workspace belongs to one forward call at a time (callers borrow it from a pool).
 */
public final class Workspace {
    private final float[][] slots = new float[16][];

    /** A buffer of at least n floats for this slot; contents are unspecified. */
    public float[] get(int slot, int n) {
        float[] b = slots[slot];
        if (b == null || b.length < n) {
            b = new float[n];
            slots[slot] = b;
        }
        return b;
    }
}
