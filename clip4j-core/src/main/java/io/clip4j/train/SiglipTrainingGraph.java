package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.SiglipTextTower;
import io.clip4j.model.SiglipVisionTower;
import io.clip4j.nn.Param;

/**
 * SigLIP's training graph (SigLIP, SigLIP 2 published at fixed resolution as model_type siglip, and SigLIP 2 NaFlex,
 * model_type siglip2): {@link SiglipVisionGraph} (patch embedding with bias, encoder, post-LayerNorm, MAP head) or,
 * for NaFlex, {@link NaFlexVisionGraph} (linear patch embedding, the position grid resized per image, padding masked
 * in every block and in the head), and {@link TextGraph}
 * (no mask, pooled at the last position, head with bias) over a {@link ClipModel}'s parameters, the pairwise
 * sigmoid loss ({@link SigmoidLoss}) with a learnable {@code logit_scale} and {@code logit_bias}, both of shape [1]
 * as Hugging Face stores them. See {@link TrainingGraph}.
 *
 * <p>logit_scale is not clamped after the optimizer step. big_vision, where SigLIP was trained, applies no bound
 * to its temperature parameter, and the published checkpoints carry values above ln 100 (ViT-SO400M-14-SigLIP-384:
 * 4.72, t ≈ 112), which a clamp to [0, ln 100] would cut at the first fine-tuning step. (open_clip's training loop clamps every model,
 * SigLIP included, to [0, ln 100]; we follow the original recipe instead.)
 */
public final class SiglipTrainingGraph extends TrainingGraph<SigmoidLoss.Result> {

    public SiglipTrainingGraph(ClipModel model) {
        super(checkFamily(model), imageGraph((SiglipVisionTower) model.vision()), new TextGraph((SiglipTextTower) model.text()),
                new Param("logit_scale", new float[]{model.logitScale()}, 1), new Param("logit_bias", new float[]{model.logitBias()}, 1));
    }

    private static ImageGraph imageGraph(SiglipVisionTower tower) {
        return tower.naflex ? new NaFlexVisionGraph(tower) : new SiglipVisionGraph(tower);
    }

    private static ClipModel checkFamily(ClipModel model) {
        if (model.config().family() != Family.SIGLIP && model.config().family() != Family.SIGLIP2)
            throw new Clip4jException("SiglipTrainingGraph trains SigLIP models, not " + model.config().family() + " (see TrainingGraph.of)");
        return model;
    }

    @Override public SigmoidLoss.Result loss(float[] img, float[] txt, int B, int E) {
        return SigmoidLoss.compute(img, txt, B, E, logitScale().data[0], logitBias().data[0]);
    }

    @Override public String lossName() { return "sigmoid"; }

    /** No clamp (see the class comment). */
    @Override public void afterOptimizerStep() {}
}
