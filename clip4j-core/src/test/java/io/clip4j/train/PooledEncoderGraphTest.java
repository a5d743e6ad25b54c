package io.clip4j.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clip4j.model.Activation;
import io.clip4j.model.Encoder;
import io.clip4j.nn.Param;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link EncoderGraph} in pooled mode (the last block run for one row per item) against the full stack: the pooled
 * rows' outputs, d loss / d input on every row and every parameter gradient agree to rounding, for the layouts the
 * towers use (class token, end of text under the causal mask, SigLIP's last position, a padding mask).
 */
class PooledEncoderGraphTest {
    static final int C = 48, I = 96, HEADS = 3, LAYERS = 2;

    static Encoder encoder(long seed) {
        return io.clip4j.testing.RandomEncoders.encoder(seed, C, I, LAYERS, HEADS, Activation.QUICK_GELU, 0.2);
    }

    record Run(float[] pooled, float[] dInput, Gradients grads) {}

    /** Forward over x0[B,T,C], loss = Σ R·(output at the pooled rows), backward; pooled or full mode. */
    static Run run(Encoder enc, boolean causal, int B, int T, int[] valid, int[] index, float[] x0, float[] R, boolean pooled) {
        EncoderGraph g = new EncoderGraph(enc, C, I, HEADS, causal, Activation.QUICK_GELU);
        float[] in = g.begin(B, T, valid);
        System.arraycopy(x0, 0, in, 0, B * T * C);
        if (pooled) g.poolAt(index);
        g.forward();
        float[] out = new float[B * C];
        io.clip4j.kernel.Backward.poolRows(out, g.output(), index, B, T, C);
        float[] dx = new float[B * T * C];
        io.clip4j.kernel.Backward.poolRowsBackward(dx, R, index, B, T, C);
        Gradients grads = new Gradients(enc.params());
        g.backward(dx, grads);
        return new Run(out, java.util.Arrays.copyOf(dx, B * T * C), grads);
    }

    static void assertClose(float[] want, float[] got, int n, String what) {
        double worst = 0, scale = 1e-30;
        for (int i = 0; i < n; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        assertTrue(worst <= 1e-5 * scale, what + ": worst difference " + worst + " at scale " + scale);
    }

    static void check(boolean causal, int B, int T, int[] valid, int[] index, long seed, String what) {
        SplittableRandom r = new SplittableRandom(seed);
        Encoder enc = encoder(seed);
        float[] x0 = new float[B * T * C], R = new float[B * C];
        for (int i = 0; i < x0.length; i++) x0[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < R.length; i++) R[i] = (float) r.nextDouble(-1, 1);
        Run full = run(enc, causal, B, T, valid, index, x0, R, false);
        Run pooled = run(enc, causal, B, T, valid, index, x0, R, true);
        assertClose(full.pooled, pooled.pooled, B * C, what + ": pooled output");
        // rows past the padding feed nothing in either mode; compare the real rows
        float[] a = full.dInput.clone(), b = pooled.dInput.clone();
        if (valid != null)
            for (int i = 0; i < B; i++) for (int t = valid[i]; t < T; t++)
                for (int c = 0; c < C; c++) a[(i * T + t) * C + c] = b[(i * T + t) * C + c] = 0f;
        assertClose(a, b, B * T * C, what + ": d input");
        for (Param p : enc.params()) assertClose(full.grads.of(p), pooled.grads.of(p), p.numel(), what + ": d " + p.name);
    }

    @Test void classToken() {
        check(false, 3, 9, null, new int[] {0, 0, 0}, 1, "class token");
    }

    @Test void endOfTextUnderTheCausalMask() {
        check(true, 4, 11, null, new int[] {10, 3, 0, 7}, 2, "end of text");
    }

    @Test void lastPosition() {
        check(false, 2, 8, null, new int[] {7, 7}, 3, "last position");
    }

    @Test void paddingMask() {
        check(false, 3, 10, new int[] {10, 4, 1}, new int[] {0, 3, 0}, 4, "padding mask");
        check(true, 3, 10, new int[] {10, 4, 6}, new int[] {9, 2, 5}, 5, "padding mask, causal");
    }

    @Test void aPooledIndexOnPaddingIsRefused() {
        EncoderGraph g = new EncoderGraph(encoder(6), C, I, HEADS, false, Activation.QUICK_GELU);
        g.begin(2, 5, new int[] {5, 2});
        assertThrows(IllegalArgumentException.class, () -> g.poolAt(new int[] {0, 3}));
    }
}
