package io.clip4j.model;

import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PilImage;
import io.clip4j.image.PilMode;
import io.clip4j.nn.Param;
import io.clip4j.nn.Workspace;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunked patch embedding against a direct stride-P convolution, across chunk boundaries and both batch forms. */
class PatchEmbeddingTest {
    static final int S = 12, P = 4, G = S / P, C = 10, K = 3 * P * P;

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        return v;
    }

    /** conv[b, gy·G+gx, c] = bias[c] + Σ_{ch,py,px} w[c,ch,py,px] · pixels[b,ch,gy·P+py,gx·P+px], in double. */
    static double conv(float[] pixels, int b, float[] w, float[] bias, int g, int c) {
        int gy = g / G, gx = g % G;
        double s = bias == null ? 0 : bias[c];
        for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++) for (int px = 0; px < P; px++) {
            s += (double) w[((c * 3 + ch) * P + py) * P + px] * pixels[((b * 3 + ch) * S + gy * P + py) * S + gx * P + px];
        }
        return s;
    }

    @Test void chunkedEmbeddingEqualsTheConvolutionAndLeavesOtherRowsAlone() {
        int B = 2 * PatchEmbedding.IMAGES_PER_CHUNK + 3, T = G * G + 2, first = 1;  // a partial last chunk; a spare row
        SplittableRandom r = new SplittableRandom(7);
        float[] pixels = random(r, B * 3 * S * S), w = random(r, C * K), bias = random(r, C);
        Param weight = new Param("w", w, C, 3, P, P);
        for (float[] b : new float[][]{bias, null}) {
            float[] x = new float[B * T * C];
            Arrays.fill(x, 42f);
            PatchEmbedding.embed(x, T, first, ImageBatch.pixels(pixels, B), S, P, weight, b, C, new Workspace(), 1, 2);
            for (int i = 0; i < B; i++) for (int t = 0; t < T; t++) for (int c = 0; c < C; c++) {
                float got = x[(i * T + t) * C + c];
                int g = t - first;
                if (g < 0 || g >= G * G) assertEquals(42f, got, "row " + t + " of image " + i + " is not a patch row");
                else assertEquals(conv(pixels, i, w, b, g, c), got, 1e-5, "image " + i + " patch " + g + " channel " + c);
            }
        }
    }

    @Test void preprocessedImagesGiveTheSameValuesAsOneArray() {
        int B = PatchEmbedding.IMAGES_PER_CHUNK + 1, T = G * G;
        SplittableRandom r = new SplittableRandom(8);
        Param weight = new Param("w", random(r, C * K), C, 3, P, P);
        // 8-bit RGB images (HWC) and a normalisation table; the same pixels as CHW floats, per image and in one array
        float[][] table = {random(r, 256), random(r, 256), random(r, 256)};
        ImageInput[] rgb = new ImageInput[B], floats = new ImageInput[B];
        float[] pixels = new float[B * 3 * S * S];
        for (int b = 0; b < B; b++) {
            byte[] hwc = new byte[S * S * 3];
            for (int i = 0; i < hwc.length; i++) hwc[i] = (byte) r.nextInt(256);
            rgb[b] = ImageInput.pixels(new ImagePreprocessor.Rgb(S, S, hwc), table);
            for (int ch = 0; ch < 3; ch++) for (int i = 0; i < S * S; i++) pixels[(b * 3 + ch) * S * S + i] = table[ch][hwc[i * 3 + ch] & 0xFF];
            floats[b] = ImageInput.pixels(Arrays.copyOfRange(pixels, b * 3 * S * S, (b + 1) * 3 * S * S));
            assertArrayEquals(floats[b].values(), rgb[b].values());
            assertTrue(rgb[b].isSquarePixels(S) && floats[b].isSquarePixels(S));
        }
        assertArrayEquals(pixels, ImageBatch.pixels(rgb).values());
        assertArrayEquals(pixels, ImageBatch.pixels(floats).values());
        float[] flat = new float[B * T * C];
        PatchEmbedding.embed(flat, T, 0, ImageBatch.pixels(pixels, B), S, P, weight, null, C, new Workspace(), 1, 2);
        for (ImageBatch batch : new ImageBatch[]{ImageBatch.pixels(rgb), ImageBatch.pixels(floats)}) {
            float[] x = new float[B * T * C];
            PatchEmbedding.embed(x, T, 0, batch, S, P, weight, null, C, new Workspace(), 1, 2);
            assertArrayEquals(flat, x);
        }
    }

    @Test void an8BitImageThroughItsTableEqualsThePreprocessorsTensor() {
        SplittableRandom r = new SplittableRandom(9);
        byte[] hwc = new byte[37 * 23 * 3];
        for (int i = 0; i < hwc.length; i++) hwc[i] = (byte) r.nextInt(256);
        PilImage image = PilImage.of(PilMode.RGB, 37, 23, hwc);
        ImagePreprocessor pre = ImagePreprocessor.clip(S);
        ImageInput in = ImageInput.pixels(pre.resizedRgb(image), pre.normalisationTable());
        assertArrayEquals(pre.apply(image), in.values());
    }

    @Test void imagesOfAnotherSizeAreReported() {
        ImageInput square = ImageInput.pixels(new float[3 * S * S]), short1 = ImageInput.pixels(new float[3 * S * S - 1]);
        ImageInput wide = ImageInput.pixels(new ImagePreprocessor.Rgb(S + 1, S, new byte[(S + 1) * S * 3]), new float[3][256]);
        assertTrue(ImageBatch.pixels(new ImageInput[]{square, square}).holdsPixels(S));
        assertFalse(ImageBatch.pixels(new ImageInput[]{square, short1}).holdsPixels(S));
        assertFalse(ImageBatch.pixels(new ImageInput[]{wide}).holdsPixels(S));
        assertFalse(ImageBatch.pixels(new float[2 * 3 * S * S - 1], 2).holdsPixels(S));
    }
}
