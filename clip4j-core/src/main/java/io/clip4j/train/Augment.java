package io.clip4j.train;

import io.clip4j.image.ImageDecoder;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.NaFlexPreprocessor;
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
 *
 * <p>NaFlex (SigLIP 2, {@link #Augment(NaFlexPreprocessor, boolean, double, double)}): the output is the model's
 * patches [M, P·P·3] with the image's patch grid, not a square. Augmentation keeps RandomResizedCrop's crop and lets
 * the NaFlex processor do the "resize": a box is drawn as above, except that the aspect ratio range is taken
 * relative to the image's own (w/h ∈ [¾, 4/3] · W/H), so a crop keeps about the native aspect ratio that NaFlex
 * exists to preserve (a wide strip stays wide instead of being cut to at most 4:3); the crop is then preprocessed
 * exactly as inference preprocesses a whole image (aspect-preserving resize to the max_num_patches budget,
 * normalisation, patches). Without augmentation the whole image goes through the NaFlex processor, as at
 * inference. Transparent images are composited onto the processor's alpha background, if it has one.
 */
public final class Augment {
    private final int size;
    private final boolean augment;
    private final double scaleMin, scaleMax, ratioMin, ratioMax;
    private final int[] alphaBackground;
    private final ImagePreprocessor eval, tensor;
    private final NaFlexPreprocessor naflex;
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
        this.naflex = null;
    }

    /**
     * The NaFlex transform (see the class comment): RandomResizedCrop's box with the aspect ratio range relative to the
     * image's, then the model's NaFlex preprocessing (augment), or the NaFlex preprocessing alone.
     * @param naflex the model's processor (max_num_patches, filter, normalisation, alpha background)
     */
    public Augment(NaFlexPreprocessor naflex, boolean augment, double scaleMin, double scaleMax) {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1.0 + 1e-9)) throw new IllegalArgumentException("crop scale must satisfy 0 < min ≤ max ≤ 1, got " + scaleMin + "," + scaleMax);
        this.naflex = naflex;
        this.size = 0;
        this.augment = augment;
        this.scaleMin = scaleMin;
        this.scaleMax = scaleMax;
        this.ratioMin = 3.0 / 4.0;
        this.ratioMax = 4.0 / 3.0;
        this.alphaBackground = null;
        this.eval = null;
        this.tensor = null;
    }

    /** Output side (the model's image_size); 0 for NaFlex. */
    public int size() { return size; }
    public boolean augments() { return augment; }

    /** Whether this transform makes NaFlex patches (else pixels). */
    public boolean isNaFlex() { return naflex != null; }

    /** NaFlex: patches per image (max_num_patches, padding included); 0 for pixels. */
    public int maxPatches() { return naflex == null ? 0 : naflex.maxNumPatches(); }

    /** Floats per image: 3·size², or for NaFlex max_num_patches · P·P·3. */
    public int floatsPerImage() {
        return naflex == null ? 3 * size * size : naflex.maxNumPatches() * 3 * naflex.patchSize() * naflex.patchSize();
    }

    /**
     * Decodes and transforms; rng drives the crop (unused without augmentation). Returns the patch grid {h, w} of a
     * NaFlex transform, null for pixels.
     */
    public int[] apply(byte[] encoded, String name, SplittableRandom rng, float[] dst, int offset) {
        return apply(decoder.decode(encoded, name), rng, dst, offset);
    }

    public int[] apply(java.nio.file.Path file, SplittableRandom rng, float[] dst, int offset) {
        return apply(decoder.decode(file), rng, dst, offset);
    }

    public int[] apply(PilImage image, SplittableRandom rng, float[] dst, int offset) {
        if (naflex != null) {
            PilImage im = image;
            if (augment) {
                double a = (double) im.width() / im.height();
                int[] box = cropBox(im.width(), im.height(), rng, ratioMin * a, ratioMax * a);
                im = im.crop(box[0], box[1], box[2], box[3]);
            }
            NaFlexPreprocessor.Patches p = naflex.apply(im);
            System.arraycopy(p.values(), 0, dst, offset, p.values().length);
            return new int[]{p.gridH(), p.gridW()};
        }
        if (!augment) {
            int n = eval.applyInto(image, dst, offset);
            if (n != floatsPerImage()) throw new IllegalStateException("preprocessing gave " + n + " values, expected " + floatsPerImage());
            return null;
        }
        PilImage im = image;
        if (alphaBackground != null && PilConvert.alpha(im) != null) im = PilConvert.compositeOnto(im, alphaBackground[0], alphaBackground[1], alphaBackground[2]);
        int[] box = cropBox(im.width(), im.height(), rng);
        PilImage crop = im.crop(box[0], box[1], box[2], box[3]);
        PilImage out = Resample.resize(crop, size, size, Resample.Filter.BICUBIC);
        tensor.applyInto(out, dst, offset);
        return null;
    }

    /** torchvision RandomResizedCrop.get_params: {@code [left, top, width, height]}. */
    public int[] cropBox(int W, int H, SplittableRandom rng) {
        return cropBox(W, H, rng, ratioMin, ratioMax);
    }

    /** As {@link #cropBox(int, int, SplittableRandom)} with the aspect ratio (w/h) range [ratioMin, ratioMax]. */
    int[] cropBox(int W, int H, SplittableRandom rng, double ratioMin, double ratioMax) {
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
