package io.clip4j.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * SigLIP 2 NaFlex preprocessing (HF Siglip2ImageProcessor): keep the aspect ratio, pick the largest size whose patch
 * grid fits {@code maxNumPatches}, and cut it into patches.
 * <ol>
 * <li>convert("RGB") as PIL does (alpha dropped, not composited; unless an alpha background is set, clip4j's
 *     {@code "alpha_background": [r, g, b]} in preprocessor_config.json: transparent images are composited onto it
 *     first), 8-bit;</li>
 * <li>target size by {@link #targetSize}; resize on uint8 with Pillow's filter (bilinear by default);</li>
 * <li>x = float32(u8 · (1/255 in double)), then (x − mean)/std in float32;</li>
 * <li>patches row-major over the h×w grid, each flattened (row, column, channel) → values[M, P·P·3],
 *     zero rows past h·w; the mask is h·w ones.</li>
 * </ol>
 */
public final class NaFlexPreprocessor {
    /** A preprocessed image: patches[maxPatches, P·P·3] and its patch grid. */
    public record Patches(float[] values, int gridH, int gridW) {
        public int validPatches() { return gridH * gridW; }
    }

    private final int patchSize, maxNumPatches;
    private final Resample.Filter filter;
    private final float[][] lut = new float[3][256];
    private final ImageDecoder decoder;
    private final int[] alphaBackground;
    private final float[] mean, std;
    private final double rescale;

    public NaFlexPreprocessor(int patchSize, int maxNumPatches, Resample.Filter filter, float[] mean, float[] std, double rescale, ImageDecoder decoder) {
        this(patchSize, maxNumPatches, filter, mean, std, rescale, decoder, null);
    }

    /** @param alphaBackground null (the reference: alpha dropped), or the RGB colour transparent images are composited onto */
    public NaFlexPreprocessor(int patchSize, int maxNumPatches, Resample.Filter filter, float[] mean, float[] std, double rescale,
                              ImageDecoder decoder, int[] alphaBackground) {
        if (patchSize < 1 || maxNumPatches < 1) throw new IllegalArgumentException("patch size and max_num_patches must be positive");
        if (alphaBackground != null && (alphaBackground.length != 3 || java.util.Arrays.stream(alphaBackground).anyMatch(v -> v < 0 || v > 255))) {
            throw new IllegalArgumentException("alphaBackground must be 3 values in 0..255");
        }
        this.patchSize = patchSize;
        this.maxNumPatches = maxNumPatches;
        this.filter = filter;
        this.decoder = decoder;
        this.alphaBackground = alphaBackground == null ? null : alphaBackground.clone();
        this.mean = mean.clone();
        this.std = std.clone();
        this.rescale = rescale;
        for (int c = 0; c < 3; c++) for (int v = 0; v < 256; v++) lut[c][v] = ((float) (v * rescale) - mean[c]) / std[c];
    }

    /** From a {@code preprocessor_config.json}; maxNumPatches &gt; 0 overrides the file's value. */
    public static NaFlexPreprocessor fromHfFile(Path file, int maxNumPatchesOverride) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new Clip4jException("cannot read preprocessor config " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromHfJson(c, maxNumPatchesOverride);
        } catch (IllegalArgumentException e) {
            throw new Clip4jException("invalid preprocessor config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * From the JSON of a {@code preprocessor_config.json} (Siglip2ImageProcessor's defaults for absent fields;
     * clip4j's alpha_background honoured); maxNumPatches &gt; 0 overrides its value.
     * @throws IllegalArgumentException for invalid values
     */
    public static NaFlexPreprocessor fromHfJson(JsonNode c, int maxNumPatchesOverride) {
        int p = c.path("patch_size").asInt(16);
        int m = maxNumPatchesOverride > 0 ? maxNumPatchesOverride : c.path("max_num_patches").asInt(256);
        Resample.Filter f = c.has("resample") ? Resample.Filter.fromPilCode(c.get("resample").asInt()) : Resample.Filter.BILINEAR;
        float[] mean = three(c.get("image_mean"), 0.5f), std = three(c.get("image_std"), 0.5f);
        double rescale = c.has("rescale_factor") ? c.get("rescale_factor").asDouble() : 1.0 / 255;
        int[] bg = null;
        JsonNode a = c.get("alpha_background");
        if (a != null && !a.isNull()) {
            if (!a.isArray() || a.size() != 3) throw new IllegalArgumentException("'alpha_background' must be [r, g, b], got " + a);
            bg = new int[]{a.get(0).asInt(), a.get(1).asInt(), a.get(2).asInt()};
        }
        return new NaFlexPreprocessor(p, m, f, mean, std, rescale, ImageDecoder.defaults(), bg);
    }

    private static float[] three(JsonNode n, float dflt) {
        if (n == null || n.isNull()) return new float[]{dflt, dflt, dflt};
        if (n.isNumber()) { float v = (float) n.asDouble(); return new float[]{v, v, v}; }
        if (!n.isArray() || n.size() != 3) throw new IllegalArgumentException("expected 3 values, got " + n);
        return new float[]{(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
    }

    public int patchSize() { return patchSize; }

    public ImageDecoder decoder() { return decoder; }
    public int maxNumPatches() { return maxNumPatches; }

    /**
     * The resize target {h', w'} for an H×W image: binary search (double) over a scale in [1e-6, 100] while
     * hi − lo ≥ 1e-5: h' = max(p, ⌈H·mid/p⌉·p), likewise w'; accept mid when (h'/p)(w'/p) ≤ max; use lo at the end.
     */
    public static int[] targetSize(int H, int W, int p, int max) {
        double lo = 1e-6, hi = 100;
        while (hi - lo >= 1e-5) {
            double mid = (lo + hi) / 2;
            long h = Math.max(p, (long) Math.ceil(H * mid / p) * p), w = Math.max(p, (long) Math.ceil(W * mid / p) * p);
            if ((h / p) * (w / p) <= max) lo = mid;
            else hi = mid;
        }
        int h = (int) Math.max(p, (long) Math.ceil(H * lo / p) * p), w = (int) Math.max(p, (long) Math.ceil(W * lo / p) * p);
        return new int[]{h, w};
    }

    public Patches apply(Path file) { return apply(decoder.decode(file)); }

    /** The same processor compositing transparent images onto bg (null: alpha dropped, the reference behaviour). */
    public NaFlexPreprocessor withAlphaBackground(int[] bg) {
        return new NaFlexPreprocessor(patchSize, maxNumPatches, filter, mean, std, rescale, decoder, bg);
    }

    /** The colour transparent images are composited onto, or null (alpha dropped). */
    public int[] alphaBackground() { return alphaBackground == null ? null : alphaBackground.clone(); }

    public Patches apply(PilImage image) {
        if (alphaBackground != null && PilConvert.alpha(image) != null) {
            image = PilConvert.compositeOnto(image, alphaBackground[0], alphaBackground[1], alphaBackground[2]);
        }
        byte[] rgb = PilConvert.toRgb(image);
        PilImage src = PilImage.of(PilMode.RGB, image.width(), image.height(), rgb);
        int[] t = targetSize(image.height(), image.width(), patchSize, maxNumPatches);
        int h = t[0], w = t[1];
        PilImage resized = (h == image.height() && w == image.width()) ? src : Resample.resize(src, w, h, filter);
        byte[] px = resized.bytes();
        int p = patchSize, gh = h / p, gw = w / p, K = p * p * 3;
        float[] out = new float[maxNumPatches * K];
        for (int gy = 0; gy < gh; gy++) for (int gx = 0; gx < gw; gx++) {
            int base = (gy * gw + gx) * K;
            for (int py = 0; py < p; py++) for (int px2 = 0; px2 < p; px2++) {
                int s = ((gy * p + py) * w + gx * p + px2) * 3, d = base + (py * p + px2) * 3;
                for (int c = 0; c < 3; c++) out[d + c] = lut[c][px[s + c] & 0xff];
            }
        }
        return new Patches(out, gh, gw);
    }
}
