package io.clip4j.train;

import io.clip4j.kernel.Activation;
import io.clip4j.kernel.Ops;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.RandomInit;
import io.clip4j.nn.Param;
import io.clip4j.text.Tokenizer;
import io.clip4j.text.Tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fixed workload over the kernels and the training step whose results {@link JitTierTest} compares bit for bit
 * between JIT tiers: one line "name hash" per result. The main method prints them (run in a child JVM).
 */
final class TierWorkload {
    private TierWorkload() {}

    public static void main(String[] args) throws Exception {
        for (String l : run()) System.out.println(l);
    }

    static List<String> run() throws Exception {
        List<String> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(42);

        // activations over a dense range (both fast and slow paths of the exp), with odd lengths (scalar tails)
        float[] xs = new float[100_003];
        for (int i = 0; i < xs.length; i++) xs[i] = -60f + 120f * i / xs.length;
        xs[7] = Float.NaN; xs[8] = Float.POSITIVE_INFINITY; xs[9] = Float.NEGATIVE_INFINITY; xs[10] = -0f; xs[11] = 1e-40f;
        for (Activation a : Activation.values()) {
            float[] y = xs.clone();
            Ops.activation(a, y, y.length);
            out.add("activation." + a + " " + hash(y));
        }

        // layer norm (odd width), attention (causal, padded keys), GEMMs of each path with fused activations
        int N = 37, C = 203;
        float[] x = rand(r, N * C, 3), g = rand(r, C, 1), b = rand(r, C, 1), ln = new float[N * C];
        Ops.layerNorm(ln, x, g, b, N, C, 1e-5f);
        out.add("layerNorm " + hash(ln));
        int B = 3, T = 19, AC = 48, H = 3;
        float[] qkv = rand(r, B * T * 3 * AC, 2), att = new float[B * T * AC];
        Ops.attention(att, qkv, B, T, AC, H, false);
        out.add("attention " + hash(att));
        Ops.attention(att, qkv, B, T, AC, H, true, new int[]{19, 7, 12});
        out.add("attention.causal.masked " + hash(att));
        for (int rows : new int[]{2, 5, 50}) {
            int K = 70, OC = 90;
            float[] in = rand(r, rows * K, 1), w = rand(r, OC * K, 0.3f), bias = rand(r, OC, 0.3f), o = new float[rows * OC];
            for (Activation a : Activation.values()) {
                Ops.matmul(o, in, w, bias, rows, K, OC, a);
                out.add("matmul." + rows + "." + a + " " + hash(o));
            }
        }

        // three AdamW training steps of a micro CLIP on a fixed batch
        ModelConfig cfg = TrainTesting.micro();
        ClipModel m = new ClipModel(cfg, new RandomInit(cfg, 3), cfg.logitScaleInit());
        Tokenizer tok = Tokenizers.load(TrainTesting.tokenizerDir());
        TrainStep step = TrainStep.adamw(m, LrSchedule.cosine(1e-3, 1, 3), 0.2);
        float[] px = rand(r, 4 * 3 * 32 * 32, 1);
        int[][] ids = tok.tokenize(List.of("an emoji of a dog", "a red circle", "an emoji of a taco with lettuce", "full moon"), 77, true);
        for (int k = 0; k < 3; k++) out.add("train.loss." + k + " " + Integer.toHexString(Float.floatToRawIntBits(step.run(px, ids).loss())));
        long h = 0;
        for (Param p : step.graph().params()) h = h * 31 + Long.parseUnsignedLong(hash(p.data), 16);
        out.add("train.params " + Long.toHexString(h));
        return out;
    }

    private static float[] rand(SplittableRandom r, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** A hash of the values' bits (every NaN counted as the canonical one: NaN payloads are not part of the contract). */
    private static String hash(float[] a) {
        long h = 1125899906842597L;
        for (float v : a) h = 31 * h + Float.floatToIntBits(v);
        return Long.toHexString(h);
    }
}
