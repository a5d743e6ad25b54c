package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
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

import static org.junit.jupiter.api.Assertions.*;

/**
 * The training batches of a SigLIP model are built as its processor and tokenizer build inference inputs: the
 * trainer's eval transform (ModelFiles.preprocessConfig for the family, no augmentation) resizes straight to the square
 * after converting to RGB, and the loader's token rows are padded to the model's length: pixels and ids bit-exact
 * against siglip/expected_siglip.safetensors (gray, RGBA and long-caption cases included).
 */
class SiglipTrainingDataTest {
    @TempDir Path tmp;

    @Test void noAugmentBatchesEqualTheReferenceProcessorAndTokenizer() throws Exception {
        Path dir = Fixtures.path("siglip/siglip_tiny");
        JsonNode meta = new ObjectMapper().readTree(Fixtures.path("siglip/expected_siglip.json").toFile());
        int n = meta.get("captions").size();   // 6 captions: pair them with the first 6 images
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(Fixtures.path("siglip/images/" + meta.get("images").get(i).asText()).toAbsolutePath() + "\t" + meta.get("captions").get(i).asText());
        }
        Path table = tmp.resolve("pairs.tsv");
        Files.write(table, rows);
        try (ClipModel model = ModelFiles.load(dir, null); SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip.safetensors"))) {
            int S = model.config().vision().imageSize();
            PreprocessConfig pre = ModelFiles.preprocessConfig(dir, model.family(), S);
            assertFalse(pre.doCenterCrop() && (pre.resizeHeight() != pre.cropHeight() || pre.resizeWidth() != pre.cropWidth()), "no crop");
            assertTrue(pre.convertRgbFirst(), "SigLIP's processor converts to RGB before resizing");
            Augment tf = new Augment(pre, S, false, 0.9, 1.0, null);
            try (Loader loader = new Loader(CaptionTable.read(table), tf, Tokenizers.load(dir), model.config().text().maxPositions(), n, 0, false,
                    0, 0, 2, 1, m -> fail(m))) {
                Loader.Batch b = loader.next();
                assertArrayEquals(exp.ints("input_ids"), b.ids(), "token rows (padded to " + b.L() + ")");
                float[] want = Arrays.copyOf(exp.floats("pixel_values"), n * 3 * S * S);
                assertArrayEquals(want, b.pixels(), "pixels of " + n + " images");
            }
        }
    }
}
