package io.clip4j.model;

import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import io.clip4j.train.TrainingGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The three weight storages give the same model: mapped = heap bit for bit; BF16 within its rounding. */
class WeightStorageTest {
    private static ClipModel load(Path dir, ClipModel.WeightStorage w) {
        return ClipModel.load(dir, ClipModel.Options.defaults().withWeights(w));
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/tiny/hf", "models/tiny/open_clip", "models/tiny/hf_f16", "models/small/hf"})
    void mappedEqualsHeapAndBf16IsClose(String modelDir) {
        Path dir = Fixtures.path(modelDir);
        String expected = modelDir.endsWith("f16") ? "models/tiny/expected_f16.safetensors" : modelDir.replaceFirst("/[^/]+$", "/expected.safetensors");
        try (ClipModel mapped = load(dir, ClipModel.WeightStorage.MAPPED); ClipModel heap = load(dir, ClipModel.WeightStorage.HEAP);
             ClipModel bf16 = load(dir, ClipModel.WeightStorage.BF16); SafeTensors exp = SafeTensors.open(Fixtures.path(expected))) {
            long mappedMatrices = mapped.params().stream().filter(p -> !p.onHeap()).count();
            assertTrue(heap.params().stream().allMatch(p -> p.onHeap()), "heap storage keeps every parameter in a float[]");
            if (modelDir.endsWith("open_clip")) assertTrue(mappedMatrices > 0, "OpenCLIP: the blocks' matrices are mapped");
            else assertTrue(mappedMatrices >= 4L * mapped.config().vision().tower().numLayers(), "the matrices are mapped: " + mappedMatrices);
            int B = (int) exp.info("pixel_values").shape()[0];
            float[] pixels = exp.floats("pixel_values");
            int[][] ids = ClipModelFixtureTest.ids(exp);
            float[][] im = mapped.encodePixels(pixels, B), ih = heap.encodePixels(pixels, B), ib = bf16.encodePixels(pixels, B);
            float[][] tm = mapped.encodeTokens(ids), th = heap.encodeTokens(ids), tb = bf16.encodeTokens(ids);
            for (int i = 0; i < B; i++) assertArrayEquals(ih[i], im[i], "image " + i);
            for (int i = 0; i < ids.length; i++) assertArrayEquals(th[i], tm[i], "text " + i);
            float[][] nb = Vectors.normalizeRows(ib), nh = Vectors.normalizeRows(ih), nbt = Vectors.normalizeRows(tb), nht = Vectors.normalizeRows(th);
            for (int i = 0; i < B; i++) assertTrue(dot(nb[i], nh[i]) > 0.999, "bf16 image " + i + " cosine " + dot(nb[i], nh[i]));
            for (int i = 0; i < ids.length; i++) assertTrue(dot(nbt[i], nht[i]) > 0.999, "bf16 text " + i + " cosine " + dot(nbt[i], nht[i]));
        }
    }

    @Test void siglipModelsMapToo() {
        for (String m : new String[]{"siglip/siglip_tiny", "siglip/siglip2_tiny"}) {
            Path dir = Fixtures.path(m);
            try (ClipModel mapped = load(dir, ClipModel.WeightStorage.MAPPED); ClipModel heap = load(dir, ClipModel.WeightStorage.HEAP)) {
                assertTrue(mapped.params().stream().filter(p -> !p.onHeap()).count() >= 4L * mapped.config().vision().tower().numLayers(), m + ": the matrices are mapped");
                int L = mapped.config().text().maxPositions(), V = mapped.config().text().vocabSize();
                int[][] ids = new int[3][L];
                java.util.SplittableRandom r = new java.util.SplittableRandom(5);
                for (int[] row : ids) for (int t = 0; t < L; t++) row[t] = r.nextInt(V);
                float[][] a = mapped.encodeTokens(ids), b = heap.encodeTokens(ids);
                for (int i = 0; i < a.length; i++) assertArrayEquals(b[i], a[i], m + " text " + i);
            }
        }
    }

    @Test void aCheckpointTruncatedWhileMappedGivesAClearError(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("model");
        java.nio.file.Files.createDirectories(dir);
        try (var files = java.nio.file.Files.list(Fixtures.path("models/tiny/hf"))) {
            for (Path f : files.toList()) java.nio.file.Files.copy(f, dir.resolve(f.getFileName()));
        }
        try (ClipModel m = load(dir, ClipModel.WeightStorage.MAPPED)) {
            int S = m.config().vision().imageSize();
            float[] pixels = new float[3 * S * S];
            m.encodePixels(pixels, 1);                                    // fine while the file is whole
            try (var ch = java.nio.channels.FileChannel.open(dir.resolve("model.safetensors"), java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(64);
            }
            io.clip4j.Clip4jException e = assertThrows(io.clip4j.Clip4jException.class, () -> m.encodePixels(pixels, 1));
            assertTrue(e.getMessage().contains("truncated or rewritten") && e.getMessage().contains(dir.toString()), e.getMessage());
        }
    }

    @Test void trainingRefusesMappedWeights() {
        try (ClipModel mapped = load(Fixtures.path("models/tiny/hf"), ClipModel.WeightStorage.MAPPED)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingGraph.of(mapped));
            assertTrue(e.getMessage().contains("HEAP"), e.getMessage());
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
