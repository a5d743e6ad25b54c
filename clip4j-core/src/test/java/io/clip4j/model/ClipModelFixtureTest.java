package io.clip4j.model;

import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Every model in the fixtures, both layouts and the F16/BF16 variant, against the reference outputs. */
class ClipModelFixtureTest {
    /** Features: |Δ| ≤ 1e-4 · max(1, |ref|) (the fixtures README: float32 agrees to ~1e-5 absolute). */
    static void assertClose(float[] ref, float[] got, double rel, String what) {
        assertEquals(ref.length, got.length, what + " length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ref.length; i++) {
            double err = Math.abs(ref[i] - got[i]) / Math.max(1.0, Math.abs(ref[i]));
            if (!(err <= worst)) { worst = err; at = i; }
        }
        assertTrue(worst <= rel, what + ": worst relative error " + worst + " at " + at + " (ref " + (at >= 0 ? ref[at] : 0) + ", got " + (at >= 0 ? got[at] : 0) + ")");
    }

    static float[] flat(float[][] m) {
        int n = 0;
        for (float[] r : m) n += r.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] r : m) { System.arraycopy(r, 0, out, o, r.length); o += r.length; }
        return out;
    }

    static int[][] ids(SafeTensors expected) {
        int[] flat = expected.ints("input_ids");
        int L = (int) expected.info("input_ids").shape()[1];
        int[][] ids = new int[flat.length / L][L];
        for (int b = 0; b < ids.length; b++) System.arraycopy(flat, b * L, ids[b], 0, L);
        return ids;
    }

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource({
            "models/tiny/hf, models/tiny/expected.safetensors",
            "models/tiny/open_clip, models/tiny/expected.safetensors",
            "models/tiny/hf_f16, models/tiny/expected_f16.safetensors",
            "models/small/hf, models/small/expected.safetensors"})
    void featuresAndLogitsMatchTheReference(String modelDir, String expectedFile) {
        Path dir = Fixtures.path(modelDir);
        try (ClipModel model = ClipModel.loadWeights(dir); SafeTensors exp = SafeTensors.open(Fixtures.path(expectedFile))) {
            int B = (int) exp.info("pixel_values").shape()[0];
            float[][] img = model.encodePixels(exp.floats("pixel_values"), B);
            float[][] txt = model.encodeTokens(ids(exp));
            assertClose(exp.floats("image_features"), flat(img), 1e-4, modelDir + " image_features");
            assertClose(exp.floats("text_features"), flat(txt), 1e-4, modelDir + " text_features");
            assertClose(exp.floats("image_features_normalized"), flat(Vectors.normalizeRows(img)), 1e-4, modelDir + " image_features_normalized");
            assertClose(exp.floats("text_features_normalized"), flat(Vectors.normalizeRows(txt)), 1e-4, modelDir + " text_features_normalized");
            assertEquals(exp.floats("logit_scale")[0], model.logitScale(), 0f);
            float[][] logits = model.logits(img, txt);
            assertClose(exp.floats("logits_per_image"), flat(logits), 1e-4, modelDir + " logits_per_image");
        }
    }

    @Test void oneItemBatchesGiveTheSameFeaturesAsTheWholeBatch() {
        try (ClipModel model = ClipModel.loadWeights(Fixtures.path("models/tiny/hf"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            float[] px = exp.floats("pixel_values");
            int per = 3 * 32 * 32;
            float[] ref = exp.floats("image_features");
            for (int b = 0; b < 16; b++) {
                float[] one = java.util.Arrays.copyOfRange(px, b * per, (b + 1) * per);
                assertClose(java.util.Arrays.copyOfRange(ref, b * 32, (b + 1) * 32), model.encodePixels(one, 1)[0], 1e-4, "image " + b);
            }
        }
    }

    /** The small fixture model's text side: the model, the fixture strings' token ids, their reference features. */
    private interface SmallText { void check(ClipModel model, int[][] ids, float[] ref, int E); }

    private static void withSmallText(SmallText body) {
        try (ClipModel model = ClipModel.loadWeights(Fixtures.path("models/small/hf"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("models/small/expected.safetensors"))) {
            body.check(model, ids(exp), exp.floats("text_features"), model.embedDim());
        }
    }

    /** The text early stop (running only up to the last pooling position) against full-length runs. */
    @Test void textEarlyStopEqualsTheFullSequence() {
        withSmallText((model, ids, ref, E) -> {
            for (int b = 0; b < ids.length; b++) {
                float[] early = model.encodeTokens(new int[][]{ids[b]})[0];
                float[] full = model.encodeTokens(new int[][]{ids[b]}, (n, d, s) -> { })[0]; // a trace forces all 77 positions
                assertArrayEquals(full, early, 1e-5f, "item " + b);
                assertClose(java.util.Arrays.copyOfRange(ref, b * E, (b + 1) * E), early, 1e-4, "item " + b);
            }
        });
    }

    /** Captions of different lengths in one batch are packed without padding; each gets what it gets alone. */
    @Test void packedBatchOfMixedLengthsEqualsEachCaptionAlone() {
        withSmallText((model, ids, ref, E) -> {
            // the fixture strings twice over, in two orders, so the batch mixes short and long captions
            int n = ids.length;
            int[][] batch = new int[2 * n][];
            for (int b = 0; b < n; b++) { batch[b] = ids[b]; batch[2 * n - 1 - b] = ids[b]; }
            java.util.Set<Integer> lengths = new java.util.HashSet<>();
            for (int[] row : ids) lengths.add(model.text().poolIndex(row, 0, row.length));
            assertTrue(lengths.size() >= 3, "the fixture captions have several lengths: " + lengths);
            float[][] packed = model.encodeTokens(batch);
            for (int b = 0; b < 2 * n; b++) {
                int item = b < n ? b : 2 * n - 1 - b;
                float[] alone = model.encodeTokens(new int[][]{ids[item]})[0];
                assertArrayEquals(alone, packed[b], 1e-5f, "batch row " + b);
                assertClose(java.util.Arrays.copyOfRange(ref, item * E, (item + 1) * E), packed[b], 1e-4, "batch row " + b);
            }
        });
    }

    @Test void everyIntermediateActivationMatches() {
        Map<String, float[]> got = new HashMap<>();
        try (ClipModel model = ClipModel.loadWeights(Fixtures.path("models/tiny/hf"));
             SafeTensors ref = SafeTensors.open(Fixtures.path("models/tiny/intermediates.safetensors"))) {
            model.encodePixels(ref.floats("vision.pixel_values"), 1, (n, d, s) -> got.put(n, d));
            model.encodeTokens(new int[][]{ref.ints("text.input_ids")}, (n, d, s) -> got.put(n, d));
            int checked = 0;
            for (String name : ref.names()) {
                if (name.endsWith("pixel_values") || name.endsWith("input_ids") || name.equals("text.eot_index") || name.equals("vision.conv1_out")) continue;
                assertTrue(got.containsKey(name), "the forward pass records " + name);
                assertClose(ref.floats(name), got.get(name), 1e-4, name);
                checked++;
            }
            assertTrue(checked >= 30, "checked " + checked + " intermediates");
            // conv1_out [1,C,4,4] is patch_embeds [1,16,C] transposed
            float[] conv = ref.floats("vision.conv1_out"), pe = got.get("vision.patch_embeds");
            int C = 128;
            for (int c = 0; c < C; c++) for (int g = 0; g < 16; g++) assertEquals(conv[c * 16 + g], pe[g * C + c], 1e-4f);
            int[] eot = ref.ints("text.eot_index");
            assertEquals(eot[0], model.text().poolIndex(ref.ints("text.input_ids"), 0, 77));
        }
    }
}
