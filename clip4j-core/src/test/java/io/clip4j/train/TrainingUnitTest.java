package io.clip4j.train;

import io.clip4j.kernel.Parallel;
import io.clip4j.model.Architectures;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import io.clip4j.nn.Param;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/** Schedules, clipping, optimizer rules on hand-made tensors, thread invariance and the activation-memory model. */
class TrainingUnitTest {
    @Test void schedulesFollowOpenClip() {
        LrSchedule cos = LrSchedule.cosine(5e-4, 1, 3);
        assertEquals(5e-4, cos.lr(0));
        assertEquals(5e-4, cos.lr(1));
        assertEquals(2.5e-4, cos.lr(2));
        LrSchedule w = LrSchedule.cosine(1.0, 4, 14);
        assertEquals(0.25, w.lr(0));
        assertEquals(1.0, w.lr(3));
        assertEquals(1.0, w.lr(4));
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 5 / 10)), w.lr(9), 0.0);
        assertEquals(0.0, w.lr(14), 1e-15);
        LrSchedule c = LrSchedule.constant(2.0, 4);
        assertEquals(0.5, c.lr(0));
        assertEquals(1.5, c.lr(2));
        assertEquals(2.0, c.lr(4));
        assertEquals(2.0, c.lr(1000));
        LrSchedule cd = LrSchedule.constantWithCooldown(1.0, 2, 10, 4, 1.0, 0.0);
        assertEquals(1.0, cd.lr(5));
        assertEquals(1.0, cd.lr(6));
        assertEquals(0.75, cd.lr(7));
        assertEquals(0.25, cd.lr(9));
    }

    static Param param(String name, float[] v, int... shape) { return new Param(name, v, shape); }

    @Test void gradientClippingScalesToTheGlobalNorm() {
        Param a = param("a", new float[]{0, 0}, 2), b = param("b", new float[]{0}, 1);
        Gradients g = new Gradients(List.of(a, b));
        g.of(a)[0] = 3; g.of(a)[1] = 0; g.of(b)[0] = 4;               // ‖g‖ = 5
        assertEquals(5.0, g.clipGlobalNorm(10), 1e-12);
        assertEquals(3f, g.of(a)[0]);                                  // below the bound: untouched
        assertEquals(5.0, g.clipGlobalNorm(1), 1e-12);
        assertEquals(3 / (5 + 1e-6), g.of(a)[0], 1e-7);
        assertEquals(4 / (5 + 1e-6), g.of(b)[0], 1e-7);
        assertEquals(1.0, g.globalNorm(), 1e-6);
    }

    @Test void sgdWithMomentumWeightDecayAndNesterovFollowsTorch() {
        float[] g1 = {0.5f, -1f}, g2 = {0.25f, 2f};
        for (boolean nesterov : new boolean[]{false, true}) {
            Param p = param("w", new float[]{1f, 2f}, 1, 2);
            Gradients g = new Gradients(List.of(p));
            Sgd opt = new Sgd(ParamGroup.single(List.of(p), 0.1), 0.9, 0, nesterov);
            double[] w = {1, 2}, buf = new double[2];
            for (float[] gs : new float[][]{g1, g2}) {
                System.arraycopy(gs, 0, g.of(p), 0, 2);
                opt.step(g, 0.01);
                for (int i = 0; i < 2; i++) {   // torch.optim.SGD in float64
                    double d = gs[i] + 0.1 * w[i];
                    buf[i] = gs == g1 ? d : 0.9 * buf[i] + d;
                    d = nesterov ? d + 0.9 * buf[i] : buf[i];
                    w[i] -= 0.01 * d;
                    assertEquals(w[i], p.data[i], 1e-6, "nesterov=" + nesterov + " element " + i);
                }
            }
        }
    }

    @Test void adamwFirstStepIsLrTimesSignAndDecayIsDecoupled() {
        Param p = param("w", new float[]{1f, -2f, 0.5f}, 1, 3), bias = param("b", new float[]{1f}, 1);
        Gradients g = new Gradients(List.of(p, bias));
        g.of(p)[0] = 0.3f; g.of(p)[1] = -4f; g.of(p)[2] = 0f; g.of(bias)[0] = 1e-3f;
        List<ParamGroup> groups = ParamGroup.openClip(List.of(p, bias), 0.2);
        assertEquals(List.of(bias), groups.get(0).params());
        assertEquals(List.of(p), groups.get(1).params());
        AdamW opt = AdamW.openClip(groups);
        opt.step(g, 1e-2);
        // t = 1: p·(1 − lr·wd) − lr·g/(|g| + ε)
        assertEquals(1f * (1 - 2e-3) - 1e-2 * 0.3 / (0.3 + 1e-6), p.data[0], 1e-7);
        assertEquals(-2f * (1 - 2e-3) + 1e-2 * 4 / (4 + 1e-6), p.data[1], 1e-7);
        assertEquals(0.5f * (1 - 2e-3), p.data[2], 1e-7);             // g = 0: decay only
        assertEquals(1f - 1e-2 * 1e-3 / (1e-3 + 1e-6), bias.data[0], 1e-7);   // no decay group
        assertEquals(1, opt.steps(p));
    }

    /**
     * The backward kernels are bitwise thread-count independent (kernel tests); the whole graph is compared within a
     * tolerance because Ops' vectorised activations can change by an ulp when the JIT compiles them (the Vector API's
     * EXP differs between its interpreted and intrinsic forms), which no thread setting controls.
     */
    @Test void gradientsDoNotDependOnTheThreadCount() {
        Batch b = batch();
        try (ClipModel model = model()) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L());
            var copy = new java.util.HashMap<String, float[]>();
            gradsHf(g).forEach((k, v) -> copy.put(k, v.clone()));
            Parallel.withMaxThreads(1, () -> g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L()));
            var one = gradsHf(g);
            double worst = 0;
            for (var e : copy.entrySet()) {
                double d = maxAbsDiff(e.getValue(), one.get(e.getKey())), max = maxAbs(e.getValue());
                worst = Math.max(worst, d / Math.max(max, 1e-30) * (e.getKey().contains("k_proj.bias") ? 0 : 1));
                assertTrue(d <= 1e-5 * max + 1e-7, e.getKey() + ": 1 thread vs " + Parallel.threads() + ": " + d);
            }
            System.out.printf("gradients, 1 vs %d threads: worst relative difference %.2e%n", Parallel.threads(), worst);
        }
    }

    @Test void trainStepClipsTheGradientNormAndClampsLogitScale() {
        Batch b = batch();
        try (ClipModel model = model()) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            // lr 0: the step changes nothing but the clamp, which must bring 5 (> ln 100) down to ln 100, and -1 up to 0
            TrainStep step = new TrainStep(g, new Sgd(ParamGroup.single(g.params(), 0)), LrSchedule.constant(0), 0.5);
            g.logitScale().data[0] = 5f;
            TrainStep.Result r = step.run(b.pixels(), b.ids(), b.B(), b.L());
            assertEquals(5f, r.logitScaleBefore());
            assertEquals(TrainStep.LOGIT_SCALE_MAX, r.logitScaleAfter());
            assertEquals((float) Math.log(100), g.logitScale().data[0]);
            assertTrue(r.gradNorm() > 0.5, "norm before clipping " + r.gradNorm());
            assertEquals(0.5, g.grads().globalNorm(), 1e-5, "norm after clipping");
            g.logitScale().data[0] = -1f;
            assertEquals(0f, step.run(b.pixels(), b.ids(), b.B(), b.L()).logitScaleAfter());
            assertEquals(2, step.stepsDone());
        }
    }

    @Test void activationMemoryModelMatchesTheBuffers() {
        try (ClipModel model = model()) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            int L = 77;
            int[] ids = new int[L];
            for (int t = 0; t < L; t++) ids[t] = 320;
            ids[0] = 49406; ids[L - 1] = 49407;   // EOT last: all 77 positions run
            float[] px = new float[3 * 32 * 32];
            g.forward(px, ids, 1, L);
            long formula = ClipTrainingGraph.activationFloatsPerItem(model.config(), L);
            assertEquals(formula, g.savedFloats(), "formula vs allocated floats (B = 1)");
            ModelConfig b32 = Architectures.byName("vit-b-32");
            long tiny77 = formula, tiny10 = ClipTrainingGraph.activationFloatsPerItem(model.config(), 10);
            long b32v = VisionGraph.savedFloatsPerItem(b32.vision(), b32.projectionDim());
            long b32t77 = TextGraph.savedFloatsPerItem(b32.text(), b32.projectionDim(), 77);
            long b32t20 = TextGraph.savedFloatsPerItem(b32.text(), b32.projectionDim(), 20);
            System.out.printf("activation memory per batch item (float32):%n");
            System.out.printf("  fixture tiny: %,d floats = %.2f MB (text 77 positions), %,d floats = %.2f MB (text 10 positions)%n",
                    tiny77, tiny77 * 4 / 1e6, tiny10, tiny10 * 4 / 1e6);
            System.out.printf("  ViT-B/32: vision %,d floats = %.1f MB; text %,d = %.1f MB at 77 positions, %,d = %.1f MB at 20%n",
                    b32v, b32v * 4 / 1e6, b32t77, b32t77 * 4 / 1e6, b32t20, b32t20 * 4 / 1e6);
        }
    }
}
