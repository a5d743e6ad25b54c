package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;

/**
 * How a model family turns cosine similarities into logits and probabilities.
 *
 * <ul>
 * <li>{@link Softmax} (CLIP, OpenCLIP): {@code logit = exp(logit_scale) · cos}; probabilities are a softmax over
 *     the candidates, so they compete and sum to 1.</li>
 * <li>{@link Sigmoid} (SigLIP): {@code logit = exp(logit_scale) · cos + logit_bias}; each candidate's probability is
 *     its own sigmoid, independent of the others.</li>
 * </ul>
 */
public sealed interface Scoring {
    /** The logit for one cosine similarity. */
    double logit(double cosine);

    /** Probabilities for the logits of a candidate set. */
    double[] probabilities(double[] logits);

    /** True when the probabilities compete (sum to 1 over the candidates). */
    boolean exclusive();

    /** Logits for cosine similarities. */
    default double[] logits(float[] cosines) {
        double[] l = new double[cosines.length];
        for (int i = 0; i < l.length; i++) l[i] = logit(cosines[i]);
        return l;
    }

    /** CLIP: softmax over {@code scale · cos}; {@code scale = exp(logit_scale)}. */
    record Softmax(double scale) implements Scoring {
        @Override public double logit(double cosine) { return scale * cosine; }

        @Override public double[] probabilities(double[] logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (double l : logits) max = Math.max(max, l);
            double[] p = new double[logits.length];
            double sum = 0;
            for (int i = 0; i < p.length; i++) sum += (p[i] = Math.exp(logits[i] - max));
            for (int i = 0; i < p.length; i++) p[i] /= sum;
            return p;
        }

        @Override public boolean exclusive() { return true; }
    }

    /** SigLIP: independent sigmoids of {@code scale · cos + bias}. */
    record Sigmoid(double scale, double bias) implements Scoring {
        @Override public double logit(double cosine) { return scale * cosine + bias; }

        @Override public double[] probabilities(double[] logits) {
            double[] p = new double[logits.length];
            for (int i = 0; i < p.length; i++) p[i] = 1 / (1 + Math.exp(-logits[i]));
            return p;
        }

        @Override public boolean exclusive() { return false; }
    }

    /** The scoring of a model's family, at its learned temperature. */
    static Scoring forModel(ClipModel model) {
        double scale = Math.exp(model.logitScale());
        return switch (model.config().family()) {
            case CLIP -> new Softmax(scale);
            case SIGLIP, SIGLIP2 -> new Sigmoid(scale, model.logitBias());
        };
    }

    static Scoring softmax(double scale) { return new Softmax(scale); }

    static Scoring sigmoid(double scale, double bias) { return new Sigmoid(scale, bias); }
}
