package io.clip4j.model;

import io.clip4j.nn.Linear;
import io.clip4j.nn.Param;
import io.clip4j.nn.Workspace;

/**
 * A ViT's patch embedding: a stride-P convolution over non-overlapping P×P patches, computed as a matmul with each
 * patch flattened in (channel, row, column) order — the conv weight [C,3,P,P] read as a [C, 3·P·P] matrix.
 * The flattened patches (im2col) of a whole batch would take as much memory as its pixels, so they are built and
 * multiplied {@value #IMAGES_PER_CHUNK} images at a time.
 */
final class PatchEmbedding {
    private PatchEmbedding() {}

    static final int IMAGES_PER_CHUNK = 8;

    /**
     * x[b, first + gy·G + gx, :] = patch (gy, gx) of image b · Wᵀ + bias, for the B images of a pixel batch
     * (pixels[3,S,S] each, G = S / P); x has T rows of C per image. Other rows of x are left as they are.
     * Uses workspace slots patchesSlot and outSlot.
     */
    static void embed(float[] x, int T, int first, ImageBatch batch, int S, int P, Param weight, float[] bias, int C,
                      Workspace ws, int patchesSlot, int outSlot) {
        int B = batch.batch(), G = S / P, K = 3 * P * P;
        int chunk = Math.min(B, IMAGES_PER_CHUNK);
        float[] patches = ws.get(patchesSlot, chunk * G * G * K), out = ws.get(outSlot, chunk * G * G * C);
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int n = Math.min(chunk, B - b0);
            // patches[i, gy·G+gx, (ch·P + py)·P + px] = pixels of image b0+i at [ch, gy·P + py, gx·P + px]
            for (int i = 0; i < n; i++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++) {
                int row = ((i * G + gy) * G + gx) * K;
                for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++) {
                    batch.copyRow(b0 + i, ch, gy * P + py, gx * P, S, patches, row + (ch * P + py) * P, P);
                }
            }
            Linear.matmul(out, patches, weight, bias, n * G * G, K, C, null);
            for (int i = 0; i < n; i++) System.arraycopy(out, i * G * G * C, x, ((b0 + i) * T + first) * C, G * G * C);
        }
    }
}
