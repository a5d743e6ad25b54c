package io.clip4j.train;

import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;
import io.clip4j.testing.Fixtures;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Shared helpers for the training fixtures (fixtures/training, README there). */
final class TrainFixtures {
    private TrainFixtures() {}

    /** A fresh copy of the input model (training updates it in place). */
    static ClipModel model() { return ClipModel.loadWeights(Fixtures.path("models/tiny/hf"), ClipModel.WeightStorage.HEAP); }

    /** A model directory loaded for training (weights on the heap). */
    static ClipModel load(java.nio.file.Path dir) { return ClipModel.load(dir, ClipModel.Options.defaults().withWeights(ClipModel.WeightStorage.HEAP)); }

    record Batch(float[] pixels, int[] ids, int B, int L) {}

    static Batch batch() {
        try (SafeTensors st = SafeTensors.open(Fixtures.path("training/batch.safetensors"))) {
            long[] s = st.info("input_ids").shape();
            return new Batch(st.floats("pixel_values"), st.ints("input_ids"), (int) s[0], (int) s[1]);
        }
    }

    /**
     * Tensors in the Hugging Face layout from clip4j params (+ logit_scale): fused qkv split into q/k/v row blocks,
     * everything else as is (Linear weights [out, in], projections [E, W]) — the layout of grads.safetensors and
     * model.safetensors.
     */
    static Map<String, float[]> hfLayout(List<Param> params, Map<Param, float[]> values) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Param p : params) {
            float[] v = values.get(p);
            if (p.name.contains(".qkv_proj.")) {
                int part = v.length / 3;
                String[] qkv = {"q_proj", "k_proj", "v_proj"};
                for (int i = 0; i < 3; i++) out.put(p.name.replace("qkv_proj", qkv[i]), Arrays.copyOfRange(v, i * part, (i + 1) * part));
            } else out.put(p.name, v);
        }
        return out;
    }

    static Map<String, float[]> gradsHf(TrainingGraph<?> g) {
        Map<Param, float[]> m = new java.util.IdentityHashMap<>();
        for (Param p : g.params()) m.put(p, g.grads().of(p));
        return hfLayout(g.params(), m);
    }

    static Map<String, float[]> weightsHf(TrainingGraph<?> g) {
        Map<Param, float[]> m = new java.util.IdentityHashMap<>();
        for (Param p : g.params()) m.put(p, p.data);
        return hfLayout(g.params(), m);
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxAbsDiff(float[] ref, float[] got) {
        assertEquals(ref.length, got.length, "length");
        double m = 0;
        for (int i = 0; i < ref.length; i++) m = Math.max(m, Math.abs((double) ref[i] - got[i]));
        return m;
    }

    static void assertAbs(float[] ref, float[] got, double tol, String what) {
        double d = maxAbsDiff(ref, got);
        System.out.printf("  %-58s max|Δ| = %.3e  (max|ref| %.3e, tol %.1e)%n", what, d, maxAbs(ref), tol);
        assertTrue(d <= tol, what + ": max |Δ| " + d + " > " + tol);
    }

    static void assertScalar(double ref, double got, double tol, String what) {
        System.out.printf("  %-58s |Δ| = %.3e  (ref %.9g, got %.9g, tol %.1e)%n", what, Math.abs(ref - got), ref, got, tol);
        assertEquals(ref, got, tol, what);
    }
}
