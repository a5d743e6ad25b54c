package io.clip4j.train;

import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SigLIP's whole training forward and backward on siglip/siglip_tiny and the fixture batch (README "Loss and
 * gradients"): embeddings, logits, the sigmoid loss, and the gradient of every parameter (HF names, logit_scale and
 * logit_bias included) against loss_siglip_{inputs,grads}.safetensors.
 */
class SiglipGradientsFixtureTest {
    @TempDir Path tmp;

    static ClipModel siglip() { return TrainFixtures.load(Fixtures.path("siglip/siglip_tiny")); }

    record Batch(float[] pixels, int[] ids, int B, int L) {}

    static Batch batch() {
        try (SafeTensors st = SafeTensors.open(Fixtures.path("siglip/loss_siglip_inputs.safetensors"))) {
            long[] s = st.info("input_ids").shape();
            return new Batch(st.floats("pixel_values"), st.ints("input_ids"), (int) s[0], (int) s[1]);
        }
    }

    /**
     * README: gradients in float64, float32 autograd within ~5e-7 of them. Per tensor: max |Δ| ≤ 1e-4·max(1, max|ref|),
     * every fixture tensor covered, no extra gradient.
     */
    @Test void embeddingsLossAndEveryParameterGradientMatchTheReference() {
        Batch b = batch();
        try (ClipModel model = siglip();
             SafeTensors in = SafeTensors.open(Fixtures.path("siglip/loss_siglip_inputs.safetensors"));
             SafeTensors ref = SafeTensors.open(Fixtures.path("siglip/loss_siglip_grads.safetensors"))) {
            TrainingGraph<?> tg = TrainingGraph.of(model);
            assertInstanceOf(SiglipTrainingGraph.class, tg);
            SiglipTrainingGraph g = (SiglipTrainingGraph) tg;
            System.out.println("SigLIP training forward/backward vs siglip/loss_siglip_{inputs,grads}.safetensors:");
            SigmoidLoss.Result r = g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L());
            assertAbs(in.floats("image_embeds"), r.imageNormalized(), 1e-5, "image_embeds");
            assertAbs(in.floats("text_embeds"), r.textNormalized(), 1e-5, "text_embeds");
            assertAbs(in.floats("logits_per_text"), r.logitsPerText(), 1e-4, "logits_per_text");
            assertAbs(in.floats("logits_per_image"), r.logitsPerImage(), 1e-4, "logits_per_image");
            assertScalar(in.floats("loss")[0], r.loss(), 1e-5, "loss");

            Map<String, float[]> got = gradsHf(g);
            TreeSet<String> want = new TreeSet<>(ref.names()), missing = new TreeSet<>(want), extra = new TreeSet<>(got.keySet());
            missing.removeAll(got.keySet());
            extra.removeAll(want);
            assertTrue(missing.isEmpty(), "fixture gradients without a parameter here: " + missing);
            assertTrue(extra.isEmpty(), "parameters without a fixture gradient: " + extra);
            assertEquals(104, want.size(), "the fixture's tensor count (every parameter, logit_scale and logit_bias)");

            List<String> failures = new ArrayList<>();
            double worstAbs = 0, worstRel = 0;
            String worstAbsName = "", worstRelName = "";
            for (String name : want) {
                float[] w = ref.floats(name), h = got.get(name);
                double d = maxAbsDiff(w, h), max = maxAbs(w), tol = 1e-5 * max + 1e-7, rel = d / Math.max(max, 1e-30);
                if (d > worstAbs) { worstAbs = d; worstAbsName = name; }
                if (rel > worstRel && max > 1e-6) { worstRel = rel; worstRelName = name; }
                System.out.printf("  %-58s max|Δ| = %.2e  max|g| = %.2e  rel = %.2e%n", name, d, max, rel);
                if (d > tol) failures.add(String.format("%s: max|Δ| %.3e > %.1e (max|g| %.3e)", name, d, tol, max));
            }
            String summary = String.format("worst max|Δ| %.2e in %s; worst relative (tensors with max|g| > 1e-6) %.2e in %s",
                    worstAbs, worstAbsName, worstRel, worstRelName);
            System.out.println("  " + summary);
            assertTrue(failures.isEmpty(), failures.size() + " tensor(s) outside the tolerance: " + failures + "; " + summary);

            // structure: every position reaches the pooled row (no mask), and only the batch's token ids get gradient rows
            int C = model.config().text().tower().hiddenSize(), L = b.L();
            float[] tok = got.get("text_model.embeddings.token_embedding.weight"), pos = got.get("text_model.embeddings.position_embedding.weight");
            TreeSet<Integer> ids = new TreeSet<>();
            for (int id : b.ids()) ids.add(id);
            for (int row = 0; row < tok.length / C; row++) {
                boolean nonzero = false;
                for (int c = 0; c < C; c++) nonzero |= tok[row * C + c] != 0;
                assertEquals(ids.contains(row), nonzero, "token row " + row + " has a gradient iff the batch holds id " + row);
            }
            for (int t = 0; t < L; t++) {
                boolean nonzero = false;
                for (int c = 0; c < C; c++) nonzero |= pos[t * C + c] != 0;
                assertTrue(nonzero, "position " + t + " gets a gradient");
            }
        }
    }

    /** As for CLIP (TrainingUnitTest): the gradients agree with 1 and with all threads (within a JIT ulp). */
    @Test void gradientsDoNotDependOnTheThreadCount() {
        Batch b = batch();
        try (ClipModel model = siglip()) {
            SiglipTrainingGraph g = new SiglipTrainingGraph(model);
            g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L());
            var all = new java.util.HashMap<String, float[]>();
            gradsHf(g).forEach((k, v) -> all.put(k, v.clone()));
            io.clip4j.kernel.Parallel.withMaxThreads(1, () -> g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L()));
            Map<String, float[]> one = gradsHf(g);
            for (var e : all.entrySet()) {
                double d = maxAbsDiff(e.getValue(), one.get(e.getKey())), max = maxAbs(e.getValue());
                assertTrue(d <= 1e-5 * max + 1e-7, e.getKey() + ": 1 thread vs " + io.clip4j.kernel.Parallel.threads() + ": " + d);
            }
        }
    }

    /** Gradient accumulation over micro-batches gives the whole batch's gradients (the sigmoid loss sees all pairs). */
    @Test void accumulationMatchesTheWholeBatch() {
        Batch b = batch();
        try (ClipModel m1 = siglip(); ClipModel m2 = siglip()) {
            SiglipTrainingGraph whole = new SiglipTrainingGraph(m1), acc = new SiglipTrainingGraph(m2);
            float l1 = whole.forwardBackward(b.pixels(), b.ids(), b.B(), b.L()).loss();
            float l2 = acc.forwardBackwardAccum(b.pixels(), b.ids(), b.B(), b.L(), 2).loss();
            assertEquals(l1, l2, 1e-6);
            Map<String, float[]> g1 = gradsHf(whole), g2 = gradsHf(acc);
            for (String k : g1.keySet()) {
                double d = maxAbsDiff(g1.get(k), g2.get(k)), max = maxAbs(g1.get(k));
                assertTrue(d <= 1e-5 * max + 1e-7, k + ": whole vs accum 2: " + d);
            }
        }
    }

    /**
     * A training step: logit_scale and logit_bias are parameters of shape [1] outside weight decay; SigLIP's scale is
     * not clamped to ln 100; the trained model saves and reloads with its trained scale and bias.
     */
    @Test void stepsTrainScaleAndBiasWithoutClampAndTheModelRoundTrips() throws Exception {
        Batch b = batch();
        try (ClipModel model = siglip()) {
            SiglipTrainingGraph g = new SiglipTrainingGraph(model);
            assertArrayEquals(new int[]{1}, g.logitScale().shape);
            assertArrayEquals(new int[]{1}, g.logitBias().shape);
            assertSame(g.logitBias(), g.params().get(g.params().size() - 1));
            List<ParamGroup> groups = ParamGroup.openClip(g.params(), 0.1);
            assertTrue(groups.get(0).params().contains(g.logitScale()) && groups.get(0).params().contains(g.logitBias()), "no weight decay on scale and bias");
            assertTrue(groups.get(1).params().stream().anyMatch(p -> p.name.equals("vision_model.head.attention.in_proj_weight")));

            // lr 0: nothing moves, and a scale above ln 100 stays (CLIP's graph would clamp it)
            TrainStep frozen = new TrainStep(g, new Sgd(ParamGroup.single(g.params(), 0)), LrSchedule.constant(0), 0);
            g.logitScale().data[0] = 5f;
            TrainStep.Result r0 = frozen.run(b.pixels(), b.ids(), b.B(), b.L());
            assertEquals(5f, r0.logitScaleAfter(), "no clamp for SigLIP");
            assertTrue(Float.isNaN(r0.lossImage()) && Float.isNaN(r0.lossText()), "the sigmoid loss has no image/text parts");
            g.logitScale().data[0] = model.logitScale();

            float scale0 = g.logitScale().data[0], bias0 = g.logitBias().data[0];
            TrainStep step = new TrainStep(g, AdamW.openClip(ParamGroup.openClip(g.params(), 0.1)), LrSchedule.constant(1e-2), 0);
            List<Float> losses = new ArrayList<>();
            for (int i = 0; i < 5; i++) losses.add(step.run(b.pixels(), b.ids(), b.B(), b.L()).loss());
            System.out.println("SigLIP AdamW lr 1e-2, 5 steps on the fixture batch: losses " + losses);
            assertTrue(losses.get(4) < losses.get(0), "the loss decreases: " + losses);
            assertNotEquals(scale0, g.logitScale().data[0]);
            assertNotEquals(bias0, g.logitBias().data[0]);

            Path out = tmp.resolve("trained");
            ModelFiles.write(out, model.config(), model, g.logitScale().data[0], g.logitBias().data[0],
                    ModelFiles.preprocessorJson(Fixtures.path("siglip/siglip_tiny"), model.config().family(), 32, null), Fixtures.path("siglip/siglip_tiny"));
            try (ClipModel back = TrainFixtures.load(out)) {
                assertEquals(model.family(), back.family());
                assertEquals(g.logitScale().data[0], back.logitScale());
                assertEquals(g.logitBias().data[0], back.logitBias());
                List<Param> a = model.params(), c = back.params();
                assertEquals(a.size(), c.size());
                for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i).data, c.get(i).data, a.get(i).name);
                float[][] e1 = model.encodePixels(b.pixels(), b.B()), e2 = back.encodePixels(b.pixels(), b.B());
                for (int i = 0; i < e1.length; i++) assertArrayEquals(e1[i], e2[i], 0f);
            }
        }
    }
}
