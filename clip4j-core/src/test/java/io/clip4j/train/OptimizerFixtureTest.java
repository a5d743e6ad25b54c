package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Optimizer steps against fixtures/training/{sgd_1step, adamw_3steps, adamw_3steps_cosine} and param_groups.json:
 * the whole loop (lr(step) → zero grads → forward → loss → backward → step → logit_scale clamp) on our own gradients,
 * plus the optimizer arithmetic alone on the reference gradients (bit-exact where the fixture allows checking it).
 */
class OptimizerFixtureTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode losses(String run) throws IOException {
        return JSON.readTree(Fixtures.path("training/" + run + "/losses.json").toFile());
    }

    /** Runs the recorded steps of a run and checks losses, lrs and logit_scale per step and the loss after the last. */
    static ClipTrainingGraph runAndCheck(String run, ClipModel model, java.util.function.Function<ClipTrainingGraph, Optimizer> opt,
                                         LrSchedule schedule) throws IOException {
        JsonNode ref = losses(run);
        Batch b = batch();
        ClipTrainingGraph g = new ClipTrainingGraph(model);
        TrainStep step = new TrainStep(g, opt.apply(g), schedule, 0);
        System.out.println(run + ":");
        for (JsonNode s : ref.path("steps")) {
            TrainStep.Result r = step.run(b.pixels(), b.ids(), b.B(), b.L());
            int i = s.path("step").asInt();
            assertEquals(i, r.step());
            assertEquals(s.path("lr").asDouble(), r.lr(), 0.0, "lr of step " + i);
            assertScalar(s.path("loss").asDouble(), r.loss(), 1e-5, "step " + i + " loss (before the update)");
            assertScalar(s.path("loss_image").asDouble(), r.lossImage(), 1e-5, "step " + i + " loss_image");
            assertScalar(s.path("loss_text").asDouble(), r.lossText(), 1e-5, "step " + i + " loss_text");
            assertScalar(s.path("logit_scale_before").asDouble(), r.logitScaleBefore(), 1e-6, "step " + i + " logit_scale before");
            assertScalar(s.path("logit_scale_after_clamp").asDouble(), r.logitScaleAfter(), 1e-6, "step " + i + " logit_scale after");
        }
        ContrastiveLoss.Result after = g.forwardBackward(b.pixels(), b.ids(), b.B(), b.L());
        assertScalar(ref.path("loss_after_last_step").asDouble(), after.loss(), 1e-5, "loss after the last step");
        return g;
    }

    @Test void sgdOneStep() throws IOException {
        try (ClipModel model = model(); ClipModel input = model();
             SafeTensors grads = SafeTensors.open(Fixtures.path("training/grads.safetensors"))) {
            ClipTrainingGraph g = runAndCheck("sgd_1step", model, gr -> new Sgd(ParamGroup.single(gr.params(), 0)), LrSchedule.constant(0.1));
            // The stored model is absent (README); torch's weights are p − 0.1·g with its own g, one fma per element:
            // rebuild them from grads.safetensors and compare ours (README tolerance 2e-6).
            Map<String, float[]> ours = weightsHf(g), in = weightsHf(new ClipTrainingGraph(input));
            double worst = 0;
            String worstName = "";
            for (String name : new TreeSet<>(grads.names())) {
                float[] gr = grads.floats(name), p0 = in.get(name), want = new float[gr.length];
                for (int i = 0; i < gr.length; i++) want[i] = Math.fma(gr[i], -0.1f, p0[i]);
                double d = maxAbsDiff(want, ours.get(name));
                if (d > worst) { worst = d; worstName = name; }
                assertTrue(d <= 2e-6, name + ": max |Δ| " + d);
            }
            System.out.printf("  weights after the step vs input − 0.1·g_ref: max |Δ| = %.2e (%s)%n", worst, worstName);
        }
    }

    /** Our Sgd on the reference gradients reproduces the generator's file byte for byte (its sha256 is in losses.json). */
    @Test void sgdOnReferenceGradientsIsBitExact() throws Exception {
        try (ClipModel model = model(); SafeTensors grads = SafeTensors.open(Fixtures.path("training/grads.safetensors"))) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            loadHfGradients(g, grads);
            new Sgd(ParamGroup.single(g.params(), 0)).step(g.grads(), 0.1);
            float[] ls = g.logitScale().data;
            ls[0] = Math.min(Math.max(ls[0], 0f), TrainStep.LOGIT_SCALE_MAX);
            String want = losses("sgd_1step").path("model_file").path("sha256").asText();
            String got = sha256InGeneratorLayout(weightsHf(g), "adamw_3steps", "sgd_1step");
            System.out.println("sgd_1step on the reference gradients: sha256 " + got + (got.equals(want) ? " = " : " ≠ ") + "losses.json's");
            assertEquals(want, got, "sha256 of the weights written in the generator's layout");
        }
    }

    @Test void adamwThreeSteps(@TempDir Path tmp) throws IOException {
        try (ClipModel model = model();
             SafeTensors ref = SafeTensors.open(Fixtures.path("training/adamw_3steps/model.safetensors"))) {
            ClipTrainingGraph g = runAndCheck("adamw_3steps", model,
                    gr -> AdamW.openClip(ParamGroup.openClip(gr.params(), 0.2)), LrSchedule.constant(5e-4));
            Map<String, float[]> ours = weightsHf(g);
            compareEveryTensor(ref, ours, 5e-5);
            // the trained model written with the checkpoint writer reloads with the new weights and logit_scale
            HfCheckpointWriter.write(tmp, model.config(), model.params(), g.logitScale().data[0], DType.F32);
            try (SafeTensors written = SafeTensors.open(tmp.resolve("model.safetensors"))) {
                for (String name : ref.names()) {
                    if (name.endsWith("position_ids")) assertArrayEquals(ref.ints(name), written.ints(name), name);
                    else assertArrayEquals(ours.get(name), written.floats(name), name);
                }
            }
            Files.copy(Fixtures.path("models/tiny/hf/config.json"), tmp.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            try (ClipModel reloaded = ClipModel.loadWeights(tmp, ClipModel.WeightStorage.HEAP)) {
                assertEquals(g.logitScale().data[0], reloaded.logitScale());
            }
        }
    }

    @Test void adamwThreeStepsCosine() throws IOException {
        JsonNode info = losses("adamw_3steps_cosine");
        try (ClipModel model = model()) {
            ClipTrainingGraph g = runAndCheck("adamw_3steps_cosine", model,
                    gr -> AdamW.openClip(ParamGroup.openClip(gr.params(), 0.2)), LrSchedule.cosine(5e-4, 1, 3));
            assertScalar(info.path("float64_run").path("logit_scale_after").asDouble(), g.logitScale().data[0], 1e-6, "logit_scale after (float64 run)");
        }
    }

    @Test void parameterGroupsFollowOpenClip() throws IOException {
        JsonNode pg = JSON.readTree(Fixtures.path("training/param_groups.json").toFile());
        try (ClipModel model = model()) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            List<ParamGroup> groups = ParamGroup.openClip(g.params(), 0.2);
            assertEquals(0.0, groups.get(0).weightDecay());
            assertEquals(0.2, groups.get(1).weightDecay());
            long[] elements = new long[2];
            for (int i = 0; i < 2; i++) for (Param p : groups.get(i).params()) elements[i] += p.numel();
            assertEquals(pg.path("elements").path("no_decay").asLong(), elements[0], "no_decay elements");
            assertEquals(pg.path("elements").path("decay").asLong(), elements[1], "decay elements");
            for (JsonNode p : pg.path("parameters")) {
                String hf = p.path("hf_names").get(0).asText().replaceAll("\\.[qkv]_proj\\.", ".qkv_proj.");
                Param ours = g.params().stream().filter(x -> x.name.equals(hf)).findFirst().orElseThrow(() -> new AssertionError("no param " + hf));
                boolean noDecay = p.path("group").asText().equals("no_decay");
                assertEquals(noDecay, groups.get(0).params().contains(ours), hf + " group");
                assertEquals(noDecay, ParamGroup.excludedFromWeightDecay(ours), hf);
            }
        }
    }

    // --------------------------------------------------------------------------------------------- helpers

    static void compareEveryTensor(SafeTensors ref, Map<String, float[]> ours, double tol) {
        double worst = 0;
        String worstName = "";
        long above1e6 = 0, above1e7 = 0, total = 0;
        for (String name : new TreeSet<>(ref.names())) {
            if (name.endsWith("position_ids")) continue;
            float[] want = ref.floats(name), have = ours.get(name);
            assertNotNull(have, "no tensor " + name);
            double d = maxAbsDiff(want, have);
            for (int i = 0; i < want.length; i++) {
                double e = Math.abs((double) want[i] - have[i]);
                if (e > 1e-6) above1e6++;
                if (e > 1e-7) above1e7++;
            }
            total += want.length;
            if (d > worst) { worst = d; worstName = name; }
            assertTrue(d <= tol, name + ": max |Δ| " + d + " > " + tol);
        }
        System.out.printf("  weights after the steps: max |Δ| = %.2e (%s); elements above 1e-6: %d, above 1e-7: %d of %d%n",
                worst, worstName, above1e6, above1e7, total);
    }

    /** Fills g's gradients from a file in the HF layout (q/k/v row blocks concatenated into the fused qkv). */
    static void loadHfGradients(ClipTrainingGraph g, SafeTensors grads) {
        for (Param p : g.params()) {
            float[] dst = g.grads().of(p);
            if (p.name.contains(".qkv_proj.")) {
                int part = dst.length / 3, i = 0;
                for (String s : new String[]{"q_proj", "k_proj", "v_proj"}) System.arraycopy(grads.floats(p.name.replace("qkv_proj", s)), 0, dst, part * i++, part);
            } else System.arraycopy(grads.floats(p.name), 0, dst, 0, dst.length);
        }
    }

    /**
     * sha256 of weights serialised like the fixture generator (safetensors' Python writer): the header of a stored
     * model file of the same layout with its metadata run name swapped, then every tensor's bytes in header order.
     */
    static String sha256InGeneratorLayout(Map<String, float[]> weights, String templateRun, String run) throws Exception {
        Path template = Fixtures.path("training/" + templateRun + "/model.safetensors");
        byte[] file = Files.readAllBytes(template);
        long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String json = new String(file, 8, (int) n, StandardCharsets.UTF_8).stripTrailing().replace("after " + templateRun, "after " + run);
        byte[] head = json.getBytes(StandardCharsets.UTF_8);
        int padded = (head.length + 7) / 8 * 8;
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
        md.update(head);
        for (int i = head.length; i < padded; i++) md.update((byte) ' ');
        JsonNode h = JSON.readTree(json);
        try (SafeTensors t = SafeTensors.open(template)) {
            // data in offset order; position_ids (I64, unchanged by training) are copied from the template
            var names = new java.util.ArrayList<String>();
            h.fieldNames().forEachRemaining(k -> { if (!k.equals("__metadata__")) names.add(k); });
            names.sort(java.util.Comparator.comparingLong(k -> h.path(k).path("data_offsets").get(0).asLong()));
            for (String name : names) {
                if (name.endsWith("position_ids")) {
                    var seg = t.segment(name);
                    md.update(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                    continue;
                }
                float[] v = weights.get(name);
                ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) bb.putFloat(x);
                md.update(bb.array());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
