package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.image.ImageDecoder;
import io.clip4j.image.NaFlexPreprocessor;
import io.clip4j.image.PilConvert;
import io.clip4j.image.PilImage;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageBatch;
import io.clip4j.testing.Fixtures;
import io.clip4j.text.Tokenizers;
import io.clip4j.train.data.CaptionTable;
import io.clip4j.train.data.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The trainer's NaFlex batches: without augmentation they are the reference processor's patches, grids and token rows
 * (bit-exact against siglip/preprocess_siglip2 and expected_siglip2 at the model's max_num_patches 64, images of every
 * aspect ratio); with augmentation they are reproducible per seed, fit the patch budget and keep the images' aspect.
 */
class NaFlexTrainingDataTest {
    @TempDir Path tmp;

    static final Path DIR = Fixtures.path("siglip/siglip2_tiny");

    static Path table(Path dir, int n) throws Exception {
        JsonNode meta = new ObjectMapper().readTree(Fixtures.path("siglip/expected_siglip2.json").toFile());
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Fixtures.path("siglip/images/" + meta.get("images").get(i).asText()).toAbsolutePath() + "\t"
                    + meta.get("captions").get(i % meta.get("captions").size()).asText());
        }
        Path t = dir.resolve("pairs.tsv");
        Files.write(t, rows);
        return t;
    }

    static NaFlexPreprocessor processor(ClipModel model, int[] bg) {
        ObjectNode json = ModelFiles.preprocessorJson(DIR, model.config(), bg);
        return NaFlexPreprocessor.fromHfJson(json, 0);
    }

    @Test void noAugmentBatchesEqualTheReferenceProcessorAndTokenizer() throws Exception {
        int n = 6;
        Path table = table(tmp, n);
        try (ClipModel model = ModelFiles.load(DIR, null);
             SafeTensors pre = SafeTensors.open(Fixtures.path("siglip/preprocess_siglip2.safetensors"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            NaFlexPreprocessor p = processor(model, null);
            assertEquals(64, p.maxNumPatches(), "max_num_patches of the model's preprocessor_config.json");
            Augment tf = new Augment(p, false, 0.9, 1.0);
            assertTrue(tf.isNaFlex());
            assertEquals(64 * 8 * 8 * 3, tf.floatsPerImage());
            try (Loader loader = new Loader(CaptionTable.read(table), tf, Tokenizers.load(DIR), model.config().text().maxPositions(), n, 0, false,
                    0, 0, 2, 1, m -> fail(m))) {
                Loader.Batch b = loader.next();
                ImageBatch im = b.images();
                assertTrue(im.isPatches());
                assertEquals(64, im.maxPatches());
                assertSame(b.pixels(), im.values());
                int K = 8 * 8 * 3;
                for (int i = 0; i < n; i++) {
                    String key = i + ".p8_mnp64.";
                    assertArrayEquals(pre.ints(key + "spatial_shapes"), im.gridShapes()[i], "grid of image " + i);
                    assertArrayEquals(pre.floats(key + "pixel_values"), Arrays.copyOfRange(im.values(), i * 64 * K, (i + 1) * 64 * K), "patches of image " + i);
                }
                assertArrayEquals(exp.ints("input_ids"), b.ids(), "token rows");
            }
        }
    }

    @Test void augmentedBatchesAreReproducibleFitTheBudgetAndKeepTheAspect() throws Exception {
        int n = 10;
        Path table = table(tmp, n);
        JsonNode meta = new ObjectMapper().readTree(Fixtures.path("siglip/preprocess_siglip2.json").toFile());
        try (ClipModel model = ModelFiles.load(DIR, null)) {
            Augment tf = new Augment(processor(model, null), true, 0.5, 1.0);
            ImageBatch a = first(table, tf, model, n, 7), b = first(table, tf, model, n, 7), c = first(table, tf, model, n, 8);
            assertArrayEquals(a.values(), b.values(), "same seed, same crops");
            assertFalse(Arrays.equals(a.values(), c.values()), "another seed, other crops");
            for (int i = 0; i < n; i++) {
                int h = a.gridShapes()[i][0], w = a.gridShapes()[i][1];
                assertTrue(h >= 1 && w >= 1 && h * w <= 64, "grid " + h + "x" + w + " fits 64 patches");
                JsonNode src = meta.get("per_image").get(i).get("source_hw");
                double aspect = src.get(1).asDouble() / src.get(0).asDouble();
                if (aspect >= 4) assertTrue(w >= 3 * h, meta.get("images").get(i).asText() + " stays wide: " + h + "x" + w);
                if (aspect <= 0.25) assertTrue(h >= 3 * w, meta.get("images").get(i).asText() + " stays tall: " + h + "x" + w);
            }
        }
    }

    static ImageBatch first(Path table, Augment tf, ClipModel model, int n, long seed) throws Exception {
        try (Loader loader = new Loader(CaptionTable.read(table), tf, Tokenizers.load(DIR), model.config().text().maxPositions(), n, seed, false,
                0, 0, 2, 1, m -> fail(m))) {
            return loader.next().images();
        }
    }

    /** alpha_background in preprocessor_config.json: transparent images are composited onto it before the NaFlex resize. */
    @Test void alphaBackgroundCompositesTransparentImages() throws Exception {
        try (ClipModel model = ModelFiles.load(DIR, null)) {
            NaFlexPreprocessor plain = processor(model, null), white = processor(model, new int[]{255, 255, 255});
            assertArrayEquals(new int[]{255, 255, 255}, white.alphaBackground());
            ImageDecoder dec = ImageDecoder.defaults();
            PilImage rgba = dec.decode(Fixtures.path("siglip/images/coffee_rgba_gradient.png"));
            assertNotNull(PilConvert.alpha(rgba));
            NaFlexPreprocessor.Patches composited = plain.apply(PilConvert.compositeOnto(rgba, 255, 255, 255));
            assertArrayEquals(composited.values(), white.apply(rgba).values());
            assertFalse(Arrays.equals(plain.apply(rgba).values(), white.apply(rgba).values()));
            PilImage opaque = dec.decode(Fixtures.path("siglip/images/coffee.png"));
            assertArrayEquals(plain.apply(opaque).values(), white.apply(opaque).values(), "opaque images are unchanged");
            // the trainer's augment path uses the same processor
            Augment tf = new Augment(white, false, 0.9, 1.0);
            float[] out = new float[tf.floatsPerImage()];
            int[] grid = tf.apply(rgba, new SplittableRandom(0), out, 0);
            assertArrayEquals(new int[]{composited.gridH(), composited.gridW()}, grid);
            assertArrayEquals(composited.values(), out);
        }
    }
}
