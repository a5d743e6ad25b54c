package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.TextTower;
import io.clip4j.model.VisionTower;
import io.clip4j.nn.Param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * CLIP's forward pass with saved activations, and its backward, over a {@link ClipModel}'s own parameters: the
 * towers' {@link Param} arrays are used (and later updated by an optimizer) in place, so the model sees every step.
 *
 * <p>{@code logit_scale} is held here as a {@link Param} of shape [] ({@link ClipModel} keeps it as a final float):
 * read the trained value from {@link #logitScale()} (e.g. to write a checkpoint).
 *
 * <p>Not thread-safe: one forward/backward at a time. Activations are kept from {@link #forward} until the next one.
 */
public final class ClipTrainingGraph {
    private final ClipModel model;
    private final Param logitScale;
    private final List<Param> params;
    private final Gradients grads;
    private final VisionGraph vision;
    private final TextGraph text;
    private int B = -1;
    private boolean visionBackward = true, textBackward = true;

    public ClipTrainingGraph(ClipModel model) {
        if (model.config().family() != Family.CLIP)
            throw new Clip4jException("training supports the CLIP family only, not " + model.config().family());
        this.model = model;
        this.logitScale = new Param("logit_scale", new float[]{model.logitScale()});
        List<Param> ps = new ArrayList<>(model.params());
        ps.add(logitScale);
        this.params = Collections.unmodifiableList(ps);
        this.grads = new Gradients(params);
        this.vision = new VisionGraph((VisionTower) model.vision()); // CLIP family, checked above
        this.text = new TextGraph((TextTower) model.text());
    }

    public ClipModel model() { return model; }

    /** The learnable ln-temperature, shape []; its value is {@code logitScale().data[0]}. */
    public Param logitScale() { return logitScale; }

    /** Every trainable parameter: the model's (vision, then text), then logit_scale. */
    public List<Param> params() { return params; }

    /** The gradient buffers, one per parameter of {@link #params()}. */
    public Gradients grads() { return grads; }

    /** Unnormalised features of one batch, row-major [B,E]. */
    public record Features(float[] image, float[] text, int B, int E) {}

    /**
     * Forward of both towers, keeping activations for {@link #backward}: pixels[B,3,S,S] (preprocessed, CHW) and
     * ids[B·L] (token rows of length L; the text tower runs only up to the last pooling position).
     */
    public Features forward(float[] pixels, int[] ids, int B, int L) {
        float[] img = vision.forward(pixels, B);
        float[] txt = text.forward(ids, B, L);
        this.B = B;
        return new Features(img, txt, B, model.embedDim());
    }

    /**
     * Backward of the last {@link #forward}: given d loss / d image features [B,E], d loss / d text features [B,E] and
     * d loss / d logit_scale, ACCUMULATES d loss / d parameter into {@link #grads()} (zero them first for a fresh step).
     */
    public void backward(float[] dImage, float[] dText, float dLogitScale) {
        if (B < 0) throw new IllegalStateException("backward before forward");
        if (visionBackward) vision.backward(dImage, grads);
        if (textBackward) text.backward(dText, grads);
        grads.of(logitScale)[0] += dLogitScale;
    }

    /** Zeroes the gradients, runs forward, the CLIP contrastive loss and backward; returns the loss and its parts. */
    public ContrastiveLoss.Result forwardBackward(float[] pixels, int[] ids, int B, int L) {
        grads.zero();
        Features f = forward(pixels, ids, B, L);
        ContrastiveLoss.Result r = ContrastiveLoss.compute(f.image(), f.text(), B, f.E(), logitScale.data[0]);
        backward(r.dImageFeatures(), r.dTextFeatures(), r.dLogitScale());
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
     * activations at a time), the contrastive loss is computed over all B pairs, then each micro-batch is run
     * forward again, keeping activations, and back-propagated with its rows of d loss / d features. The summed
     * gradients equal those of the whole batch at once (up to float summation order). d loss / d logit_scale is added
     * once (open_clip adds it once per micro-batch, i.e. accum times: a quirk not reproduced here).
     * Zeroes the gradients first. accum = 1 is {@link #forwardBackward}.
     */
    public ContrastiveLoss.Result forwardBackwardAccum(float[] pixels, int[] ids, int B, int L, int accum) {
        if (accum <= 1) return forwardBackward(pixels, ids, B, L);
        if (B % accum != 0) throw new IllegalArgumentException("batch size " + B + " is not a multiple of accum " + accum);
        grads.zero();
        int mb = B / accum, E = model.embedDim();
        int S = model.config().vision().imageSize(), px = 3 * S * S;
        float[] img = new float[B * E], txt = new float[B * E];
        for (int j = 0; j < accum; j++) {
            Features f = forward(Arrays.copyOfRange(pixels, j * mb * px, (j + 1) * mb * px), Arrays.copyOfRange(ids, j * mb * L, (j + 1) * mb * L), mb, L);
            System.arraycopy(f.image(), 0, img, j * mb * E, mb * E);
            System.arraycopy(f.text(), 0, txt, j * mb * E, mb * E);
        }
        ContrastiveLoss.Result r = ContrastiveLoss.compute(img, txt, B, E, logitScale.data[0]);
        float[] dImg = r.dImageFeatures(), dTxt = r.dTextFeatures();
        for (int j = 0; j < accum; j++) {
            forward(Arrays.copyOfRange(pixels, j * mb * px, (j + 1) * mb * px), Arrays.copyOfRange(ids, j * mb * L, (j + 1) * mb * L), mb, L);
            backward(Arrays.copyOfRange(dImg, j * mb * E, (j + 1) * mb * E), Arrays.copyOfRange(dTxt, j * mb * E, (j + 1) * mb * E),
                    j == 0 ? r.dLogitScale() : 0f);
        }
        return r;
    }

    /** Floats currently held for saved activations (both towers). */
    long savedFloats() { return vision.savedFloats() + text.savedFloats(); }

    /**
     * Activation memory of a training forward, in floats per batch item (one image plus one caption whose towers run
     * textPositions positions: 77 at worst, the batch's last pooling position + 1 in practice). Per tower, with
     * layers ℓ, width C, MLP width I, heads H, T tokens:
     * <pre>
     *   T·( (ℓ+1)·C + ℓ·(7C + 2I + 4 + H·T) )     the encoder stack: residual states, per block ln1/ln2 outputs,
     *                                              attention output, residual after attention, qkv (3C),
     *                                              fc1 pre-activation and activation (2I), LN stats, softmax rows
     *   + vision: G²·(3P² + C) + T·(C + 2)        patches, patch embeddings, embeddings, ln_pre stats
     *   + per tower 2C + 2 + E                    pooled row, final LN output and stats, features
     * </pre>
     * Gradients add one float per parameter (independent of the batch), AdamW two more.
     */
    public static long activationFloatsPerItem(ModelConfig c, int textPositions) {
        return VisionGraph.savedFloatsPerItem(c.vision(), c.projectionDim())
                + TextGraph.savedFloatsPerItem(c.text(), c.projectionDim(), textPositions);
    }
}
