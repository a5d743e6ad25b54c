package io.clip4j.model;

/** Small vector helpers for embeddings (rows of length E). */
public final class Vectors {
    private Vectors() {}

    public static float dot(float[] a, float[] b) {
        float s = 0f;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** v / ‖v‖₂ (a zero vector stays zero). */
    public static float[] normalize(float[] v) {
        double ss = 0;
        for (float x : v) ss += (double) x * x;
        float inv = ss > 0 ? (float) (1.0 / Math.sqrt(ss)) : 0f;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] * inv;
        return out;
    }

    public static float[][] normalizeRows(float[][] m) {
        float[][] out = new float[m.length][];
        for (int i = 0; i < m.length; i++) out[i] = normalize(m[i]);
        return out;
    }
}
