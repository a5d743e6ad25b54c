package io.clip4j.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

class PreprocessorTest {
    private static Path input(String f) { return Fixtures.path("images/inputs/" + f); }

    @Test
    void hfConfigOfTheTinyModelIsClip32() {
        PreprocessConfig c = PreprocessConfig.fromHfFile(Fixtures.path("models/tiny/hf/preprocessor_config.json"));
        assertEquals(PreprocessConfig.clip(32), c);
        try (SafeTensors ref = SafeTensors.open(Fixtures.path("images/preprocessed_32.safetensors"))) {
            float[] px = ImagePreprocessor.fromHfConfig(Fixtures.path("models/tiny/hf/preprocessor_config.json"))
                    .apply(input("chelsea.png"));
            assertArrayEquals(ref.floats("chelsea.pixel_values"), px, 0f);
        }
    }

    @Test
    void openClipConfigOfTheTinyModelIsClip32() throws IOException {
        var root = new ObjectMapper().readTree(Fixtures.path("models/tiny/open_clip/open_clip_config.json").toFile());
        assertEquals(PreprocessConfig.clip(32), PreprocessConfig.fromOpenClipJson(root));
    }

    @Test
    void siglipStyleConfigResizesToAnExactSize() throws IOException {
        var json = new ObjectMapper().readTree("""
                {"do_normalize": true, "do_rescale": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
                 "image_std": [0.5, 0.5, 0.5], "resample": 2, "rescale_factor": 0.00392156862745098,
                 "size": {"height": 24, "width": 40}}""");
        PreprocessConfig c = PreprocessConfig.fromHfJson(json);
        assertEquals(Resample.Filter.BILINEAR, c.resample());
        assertEquals(0, c.shortestEdge());
        ImagePreprocessor p = ImagePreprocessor.fromConfig(c);
        PilImage im = ImageDecoder.read(input("coffee.png"));
        ImagePreprocessor.Rgb rgb = p.resizedRgb(im);
        assertEquals(40, rgb.width());
        assertEquals(24, rgb.height());
        float[] t = p.apply(im);
        assertEquals(3 * 24 * 40, t.length);
        // (v/255 - 0.5)/0.5 of the bilinear resize
        PilImage r = Resample.resize(im, 40, 24, Resample.Filter.BILINEAR);
        assertEquals(((r.bytes()[0] & 0xFF) / 255f - 0.5f) / 0.5f, t[0], 0f);
    }

    @Test
    void resizedSizeTruncatesLikePython() {
        ImagePreprocessor p = ImagePreprocessor.clip(224);
        assertArrayEquals(new int[] {298, 224}, p.resizedSize(1024, 768));
        assertArrayEquals(new int[] {224, 298}, p.resizedSize(768, 1024));
        assertArrayEquals(new int[] {224, 224}, p.resizedSize(5, 5));
        assertArrayEquals(new int[] {317, 32}, ImagePreprocessor.clip(32).resizedSize(566, 57));
        assertArrayEquals(new int[] {64, 629}, ImagePreprocessor.clip(64).resizedSize(57, 561));
    }

    @Test
    void centerCropRoundsHalfToEvenAndPadsSmallImages() {
        assertArrayEquals(new int[] {142, 0}, ImagePreprocessor.centerCropOffsets(317, 32, 32, 32)); // 142.5 -> 142
        assertArrayEquals(new int[] {0, 282}, ImagePreprocessor.centerCropOffsets(64, 629, 64, 64)); // 282.5 -> 282
        assertArrayEquals(new int[] {2, 0}, ImagePreprocessor.centerCropOffsets(7, 2, 2, 2));   // 2.5 -> 2
        assertArrayEquals(new int[] {4, 0}, ImagePreprocessor.centerCropOffsets(11, 2, 2, 2));  // 4.5 -> 4
        assertArrayEquals(new int[] {6, 0}, ImagePreprocessor.centerCropOffsets(15, 2, 2, 2));  // 6.5 -> 6
        assertArrayEquals(new int[] {4, 0}, ImagePreprocessor.centerCropOffsets(9, 2, 2, 2));   // 3.5 -> 4
        // smaller than the crop: torchvision pads left/top by (crop - size) // 2 with zeros
        assertArrayEquals(new int[] {1, -1}, ImagePreprocessor.centerCropOffsets(10, 6, 8, 8));
        assertArrayEquals(new int[] {-1, -1}, ImagePreprocessor.centerCropOffsets(6, 6, 9, 9));

        byte[] px = new byte[6 * 6 * 3];
        java.util.Arrays.fill(px, (byte) 200);
        PilImage im = PilImage.of(PilMode.RGB, 6, 6, px);
        PilImage c = ImagePreprocessor.centerCrop(im, 9, 9);
        assertEquals(9, c.width());
        assertEquals(0, c.bytes()[0]);                       // (0,0) padding
        assertEquals((byte) 200, c.bytes()[(1 * 9 + 1) * 3]);  // (1,1) first image pixel
        assertEquals((byte) 200, c.bytes()[(6 * 9 + 6) * 3]);  // (6,6) last image pixel
        assertEquals(0, c.bytes()[(7 * 9 + 7) * 3]);          // (7,7) padding (right/bottom get 2)
    }

    @Test
    void smallImageThroughTheWholePipeline() {
        // no resize (shortest edge already 4), crop 6 pads by 1: the tensor's border is (0 - mean)/std
        PreprocessConfig c = new PreprocessConfig(4, 0, 0, 6, 6, Resample.Filter.BICUBIC, PreprocessConfig.CLIP_MEAN,
                PreprocessConfig.CLIP_STD, 1f / 255f, true, true, true, true, true, false, null);
        byte[] px = new byte[4 * 4 * 3];
        java.util.Arrays.fill(px, (byte) 255);
        float[] t = ImagePreprocessor.fromConfig(c).apply(PilImage.of(PilMode.RGB, 4, 4, px));
        assertEquals(3 * 36, t.length);
        assertEquals((0f - PreprocessConfig.CLIP_MEAN[0]) / PreprocessConfig.CLIP_STD[0], t[0], 0f);
        assertEquals((1f - PreprocessConfig.CLIP_MEAN[0]) / PreprocessConfig.CLIP_STD[0], t[7], 0f);
    }

    @Test
    void alphaBackgroundCompositesTransparentImages() {
        PilImage im = ImageDecoder.read(input("rgba_transparent.png"));
        // reference: the transparent left third comes out black (premultiplied resize, alpha dropped)
        ImagePreprocessor.Rgb ref = ImagePreprocessor.clip(32).resizedRgb(im);
        assertEquals(0, ref.pixels()[0]);
        assertEquals(0, ref.pixels()[1]);
        // on white: the same area is white
        ImagePreprocessor white = ImagePreprocessor.fromConfig(PreprocessConfig.clip(32).withAlphaBackground(255, 255, 255));
        ImagePreprocessor.Rgb w = white.resizedRgb(im);
        assertEquals((byte) 255, w.pixels()[0]);
        assertEquals((byte) 255, w.pixels()[1]);
        assertEquals((byte) 255, w.pixels()[2]);
        // opaque images are unaffected by the option
        PilImage chelsea = ImageDecoder.read(input("chelsea.png"));
        assertArrayEquals(ImagePreprocessor.clip(32).apply(chelsea), white.apply(chelsea), 0f);
        // compositing arithmetic: alpha 128 over white
        PilImage one = PilImage.of(PilMode.RGBA, 1, 1, new byte[] {(byte) 200, 0, 100, (byte) 128});
        PilImage c = PilConvert.compositeOnto(one, 255, 255, 255);
        assertArrayEquals(new byte[] {(byte) 227, 127, (byte) 177}, c.bytes()); // round(200·128/255) + round(255·127/255), ...;
    }

    @Test
    void convertRgbFirstMatchesHfOrder() {
        PilImage p = ImageDecoder.read(input("palette_P.png"));
        ImagePreprocessor hfOrder = ImagePreprocessor.fromConfig(PreprocessConfig.clip(32).withConvertRgbFirst(true));
        PilImage rgb = PilImage.of(PilMode.RGB, p.width(), p.height(), p.toRgb());
        assertArrayEquals(ImagePreprocessor.clip(32).apply(rgb), hfOrder.apply(p), 0f);
    }

    @Test
    void exifOrientationIsIgnoredByDefaultAndAppliedOnRequest() {
        Path f = input("exif_orientation6.jpg");
        ImageDecoder.Decoded plain = ImageDecoder.defaults().decodeDetailed(f);
        assertEquals(6, plain.exifOrientation());
        assertEquals(320, plain.image().width());
        assertEquals(200, plain.image().height());
        PilImage rotated = new ImageDecoder(ImageDecoder.Options.defaults().withExifOrientation(true)).decode(f);
        assertEquals(200, rotated.width());
        assertEquals(320, rotated.height());
        // orientation 6 = rotate 90° clockwise: out(x, y) = in(y, h - 1 - x)
        PilImage in = plain.image();
        for (int[] xy : new int[][] {{0, 0}, {199, 0}, {0, 319}, {57, 123}}) {
            int x = xy[0], y = xy[1];
            for (int ch = 0; ch < 3; ch++) {
                assertEquals(in.bytes()[((in.height() - 1 - x) * in.width() + y) * 3 + ch],
                        rotated.bytes()[(y * rotated.width() + x) * 3 + ch]);
            }
        }
    }

    @Test
    void allEightOrientationsMatchPillowTransposes() {
        // [[1,2,3],[4,5,6]] (w=3, h=2) and what ImageOps.exif_transpose gives for each orientation
        PilImage im = PilImage.of(PilMode.L, 3, 2, new byte[] {1, 2, 3, 4, 5, 6});
        int[][] expected = {
                null, {1, 2, 3, 4, 5, 6}, {3, 2, 1, 6, 5, 4}, {6, 5, 4, 3, 2, 1}, {4, 5, 6, 1, 2, 3},
                {1, 4, 2, 5, 3, 6}, {4, 1, 5, 2, 6, 3}, {6, 3, 5, 2, 4, 1}, {3, 6, 2, 5, 1, 4}};
        for (int o = 1; o <= 8; o++) {
            PilImage r = Orientation.apply(im, o);
            assertArrayEquals(expected[o], r.toIntArray(), "orientation " + o);
            assertEquals(o >= 5 ? 2 : 3, r.width(), "width for orientation " + o);
        }
    }

    @Test
    void threadSafe() throws Exception {
        List<Path> files = new ArrayList<>();
        try (var s = Files.list(Fixtures.path("images/inputs"))) { s.sorted().forEach(files::add); }
        ImagePreprocessor p = ImagePreprocessor.clip(64);
        List<float[]> sequential = new ArrayList<>();
        for (Path f : files) sequential.add(p.apply(f));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) for (Path f : files) futures.add(pool.submit(() -> p.apply(f)));
            for (int i = 0; i < futures.size(); i++) assertArrayEquals(sequential.get(i % files.size()), futures.get(i).get(), 0f);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void filterNames() {
        assertEquals(Resample.Filter.BICUBIC, Resample.Filter.fromPilCode(3));
        assertEquals(Resample.Filter.BILINEAR, Resample.Filter.fromPilCode(2));
        assertEquals(Resample.Filter.LANCZOS, Resample.Filter.fromName("antialias"));
        assertEquals(Resample.Filter.BICUBIC, Resample.Filter.fromName("bicubic"));
        assertThrows(IllegalArgumentException.class, () -> Resample.Filter.fromPilCode(9));
        assertThrows(IllegalArgumentException.class, () -> Resample.Filter.fromName("spline"));
    }
}
