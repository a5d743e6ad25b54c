package io.clip4j.nn;

/** Receives named intermediate activations during a forward pass (for tests and debugging); data is a copy. */
@FunctionalInterface
public interface Trace {
    void record(String name, float[] data, int... shape);

    /** Records the first n values of buf (copied). */
    static void put(Trace t, String name, float[] buf, int n, int... shape) {
        if (t != null) t.record(name, java.util.Arrays.copyOf(buf, n), shape);
    }
}
