package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.model.ImageBatch;
import io.clip4j.model.PositionResize;
import io.clip4j.model.SiglipVisionTower;

/**
 * SigLIP 2's NaFlex image tower with saved activations, over a {@link SiglipVisionTower}'s parameters (same float[]
 * objects). A batch holds patches[B,M,K] (K = P·P·3, each patch flattened row, column, channel) and per item b a
 * patch grid h_b × w_b whose n_b = h_b·w_b real patches come first, the M − n_b rows after them padding. With the
 * stored G×G position grid pos[G·G, C]:
 * <pre>
 *   e[b,t]   = patches[b,t] · Wpatchᵀ + bpatch + R_b(pos)[t]          t &lt; n_b     [B,M,C]
 *   e[b,t]   = patches[b,t] · Wpatchᵀ + bpatch + R_b(pos)[0]          t ≥ n_b     (padding: row 0, as inference)
 *   x        = encoder stack, keys t ≥ n_b masked (e)                  [B,M,C]
 *   h        = post_layernorm(x)                                       [B·M, C]    every row
 *   feat     = MAP head(h), keys t ≥ n_b masked                        [B,C]
 * </pre>
 * R_b is {@link PositionResize}: the linear, antialiased bilinear resize of the grid to h_b × w_b. Its backward is
 * its transpose ({@link PositionResize#resizeBackward}): d pos += R_bᵀ · d e[b, 0..n_b).
 *
 * <p>Padding has exactly no influence on what the real rows compute or on any gradient: padded keys get attention
 * weight 0 in every block and in the head; padded query rows are computed (so hidden states equal inference's) but
 * nothing reads them, and the backward leaves them out ({@link io.clip4j.kernel.PaddedAttention}): their rows of
 * d e are 0, they add nothing to the position grid's gradient, and the patch embedding's gradient is taken over the
 * real rows only (so even non-finite padding values could not leak into it).
 */
final class NaFlexVisionGraph implements ImageGraph {
    final SiglipVisionTower tower;
    final EncoderGraph encoder;
    final MapHeadGraph head;
    final int P, G, K, C;

    int B, M;
    int[] valid = new int[0];
    int[][] grids = new int[0][];
    float[] patches = new float[0];                 // the batch's values, kept by reference until backward
    float[] post = new float[0], postMean = new float[0], postRstd = new float[0];
    private float[] dx = new float[0], dpost = new float[0], dxReal = new float[0], patchesReal = new float[0];

    NaFlexVisionGraph(SiglipVisionTower tower) {
        if (!tower.naflex) throw new Clip4jException("the NaFlex training graph takes NaFlex (SigLIP 2) image towers");
        this.tower = tower;
        var c = tower.config;
        P = c.patchSize(); G = c.grid(); K = 3 * P * P;
        C = c.tower().hiddenSize();
        encoder = new EncoderGraph(tower.encoder, C, c.tower().intermediateSize(), c.tower().numHeads(), false, c.tower().activation());
        head = new MapHeadGraph(tower.head, C, c.tower().intermediateSize());
    }

    @Override public float[] forward(float[] pixels, int B) {
        throw new IllegalArgumentException("a NaFlex image tower takes patches with their patch grids (an ImageBatch), not pixels");
    }

    /** 0: a NaFlex batch's size per image is its maxPatches · P·P·3. */
    @Override public int floatsPerImage() { return 0; }

    /** Image features [B,C] (unnormalised) for NaFlex patches, saving what {@link #backward} needs. */
    @Override public float[] forward(ImageBatch batch) {
        if (!batch.isPatches()) throw new IllegalArgumentException("a NaFlex image tower takes patches with their patch grids, not pixels");
        int B = batch.batch(), M = batch.maxPatches();
        if (batch.values().length != (long) B * M * K) {
            throw new IllegalArgumentException("patches hold " + batch.values().length + " values, " + B + " images of " + M + " patches of "
                    + K + " need " + (long) B * M * K);
        }
        int[] valid = new int[B];
        int[][] grids = new int[B][];
        for (int b = 0; b < B; b++) {
            int h = batch.gridShapes()[b][0], w = batch.gridShapes()[b][1];
            if (h < 1 || w < 1 || (long) h * w > M) throw new IllegalArgumentException("patch grid " + h + "x" + w + " does not fit " + M + " patches");
            valid[b] = h * w;
            grids[b] = new int[]{h, w};
        }
        this.B = B;
        this.M = M;
        this.valid = valid;
        this.grids = grids;
        this.patches = batch.values();
        int N = B * M;
        post = EncoderGraph.grow(post, N * C); postMean = EncoderGraph.grow(postMean, N); postRstd = EncoderGraph.grow(postRstd, N);

        float[] e = encoder.begin(B, M, valid);
        Ops.matmul(e, patches, tower.patchWeight.data, tower.patchBias.data, N, K, C);
        float[] grid = tower.positionEmbedding.data;
        for (int b = 0; b < B; b++) {
            float[] pos = PositionResize.resize(grid, G, C, grids[b][0], grids[b][1]);
            for (int t = 0; t < M; t++) {
                int src = (t < valid[b] ? t : 0) * C, dst = (b * M + t) * C;
                for (int c = 0; c < C; c++) e[dst + c] += pos[src + c];
            }
        }
        encoder.forward();
        Backward.layerNormForward(post, postMean, postRstd, encoder.output(), tower.postLayerNorm.weight.data,
                tower.postLayerNorm.bias.data, N, C, tower.postLayerNorm.eps);
        return head.forward(post, B, M, valid);
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,C] = d loss / d features of the last forward. */
    @Override public void backward(float[] dfeat, Gradients grads) {
        int N = B * M;
        dpost = VisionGraph.zeroed(dpost, N * C);
        head.backward(dfeat, dpost, grads);                                   // padded keys: probs 0, rows of dpost 0
        dx = VisionGraph.zeroed(dx, N * C);
        Backward.layerNormBackward(dx, grads.of(tower.postLayerNorm.weight), grads.of(tower.postLayerNorm.bias), dpost,
                encoder.output(), tower.postLayerNorm.weight.data, postMean, postRstd, N, C);
        encoder.backward(dx, grads);                                          // dx is now d loss / d e (padded rows 0)
        // the position grid, through each item's resize (transpose of the linear map), real rows only
        float[] gPos = grads.of(tower.positionEmbedding);
        for (int b = 0; b < B; b++) PositionResize.resizeBackward(gPos, dx, b * M * C, G, C, grids[b][0], grids[b][1]);
        // the patch embedding over the real rows, gathered
        int real = 0;
        for (int b = 0; b < B; b++) real += valid[b];
        dxReal = EncoderGraph.grow(dxReal, real * C);
        patchesReal = EncoderGraph.grow(patchesReal, real * K);
        for (int b = 0, r = 0; b < B; r += valid[b], b++) {
            System.arraycopy(dx, b * M * C, dxReal, r * C, valid[b] * C);
            System.arraycopy(patches, b * M * K, patchesReal, r * K, valid[b] * K);
        }
        Backward.matmulBackward(null, grads.of(tower.patchWeight), grads.of(tower.patchBias), dxReal, patchesReal, tower.patchWeight.data, real, K, C);
    }

    /** Floats held by the saved activations (buffer capacities; the patches belong to the caller). */
    @Override public long savedFloats() {
        return encoder.savedFloats() + head.savedFloats() + post.length + postMean.length + postRstd.length;
    }
}
