package io.clip4j.train;

/**
 * SigLIP's pairwise sigmoid loss (HF {@code SiglipModel(return_loss=True)}), forward and backward, with a learnable
 * scale and bias. With a = img/‖img‖, t = txt/‖txt‖ per row, s = exp(logit_scale), b = logit_bias:
 * <pre>
 *   logits_per_text[i,j] = s·(t_i · a_j) + b          [B,B]  (caption i, image j); logits_per_image = its transpose
 *   z[i,j] = 2·[i == j] − 1                                   (+1 for a matching pair, −1 otherwise)
 *   loss   = (1/B) · Σ_ij −log σ(z_ij · logits_per_text[i,j])  = mean over captions of the row sums
 * backward:
 *   dl[i,j] = −z_ij · σ(−z_ij·l_ij) / B
 *   dt_i = s·Σ_j dl[i,j]·a_j;  da_j = s·Σ_i dl[i,j]·t_i;  ds = Σ dl[i,j]·(t_i·a_j);  d logit_scale = s·ds;  d bias = Σ dl
 *   then the L2-normalisation backward, as in {@link ContrastiveLoss}.
 * </pre>
 * Computed in double, rounded to float at the end.
 */
public final class SigmoidLoss {
    private SigmoidLoss() {}

    public record Result(
            float loss,
            float[] imageNormalized, float[] textNormalized,      // [B,E]
            float[] logitsPerText, float[] logitsPerImage,        // [B,B]
            float[] dLogitsPerText,                               // [B,B]
            float[] dImageFeatures, float[] dTextFeatures,        // [B,E]
            float dLogitScale, float dLogitBias) implements TrainingGraph.LossResult {}

    /** img[B,E], txt[B,E] unnormalised features (normalised ones pass through unchanged); pair i matches. */
    public static Result compute(float[] img, float[] txt, int B, int E, float logitScale, float logitBias) {
        double[] imgNorm = new double[B], txtNorm = new double[B];
        double[] a = ContrastiveLoss.normalize(img, imgNorm, B, E), t = ContrastiveLoss.normalize(txt, txtNorm, B, E);
        double s = Math.exp(logitScale);
        double[] dots = new double[B * B], lpt = new double[B * B], lpi = new double[B * B], dl = new double[B * B];
        double loss = 0, ds = 0, db = 0;
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            double d = 0;
            for (int e = 0; e < E; e++) d += t[i * E + e] * a[j * E + e];
            double l = s * d + logitBias, z = i == j ? 1 : -1;
            dots[i * B + j] = d;
            lpt[i * B + j] = l;
            lpi[j * B + i] = l;
            loss += softplus(-z * l);                       // −log σ(x) = softplus(−x)
            double g = -z * sigmoid(-z * l) / B;
            dl[i * B + j] = g;
            ds += g * d;
            db += g;
        }
        loss /= B;
        double[] da = new double[B * E], dt = new double[B * E];
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            double g = s * dl[i * B + j];
            for (int e = 0; e < E; e++) {
                dt[i * E + e] += g * a[j * E + e];
                da[j * E + e] += g * t[i * E + e];
            }
        }
        return new Result((float) loss, ContrastiveLoss.toFloat(a), ContrastiveLoss.toFloat(t),
                ContrastiveLoss.toFloat(lpt), ContrastiveLoss.toFloat(lpi), ContrastiveLoss.toFloat(dl),
                ContrastiveLoss.normalizeBackward(da, a, imgNorm, B, E), ContrastiveLoss.normalizeBackward(dt, t, txtNorm, B, E),
                (float) (s * ds), (float) db);
    }

    /** log(1 + eˣ) without overflow. */
    static double softplus(double x) { return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)); }

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
}
