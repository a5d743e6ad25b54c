package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Zero-shot classification as in the CLIP paper: each label becomes one caption per prompt template; the captions'
 * embeddings are normalised, averaged and renormalised into the label's class embedding; an image is scored by the
 * cosine similarity of its embedding with each class embedding, and the model family's {@link Scoring} turns the
 * scores into probabilities (CLIP: softmax over {@code exp(logit_scale) · cos}).
 *
 * <p>Class embeddings are computed once per (model, labels, templates) and cached while the model is alive.
 * Thread-safe.
 */
public final class ZeroShotClassifier {
    private final ClipModel model;
    private final List<String> labels;
    private final PromptTemplates templates;
    private final float[][] classEmbeddings;
    private final Scoring scoring;

    private ZeroShotClassifier(ClipModel model, List<String> labels, PromptTemplates templates, float[][] classEmbeddings, Scoring scoring) {
        this.model = model;
        this.labels = labels;
        this.templates = templates;
        this.classEmbeddings = classEmbeddings;
        this.scoring = scoring;
    }

    /** A classifier over labels with the model family's scoring. */
    public static ZeroShotClassifier create(ClipModel model, List<String> labels, PromptTemplates templates) {
        return create(model, labels, templates, Scoring.forModel(model));
    }

    public static ZeroShotClassifier create(ClipModel model, List<String> labels, PromptTemplates templates, Scoring scoring) {
        List<String> l = List.copyOf(labels);
        if (l.isEmpty()) throw new Clip4jException("no labels to classify with");
        return new ZeroShotClassifier(model, l, templates, classEmbeddings(model, l, templates), scoring);
    }

    private record Key(List<String> labels, List<String> templates) {}

    private static final int CACHE_PER_MODEL = 16;
    private static final Map<ClipModel, Map<Key, float[][]>> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * The class embeddings [labels][E]: per label, the mean of its captions' unit embeddings, renormalised.
     * Cached per model (the last {@value #CACHE_PER_MODEL} label/template sets). The returned rows are shared: do not modify.
     */
    static float[][] classEmbeddings(ClipModel model, List<String> labels, PromptTemplates templates) {
        Key key = new Key(labels, templates.templates());
        Map<Key, float[][]> perModel = CACHE.computeIfAbsent(model, m -> Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<Key, float[][]> e) { return size() > CACHE_PER_MODEL; }
        }));
        float[][] cached = perModel.get(key);
        if (cached != null) return cached;
        float[][] computed = compute(model, labels, templates);
        perModel.put(key, computed);
        return computed;
    }

    private static float[][] compute(ClipModel model, List<String> labels, PromptTemplates templates) {
        // each distinct caption is embedded once
        Map<String, Integer> index = new HashMap<>();
        List<String> unique = new ArrayList<>();
        int[][] ids = new int[labels.size()][];
        for (int c = 0; c < labels.size(); c++) {
            List<String> caps = templates.captions(labels.get(c));
            ids[c] = new int[caps.size()];
            for (int t = 0; t < caps.size(); t++) {
                ids[c][t] = index.computeIfAbsent(caps.get(t), s -> { unique.add(s); return unique.size() - 1; });
            }
        }
        float[][] emb = model.embedTexts(unique);
        int E = model.embedDim();
        float[][] out = new float[labels.size()][];
        for (int c = 0; c < labels.size(); c++) {
            double[] sum = new double[E];
            for (int id : ids[c]) for (int d = 0; d < E; d++) sum[d] += emb[id][d];
            float[] mean = new float[E];
            for (int d = 0; d < E; d++) mean[d] = (float) (sum[d] / ids[c].length);
            out[c] = Vectors.normalize(mean);
        }
        return out;
    }

    /** Classifies an image file: its top k labels (all when k exceeds the label count). */
    public List<Prediction> classify(Path image, int k) {
        return classify(model.embedImage(image), k);
    }

    /** The top k labels for an image embedding (normalised here, so raw features work too). Ties keep label order. */
    public List<Prediction> classify(float[] imageEmbedding, int k) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        float[] cos = scores(imageEmbedding);
        double[] p = scoring.probabilities(scoring.logits(cos));
        Integer[] order = new Integer[cos.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(cos[b], cos[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int n = Math.min(k, order.length);
        List<Prediction> out = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            int i = order[r];
            out.add(new Prediction(labels.get(i), i, cos[i], p[i]));
        }
        return out;
    }

    /** Cosine similarity of the image embedding with every class embedding, in label order. */
    public float[] scores(float[] imageEmbedding) {
        if (imageEmbedding.length != model.embedDim()) {
            throw new IllegalArgumentException("embedding has " + imageEmbedding.length + " dimensions, the model " + model.embedDim());
        }
        float[] e = Vectors.normalize(imageEmbedding);
        float[] cos = new float[classEmbeddings.length];
        for (int i = 0; i < cos.length; i++) cos[i] = Vectors.dot(e, classEmbeddings[i]);
        return cos;
    }

    public List<String> labels() { return labels; }
    public PromptTemplates templates() { return templates; }
    public Scoring scoring() { return scoring; }
    public ClipModel model() { return model; }

    /** A copy of the class embeddings [labels][E]. */
    public float[][] classEmbeddings() {
        float[][] c = new float[classEmbeddings.length][];
        for (int i = 0; i < c.length; i++) c[i] = classEmbeddings[i].clone();
        return c;
    }
}
