package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ImageBatch;
import io.clip4j.model.Vectors;
import io.clip4j.text.TextInput;
import io.clip4j.text.Tokenizer;
import io.clip4j.train.data.CaptionTable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Retrieval and zero-shot evaluation over an image–caption table.
 * <ul>
 *   <li>Retrieval: every image against every distinct caption string of the set. image→text recall@K: the share of
 *       images with one of their own captions among the K nearest captions; text→image recall@K: the share of
 *       captions with one of their images (a caption may belong to several) among the K nearest images.</li>
 *   <li>Zero-shot classification: each image among the classes (the distinct values of a metadata field over the
 *       evaluated images), each class embedded as a prompt template ({@code "an emoji of {name}"}; {@code {field}}
 *       is the value, {@code {field:lower}} its lower case); top-1 and top-5 accuracy.</li>
 *   <li>Loss: the model family's training loss (CLIP: contrastive; SigLIP: sigmoid, with the logit bias) over
 *       consecutive batches of the images with their first caption.</li>
 * </ul>
 * Retrieval and zero-shot rank by cosine similarity, which orders pairs exactly as the family's scores do (CLIP's
 * scaled logits, SigLIP's sigmoid(scale·cos + bias): both increase with the cosine).
 * Images use the eval transform (no augmentation); failed images are skipped and counted.
 */
public final class Evaluation {
    private Evaluation() {}

    public static final int[] KS = {1, 5, 10};

    /** A zero-shot task: classify by metadata field with a prompt template. */
    public record ZeroShot(String field, String template) {
        /** "field=template" or just a template whose first {placeholder} names the field. */
        public static ZeroShot parse(String spec) {
            int eq = spec.indexOf('=');
            int brace = spec.indexOf('{');
            if (eq > 0 && (brace < 0 || eq < brace)) {
                ZeroShot z = new ZeroShot(spec.substring(0, eq).trim(), spec.substring(eq + 1));
                // without the field in it every class gets the same prompt, and every image ties with every class
                if (!z.template.contains("{" + z.field + "}") && !z.template.contains("{" + z.field + ":lower}"))
                    throw new Clip4jException("zero-shot template \"" + z.template + "\" does not contain {" + z.field + "}");
                return z;
            }
            int close = spec.indexOf('}', brace);
            if (brace < 0 || close < 0) throw new Clip4jException("zero-shot template \"" + spec + "\" names no {field}");
            String f = spec.substring(brace + 1, close);
            int colon = f.indexOf(':');
            return new ZeroShot(colon < 0 ? f : f.substring(0, colon), spec);
        }

        public String prompt(String value) {
            return template.replace("{" + field + "}", value).replace("{" + field + ":lower}", value.toLowerCase(Locale.ROOT));
        }
    }

    /** The emoji dataset's two tasks: the name among all names, the category among all categories. */
    public static final List<ZeroShot> EMOJI_TASKS = List.of(new ZeroShot("name", "an emoji of {name}"),
            new ZeroShot("category", "an emoji from the {category:lower} category"));

    public record ZeroShotResult(String field, String template, int classes, int images, double top1, double top5) {}

    /** lossName: "contrastive" or "sigmoid", the loss of {@code loss}. */
    public record Report(int images, int texts, int skipped, double[] imageToText, double[] textToImage, double meanRecall,
                         double loss, String lossName, List<ZeroShotResult> zeroShot) {
        public ObjectNode toJson() {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("images", images).put("texts", texts).put("skipped", skipped);
            for (int i = 0; i < KS.length; i++) {
                o.put("image_to_text_R@" + KS[i], imageToText[i]);
                o.put("text_to_image_R@" + KS[i], textToImage[i]);
            }
            o.put("mean_recall", meanRecall);
            if (!Double.isNaN(loss)) o.put("loss", loss).put("loss_type", lossName);
            for (ZeroShotResult z : zeroShot) {
                ObjectNode n = o.putObject("zero_shot_" + z.field());
                n.put("template", z.template()).put("classes", z.classes()).put("images", z.images()).put("top1", z.top1()).put("top5", z.top5());
            }
            return o;
        }

        /** A plain-text table. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%d images, %d captions%s%n", images, texts, skipped > 0 ? ", " + skipped + " skipped" : ""));
            sb.append(String.format(Locale.ROOT, "%-16s %8s %8s %8s%n", "retrieval", "R@1", "R@5", "R@10"));
            sb.append(String.format(Locale.ROOT, "%-16s %8.2f %8.2f %8.2f%n", "image → text", 100 * imageToText[0], 100 * imageToText[1], 100 * imageToText[2]));
            sb.append(String.format(Locale.ROOT, "%-16s %8.2f %8.2f %8.2f%n", "text → image", 100 * textToImage[0], 100 * textToImage[1], 100 * textToImage[2]));
            sb.append(String.format(Locale.ROOT, "mean recall %.2f%n", 100 * meanRecall));
            if (!Double.isNaN(loss)) sb.append(String.format(Locale.ROOT, "%s loss %.4f%n", lossName, loss));
            for (ZeroShotResult z : zeroShot) {
                sb.append(String.format(Locale.ROOT, "zero-shot %-10s top-1 %6.2f  top-5 %6.2f  (%d classes, \"%s\")%n", z.field(),
                        100 * z.top1(), 100 * z.top5(), z.classes(), z.template()));
            }
            return sb.toString();
        }
    }

    /**
     * metadata.jsonl rows keyed by absolute normalised image path ({@code path} relative to the metadata file). The file
     * must be UTF-8 and a row's string fields Unicode text (their values become zero-shot classes).
     */
    public static Map<Path, JsonNode> readMetadata(Path jsonl) {
        Map<Path, JsonNode> out = new HashMap<>();
        ObjectMapper om = new ObjectMapper();
        Path base = jsonl.toAbsolutePath().getParent();
        try {
            int line = 0;
            for (String l : TextInput.readUtf8(jsonl).lines().toList()) {
                line++;
                if (l.isBlank()) continue;
                JsonNode n = om.readTree(l);
                for (var f : n.properties()) {
                    if (f.getValue().isTextual()) TextInput.requireUnicode(f.getValue().asText(), jsonl + ":" + line + ": \"" + f.getKey() + "\"");
                }
                if (n.hasNonNull("path")) out.put(base.resolve(n.get("path").asText()).normalize(), n);
            }
        } catch (IOException e) {
            throw new Clip4jException("cannot read metadata " + jsonl + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Evaluates a model on items with the model's own logit bias (see the overload). */
    public static Report run(ClipModel model, Tokenizer tokenizer, Augment evalTransform, List<CaptionTable.Item> items, int batchSize,
                             float logitScale, Map<Path, JsonNode> metadata, List<ZeroShot> tasks, Consumer<String> warn) {
        return run(model, tokenizer, evalTransform, items, batchSize, logitScale, model.logitBias(), metadata, tasks, warn);
    }

    /**
     * Evaluates a model on items.
     * @param logitScale for the loss (the model's current ln temperature)
     * @param logitBias  for the loss of a SigLIP model (its current bias; unused for CLIP)
     * @param metadata   image path → metadata row (for zero-shot), or null
     */
    public static Report run(ClipModel model, Tokenizer tokenizer, Augment evalTransform, List<CaptionTable.Item> items, int batchSize,
                             float logitScale, float logitBias, Map<Path, JsonNode> metadata, List<ZeroShot> tasks, Consumer<String> warn) {
        int n = items.size(), per = evalTransform.floatsPerImage();
        float[][] pixels = new float[n][];
        int[][] gridOf = new int[n][];                   // NaFlex patch grids (null for pixels)
        String[] errors = new String[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            try {
                float[] px = new float[per];
                gridOf[i] = evalTransform.apply(items.get(i).image(), null, px, 0);
                pixels[i] = px;
            } catch (RuntimeException e) {
                errors[i] = e.getMessage();
            }
        });
        List<CaptionTable.Item> good = new ArrayList<>();
        List<float[]> goodPx = new ArrayList<>();
        List<int[]> goodGrids = new ArrayList<>();
        int skipped = 0;
        for (int i = 0; i < n; i++) {
            if (pixels[i] == null) { skipped++; warn.accept("skipping " + items.get(i).key() + ": " + errors[i]); }
            else { good.add(items.get(i)); goodPx.add(pixels[i]); goodGrids.add(gridOf[i]); }
        }
        if (good.isEmpty()) throw new Clip4jException("no readable image to evaluate");
        int G = good.size();
        float[][] imgFeat = new float[G][];
        for (int s = 0; s < G; s += batchSize) {
            int B = Math.min(batchSize, G - s);
            float[] batch = new float[B * per];
            for (int b = 0; b < B; b++) System.arraycopy(goodPx.get(s + b), 0, batch, b * per, per);
            float[][] f;
            if (evalTransform.isNaFlex()) {
                int[][] grids = goodGrids.subList(s, s + B).toArray(new int[0][]);
                f = model.encode(new ImageBatch(batch, B, evalTransform.maxPatches(), grids), null);
            } else {
                f = model.encodePixels(batch, B);
            }
            System.arraycopy(f, 0, imgFeat, s, B);
        }
        // distinct captions, and which images each belongs to
        LinkedHashMap<String, Integer> textIndex = new LinkedHashMap<>();
        List<List<Integer>> imageTexts = new ArrayList<>();
        List<List<Integer>> textImages = new ArrayList<>();
        for (int i = 0; i < G; i++) {
            List<Integer> mine = new ArrayList<>();
            for (String c : good.get(i).captions()) {
                Integer t = textIndex.get(c);
                if (t == null) { t = textIndex.size(); textIndex.put(c, t); textImages.add(new ArrayList<>()); }
                if (!mine.contains(t)) { mine.add(t); textImages.get(t).add(i); }
            }
            imageTexts.add(mine);
        }
        List<String> texts = new ArrayList<>(textIndex.keySet());
        float[][] txtFeat = textFeatures(model, tokenizer, texts, batchSize);
        float[][] img = Vectors.normalizeRows(imgFeat), txt = Vectors.normalizeRows(txtFeat);
        double[] i2t = recall(img, txt, imageTexts), t2i = recall(txt, img, textImages);
        double mean = 0;
        for (int k = 0; k < KS.length; k++) mean += i2t[k] + t2i[k];
        mean /= 2 * KS.length;

        // loss over consecutive batches, first caption of each image
        boolean sigmoid = model.family() != Family.CLIP;
        double lossSum = 0;
        int lossBatches = 0;
        int E = model.embedDim();
        for (int s = 0; s + 1 < G; s += batchSize) {
            int B = Math.min(batchSize, G - s);
            if (B < 2) break;
            float[] a = new float[B * E], t = new float[B * E];
            for (int b = 0; b < B; b++) {
                System.arraycopy(imgFeat[s + b], 0, a, b * E, E);
                System.arraycopy(txtFeat[imageTexts.get(s + b).get(0)], 0, t, b * E, E);
            }
            lossSum += sigmoid ? SigmoidLoss.compute(a, t, B, E, logitScale, logitBias).loss() : ContrastiveLoss.compute(a, t, B, E, logitScale).loss();
            lossBatches++;
        }
        double loss = lossBatches == 0 ? Double.NaN : lossSum / lossBatches;

        List<ZeroShotResult> zs = new ArrayList<>();
        if (metadata != null && tasks != null) {
            for (ZeroShot task : tasks) {
                String[] label = new String[G];
                TreeSet<String> classes = new TreeSet<>();
                for (int i = 0; i < G; i++) {
                    JsonNode m = metadata.get(good.get(i).image().toAbsolutePath().normalize());
                    if (m != null && m.hasNonNull(task.field())) { label[i] = m.get(task.field()).asText(); classes.add(label[i]); }
                }
                if (classes.isEmpty()) { warn.accept("zero-shot: no evaluated image has metadata field \"" + task.field() + "\""); continue; }
                List<String> cls = new ArrayList<>(classes);
                List<String> prompts = cls.stream().map(task::prompt).toList();
                float[][] ce = Vectors.normalizeRows(textFeatures(model, tokenizer, prompts, batchSize));
                Map<String, Integer> ci = new HashMap<>();
                for (int c = 0; c < cls.size(); c++) ci.put(cls.get(c), c);
                int total = 0, top1 = 0, top5 = 0;
                for (int i = 0; i < G; i++) {
                    if (label[i] == null) continue;
                    total++;
                    int truth = ci.get(label[i]);
                    double st = Vectors.dot(img[i], ce[truth]);
                    int better = 0;
                    for (int c = 0; c < ce.length; c++) if (c != truth && Vectors.dot(img[i], ce[c]) > st) better++;
                    if (better < 1) top1++;
                    if (better < 5) top5++;
                }
                zs.add(new ZeroShotResult(task.field(), task.template(), cls.size(), total, (double) top1 / total, (double) top5 / total));
            }
        }
        return new Report(G, texts.size(), skipped, i2t, t2i, mean, loss, sigmoid ? "sigmoid" : "contrastive", zs);
    }

    /** Recall@K of queries against keys: a query hits when one of its positives ranks among the first K (ties: strict). */
    static double[] recall(float[][] queries, float[][] keys, List<List<Integer>> positives) {
        int[] hits = new int[KS.length];
        for (int q = 0; q < queries.length; q++) {
            double[] s = new double[keys.length];
            for (int k = 0; k < keys.length; k++) s[k] = Vectors.dot(queries[q], keys[k]);
            double best = Double.NEGATIVE_INFINITY;
            for (int p : positives.get(q)) best = Math.max(best, s[p]);
            int rank = 0;                                // keys strictly better than the best positive
            for (int k = 0; k < keys.length; k++) if (s[k] > best) rank++;
            for (int i = 0; i < KS.length; i++) if (rank < KS[i]) hits[i]++;
        }
        double[] r = new double[KS.length];
        for (int i = 0; i < KS.length; i++) r[i] = (double) hits[i] / queries.length;
        return r;
    }

    /** Unnormalised text features with the given tokenizer, batches grouped by token length. */
    public static float[][] textFeatures(ClipModel model, Tokenizer tokenizer, List<String> texts, int batchSize) {
        int L = model.config().text().maxPositions();
        int[][] ids = tokenizer.tokenize(texts, L, true);
        Integer[] order = new Integer[ids.length];
        int[] len = new int[ids.length];
        for (int i = 0; i < ids.length; i++) { order[i] = i; len[i] = model.text().poolIndex(ids[i], 0, ids[i].length); }
        Arrays.sort(order, Comparator.comparingInt(i -> len[i]));
        float[][] out = new float[texts.size()][];
        for (int s = 0; s < ids.length; s += batchSize) {
            int B = Math.min(batchSize, ids.length - s);
            int[][] batch = new int[B][];
            for (int i = 0; i < B; i++) batch[i] = ids[order[s + i]];
            float[][] f = model.encodeTokens(batch);
            for (int i = 0; i < B; i++) out[order[s + i]] = f[i];
        }
        return out;
    }
}
