package io.clip4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.clip4j.nn.Workspace;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Encoder#forwardPooled} (the last block run for the pooled rows only) against {@link Encoder#forward} /
 * {@link Encoder#forwardPacked} followed by reading those rows: the same values to rounding, for every layout a tower
 * uses (class token, end of text in packed causal rows, last position, padding masks).
 */
class PooledEncoderTest {
    static final int C = 64, I = 256, HEADS = 4, LAYERS = 3;

    /** Random weights of a moderate scale: LayerNorm gains near 1, everything else uniform in ±0.15. */
    static Encoder encoder(long seed, Activation act) {
        return io.clip4j.testing.RandomEncoders.encoder(seed, C, I, LAYERS, HEADS, act, 0.15);
    }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble(-1, 1);
        return v;
    }

    /** Worst |a − b| relative to the largest |a|. */
    static void assertRowsClose(float[] full, int[] rows, float[] pooled, String what) {
        double worst = 0, scale = 1e-30;
        for (int b = 0; b < rows.length; b++)
            for (int c = 0; c < C; c++) {
                float want = full[rows[b] * C + c];
                scale = Math.max(scale, Math.abs(want));
                worst = Math.max(worst, Math.abs(want - pooled[b * C + c]));
            }
        assertTrue(worst / scale < 1e-5, what + ": worst difference " + worst + " at scale " + scale);
    }

    @Test void padded() {
        SplittableRandom r = new SplittableRandom(1);
        int B = 4, T = 13;
        for (Activation act : Activation.values())
            for (boolean causal : new boolean[] {false, true})
                for (int[] valid : new int[][] {null, {13, 5, 1, 9}}) {
                    Encoder enc = encoder(7, act);
                    float[] x = random(r, B * T * C), full = x.clone();
                    // class token (row 0), a middle row, the last row, a row past the padding
                    int[] rows = {0, T + 6, 2 * T + T - 1, 3 * T + 11};
                    enc.forward(full, B, T, C, causal, valid, new Workspace(), null, "");
                    float[] pooled = new float[B * C];
                    enc.forwardPooled(pooled, x, B, T, C, null, causal, valid, rows, new Workspace());
                    assertRowsClose(full, rows, pooled, act + " causal=" + causal + " valid=" + Arrays.toString(valid));
                }
    }

    @Test void packedEndOfText() {
        SplittableRandom r = new SplittableRandom(2);
        int[] lengths = {5, 1, 12, 77, 3};
        int B = lengths.length;
        int[] offsets = new int[B + 1], rows = new int[B];
        for (int b = 0; b < B; b++) {
            offsets[b + 1] = offsets[b] + lengths[b];
            rows[b] = offsets[b + 1] - 1;
        }
        Encoder enc = encoder(8, Activation.QUICK_GELU);
        float[] x = random(r, offsets[B] * C), full = x.clone();
        enc.forwardPacked(full, offsets, B, true, new Workspace());
        float[] pooled = new float[B * C];
        enc.forwardPooled(pooled, x, B, 0, C, offsets, true, null, rows, new Workspace());
        assertRowsClose(full, rows, pooled, "packed causal");
    }

    @Test void rowOutsideItsItemIsRefused() {
        Encoder enc = encoder(9, Activation.GELU);
        float[] x = new float[2 * 4 * C];
        try {
            enc.forwardPooled(new float[2 * C], x, 2, 4, C, null, false, null, new int[] {0, 2}, new Workspace());
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("outside item 1"), e.getMessage());
            return;
        }
        throw new AssertionError("a pooled row outside its item was accepted");
    }

    @Test void blockRefusesRowsPastN() {
        Encoder enc = encoder(10, Activation.GELU);
        float[] x = new float[8 * C];
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> enc.blocks[0].forwardPooled(
                new float[C], x, 4, 1, new int[] {3}, new int[] {0}, new int[] {8}, new Workspace()), "keys past the N rows");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> enc.forwardPooled(
                new float[2 * C], x, 2, 4, C, null, false, new int[] {4}, new int[] {0, 4}, new Workspace()), "short validKeys");
    }
}
