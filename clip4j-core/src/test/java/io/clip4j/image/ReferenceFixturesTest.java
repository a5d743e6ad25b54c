package io.clip4j.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every fixture image (fixtures/images, made with Pillow 9.4 + torchvision 0.14 + libjpeg-turbo): decoded samples,
 * resize size, crop offsets, {@code resized_u8} and {@code pixel_values}, at 32 and 64 px — all exact.
 */
class ReferenceFixturesTest {
    private static JsonNode images;
    private static SafeTensors decoded, pre32, pre64;

    @BeforeAll
    static void open() throws IOException {
        images = new ObjectMapper().readTree(Fixtures.path("images/images.json").toFile());
        decoded = SafeTensors.open(Fixtures.path("images/decoded.safetensors"));
        pre32 = SafeTensors.open(Fixtures.path("images/preprocessed_32.safetensors"));
        pre64 = SafeTensors.open(Fixtures.path("images/preprocessed_64.safetensors"));
    }

    @AfterAll
    static void close() {
        decoded.close();
        pre32.close();
        pre64.close();
    }

    static Stream<Arguments> imageNames() throws IOException {
        JsonNode all = new ObjectMapper().readTree(Fixtures.path("images/images.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (JsonNode n : all) out.add(Arguments.of(n.get("name").asText()));
        return out.stream();
    }

    static Stream<Arguments> imageSizes() throws IOException {
        return imageNames().flatMap(a -> Stream.of(Arguments.of(a.get()[0], 32), Arguments.of(a.get()[0], 64)));
    }

    private static JsonNode meta(String name) {
        for (JsonNode n : images) if (n.get("name").asText().equals(name)) return n;
        throw new IllegalArgumentException(name);
    }

    private static Path input(String name) {
        return Fixtures.path("images/inputs/" + meta(name).get("file").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("imageNames")
    void decodesExactlyLikePillow(String name) {
        JsonNode m = meta(name);
        ImageDecoder.Decoded d = ImageDecoder.defaults().decodeDetailed(input(name));
        PilImage im = d.image();
        assertEquals(m.get("pil_format").asText(), d.format(), "format");
        assertEquals(m.get("pil_mode").asText(), im.mode().pilName(), "mode");
        assertEquals(m.get("width").asInt(), im.width(), "width");
        assertEquals(m.get("height").asInt(), im.height(), "height");
        int[] expected = decoded.ints(name + ".pixels");
        int[] actual = im.toIntArray();
        assertEquals(expected.length, actual.length, "sample count");
        int max = maxAbsDiff(expected, actual);
        assertEquals(0, max, name + ": max |decoded - reference| over " + expected.length + " samples");
        if (decoded.has(name + ".palette")) {
            int[] pal = decoded.ints(name + ".palette");
            int[] mine = new int[im.palette().length];
            for (int i = 0; i < mine.length; i++) mine[i] = im.palette()[i] & 0xFF;
            assertArrayEquals(pal, mine, "palette");
        }
        if (m.has("exif_orientation") && !m.get("exif_orientation").isNull()) {
            assertEquals(m.get("exif_orientation").asInt(), d.exifOrientation(), "EXIF orientation");
        }
    }

    @ParameterizedTest(name = "{0} @ {1}px")
    @MethodSource("imageSizes")
    void preprocessesExactlyLikeTorchvision(String name, int n) {
        JsonNode p = meta(name).get("preprocess").get(String.valueOf(n));
        SafeTensors ref = n == 32 ? pre32 : pre64;
        ImagePreprocessor pre = ImagePreprocessor.clip(n);
        PilImage im = ImageDecoder.read(input(name));

        int[] size = pre.resizedSize(im.width(), im.height());
        assertEquals(p.get("resized_size").get(0).asInt(), size[0], "resized width");
        assertEquals(p.get("resized_size").get(1).asInt(), size[1], "resized height");
        assertEquals(p.get("resize_skipped").asBoolean(), size[0] == im.width() && size[1] == im.height(), "resize skipped");
        int[] off = ImagePreprocessor.centerCropOffsets(size[0], size[1], n, n);
        assertEquals(p.get("crop_left").asInt(), off[0], "crop left");
        assertEquals(p.get("crop_top").asInt(), off[1], "crop top");

        ImagePreprocessor.Rgb rgb = pre.resizedRgb(im);
        assertEquals(n, rgb.width());
        assertEquals(n, rgb.height());
        int[] expectedU8 = ref.ints(name + ".resized_u8");
        int[] actualU8 = new int[rgb.pixels().length];
        for (int i = 0; i < actualU8.length; i++) actualU8[i] = rgb.pixels()[i] & 0xFF;
        assertEquals(0, maxAbsDiff(expectedU8, actualU8), name + "@" + n + ": max |resized_u8 - reference|");

        float[] expected = ref.floats(name + ".pixel_values");
        float[] actual = pre.apply(im);
        assertEquals(expected.length, actual.length);
        double maxF = 0;
        for (int i = 0; i < expected.length; i++) maxF = Math.max(maxF, Math.abs(expected[i] - actual[i]));
        assertEquals(0.0, maxF, name + "@" + n + ": max |pixel_values - reference|");
    }

    @Test
    void wholeBatchMatchesTinyModelPixelValues() {
        // models/tiny/expected.safetensors holds the 16 images preprocessed at 32 px, in images.json order
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            float[] batch = exp.floats("pixel_values");
            ImagePreprocessor pre = ImagePreprocessor.clip(32);
            float[] mine = new float[batch.length];
            int off = 0;
            for (JsonNode m : images) off += pre.applyInto(ImageDecoder.read(input(m.get("name").asText())), mine, off);
            assertEquals(batch.length, off);
            assertArrayEquals(batch, mine, 0f);
        }
    }

    static int maxAbsDiff(int[] a, int[] b) {
        assertEquals(a.length, b.length, "length");
        int max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }
}
