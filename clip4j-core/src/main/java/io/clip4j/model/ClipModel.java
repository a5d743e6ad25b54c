package io.clip4j.model;

import io.clip4j.Clip4jException;
import io.clip4j.io.Checkpoint;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A CLIP model: image tower, text tower, and the learned temperature. Thread-safe: concurrent callers each borrow
 * their own activation workspace from a pool, so buffers are reused across calls without being shared.
 */
public final class ClipModel implements AutoCloseable {
    private final ModelConfig config;
    private final VisionTower vision;
    private final TextTower text;
    private final float logitScale;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();

    public ClipModel(ModelConfig config, ParamSource src, float logitScale) {
        this.config = config;
        this.vision = new VisionTower(src, config.vision(), config.projectionDim());
        this.text = new TextTower(src, config.text(), config.projectionDim());
        this.logitScale = logitScale;
    }

    /** Loads the weights of a Hugging Face or OpenCLIP model directory (every tensor name and shape checked). */
    public static ClipModel loadWeights(Path dir) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            ClipModel m = new ClipModel(ckpt.config(), ckpt, ckpt.logitScale());
            ckpt.finish();
            return m;
        }
    }

    public ModelConfig config() { return config; }
    public VisionTower vision() { return vision; }
    public TextTower text() { return text; }
    /** ln of the temperature; logits use its exp. */
    public float logitScale() { return logitScale; }
    public int embedDim() { return config.projectionDim(); }

    /** All parameters in a stable order (vision, text, then logit_scale is separate). */
    public List<Param> params() {
        List<Param> out = new ArrayList<>(vision.params());
        out.addAll(text.params());
        return out;
    }

    private Workspace borrow() {
        Workspace w = workspaces.pollFirst();
        return w != null ? w : new Workspace();
    }

    private void giveBack(Workspace w) { workspaces.offerFirst(w); }

    /** Unnormalised image features [B][E] for pixels[B,3,S,S] (CHW, already normalised). */
    public float[][] encodePixels(float[] pixels, int B) { return encodePixels(pixels, B, null); }

    public float[][] encodePixels(float[] pixels, int B, Trace trace) {
        int S = config.vision().imageSize();
        if (pixels.length < (long) B * 3 * S * S) throw new IllegalArgumentException("pixels hold " + pixels.length + " values, " + B + " images of " + S + "² need " + (long) B * 3 * S * S);
        int E = embedDim();
        float[] out = new float[B * E];
        Workspace ws = borrow();
        try {
            vision.forward(out, pixels, B, ws, trace);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** Unnormalised text features [B][E] for token ids (each row of the model's context length or shorter, all rows equal length). */
    public float[][] encodeTokens(int[][] ids) { return encodeTokens(ids, null); }

    public float[][] encodeTokens(int[][] ids, Trace trace) {
        int B = ids.length;
        if (B == 0) return new float[0][];
        int L = ids[0].length;
        int[] flat = new int[B * L];
        for (int b = 0; b < B; b++) {
            if (ids[b].length != L) throw new IllegalArgumentException("token rows differ in length: " + ids[b].length + " vs " + L);
            System.arraycopy(ids[b], 0, flat, b * L, L);
        }
        int E = embedDim();
        float[] out = new float[B * E];
        Workspace ws = borrow();
        try {
            text.forward(out, flat, B, L, ws, trace);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** logits[i][j] = exp(logit_scale) · cos(image_i, text_j). */
    public float[][] logits(float[][] imageFeatures, float[][] textFeatures) {
        float scale = (float) Math.exp(logitScale);
        float[][] img = Vectors.normalizeRows(imageFeatures), txt = Vectors.normalizeRows(textFeatures);
        float[][] out = new float[img.length][txt.length];
        for (int i = 0; i < img.length; i++) for (int j = 0; j < txt.length; j++) out[i][j] = scale * Vectors.dot(img[i], txt[j]);
        return out;
    }

    private static float[][] rows(float[] flat, int B, int E) {
        float[][] r = new float[B][E];
        for (int b = 0; b < B; b++) System.arraycopy(flat, b * E, r[b], 0, E);
        return r;
    }

    @Override public void close() { workspaces.clear(); }

    static Clip4jException error(String m) { return new Clip4jException(m); }
}
