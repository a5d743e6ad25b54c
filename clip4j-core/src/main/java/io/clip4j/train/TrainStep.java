package io.clip4j.train;

import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageBatch;
import io.clip4j.nn.Param;

import java.util.List;

/**
 * One optimizer step on one batch, in open_clip's order:
 * <pre>
 *   lr = schedule(step)  →  zero grads  →  forward  →  loss  →  backward
 *   →  (optional) clip the global gradient norm  →  optimizer.step(lr)  →  the graph's post-step rule
 *      (CLIP: logit_scale.clamp_(0, ln 100); SigLIP: none)
 * </pre>
 * The model's parameters are updated in place. A trainer loop calls {@link #run} once per batch.
 */
public final class TrainStep {
    /** open_clip clamps CLIP's logit_scale to [0, ln 100] after every step (temperature at most 100). */
    public static final float LOGIT_SCALE_MAX = (float) Math.log(100);

    private final TrainingGraph<?> graph;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final double maxGradNorm;
    private int step;
    private int accum = 1;
    private List<Param> frozen = List.of();

    /**
     * @param maxGradNorm clip the global L2 norm of all gradients to this (torch clip_grad_norm_); ≤ 0 = no clipping
     */
    public TrainStep(TrainingGraph<?> graph, Optimizer optimizer, LrSchedule schedule, double maxGradNorm) {
        this.graph = graph;
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
    }

    /**
     * open_clip's default recipe on a model: AdamW(β 0.9/0.98, ε 1e-6) over the two open_clip parameter groups
     * (weight decay wd on tensors of ≥ 2 dims, none on the rest), the given schedule, no gradient clipping; the
     * family's loss ({@link TrainingGraph#of}).
     */
    public static TrainStep adamw(ClipModel model, LrSchedule schedule, double weightDecay) {
        TrainingGraph<?> g = TrainingGraph.of(model);
        return new TrainStep(g, AdamW.openClip(ParamGroup.openClip(g.params(), weightDecay)), schedule, 0);
    }

    /**
     * What one step did. loss* are those of the forward before the update (lossImage / lossText NaN for a loss
     * without such parts); gradNorm is NaN when not clipping; logitBiasAfter is NaN without a logit bias.
     */
    public record Result(int step, double lr, float loss, float lossImage, float lossText,
                         double gradNorm, float logitScaleBefore, float logitScaleAfter, float logitBiasAfter) {}

    /** One step on pixels[B,3,S,S] and token rows ids[B·L]. */
    public Result run(float[] pixels, int[] ids, int B, int L) {
        return run(ImageBatch.pixels(pixels, B), ids, L);
    }

    /** One step on a batch of images (pixels, or NaFlex patches with their grids) and token rows ids[B·L]. */
    public Result run(ImageBatch images, int[] ids, int L) {
        double lr = schedule.lr(step);
        float before = graph.logitScale().data[0];
        TrainingGraph.LossResult r = graph.forwardBackwardAccum(images, ids, L, accum);
        for (Param p : frozen) java.util.Arrays.fill(graph.grads().of(p), 0f);
        double norm = maxGradNorm > 0 ? graph.grads().clipGlobalNorm(maxGradNorm) : Double.NaN;
        optimizer.step(graph.grads(), lr);
        graph.afterOptimizerStep();
        float bias = graph.logitBias() == null ? Float.NaN : graph.logitBias().data[0];
        return new Result(step++, lr, r.loss(), r.lossImage(), r.lossText(), norm, before, graph.logitScale().data[0], bias);
    }

    /** Convenience: token rows as int[B][L] (all of one length). */
    public Result run(float[] pixels, int[][] ids) {
        int B = ids.length, L = ids[0].length;
        int[] flat = new int[B * L];
        for (int b = 0; b < B; b++) {
            if (ids[b].length != L) throw new IllegalArgumentException("token rows differ in length: " + ids[b].length + " vs " + L);
            System.arraycopy(ids[b], 0, flat, b * L, L);
        }
        return run(pixels, flat, B, L);
    }

    /** Gradient accumulation over accum micro-batches per step ({@link TrainingGraph#forwardBackwardAccum}); 1 = off. */
    public TrainStep withAccum(int accum) {
        if (accum < 1) throw new IllegalArgumentException("accum must be at least 1");
        this.accum = accum;
        return this;
    }

    /**
     * Parameters that are not trained (a locked tower): their gradients are zeroed after the backward, so they take
     * no part in gradient clipping (the optimizer should not hold them either).
     */
    public TrainStep withFrozen(List<Param> frozen) {
        this.frozen = List.copyOf(frozen);
        return this;
    }

    /** Sets the number of steps already taken (resuming from a checkpoint: the schedule continues from there). */
    public void setStepsDone(int steps) {
        if (steps < 0) throw new IllegalArgumentException("steps must be ≥ 0");
        this.step = steps;
    }

    /** Steps taken so far (the next step's schedule index). */
    public int stepsDone() { return step; }

    public TrainingGraph<?> graph() { return graph; }

    public Optimizer optimizer() { return optimizer; }
}
