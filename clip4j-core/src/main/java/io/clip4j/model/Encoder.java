package io.clip4j.model;

import io.clip4j.nn.Block;
import io.clip4j.nn.LayerNorm;
import io.clip4j.nn.Linear;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.ArrayList;
import java.util.List;

/** A stack of pre-LN blocks named {@code <prefix>.layers.{i}.*} as in Hugging Face checkpoints. */
public final class Encoder {
    public final Block[] blocks;

    public Encoder(ParamSource src, String prefix, TowerConfig c) {
        int C = c.hiddenSize(), I = c.intermediateSize();
        blocks = new Block[c.numLayers()];
        for (int i = 0; i < blocks.length; i++) {
            String p = prefix + ".layers." + i + ".";
            blocks[i] = new Block(
                    new LayerNorm(src.param(p + "layer_norm1.weight", C), src.param(p + "layer_norm1.bias", C), c.layerNormEps()),
                    new Linear(src.matrix(p + "self_attn.qkv_proj.weight", 3 * C, C), src.param(p + "self_attn.qkv_proj.bias", 3 * C)),
                    new Linear(src.matrix(p + "self_attn.out_proj.weight", C, C), src.param(p + "self_attn.out_proj.bias", C)),
                    new LayerNorm(src.param(p + "layer_norm2.weight", C), src.param(p + "layer_norm2.bias", C), c.layerNormEps()),
                    new Linear(src.matrix(p + "mlp.fc1.weight", I, C), src.param(p + "mlp.fc1.bias", I)),
                    new Linear(src.matrix(p + "mlp.fc2.weight", C, I), src.param(p + "mlp.fc2.bias", C)),
                    c.numHeads(), c.activation());
        }
    }

    /** Runs every block over x[B,T,C] in place; traces block outputs as {@code <tracePrefix>block_i} and block 0's detail. */
    public void forward(float[] x, int B, int T, int C, boolean causal, Workspace ws, Trace trace, String tracePrefix) {
        forward(x, B, T, C, causal, null, ws, trace, tracePrefix);
    }

    /** As above with a key-padding mask: keys at index ≥ validKeys[b] are invisible to every query of item b. */
    public void forward(float[] x, int B, int T, int C, boolean causal, int[] validKeys, Workspace ws, Trace trace, String tracePrefix) {
        for (int i = 0; i < blocks.length; i++) {
            blocks[i].forward(x, B, T, causal, validKeys, ws, i == 0 ? trace : null, tracePrefix + "block_0_detail.");
            Trace.put(trace, tracePrefix + "block_" + i, x, B * T * C, B, T, C);
        }
    }

    /** Runs every block over B sequences packed without padding (rows [offsets[b], offsets[b+1]) of x[N,C]). */
    public void forwardPacked(float[] x, int[] offsets, int B, boolean causal, Workspace ws) {
        for (Block block : blocks) block.forwardPacked(x, offsets, B, causal, ws);
    }

    /**
     * Runs every block and returns only the final hidden state at one row per item: pooled[b] (dense, [B,C]) = row
     * poolRow[b] of what {@link #forward} (offsets null: x[B,T,C], optional key mask validKeys) or
     * {@link #forwardPacked} (offsets: packed rows, T unused) leaves in x, to rounding. The last block runs only
     * for those rows ({@link Block#forwardPooled}); x is left holding the input of the last block.
     */
    public void forwardPooled(float[] pooled, float[] x, int B, int T, int C, int[] offsets, boolean causal, int[] validKeys,
                              int[] poolRow, Workspace ws) {
        if (poolRow.length < B || (offsets != null && offsets.length < B + 1) || (validKeys != null && validKeys.length < B))
            throw new IllegalArgumentException("poolRow, offsets or validKeys shorter than the batch of " + B);
        int[][] keys = pooledKeys(B, T, offsets, causal, validKeys, poolRow);    // (checks the rows before any work)
        int last = blocks.length - 1;
        for (int i = 0; i < last; i++) {
            if (offsets != null) blocks[i].forwardPacked(x, offsets, B, causal, ws);
            else blocks[i].forward(x, B, T, causal, validKeys, ws, null, null);
        }
        if (last < 0) {
            for (int b = 0; b < B; b++) System.arraycopy(x, poolRow[b] * C, pooled, b * C, C);
            return;
        }
        int N = offsets != null ? offsets[B] : B * T;
        blocks[last].forwardPooled(pooled, x, N, B, poolRow, keys[0], keys[1], ws);
    }

    /**
     * The key rows the pooled row of each item sees, as {keyStart[B], keyCount[B]}: its item's rows (b·T.. padded, or
     * [offsets[b], offsets[b+1]) packed), cut at validKeys[b] and, when causal, at the pooled row itself.
     */
    public static int[][] pooledKeys(int B, int T, int[] offsets, boolean causal, int[] validKeys, int[] poolRow) {
        int[] keyStart = new int[B], keyCount = new int[B];
        for (int b = 0; b < B; b++) {
            int start = offsets != null ? offsets[b] : b * T, len = offsets != null ? offsets[b + 1] - offsets[b] : T;
            if (poolRow[b] < start || poolRow[b] >= start + len) throw new IllegalArgumentException("pooled row " + poolRow[b] + " is outside item " + b);
            if (validKeys != null) len = Math.min(len, Math.max(0, validKeys[b]));
            if (causal) len = Math.min(len, poolRow[b] - start + 1);
            keyStart[b] = start;
            keyCount[b] = len;
        }
        return new int[][] {keyStart, keyCount};
    }

    public List<Param> params() {
        List<Param> out = new ArrayList<>();
        for (Block b : blocks) {
            out.add(b.ln1.weight); out.add(b.ln1.bias);
            out.add(b.qkv.weight); out.add(b.qkv.bias);
            out.add(b.outProj.weight); out.add(b.outProj.bias);
            out.add(b.ln2.weight); out.add(b.ln2.bias);
            out.add(b.fc1.weight); out.add(b.fc1.bias);
            out.add(b.fc2.weight); out.add(b.fc2.bias);
        }
        return out;
    }
}
