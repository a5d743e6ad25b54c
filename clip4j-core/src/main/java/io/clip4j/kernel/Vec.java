package io.clip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** The vector species every kernel uses: the platform's preferred shape unless {@code clip4j.vectorBits} (128/256/512) says otherwise. */
final class Vec {
    private Vec() {}

    static final VectorSpecies<Float> S = pick(System.getProperty("clip4j.vectorBits"));
    static final int VL = S.length();

    private static VectorSpecies<Float> pick(String bits) {
        if (bits == null || bits.isBlank()) return FloatVector.SPECIES_PREFERRED;
        return switch (bits.trim()) {
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("clip4j.vectorBits must be 64, 128, 256 or 512: " + bits);
        };
    }

    /** Lane i ↔ lane i xor k: the butterflies of {@link #sum}. */
    private static final VectorShuffle<Float> X8 = VL > 8 ? VectorShuffle.fromOp(S, i -> i ^ 8) : null,
            X4 = VL > 4 ? VectorShuffle.fromOp(S, i -> i ^ 4) : null,
            X2 = VL > 2 ? VectorShuffle.fromOp(S, i -> i ^ 2) : null,
            X1 = VL > 1 ? VectorShuffle.fromOp(S, i -> i ^ 1) : null;

    /**
     * The sum of v's lanes in one fixed order (a butterfly: lane i plus lane i xor VL/2, and so on down to pairs).
     * Not {@code reduceLanes(ADD)}: its JIT-compiled form adds the lanes in another order than the Java code that runs
     * before compilation, so a float sum would depend on the JIT tier (and a training run on warm-up).
     */
    static float sum(FloatVector v) {
        if (VL > 8) v = v.add(v.rearrange(X8));
        if (VL > 4) v = v.add(v.rearrange(X4));
        if (VL > 2) v = v.add(v.rearrange(X2));
        if (VL > 1) v = v.add(v.rearrange(X1));
        return v.lane(0);
    }
}
