package io.clip4j.kernel;

import jdk.incubator.vector.FloatVector;
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
}
