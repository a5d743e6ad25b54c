package io.clip4j.train;

/**
 * CLIP's symmetric contrastive loss (open_clip {@code ClipLoss}, one device), forward and backward.
 * With a = img/max(‖img‖, 1e-12), t = txt/max(‖txt‖, 1e-12) per row and s = exp(logit_scale):
 * <pre>
 *   logits_per_image = (s·a) · tᵀ        [B,B]         logits_per_text = (s·t) · aᵀ   (its own product)
 *   loss_image = mean_i ( logsumexp_j logits_per_image[i,j] − logits_per_image[i,i] )
 *   loss_text  = mean_i ( logsumexp_j logits_per_text[i,j]  − logits_per_text[i,i] )
 *   loss       = (loss_image + loss_text) / 2                (labels = 0..B-1: pair i is image i with caption i)
 * backward:
 *   dlogits_per_image = (softmax_rows(logits_per_image) − I) / (2B),  likewise dlogits_per_text
 *   da_i  = s·Σ_j dlpi[i,j]·t_j + s·Σ_j dlpt[j,i]·t_j            dt_j likewise
 *   ds    = Σ_ij dlpi[i,j]·(a_i·t_j) + Σ_ji dlpt[j,i]·(t_j·a_i),  d logit_scale = s·ds
 *   dimg  = (da − a·(a·da)) / ‖img‖                              (L2-normalisation backward; txt likewise)
 * </pre>
 * Computed in double from the float features (B×B work: negligible next to the towers), rounded to float at the end.
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {}

    /** The loss, every intermediate, and the gradients; matrices are row-major flat arrays. */
    public record Result(
            float loss, float lossImage, float lossText,
            float logitScale, float logitScaleExp,
            float[] imageNormalized, float[] textNormalized,      // [B,E]
            float[] logitsPerImage, float[] logitsPerText,        // [B,B]
            float[] dLogitsPerImage, float[] dLogitsPerText,      // [B,B]
            float[] dImageNormalized, float[] dTextNormalized,    // [B,E]
            float[] dImageFeatures, float[] dTextFeatures,        // [B,E]
            float dLogitScaleExp, float dLogitScale) implements TrainingGraph.LossResult {}

    /** img[B,E], txt[B,E] unnormalised features; pair i is (image i, caption i). */
    public static Result compute(float[] img, float[] txt, int B, int E, float logitScale) {
        double[] imgNorm = new double[B], txtNorm = new double[B];
        double[] a = normalize(img, imgNorm, B, E), t = normalize(txt, txtNorm, B, E);
        double s = Math.exp(logitScale);

        double[] dots = new double[B * B];                       // dots[i,j] = a_i · t_j
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            double d = 0;
            for (int e = 0; e < E; e++) d += a[i * E + e] * t[j * E + e];
            dots[i * B + j] = d;
        }
        double[] lpi = new double[B * B], lpt = new double[B * B];
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            lpi[i * B + j] = s * dots[i * B + j];
            lpt[j * B + i] = s * dots[i * B + j];
        }
        double[] glpi = new double[B * B], glpt = new double[B * B];
        double lossImage = crossEntropyRows(lpi, glpi, B), lossText = crossEntropyRows(lpt, glpt, B);
        double loss = (lossImage + lossText) / 2;
        for (int k = 0; k < B * B; k++) { glpi[k] /= 2; glpt[k] /= 2; }   // d loss / d logits: the ½ of the average

        double[] da = new double[B * E], dt = new double[B * E];
        double ds = 0;
        for (int i = 0; i < B; i++) for (int j = 0; j < B; j++) {
            double g = glpi[i * B + j] + glpt[j * B + i];        // both products see the pair (i, j)
            ds += g * dots[i * B + j];
            for (int e = 0; e < E; e++) {
                da[i * E + e] += s * g * t[j * E + e];
                dt[j * E + e] += s * g * a[i * E + e];
            }
        }
        float[] dimg = normalizeBackward(da, a, imgNorm, B, E), dtxt = normalizeBackward(dt, t, txtNorm, B, E);
        return new Result((float) loss, (float) lossImage, (float) lossText, logitScale, (float) s,
                toFloat(a), toFloat(t), toFloat(lpi), toFloat(lpt), toFloat(glpi), toFloat(glpt),
                toFloat(da), toFloat(dt), dimg, dtxt, (float) ds, (float) (s * ds));
    }

    /** Mean over rows of (logsumexp(row) − row[diagonal]); g receives its gradient (softmax − one-hot) / B. */
    static double crossEntropyRows(double[] logits, double[] g, int B) {
        double total = 0;
        for (int i = 0; i < B; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < B; j++) max = Math.max(max, logits[i * B + j]);
            double sum = 0;
            for (int j = 0; j < B; j++) sum += Math.exp(logits[i * B + j] - max);
            double lse = max + Math.log(sum);
            total += lse - logits[i * B + i];
            for (int j = 0; j < B; j++) g[i * B + j] = (Math.exp(logits[i * B + j] - lse) - (i == j ? 1 : 0)) / B;
        }
        return total / B;
    }

    /** F.normalize per row in double: x / max(‖x‖, 1e-12); norms receive ‖x‖. */
    static double[] normalize(float[] x, double[] norms, int N, int E) {
        double[] out = new double[N * E];
        for (int n = 0; n < N; n++) {
            double ss = 0;
            for (int e = 0; e < E; e++) ss += (double) x[n * E + e] * x[n * E + e];
            norms[n] = Math.sqrt(ss);
            double den = Math.max(norms[n], 1e-12);
            for (int e = 0; e < E; e++) out[n * E + e] = x[n * E + e] / den;
        }
        return out;
    }

    /** Adjoint of {@link #normalize}: dx = (dy − y·(y·dy)) / ‖x‖, or dy / 1e-12 where the norm is clamped. */
    static float[] normalizeBackward(double[] dy, double[] y, double[] norms, int N, int E) {
        float[] dx = new float[N * E];
        for (int n = 0; n < N; n++) {
            if (norms[n] <= 1e-12) {
                for (int e = 0; e < E; e++) dx[n * E + e] = (float) (dy[n * E + e] / 1e-12);
                continue;
            }
            double yd = 0;
            for (int e = 0; e < E; e++) yd += y[n * E + e] * dy[n * E + e];
            for (int e = 0; e < E; e++) dx[n * E + e] = (float) ((dy[n * E + e] - y[n * E + e] * yd) / norms[n]);
        }
        return dx;
    }

    static float[] toFloat(double[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = (float) a[i];
        return o;
    }
}
