package io.clip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The suite can be rerun at other vector widths: mvn test "-Dvector.args=--add-modules jdk.incubator.vector -Dclip4j.vectorBits=512". */
class VecTest {
    @Test void speciesFollowsProperty() {
        String bits = System.getProperty("clip4j.vectorBits");
        if (bits != null) assertEquals(Integer.parseInt(bits) / 32, Vec.VL);
        assertTrue(Vec.VL >= 2);
        assertEquals(2 * Vec.VL, Gemm.NR);
        System.out.println("kernel vector species: " + Vec.S + ", pool threads: " + Parallel.threads());
    }
}
