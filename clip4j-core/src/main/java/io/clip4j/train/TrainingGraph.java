package io.clip4j.train;

import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageBatch;
import io.clip4j.nn.Param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A model's training forward pass with saved activations, its loss and its backward, over the model's own
 * parameters: the towers' {@link Param} arrays are used (and later updated by an optimizer) in place, so the model
 * sees every step. The family decides the towers and the loss:
 * <ul>
 *   <li>{@link ClipTrainingGraph}: CLIP, contrastive (softmax) loss, learnable {@code logit_scale};</li>
 *   <li>{@link SiglipTrainingGraph}: SigLIP and SigLIP 2 (fixed resolution and NaFlex), sigmoid loss, learnable
 *       {@code logit_scale} and {@code logit_bias}.</li>
 * </ul>
 * {@link #of} picks the one for a model. {@code logit_scale} (and {@code logit_bias}) are held here as {@link Param}s
 * ({@link ClipModel} keeps them as final floats): read the trained values from {@link #logitScale()} and
 * {@link #logitBias()} (e.g. to write a checkpoint).
 *
 * <p>Not thread-safe: one forward/backward at a time. Activations are kept from {@link #forward} until the next one.
 *
 * @param <R> the loss's result (loss, its parts, d loss / d features and / d logit parameters)
 */
public abstract class TrainingGraph<R extends TrainingGraph.LossResult> {
    /** What a loss over one batch of features gives the graph. */
    public interface LossResult {
        float loss();
        /** d loss / d image features [B,E]. */
        float[] dImageFeatures();
        /** d loss / d text features [B,E]. */
        float[] dTextFeatures();
        float dLogitScale();
        /** d loss / d logit_bias (0 when the loss has no bias). */
        default float dLogitBias() { return 0f; }
        /** The image → text part of the loss, NaN when the loss has no such parts. */
        default float lossImage() { return Float.NaN; }
        /** The text → image part of the loss, NaN when the loss has no such parts. */
        default float lossText() { return Float.NaN; }
    }

    /** Unnormalised features of one batch, row-major [B,E]. */
    public record Features(float[] image, float[] text, int B, int E) {}

    /** The training graph of a model's family. */
    public static TrainingGraph<?> of(ClipModel model) {
        return switch (model.family()) {
            case CLIP -> new ClipTrainingGraph(model);
            case SIGLIP, SIGLIP2 -> new SiglipTrainingGraph(model);
        };
    }

    private final ClipModel model;
    private final Param logitScale, logitBias;
    private final List<Param> params;
    private final Gradients grads;
    final ImageGraph vision;
    final TextGraph text;
    private int B = -1;
    private boolean visionBackward = true, textBackward = true;

    /** logitBias may be null (no bias in the loss). */
    TrainingGraph(ClipModel model, ImageGraph vision, TextGraph text, Param logitScale, Param logitBias) {
        this.model = model;
        this.vision = vision;
        this.text = text;
        this.logitScale = logitScale;
        this.logitBias = logitBias;
        List<Param> ps = new ArrayList<>(model.params());
        for (Param p : ps)
            if (!p.onHeap()) throw new IllegalArgumentException("training updates weights in place: load the model with ClipModel.WeightStorage.HEAP (" + p.name + " is not on the heap)");
        ps.add(logitScale);
        if (logitBias != null) ps.add(logitBias);
        this.params = Collections.unmodifiableList(ps);
        this.grads = new Gradients(params);
    }

    public ClipModel model() { return model; }

    /** The learnable ln-temperature; its value is {@code logitScale().data[0]}. */
    public Param logitScale() { return logitScale; }

    /** The learnable logit bias (SigLIP), or null when the family's loss has none. */
    public Param logitBias() { return logitBias; }

    /** Every trainable parameter: the model's (vision, then text), then logit_scale (then logit_bias). */
    public List<Param> params() { return params; }

    /** The gradient buffers, one per parameter of {@link #params()}. */
    public Gradients grads() { return grads; }

    /** The loss of this graph on unnormalised features img[B,E], txt[B,E] (pair i matches) at the current logit parameters. */
    public abstract R loss(float[] img, float[] txt, int B, int E);

    /** The loss's name, for messages ("contrastive", "sigmoid"). */
    public abstract String lossName();

    /**
     * Called after every optimizer step: CLIP clamps logit_scale (open_clip's recipe), SigLIP leaves it free.
     */
    public abstract void afterOptimizerStep();

    /**
     * Forward of both towers, keeping activations for {@link #backward}: pixels[B,3,S,S] (preprocessed, CHW) and
     * ids[B·L] (token rows of length L). Fixed-resolution models only; NaFlex models take {@link #forward(ImageBatch, int[], int)}.
     */
    public Features forward(float[] pixels, int[] ids, int B, int L) {
        return forward(ImageBatch.pixels(pixels, B), ids, L);
    }

    /**
     * Forward of both towers, keeping activations for {@link #backward}: a batch of B preprocessed images as the
     * model's image encoder takes them (pixels, or NaFlex patches with their grids) and ids[B·L].
     */
    public Features forward(ImageBatch images, int[] ids, int L) {
        int B = images.batch();
        float[] img = vision.forward(images);
        float[] txt = text.forward(ids, B, L);
        this.B = B;
        return new Features(img, txt, B, model.embedDim());
    }

    /**
     * Backward of the last {@link #forward}: given d loss / d image features [B,E], d loss / d text features [B,E] and
     * d loss / d logit_scale (and / d logit_bias, ignored without a bias), ACCUMULATES d loss / d parameter into
     * {@link #grads()} (zero them first for a fresh step).
     */
    public void backward(float[] dImage, float[] dText, float dLogitScale, float dLogitBias) {
        if (B < 0) throw new IllegalStateException("backward before forward");
        if (visionBackward) vision.backward(dImage, grads);
        if (textBackward) text.backward(dText, grads);
        grads.of(logitScale)[0] += dLogitScale;
        if (logitBias != null) grads.of(logitBias)[0] += dLogitBias;
    }

    /** Zeroes the gradients, runs forward, the loss and backward; returns the loss and its parts. */
    public R forwardBackward(float[] pixels, int[] ids, int B, int L) {
        return forwardBackward(ImageBatch.pixels(pixels, B), ids, L);
    }

    /** {@link #forwardBackward(float[], int[], int, int)} on pixels or NaFlex patches. */
    public R forwardBackward(ImageBatch images, int[] ids, int L) {
        grads.zero();
        int B = images.batch();
        Features f = forward(images, ids, L);
        R r = loss(f.image(), f.text(), B, f.E());
        backward(r.dImageFeatures(), r.dTextFeatures(), r.dLogitScale(), r.dLogitBias());
        return r;
    }

    /**
     * Whether {@link #backward} runs each tower's backward. A tower none of whose parameters is trained (a locked
     * tower, LiT) can skip it: its parameter gradients then stay 0. Both on by default.
     */
    public void setTowerBackward(boolean vision, boolean text) {
        this.visionBackward = vision;
        this.textBackward = text;
    }

    /**
     * open_clip's {@code accum_freq} with exact gradients: the batch of B pairs is cut into accum micro-batches of
     * B/accum; each is run forward once to collect every feature (the towers hold only one micro-batch of
     * activations at a time), the loss is computed over all B pairs, then each micro-batch is run forward again,
     * keeping activations, and back-propagated with its rows of d loss / d features. The summed gradients equal those
     * of the whole batch at once (up to float summation order). d loss / d logit_scale (and / d logit_bias) is added
     * once (open_clip adds it once per micro-batch, i.e. accum times: a quirk not reproduced here).
     * Zeroes the gradients first. accum = 1 is {@link #forwardBackward}.
     */
    public R forwardBackwardAccum(float[] pixels, int[] ids, int B, int L, int accum) {
        return forwardBackwardAccum(ImageBatch.pixels(pixels, B), ids, L, accum);
    }

    /** {@link #forwardBackwardAccum(float[], int[], int, int, int)} on pixels or NaFlex patches. */
    public R forwardBackwardAccum(ImageBatch images, int[] ids, int L, int accum) {
        if (accum <= 1) return forwardBackward(images, ids, L);
        int B = images.batch();
        if (B % accum != 0) throw new IllegalArgumentException("batch size " + B + " is not a multiple of accum " + accum);
        grads.zero();
        int mb = B / accum, E = model.embedDim();
        float[] img = new float[B * E], txt = new float[B * E];
        for (int j = 0; j < accum; j++) {
            Features f = forward(slice(images, j * mb, (j + 1) * mb), Arrays.copyOfRange(ids, j * mb * L, (j + 1) * mb * L), L);
            System.arraycopy(f.image(), 0, img, j * mb * E, mb * E);
            System.arraycopy(f.text(), 0, txt, j * mb * E, mb * E);
        }
        R r = loss(img, txt, B, E);
        float[] dImg = r.dImageFeatures(), dTxt = r.dTextFeatures();
        for (int j = 0; j < accum; j++) {
            forward(slice(images, j * mb, (j + 1) * mb), Arrays.copyOfRange(ids, j * mb * L, (j + 1) * mb * L), L);
            backward(Arrays.copyOfRange(dImg, j * mb * E, (j + 1) * mb * E), Arrays.copyOfRange(dTxt, j * mb * E, (j + 1) * mb * E),
                    j == 0 ? r.dLogitScale() : 0f, j == 0 ? r.dLogitBias() : 0f);
        }
        return r;
    }

    /** Items [from, to) of a batch (a copy): pixels of 3·S·S floats each, or NaFlex patches (M·K each) with their grids. */
    private ImageBatch slice(ImageBatch images, int from, int to) {
        if (!images.isPatches()) {
            int px = vision.floatsPerImage();
            return ImageBatch.pixels(Arrays.copyOfRange(images.values(), from * px, to * px), to - from);
        }
        int per = images.values().length / images.batch();
        return new ImageBatch(Arrays.copyOfRange(images.values(), from * per, to * per), to - from, images.maxPatches(),
                Arrays.copyOfRange(images.gridShapes(), from, to));
    }

    /** Floats currently held for saved activations (both towers). */
    long savedFloats() { return vision.savedFloats() + text.savedFloats(); }
}
