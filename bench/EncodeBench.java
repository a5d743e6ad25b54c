import io.clip4j.kernel.Parallel;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageInput;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Steady-state image-encode throughput of one process: the vision tower's forward pass only, no decoding or
 * preprocessing in the timed part. Run by bench/compare.py (a Java source-file program, on the CLI's class path):
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m [-Dclip4j.threads=N] \
 *     -cp 'clip4j-cli/target/lib/*' bench/EncodeBench.java model=DIR [images=LIST] [batch=32] [warmup=1] [batches=3]
 * </pre>
 *
 * Loads the model, preprocesses {@code batch} images (the first lines of {@code images}, a file with one path a
 * line, repeated when it has fewer; random pixels without it), encodes {@code warmup} batches untimed so that the
 * kernels are compiled, then times {@code batches} calls of {@link ClipModel#encodeImages} on that batch. Prints one
 * JSON line: threads, batch, batches, load_s, batch_s (each timed batch), images_per_s (all timed images / their
 * total time).
 */
public final class EncodeBench {
    public static void main(String[] args) throws Exception {
        String model = null, images = null;
        int batch = 32, warmup = 1, batches = 3;
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("arguments are key=value, got " + a);
            String k = a.substring(0, eq), v = a.substring(eq + 1);
            switch (k) {
                case "model" -> model = v;
                case "images" -> images = v;
                case "batch" -> batch = Integer.parseInt(v);
                case "warmup" -> warmup = Integer.parseInt(v);
                case "batches" -> batches = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown argument " + k);
            }
        }
        if (model == null) throw new IllegalArgumentException("model=DIR is required");
        if (batch < 1 || batches < 1 || warmup < 0) throw new IllegalArgumentException("batch and batches must be >= 1, warmup >= 0");

        long t0 = System.nanoTime();
        try (ClipModel m = ClipModel.load(Path.of(model))) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            List<ImageInput> inputs = new ArrayList<>(batch);
            if (images != null) {
                List<String> paths = Files.readAllLines(Path.of(images)).stream().filter(s -> !s.isBlank()).toList();
                if (paths.isEmpty()) throw new IllegalArgumentException(images + " lists no images");
                for (int i = 0; i < batch; i++) inputs.add(m.preprocess(Path.of(paths.get(i % paths.size()))));
            } else {
                int s = m.config().vision().imageSize();
                java.util.SplittableRandom r = new java.util.SplittableRandom(0);
                for (int i = 0; i < batch; i++) {
                    float[] px = new float[3 * s * s];
                    for (int j = 0; j < px.length; j++) px[j] = (float) r.nextDouble(-2, 2);
                    inputs.add(ImageInput.pixels(px));
                }
            }
            for (int i = 0; i < warmup; i++) m.encodeImages(inputs);
            double[] times = new double[batches];
            double total = 0;
            for (int i = 0; i < batches; i++) {
                long a = System.nanoTime();
                float[][] f = m.encodeImages(inputs);
                times[i] = (System.nanoTime() - a) / 1e9;
                total += times[i];
                if (f.length != batch) throw new IllegalStateException("got " + f.length + " features for " + batch + " images");
            }
            StringBuilder bs = new StringBuilder();
            for (double t : times) bs.append(bs.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", t));
            System.out.printf(Locale.ROOT, "{\"threads\": %d, \"batch\": %d, \"warmup\": %d, \"batches\": %d, \"load_s\": %.4f, "
                            + "\"batch_s\": [%s], \"images_per_s\": %.4f}%n",
                    Parallel.threads(), batch, warmup, batches, loadS, bs, batch * batches / total);
        }
    }
}
