package io.clip4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.clip4j.kernel.BackwardGradCheckTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link PaddedAttention}: self-attention with a key-padding mask (NaFlex). The forward equals the inference kernel
 * ({@link Ops#attention} with validKeys) and a float64 restatement; the backward is checked by central finite
 * differences (the harness of {@link BackwardGradCheckTest}) against the float64 forward of "masked attention, padded
 * query rows dropped"; padding (values in padded rows, dout in padded rows) has exactly no influence.
 */
class PaddedAttentionTest {

    /** Masked attention in float64; query rows t ≥ valid[b] are zero (dropped), keys s ≥ valid[b] invisible. */
    static double[] paddedAttentionD(double[] qkv, int B, int T, int C, int H, boolean causal, int[] valid) {
        int D = C / H;
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int t = 0; t < valid[b]; t++) {
            int last = Math.min(causal ? t : T - 1, valid[b] - 1);
            double[] s = new double[last + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int u = 0; u <= last; u++) {
                double dot = 0;
                for (int dd = 0; dd < D; dd++) dot += qkv[(b * T + t) * 3 * C + h * D + dd] * qkv[(b * T + u) * 3 * C + C + h * D + dd];
                s[u] = dot / Math.sqrt(D);
                max = Math.max(max, s[u]);
            }
            for (int u = 0; u <= last; u++) { s[u] = Math.exp(s[u] - max); sum += s[u]; }
            for (int u = 0; u <= last; u++) for (int dd = 0; dd < D; dd++)
                out[(b * T + t) * C + h * D + dd] += s[u] / sum * qkv[(b * T + u) * 3 * C + 2 * C + h * D + dd];
        }
        return out;
    }

    @Test void forwardMatchesInferenceAndFloat64AndBackwardPassesFiniteDifferences() {
        Random r = new Random(21);
        for (boolean causal : new boolean[]{false, true}) {
            int B = 3, T = 6, C = 12, H = 3;   // head dim 4
            int[] valid = {6, 4, 1};           // a full item, a padded one, a single real token
            float[] qkv = rand(r, B * T * 3 * C, 1), R = rand(r, B * T * C, 1);
            float[] out = new float[B * T * C], probs = new float[B * H * T * T], ref = new float[B * T * C];
            PaddedAttention.forward(out, probs, qkv, B, T, C, H, causal, valid);
            Ops.attention(ref, qkv, B, T, C, H, causal, valid);
            // every row, padded query rows included, is what inference computes
            assertForwardMatches("padded attention vs Ops.attention(validKeys)", d(ref), out, 1e-5);
            double[] want = paddedAttentionD(d(qkv), B, T, C, H, causal, valid);
            for (int b = 0; b < B; b++) for (int t = 0; t < valid[b]; t++) for (int c = 0; c < C; c++) {
                int i = (b * T + t) * C + c;
                assertEquals(want[i], out[i], 1e-5 * Math.max(1, Math.abs(want[i])), "real row " + b + "," + t);
            }
            for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int t = 0; t < T; t++) for (int s = valid[b]; s < T; s++)
                assertEquals(0f, probs[((b * H + h) * T + t) * T + s], "padded key " + s + " has weight 0");

            float[] dqkv = new float[qkv.length];
            PaddedAttention.backward(dqkv, R, qkv, probs, B, T, C, H, causal, valid);
            String m = causal ? " (causal)" : "";
            check("paddedAttention dqkv" + m, x -> paddedAttentionD(x[0], B, T, C, H, causal, valid), new float[][]{qkv}, 0, dqkv, R);
            for (int b = 0; b < B; b++) for (int t = valid[b]; t < T; t++) for (int c = 0; c < 3 * C; c++)
                assertEquals(0f, dqkv[(b * T + t) * 3 * C + c], "padded row " + b + "," + t + " gets no gradient (q, k or v)");
        }
    }

    @Test void withoutAMaskItIsTheUnmaskedKernel() {
        Random r = new Random(22);
        int B = 2, T = 5, C = 64, H = 2;       // head dim 32: the vector paths
        for (boolean causal : new boolean[]{false, true}) {
            float[] qkv = rand(r, B * T * 3 * C, 0.5), dout = rand(r, B * T * C, 1);
            float[] o1 = new float[B * T * C], p1 = new float[B * H * T * T], o2 = new float[B * T * C], p2 = new float[B * H * T * T];
            Backward.attentionForward(o1, p1, qkv, B, T, C, H, causal);
            PaddedAttention.forward(o2, p2, qkv, B, T, C, H, causal, null);
            assertArrayEquals(o1, o2);
            assertArrayEquals(p1, p2);
            float[] g1 = new float[qkv.length], g2 = new float[qkv.length];
            Backward.attentionBackward(g1, dout, qkv, p1, B, T, C, H, causal);
            PaddedAttention.backward(g2, dout, qkv, p2, B, T, C, H, causal, null);
            assertArrayEquals(g1, g2);
            // all keys valid = no mask
            float[] o3 = new float[B * T * C], p3 = new float[B * H * T * T], g3 = new float[qkv.length];
            PaddedAttention.forward(o3, p3, qkv, B, T, C, H, causal, new int[]{T, T});
            PaddedAttention.backward(g3, dout, qkv, p3, B, T, C, H, causal, new int[]{T, T});
            assertArrayEquals(o1, o3);
            assertArrayEquals(g1, g3);
        }
    }

    /** Whatever padded rows hold (values, dout), real rows' outputs and every gradient keep their bits. */
    @Test void paddingHasNoInfluence() {
        Random r = new Random(23);
        int B = 2, T = 7, C = 64, H = 2;
        int[] valid = {3, 5};
        float[] qkv = rand(r, B * T * 3 * C, 0.5), dout = rand(r, B * T * C, 1);
        float[] qkv2 = qkv.clone(), dout2 = dout.clone();
        for (int b = 0; b < B; b++) for (int t = valid[b]; t < T; t++) {
            for (int c = 0; c < 3 * C; c++) qkv2[(b * T + t) * 3 * C + c] = (float) (r.nextGaussian() * 100);
            for (int c = 0; c < C; c++) dout2[(b * T + t) * C + c] = (float) (r.nextGaussian() * 100);
        }
        float[] o1 = new float[B * T * C], p1 = new float[B * H * T * T], o2 = new float[B * T * C], p2 = new float[B * H * T * T];
        PaddedAttention.forward(o1, p1, qkv, B, T, C, H, false, valid);
        PaddedAttention.forward(o2, p2, qkv2, B, T, C, H, false, valid);
        for (int b = 0; b < B; b++) for (int t = 0; t < valid[b]; t++) for (int c = 0; c < C; c++)
            assertEquals(o1[(b * T + t) * C + c], o2[(b * T + t) * C + c], 0f);
        float[] g1 = new float[qkv.length], g2 = new float[qkv.length];
        PaddedAttention.backward(g1, dout, qkv, p1, B, T, C, H, false, valid);
        PaddedAttention.backward(g2, dout2, qkv2, p2, B, T, C, H, false, valid);
        assertArrayEquals(g1, g2, "gradients do not see the padding");
        // and not the thread count
        float[] g3 = new float[qkv.length];
        Parallel.withMaxThreads(1, () -> PaddedAttention.backward(g3, dout, qkv, p1, B, T, C, H, false, valid));
        assertArrayEquals(g1, g3, "same bits with 1 and " + Parallel.threads() + " threads");
    }
}
