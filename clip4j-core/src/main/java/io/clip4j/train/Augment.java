package io.clip4j.train;

import io.clip4j.image.ImageDecoder;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PilConvert;
import io.clip4j.image.PilImage;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.image.Resample;

import java.util.SplittableRandom;

/**
 * The image transform of training, as open_clip builds it ({@code image_transform(is_train=True)}):
 * <pre>
 *   [composite onto --alpha-background]  →  RandomResizedCrop(size, scale, ratio (3/4, 4/3), bicubic)
 *   →  convert("RGB")  →  ToTensor  →  Normalize(mean, std)
 * </pre>
 * or, without augmentation, the model's eval transform (resize shorter side, centre crop). The crop box follows
 * torchvision's {@code RandomResizedCrop.get_params}: up to 10 draws of (area fraction uniform in scale, log aspect
 * ratio uniform in log ratio), w = round(√(area·r)), h = round(√(area/r)) (Python's round-half-even), accepted when
 * it fits, at a uniform offset; else the centre fallback (the whole image clamped to the ratio range). The random
 * numbers come from the caller's seeded stream (not torch's generator), so boxes are reproducible per sample.
 * The crop is then resized with Pillow's bicubic in the image's own mode. Thread-safe.
 */
public final class Augment {
    private final int size;
    private final boolean augment;
    private final double scaleMin, scaleMax, ratioMin, ratioMax;
    private final int[] alphaBackground;
    private final ImagePreprocessor eval, tensor;
    private final ImageDecoder decoder = ImageDecoder.defaults();

    /**
     * @param modelPreprocess the model's eval preprocessing (mean/std, sizes)
     * @param size            output side (the model's image_size)
     * @param augment         RandomResizedCrop (true) or the eval transform (false)
     * @param alphaBackground null, or RGB to composite transparent images onto first
     */
    public Augment(PreprocessConfig modelPreprocess, int size, boolean augment, double scaleMin, double scaleMax, int[] alphaBackground) {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1.0 + 1e-9)) throw new IllegalArgumentException("crop scale must satisfy 0 < min ≤ max ≤ 1, got " + scaleMin + "," + scaleMax);
        this.size = size;
        this.augment = augment;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = 3.0 / 4.0;
        this.ratioMax = 4.0 / 3.0;
        this.alphaBackground = alphaBackground == null ? null : alphaBackground.clone();
        PreprocessConfig evalCfg = alphaBackground == null ? modelPreprocess
                : modelPreprocess.withAlphaBackground(alphaBackground[0], alphaBackground[1], alphaBackground[2]);
        this.eval = new ImagePreprocessor(evalCfg);
        // ToTensor + Normalize only: the crop already has the output size
        this.tensor = new ImagePreprocessor(new PreprocessConfig(0, 0, 0, 0, 0, Resample.Filter.BICUBIC, modelPreprocess.mean(), modelPreprocess.std(),
                modelPreprocess.rescaleFactor(), false, false, modelPreprocess.doRescale(), modelPreprocess.doNormalize(), true, false, null));
    }

    public int size() { return size; }
    public boolean augments() { return augment; }

    /** Floats per image: 3·size². */
    public int floatsPerImage() { return 3 * size * size; }

    /** Decodes and transforms; rng drives the crop (unused without augmentation). */
    public void apply(byte[] encoded, String name, SplittableRandom rng, float[] dst, int offset) {
        apply(decoder.decode(encoded, name), rng, dst, offset);
    }

    public void apply(java.nio.file.Path file, SplittableRandom rng, float[] dst, int offset) {
        apply(decoder.decode(file), rng, dst, offset);
    }

    public void apply(PilImage image, SplittableRandom rng, float[] dst, int offset) {
        if (!augment) {
            int n = eval.applyInto(image, dst, offset);
            if (n != floatsPerImage()) throw new IllegalStateException("preprocessing gave " + n + " values, expected " + floatsPerImage());
            return;
        }
        PilImage im = image;
        if (alphaBackground != null && PilConvert.alpha(im) != null) im = PilConvert.compositeOnto(im, alphaBackground[0], alphaBackground[1], alphaBackground[2]);
        int[] box = cropBox(im.width(), im.height(), rng);
        PilImage crop = im.crop(box[0], box[1], box[2], box[3]);
        PilImage out = Resample.resize(crop, size, size, Resample.Filter.BICUBIC);
        tensor.applyInto(out, dst, offset);
    }

    /** torchvision RandomResizedCrop.get_params: {@code [left, top, width, height]}. */
    public int[] cropBox(int W, int H, SplittableRandom rng) {
        double area = (double) W * H, logLo = Math.log(ratioMin), logHi = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(rng, scaleMin, scaleMax);
            double ar = Math.exp(uniform(rng, logLo, logHi));
            int w = (int) Math.rint(Math.sqrt(target * ar));
            int h = (int) Math.rint(Math.sqrt(target / ar));
            if (0 < w && w <= W && 0 < h && h <= H) {
                int top = rng.nextInt(H - h + 1), left = rng.nextInt(W - w + 1);
                return new int[]{left, top, w, h};
            }
        }
        double inRatio = (double) W / H;
        int w, h;
        if (inRatio < ratioMin) { w = W; h = (int) Math.rint(w / ratioMin); }
        else if (inRatio > ratioMax) { h = H; w = (int) Math.rint(h * ratioMax); }
        else { w = W; h = H; }
        return new int[]{(W - w) / 2, (H - h) / 2, w, h};
    }

    private static double uniform(SplittableRandom r, double lo, double hi) { return lo == hi ? lo : lo + (hi - lo) * r.nextDouble(); }
}
