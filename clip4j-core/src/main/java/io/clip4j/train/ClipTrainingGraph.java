package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.TextTower;
import io.clip4j.model.VisionTower;
import io.clip4j.nn.Param;

/**
 * CLIP's training graph: {@link VisionGraph} and {@link TextGraph} (causal) over a {@link ClipModel}'s parameters,
 * the contrastive loss ({@link ContrastiveLoss}) and a learnable {@code logit_scale} of shape [] (as open_clip and
 * Hugging Face store it), clamped to [0, ln 100] after every optimizer step. See {@link TrainingGraph}.
 */
public final class ClipTrainingGraph extends TrainingGraph<ContrastiveLoss.Result> {

    public ClipTrainingGraph(ClipModel model) {
        super(checkFamily(model), new VisionGraph((VisionTower) model.vision()), new TextGraph((TextTower) model.text()),
                new Param("logit_scale", new float[]{model.logitScale()}), null);
    }

    private static ClipModel checkFamily(ClipModel model) {
        if (model.config().family() != Family.CLIP)
            throw new Clip4jException("ClipTrainingGraph trains the CLIP family, not " + model.config().family() + " (see TrainingGraph.of)");
        return model;
    }

    @Override public ContrastiveLoss.Result loss(float[] img, float[] txt, int B, int E) {
        return ContrastiveLoss.compute(img, txt, B, E, logitScale().data[0]);
    }

    @Override public String lossName() { return "contrastive"; }

    /** open_clip: {@code logit_scale.clamp_(0, ln 100)} after every step (temperature at most 100). */
    @Override public void afterOptimizerStep() {
        float[] ls = logitScale().data;
        ls[0] = Math.min(Math.max(ls[0], 0f), TrainStep.LOGIT_SCALE_MAX);
    }

    /** Backward without a bias (CLIP has none); see {@link TrainingGraph#backward(float[], float[], float, float)}. */
    public void backward(float[] dImage, float[] dText, float dLogitScale) { backward(dImage, dText, dLogitScale, 0f); }

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
