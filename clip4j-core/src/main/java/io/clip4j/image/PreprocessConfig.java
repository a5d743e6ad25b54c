package io.clip4j.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Image preprocessing settings (the CLIP family's; field names follow HF's {@code preprocessor_config.json}).
 *
 * @param shortestEdge     resize so the shorter side becomes this (the longer {@code int(n·long/short)}); 0 when
 *                         {@code resizeHeight}/{@code resizeWidth} give an exact size instead
 * @param resizeHeight     exact resize height (SigLIP style {@code size: {height, width}}), 0 with shortestEdge
 * @param resizeWidth      exact resize width, 0 with shortestEdge
 * @param cropHeight       centre-crop height
 * @param cropWidth        centre-crop width
 * @param resample         Pillow filter for the resize
 * @param mean             per-channel mean (3 values)
 * @param std              per-channel std (3 values)
 * @param rescaleFactor    sample scale, normally 1/255 (then computed as {@code v / 255f}, like ToTensor)
 * @param doResize         resize at all
 * @param doCenterCrop     centre-crop at all
 * @param doRescale        multiply by {@code rescaleFactor}
 * @param doNormalize      {@code (x − mean) / std}
 * @param doConvertRgb     kept for HF compatibility: the output always has 3 channels, so a non-RGB image is
 *                         converted at the end in any case (after resize and crop, as the reference does)
 * @param convertRgbFirst  convert to RGB before resizing (HF's CLIPImageProcessor order) instead of after the crop
 *                         (the OpenAI / torchvision reference order); false = reference
 * @param alphaBackground  null = reference behaviour (RGBA / LA / transparent palette images are resized with
 *                         premultiplied alpha and the alpha then dropped, so transparent areas come out black);
 *                         or an RGB colour (3 values 0..255) to composite transparent images onto before resizing
 */
public record PreprocessConfig(int shortestEdge, int resizeHeight, int resizeWidth, int cropHeight, int cropWidth,
                               Resample.Filter resample, float[] mean, float[] std, float rescaleFactor,
                               boolean doResize, boolean doCenterCrop, boolean doRescale, boolean doNormalize,
                               boolean doConvertRgb, boolean convertRgbFirst, int[] alphaBackground) {

    /** OpenAI CLIP's mean (float32). */
    public static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    /** OpenAI CLIP's std (float32). */
    public static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    public PreprocessConfig {
        if (doResize) {
            boolean edge = shortestEdge > 0 && resizeHeight == 0 && resizeWidth == 0;
            boolean exact = shortestEdge == 0 && resizeHeight > 0 && resizeWidth > 0;
            if (!edge && !exact) throw new IllegalArgumentException("resize needs shortestEdge > 0, or resizeHeight and resizeWidth > 0");
        }
        if (doCenterCrop && (cropHeight <= 0 || cropWidth <= 0)) throw new IllegalArgumentException("crop size must be positive");
        if (resample == null) throw new IllegalArgumentException("resample filter is required");
        if (mean == null || mean.length != 3 || std == null || std.length != 3) throw new IllegalArgumentException("mean and std need 3 values");
        for (float s : std) if (!(s != 0f) || Float.isNaN(s)) throw new IllegalArgumentException("std must be non-zero");
        if (alphaBackground != null && (alphaBackground.length != 3 || Arrays.stream(alphaBackground).anyMatch(v -> v < 0 || v > 255))) {
            throw new IllegalArgumentException("alphaBackground must be 3 values in 0..255");
        }
        if (!doResize && !doCenterCrop) { /* allowed: output size follows the image */ }
        mean = mean.clone();
        std = std.clone();
        alphaBackground = alphaBackground == null ? null : alphaBackground.clone();
    }

    @Override public float[] mean() { return mean.clone(); }
    @Override public float[] std() { return std.clone(); }
    @Override public int[] alphaBackground() { return alphaBackground == null ? null : alphaBackground.clone(); }

    /** OpenAI CLIP's {@code _transform(n)}: Resize(n, bicubic), CenterCrop(n), RGB, ToTensor, Normalize. */
    public static PreprocessConfig clip(int size) {
        return new PreprocessConfig(size, 0, 0, size, size, Resample.Filter.BICUBIC, CLIP_MEAN, CLIP_STD, 1f / 255f,
                true, true, true, true, true, false, null);
    }

    /**
     * Hugging Face's SiglipImageProcessor defaults at n: convert to RGB, resize straight to n×n (bicubic, no crop),
     * rescale 1/255, normalise with mean = std = 0.5.
     */
    public static PreprocessConfig siglip(int size) {
        return new PreprocessConfig(0, size, size, size, size, Resample.Filter.BICUBIC, new float[]{.5f, .5f, .5f}, new float[]{.5f, .5f, .5f},
                1f / 255f, true, false, true, true, true, true, null);
    }

    public PreprocessConfig withAlphaBackground(int r, int g, int b) {
        return new PreprocessConfig(shortestEdge, resizeHeight, resizeWidth, cropHeight, cropWidth, resample, mean, std,
                rescaleFactor, doResize, doCenterCrop, doRescale, doNormalize, doConvertRgb, convertRgbFirst, new int[] {r, g, b});
    }

    public PreprocessConfig withResample(Resample.Filter f) {
        return new PreprocessConfig(shortestEdge, resizeHeight, resizeWidth, cropHeight, cropWidth, f, mean, std,
                rescaleFactor, doResize, doCenterCrop, doRescale, doNormalize, doConvertRgb, convertRgbFirst, alphaBackground);
    }

    public PreprocessConfig withConvertRgbFirst(boolean first) {
        return new PreprocessConfig(shortestEdge, resizeHeight, resizeWidth, cropHeight, cropWidth, resample, mean, std,
                rescaleFactor, doResize, doCenterCrop, doRescale, doNormalize, doConvertRgb, first, alphaBackground);
    }

    /** Reads an HF {@code preprocessor_config.json}. */
    public static PreprocessConfig fromHfFile(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new Clip4jException("cannot read preprocessor config " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromHfJson(root);
        } catch (IllegalArgumentException e) {
            throw new Clip4jException("invalid preprocessor config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * An HF image-processor config: {@code size} ({@code {"shortest_edge": n}}, {@code {"height", "width"}} or a
     * number), {@code crop_size} ({@code {"height", "width"}} or a number), {@code resample} (Pillow number),
     * {@code image_mean}, {@code image_std}, {@code rescale_factor}, {@code do_*} flags. Missing entries take CLIP's
     * defaults (bicubic, CLIP mean/std, 1/255, every step on).
     */
    public static PreprocessConfig fromHfJson(JsonNode c) {
        if (c == null || !c.isObject()) throw new IllegalArgumentException("expected a JSON object");
        int edge = 0, rh = 0, rw = 0;
        JsonNode size = c.get("size");
        if (size == null || size.isNull()) edge = 224;
        else if (size.isNumber()) edge = size.asInt();
        else if (size.has("shortest_edge")) edge = size.get("shortest_edge").asInt();
        else if (size.has("height") && size.has("width")) { rh = size.get("height").asInt(); rw = size.get("width").asInt(); }
        else throw new IllegalArgumentException("unsupported 'size': " + size);
        boolean doCrop = c.path("do_center_crop").asBoolean(true);
        int ch = 0, cw = 0;
        JsonNode crop = c.get("crop_size");
        if (crop == null || crop.isNull()) { ch = edge > 0 ? edge : rh; cw = edge > 0 ? edge : rw; }
        else if (crop.isNumber()) { ch = cw = crop.asInt(); }
        else if (crop.has("height") && crop.has("width")) { ch = crop.get("height").asInt(); cw = crop.get("width").asInt(); }
        else throw new IllegalArgumentException("unsupported 'crop_size': " + crop);
        Resample.Filter f = c.has("resample") ? Resample.Filter.fromPilCode(c.get("resample").asInt()) : Resample.Filter.BICUBIC;
        float[] mean = floats3(c.get("image_mean"), CLIP_MEAN, "image_mean");
        float[] std = floats3(c.get("image_std"), CLIP_STD, "image_std");
        float rescale = c.has("rescale_factor") ? (float) c.get("rescale_factor").asDouble() : 1f / 255f;
        return new PreprocessConfig(edge, rh, rw, ch, cw, f, mean, std, rescale,
                c.path("do_resize").asBoolean(true), doCrop, c.path("do_rescale").asBoolean(true),
                c.path("do_normalize").asBoolean(true), c.path("do_convert_rgb").asBoolean(true), false, alphaBackground(c.get("alpha_background")));
    }

    /**
     * clip4j's own key {@code "alpha_background": [r, g, b]}: transparent images are composited on that colour
     * before resizing (written by the trainer when a model was trained that way); absent = the reference behaviour.
     */
    private static int[] alphaBackground(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (!n.isArray() || n.size() != 3) throw new IllegalArgumentException("'alpha_background' must be [r, g, b], got " + n);
        int[] rgb = new int[3];
        for (int i = 0; i < 3; i++) {
            if (!n.get(i).isIntegralNumber()) throw new IllegalArgumentException("'alpha_background' must be [r, g, b], got " + n);
            rgb[i] = n.get(i).asInt();
        }
        return rgb;
    }

    /**
     * An OpenCLIP {@code open_clip_config.json} (root with {@code model_cfg.vision_cfg.image_size} and
     * {@code preprocess_cfg}: mean, std, interpolation, resize_mode "shortest" or "squash").
     */
    public static PreprocessConfig fromOpenClipJson(JsonNode root) {
        JsonNode vision = root.path("model_cfg").path("vision_cfg");
        JsonNode is = vision.get("image_size");
        if (is == null) throw new IllegalArgumentException("model_cfg.vision_cfg.image_size is missing");
        int h = is.isArray() ? is.get(0).asInt() : is.asInt();
        int w = is.isArray() ? is.get(1).asInt() : is.asInt();
        JsonNode pp = root.path("preprocess_cfg");
        float[] mean = floats3(pp.get("mean"), CLIP_MEAN, "mean");
        float[] std = floats3(pp.get("std"), CLIP_STD, "std");
        Resample.Filter f = pp.has("interpolation") ? Resample.Filter.fromName(pp.get("interpolation").asText()) : Resample.Filter.BICUBIC;
        String mode = pp.path("resize_mode").asText("shortest");
        return switch (mode) {
            // torchvision Resize(int) resizes the shortest edge; Resize((h, w)) of a non-square size is exact
            case "shortest" -> h == w
                    ? new PreprocessConfig(h, 0, 0, h, w, f, mean, std, 1f / 255f, true, true, true, true, true, false, null)
                    : new PreprocessConfig(0, h, w, h, w, f, mean, std, 1f / 255f, true, true, true, true, true, false, null);
            case "squash" -> new PreprocessConfig(0, h, w, h, w, f, mean, std, 1f / 255f, true, false, true, true, true, false, null);
            default -> throw new IllegalArgumentException("unsupported OpenCLIP resize_mode '" + mode + "'");
        };
    }

    private static float[] floats3(JsonNode n, float[] dflt, String what) {
        if (n == null || n.isNull()) return dflt.clone();
        if (n.isNumber()) { float v = (float) n.asDouble(); return new float[] {v, v, v}; }
        if (!n.isArray() || n.size() != 3) throw new IllegalArgumentException("'" + what + "' must hold 3 numbers");
        return new float[] {(float) n.get(0).asDouble(), (float) n.get(1).asDouble(), (float) n.get(2).asDouble()};
    }

    @Override public boolean equals(Object o) {
        return o instanceof PreprocessConfig p && p.shortestEdge == shortestEdge && p.resizeHeight == resizeHeight
                && p.resizeWidth == resizeWidth && p.cropHeight == cropHeight && p.cropWidth == cropWidth
                && p.resample == resample && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std)
                && Float.compare(p.rescaleFactor, rescaleFactor) == 0 && p.doResize == doResize
                && p.doCenterCrop == doCenterCrop && p.doRescale == doRescale && p.doNormalize == doNormalize
                && p.doConvertRgb == doConvertRgb && p.convertRgbFirst == convertRgbFirst
                && Arrays.equals(p.alphaBackground, alphaBackground);
    }

    @Override public int hashCode() {
        return java.util.Objects.hash(shortestEdge, resizeHeight, resizeWidth, cropHeight, cropWidth, resample,
                Arrays.hashCode(mean), Arrays.hashCode(std), rescaleFactor, doResize, doCenterCrop, doRescale,
                doNormalize, doConvertRgb, convertRgbFirst, Arrays.hashCode(alphaBackground));
    }

    @Override public String toString() {
        return "PreprocessConfig[" + (shortestEdge > 0 ? "shortestEdge=" + shortestEdge : "resize=" + resizeWidth + "x" + resizeHeight)
                + ", crop=" + cropWidth + "x" + cropHeight + ", " + resample + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + ", rescale=" + rescaleFactor + ", doResize=" + doResize
                + ", doCenterCrop=" + doCenterCrop + ", doRescale=" + doRescale + ", doNormalize=" + doNormalize
                + ", convertRgbFirst=" + convertRgbFirst + ", alphaBackground=" + Arrays.toString(alphaBackground) + "]";
    }
}
