package io.clip4j.train.data;

/** Derives independent stream seeds from (seed, purpose, epoch, index): SplitMix64 finalisers chained. */
public final class Seeds {
    private Seeds() {}

    public static long mix(long seed, long purpose, long epoch, long index) {
        long h = mix64(seed ^ 0x9E3779B97F4A7C15L);
        h = mix64(h ^ purpose);
        h = mix64(h ^ epoch);
        return mix64(h ^ index);
    }

    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
