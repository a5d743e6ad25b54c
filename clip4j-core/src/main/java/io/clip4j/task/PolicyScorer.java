package io.clip4j.task;

import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores images against a {@link Policy}.
 *
 * <p>For one image and one rule, every prompt of the rule (positives, negatives, neutrals) gets its cosine
 * similarity with the image and the family's logit. With CLIP's softmax scoring, the rule's score is the
 * <b>probability mass of the positive prompts</b>: the softmax over all the rule's prompts at the model's learned
 * temperature ({@code exp(logit_scale)}), summed over the positives. It lies in [0, 1] and reads as "how much more
 * the image resembles the positive captions than the others". With independent (sigmoid) scoring it is the largest
 * positive prompt's probability. The rule flags the image when the score reaches the threshold.
 *
 * <p>The score depends on the prompt lists: adding positive prompts raises it, adding negative or neutral ones
 * lowers it. Calibrate thresholds on labelled images of your own. See docs/policy-scoring.md for what this can and
 * cannot do.
 */
public final class PolicyScorer {
    /**
     * One rule's verdict for one image.
     * @param score     positive probability mass (softmax families) or the largest positive probability (sigmoid)
     * @param flagged   score ≥ threshold
     * @param top       the prompt most similar to the image, of any kind
     * @param topKind   "positive", "negative" or "neutral"
     * @param margin    best positive cosine minus best negative/neutral cosine
     */
    public record RuleScore(String rule, double score, double threshold, boolean flagged, String top, String topKind, float margin) {}

    private final ClipModel model;
    private final Policy policy;
    private final Scoring scoring;
    private final float[][][] prompts; // [rule][prompt][E]: positives, negatives, neutrals

    private PolicyScorer(ClipModel model, Policy policy, Scoring scoring, float[][][] prompts) {
        this.model = model;
        this.policy = policy;
        this.scoring = scoring;
        this.prompts = prompts;
    }

    public static PolicyScorer create(ClipModel model, Policy policy) { return create(model, policy, Scoring.forModel(model)); }

    /** Embeds every distinct prompt of the policy once. */
    public static PolicyScorer create(ClipModel model, Policy policy, Scoring scoring) {
        Map<String, Integer> index = new HashMap<>();
        List<String> unique = new ArrayList<>();
        for (Policy.Rule r : policy.rules()) for (String p : all(r)) index.computeIfAbsent(p, s -> { unique.add(s); return unique.size() - 1; });
        float[][] emb = model.embedTexts(unique);
        float[][][] prompts = new float[policy.rules().size()][][];
        for (int i = 0; i < prompts.length; i++) {
            List<String> a = all(policy.rules().get(i));
            prompts[i] = new float[a.size()][];
            for (int j = 0; j < a.size(); j++) prompts[i][j] = emb[index.get(a.get(j))];
        }
        return new PolicyScorer(model, policy, scoring, prompts);
    }

    private static List<String> all(Policy.Rule r) {
        List<String> a = new ArrayList<>(r.positive());
        a.addAll(r.others());
        return a;
    }

    public Policy policy() { return policy; }
    public Scoring scoring() { return scoring; }

    public List<RuleScore> score(Path image) { return score(model.embedImage(image)); }

    /** The verdict of every rule, in policy order, for an image embedding (normalised here). */
    public List<RuleScore> score(float[] imageEmbedding) {
        float[] e = Vectors.normalize(imageEmbedding);
        List<RuleScore> out = new ArrayList<>(prompts.length);
        for (int r = 0; r < prompts.length; r++) {
            Policy.Rule rule = policy.rules().get(r);
            int P = rule.positive().size(), N = rule.negative().size();
            float[] cos = new float[prompts[r].length];
            for (int j = 0; j < cos.length; j++) cos[j] = Vectors.dot(e, prompts[r][j]);
            double[] p = scoring.probabilities(scoring.logits(cos));
            double score = 0;
            if (scoring.exclusive()) for (int j = 0; j < P; j++) score += p[j];
            else for (int j = 0; j < P; j++) score = Math.max(score, p[j]);
            int top = 0;
            float bestPos = Float.NEGATIVE_INFINITY, bestOther = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cos.length; j++) {
                if (cos[j] > cos[top]) top = j;
                if (j < P) bestPos = Math.max(bestPos, cos[j]);
                else bestOther = Math.max(bestOther, cos[j]);
            }
            String kind = top < P ? "positive" : top < P + N ? "negative" : "neutral";
            String topPrompt = top < P ? rule.positive().get(top) : rule.others().get(top - P);
            out.add(new RuleScore(rule.name(), score, rule.threshold(), score >= rule.threshold(), topPrompt, kind, bestPos - bestOther));
        }
        return out;
    }
}
