package io.clip4j.train;

import io.clip4j.io.Checkpoint;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ImageBatch;
import io.clip4j.model.ModelConfig;
import io.clip4j.nn.Param;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SigLIP 2 NaFlex training ({@link NaFlexVisionGraph} in {@link SiglipTrainingGraph}) on siglip/siglip2_tiny with the
 * fixture's NaFlex inputs: images of different aspect ratios in one batch (patch grids 6×10, 3×21, 18×3, 8×8 of at
 * most 64 patches), so the per-image position resize (up- and downsampling, antialias) and the padding masks are
 * exercised.
 * <ul>
 *   <li>the training forward equals inference and the reference embeddings;</li>
 *   <li>central finite differences of the whole loss against the backward, per parameter entry and along random
 *       directions, for a sample of parameters (patch and position embeddings, encoder, head, text, logit scale/bias);</li>
 *   <li>padding has exactly no influence: other values in padded patches leave the loss and every gradient bit-equal;</li>
 *   <li>on square images whose patch grid is the position grid, the NaFlex graph equals the fixed-resolution graph of
 *       the equivalent SigLIP model (conv.weight = linear.weight.reshape(D,p,p,3).permute(0,3,1,2)): loss and every
 *       gradient;</li>
 *   <li>gradient accumulation and one thread give the same gradients; a few optimizer steps lower the loss.</li>
 * </ul>
 */
class NaFlexTrainingTest {
    static final Path DIR = Fixtures.path("siglip/siglip2_tiny");
    static final int MNP = 64, K = 8 * 8 * 3;
    /** cat_chelsea 6×10, wide_strip 3×21, tall_strip 18×3, astronaut 8×8 (fixture image indices). */
    static final int[] MIXED = {0, 6, 7, 2};

    /** Fixture images (expected_siglip2.json order) as a NaFlex batch at max_num_patches m, from preprocess_siglip2. */
    static ImageBatch fixtureImages(int[] which, int m) {
        try (SafeTensors pre = SafeTensors.open(Fixtures.path("siglip/preprocess_siglip2.safetensors"))) {
            int B = which.length;
            float[] values = new float[B * m * K];
            int[][] grids = new int[B][];
            for (int b = 0; b < B; b++) {
                String key = which[b] + ".p8_mnp" + m + ".";
                System.arraycopy(pre.floats(key + "pixel_values"), 0, values, b * m * K, m * K);
                grids[b] = pre.ints(key + "spatial_shapes");
            }
            return new ImageBatch(values, B, m, grids);
        }
    }

    /** The first n fixture caption rows (input_ids, padded to the model's 16 tokens). */
    static int[] fixtureIds(int n) {
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            return Arrays.copyOf(exp.ints("input_ids"), n * L());
        }
    }

    static int L() { return 16; }

    @Test void trainingForwardEqualsInferenceAndTheReference() {
        int[] all = {0, 1, 2, 3, 4, 5};
        ImageBatch im = fixtureImages(all, MNP);
        try (ClipModel model = TrainFixtures.load(DIR); SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            assertInstanceOf(SiglipTrainingGraph.class, TrainingGraph.of(model));
            SiglipTrainingGraph g = new SiglipTrainingGraph(model);
            TrainingGraph.Features f = g.forward(im, fixtureIds(6), L());
            float[][] inf = model.encode(im, null);
            int E = f.E();
            for (int b = 0; b < 6; b++) assertArrayEquals(inf[b], Arrays.copyOfRange(f.image(), b * E, (b + 1) * E), 1e-5f, "image " + b + " vs inference");
            SigmoidLoss.Result r = g.loss(f.image(), f.text(), 6, E);
            assertAbs(Arrays.copyOf(exp.floats("mnp64.image_embeds"), 6 * E), r.imageNormalized(), 1e-5, "image_embeds (mnp64)");
            assertAbs(Arrays.copyOf(exp.floats("text_embeds"), 6 * E), r.textNormalized(), 1e-5, "text_embeds");
            // logits_per_text [captions, images]: the fixture has 10 images; our 6 are its first 6 columns
            float[] lpt = exp.floats("mnp64.logits_per_text"), want = new float[36];
            for (int t = 0; t < 6; t++) System.arraycopy(lpt, t * 10, want, t * 6, 6);
            assertAbs(want, r.logitsPerText(), 1e-4, "logits_per_text (mnp64)");
        }
    }

    // --------------------------------------------------------------------------------------------- finite differences

    /** The sigmoid loss recomputed in float64 from the graph's (float32) features: no float rounding of the loss itself. */
    static double lossD(TrainingGraph<?> g, ImageBatch im, int[] ids) {
        TrainingGraph.Features f = g.forward(im, ids, L());
        int B = f.B(), E = f.E();
        double[][] a = new double[B][E], t = new double[B][E];
        for (int b = 0; b < B; b++) {
            double na = 0, nt = 0;
            for (int e = 0; e < E; e++) { na += (double) f.image()[b * E + e] * f.image()[b * E + e]; nt += (double) f.text()[b * E + e] * f.text()[b * E + e]; }
            for (int e = 0; e < E; e++) { a[b][e] = f.image()[b * E + e] / Math.sqrt(na); t[b][e] = f.text()[b * E + e] / Math.sqrt(nt); }
        }
        double scale = Math.exp(g.logitScale().data[0]), bias = g.logitBias().data[0], loss = 0;
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            double cos = 0;
            for (int e = 0; e < E; e++) cos += t[i][e] * a[j][e];
            double z = (i == j ? 1 : -1) * (scale * cos + bias);
            loss += z >= 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));   // −log σ(z)
        }
        return loss / B;
    }

    /** Central difference of lossD along direction v of param p (v = null: the single entry idx), step h. */
    static double fd(TrainingGraph<?> g, ImageBatch im, int[] ids, Param p, int idx, double[] v, double h) {
        float[] keep = p.data.clone();
        try {
            step(p, keep, idx, v, h);
            double up = lossD(g, im, ids);
            step(p, keep, idx, v, -h);
            double dn = lossD(g, im, ids);
            return (up - dn) / (2 * h);
        } finally {
            System.arraycopy(keep, 0, p.data, 0, keep.length);
        }
    }

    private static void step(Param p, float[] keep, int idx, double[] v, double h) {
        if (v == null) { p.data[idx] = (float) (keep[idx] + h); return; }
        for (int i = 0; i < keep.length; i++) p.data[i] = (float) (keep[i] + h * v[i]);
    }

    /**
     * Every sampled derivative within 1e-2 relative (+ an absolute floor of 2e-3 · the tensor's largest gradient) of
     * the numeric one, the numeric one estimated at two step sizes (h and h/2, both printed; the closer one is taken:
     * float32 forwards leave ~1e-7 relative noise in the loss, so the step cannot be made small).
     */
    @Test void lossGradientsMatchFiniteDifferencesOnMixedAspectRatios() {
        ImageBatch im = fixtureImages(MIXED, MNP);
        int[] ids = fixtureIds(MIXED.length);
        String[] names = {"vision_model.embeddings.patch_embedding.weight", "vision_model.embeddings.patch_embedding.bias",
                "vision_model.embeddings.position_embedding.weight", "vision_model.encoder.layers.0.self_attn.qkv_proj.weight",
                "vision_model.encoder.layers.0.layer_norm1.weight", "vision_model.encoder.layers.1.mlp.fc1.weight",
                "vision_model.post_layernorm.bias", "vision_model.head.probe", "vision_model.head.attention.in_proj_weight",
                "vision_model.head.mlp.fc2.weight", "text_model.embeddings.token_embedding.weight", "text_model.head.weight",
                "logit_scale", "logit_bias"};
        try (ClipModel model = TrainFixtures.load(DIR)) {
            SiglipTrainingGraph g = new SiglipTrainingGraph(model);
            g.forwardBackward(im, ids, L());
            Map<String, Param> byName = new LinkedHashMap<>();
            for (Param p : g.params()) byName.put(p.name, p);
            Map<Param, float[]> analytic = new LinkedHashMap<>();
            for (Param p : g.params()) analytic.put(p, g.grads().of(p).clone());
            // the double loss agrees with the graph's
            Random rnd = new Random(5);
            List<String> failures = new ArrayList<>();
            double worstRel = 0;
            String worstAt = "";
            int checked = 0;
            for (String name : names) {
                Param p = byName.get(name);
                assertNotNull(p, name);
                float[] ga = analytic.get(p);
                double gmax = 0;
                for (float x : ga) gmax = Math.max(gmax, Math.abs(x));
                assertTrue(gmax > 0, name + " has a gradient");
                // entries: the 3 largest |g|, 3 random ones
                List<Integer> idx = new ArrayList<>();
                Integer[] order = new Integer[ga.length];
                for (int i = 0; i < ga.length; i++) order[i] = i;
                Arrays.sort(order, (x, y) -> Float.compare(Math.abs(ga[y]), Math.abs(ga[x])));
                for (int i = 0; i < Math.min(3, ga.length); i++) idx.add(order[i]);
                for (int i = 0; i < 3 && ga.length > 3; i++) idx.add(rnd.nextInt(ga.length));
                double hBase = name.startsWith("logit") ? 1e-3 : 5e-3;
                for (int k : idx) {
                    double f1 = fd(g, im, ids, p, k, null, hBase), f2 = fd(g, im, ids, p, k, null, hBase / 2);
                    double best = Math.abs(f1 - ga[k]) < Math.abs(f2 - ga[k]) ? f1 : f2;
                    double err = Math.abs(best - ga[k]), tol = 1e-2 * Math.abs(ga[k]) + 2e-3 * gmax;
                    double rel = err / Math.max(Math.abs(ga[k]), 1e-12);
                    System.out.printf("fd %-58s [%6d] analytic %+.6e  numeric(h) %+.6e  numeric(h/2) %+.6e  rel %.2e%n", name, k, ga[k], f1, f2, rel);
                    if (Math.abs(ga[k]) > 0.05 * gmax && rel > worstRel) { worstRel = rel; worstAt = name + "[" + k + "]"; }
                    if (err > tol) failures.add(String.format("%s[%d]: analytic %.6e, numeric %.6e / %.6e", name, k, ga[k], f1, f2));
                    checked++;
                }
                // a random direction over the whole tensor: d/dε loss(θ + ε v) = g · v
                double[] v = new double[ga.length];
                double nv = 0, dir = 0;
                for (int i = 0; i < v.length; i++) { v[i] = rnd.nextGaussian(); nv += v[i] * v[i]; }
                for (int i = 0; i < v.length; i++) { v[i] /= Math.sqrt(nv); dir += v[i] * ga[i]; }
                double f1 = fd(g, im, ids, p, -1, v, hBase), f2 = fd(g, im, ids, p, -1, v, hBase / 2);
                double best = Math.abs(f1 - dir) < Math.abs(f2 - dir) ? f1 : f2;
                double gnorm = 0;
                for (float x : ga) gnorm += (double) x * x;
                gnorm = Math.sqrt(gnorm);
                double err = Math.abs(best - dir), tol = 1e-2 * Math.abs(dir) + 2e-3 * gnorm;
                System.out.printf("fd %-58s [dir   ] analytic %+.6e  numeric(h) %+.6e  numeric(h/2) %+.6e  |g| %.3e%n", name, dir, f1, f2, gnorm);
                if (err > tol) failures.add(String.format("%s along a random direction: analytic %.6e, numeric %.6e / %.6e (|g| %.3e)", name, dir, f1, f2, gnorm));
                checked++;
            }
            System.out.printf("NaFlex loss finite differences: %d derivatives, worst relative error (entries with |g| > 5%% of the tensor's max) %.2e at %s%n",
                    checked, worstRel, worstAt);
            assertTrue(failures.isEmpty(), failures.size() + " derivative(s) off: " + failures);
        }
    }

    // --------------------------------------------------------------------------------------------- padding

    @Test void paddingHasExactlyNoInfluence() {
        ImageBatch im = fixtureImages(MIXED, MNP);
        int[] ids = fixtureIds(MIXED.length);
        float[] noisy = im.values().clone();
        Random r = new Random(9);
        for (int b = 0; b < im.batch(); b++) {
            int n = im.gridShapes()[b][0] * im.gridShapes()[b][1];
            for (int t = n; t < MNP; t++) for (int k = 0; k < K; k++) noisy[(b * MNP + t) * K + k] = (float) (r.nextGaussian() * 50);
        }
        try (ClipModel m1 = TrainFixtures.load(DIR); ClipModel m2 = TrainFixtures.load(DIR)) {
            SiglipTrainingGraph g1 = new SiglipTrainingGraph(m1), g2 = new SiglipTrainingGraph(m2);
            float l1 = g1.forwardBackward(im, ids, L()).loss();
            float l2 = g2.forwardBackward(new ImageBatch(noisy, im.batch(), MNP, im.gridShapes()), ids, L()).loss();
            assertEquals(l1, l2, 0f, "the loss does not see padded patches");
            Map<String, float[]> a = gradsHf(g1), b = gradsHf(g2);
            for (String k : a.keySet()) {
                float[] x = a.get(k), y = b.get(k);
                for (int i = 0; i < x.length; i++) assertTrue(x[i] == y[i], k + "[" + i + "]: " + x[i] + " vs " + y[i] + " (padding leaked)");
            }
            // more padding (max_num_patches 100 instead of 64): the same up to float summation order
            ImageBatch wider = repad(im, 100);
            SiglipTrainingGraph g3 = new SiglipTrainingGraph(m2);
            float l3 = g3.forwardBackward(wider, ids, L()).loss();
            assertEquals(l1, l3, 1e-5 * Math.abs(l1), "loss at 100 patches per image");
            Map<String, float[]> c = gradsHf(g3);
            for (String k : a.keySet()) {
                double d = maxAbsDiff(a.get(k), c.get(k)), max = maxAbs(a.get(k));
                assertTrue(d <= 1e-5 * max + 1e-8, k + ": 64 vs 100 patches per image: " + d);
            }
        }
    }

    /** The same images with M patches per item (more zero padding). */
    static ImageBatch repad(ImageBatch im, int M) {
        int B = im.batch(), m = im.maxPatches();
        float[] v = new float[B * M * K];
        for (int b = 0; b < B; b++) System.arraycopy(im.values(), b * m * K, v, b * M * K, m * K);
        return new ImageBatch(v, B, M, im.gridShapes());
    }

    // --------------------------------------------------------------------------------------------- v1 equivalence

    /**
     * siglip2_tiny as a fixed-resolution SigLIP model: image_size = G·p = 64, the conv weight the linear weight's
     * (row, col, channel) columns reordered to (channel, row, col); every other tensor unchanged.
     */
    static ClipModel asFixedResolution(Path dir) {
        try (Checkpoint ck = Checkpoint.open(dir)) {
            ModelConfig c = ck.config();
            ModelConfig v1 = new ModelConfig(Family.SIGLIP, c.projectionDim(), c.vision(), c.text(), c.logitScaleInit());
            int D = c.vision().tower().hiddenSize(), P = c.vision().patchSize();
            return new ClipModel(v1, (name, shape) -> {
                if (!name.equals("vision_model.embeddings.patch_embedding.weight")) return ck.take(name, shape);
                float[] lin = ck.take(name, D, P * P * 3), conv = new float[D * 3 * P * P];
                for (int d = 0; d < D; d++) for (int py = 0; py < P; py++) for (int px = 0; px < P; px++) for (int ch = 0; ch < 3; ch++)
                    conv[((d * 3 + ch) * P + py) * P + px] = lin[(d * P * P + py * P + px) * 3 + ch];
                return conv;
            }, ck.logitScale(), ck.logitBias());
        }
    }

    /** NaFlex patches of full G×G grids → pixels[B,3,S,S] (S = G·P). */
    static float[] toPixels(ImageBatch im, int G, int P) {
        int B = im.batch(), S = G * P, M = im.maxPatches();
        float[] px = new float[B * 3 * S * S];
        for (int b = 0; b < B; b++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++)
            for (int py = 0; py < P; py++) for (int qx = 0; qx < P; qx++) for (int ch = 0; ch < 3; ch++)
                px[((b * 3 + ch) * S + gy * P + py) * S + gx * P + qx] = im.values()[((b * M + gy * G + gx) * P * P + py * P + qx) * 3 + ch];
        return px;
    }

    @Test void onFullSquareGridsNaFlexEqualsTheFixedResolutionGraph() {
        // astronaut, camera_gray_L, palette_P_10x10: square, 8×8 patches at max_num_patches 64 = the position grid
        ImageBatch im = fixtureImages(new int[]{2, 4, 8}, MNP);
        for (int[] s : im.gridShapes()) assertArrayEquals(new int[]{8, 8}, s);
        int[] ids = fixtureIds(3);
        try (ClipModel naflex = TrainFixtures.load(DIR); ClipModel fixed = asFixedResolution(DIR)) {
            assertEquals(Family.SIGLIP, fixed.family());
            SiglipTrainingGraph gn = new SiglipTrainingGraph(naflex), gf = new SiglipTrainingGraph(fixed);
            SigmoidLoss.Result rn = gn.forwardBackward(im, ids, L());
            SigmoidLoss.Result rf = gf.forwardBackward(toPixels(im, 8, 8), ids, 3, L());
            System.out.printf("NaFlex vs fixed-resolution graph on full square grids: loss %.8f vs %.8f%n", rn.loss(), rf.loss());
            assertEquals(rf.loss(), rn.loss(), 1e-6 * Math.abs(rf.loss()));
            assertAbs(rf.imageNormalized(), rn.imageNormalized(), 1e-6, "image embeddings");
            Map<String, float[]> a = gradsHf(gn), b = gradsHf(gf);
            assertEquals(a.keySet(), b.keySet());
            int D = 64, P = 8;
            // the conv weight's gradient [D,3,P,P] read in the linear layout [D,P,P,3]
            float[] conv = b.get("vision_model.embeddings.patch_embedding.weight"), lin = new float[conv.length];
            for (int d = 0; d < D; d++) for (int py = 0; py < P; py++) for (int px = 0; px < P; px++) for (int ch = 0; ch < 3; ch++)
                lin[(d * P * P + py * P + px) * 3 + ch] = conv[((d * 3 + ch) * P + py) * P + px];
            b.put("vision_model.embeddings.patch_embedding.weight", lin);
            double worst = 0;
            String worstName = "";
            for (String k : a.keySet()) {
                double d = maxAbsDiff(b.get(k), a.get(k)), max = maxAbs(b.get(k)), rel = d / Math.max(max, 1e-30);
                if (rel > worst && max > 1e-6) { worst = rel; worstName = k; }
                // 1e-7 absolute: the key biases' gradients are 0 in exact arithmetic (softmax ignores them), ~1e-8 of float noise here
                assertTrue(d <= 1e-5 * max + 1e-7, k + ": NaFlex vs fixed-resolution gradient max|Δ| " + d + " (max|g| " + max + ")");
            }
            System.out.printf("  every gradient (%d tensors) equal: worst relative max|Δ| (tensors with max|g| > 1e-6) %.2e in %s%n", a.size(), worst, worstName);
        }
    }

    // --------------------------------------------------------------------------------------------- steps

    @Test void accumulationAndThreadCountKeepTheGradientsAndStepsLowerTheLoss() {
        ImageBatch im = fixtureImages(MIXED, MNP);
        int[] ids = fixtureIds(MIXED.length);
        try (ClipModel m1 = TrainFixtures.load(DIR); ClipModel m2 = TrainFixtures.load(DIR)) {
            SiglipTrainingGraph whole = new SiglipTrainingGraph(m1), acc = new SiglipTrainingGraph(m2);
            float l1 = whole.forwardBackward(im, ids, L()).loss();
            float l2 = acc.forwardBackwardAccum(im, ids, L(), 2).loss();
            assertEquals(l1, l2, 1e-6);
            Map<String, float[]> g1 = gradsHf(whole), g2 = gradsHf(acc);
            for (String k : g1.keySet()) {
                double d = maxAbsDiff(g1.get(k), g2.get(k)), max = maxAbs(g1.get(k));
                assertTrue(d <= 1e-5 * max + 1e-7, k + ": whole vs accum 2: " + d);
            }
            // and with one thread (within a JIT ulp, as for SigLIP)
            io.clip4j.kernel.Parallel.withMaxThreads(1, () -> acc.forwardBackward(im, ids, L()));
            Map<String, float[]> g3 = gradsHf(acc);
            for (String k : g1.keySet()) {
                double d = maxAbsDiff(g1.get(k), g3.get(k)), max = maxAbs(g1.get(k));
                assertTrue(d <= 1e-5 * max + 1e-7, k + ": 1 thread vs " + io.clip4j.kernel.Parallel.threads() + ": " + d);
            }
            TrainStep step = new TrainStep(whole, AdamW.openClip(ParamGroup.openClip(whole.params(), 0.1)), LrSchedule.constant(1e-3), 0);
            List<Float> losses = new ArrayList<>();
            for (int i = 0; i < 5; i++) losses.add(step.run(im, ids, L()).loss());
            System.out.println("NaFlex AdamW lr 1e-3, 5 steps on the mixed-aspect batch: losses " + losses);
            assertTrue(losses.get(4) < losses.get(0), "the loss decreases: " + losses);
        }
    }
}
