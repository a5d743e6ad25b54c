package io.clip4j.testing;

import io.clip4j.model.Activation;
import io.clip4j.model.Encoder;
import io.clip4j.model.TowerConfig;
import io.clip4j.nn.ParamSource;

import java.util.SplittableRandom;

/** Encoders with random weights for tests: LayerNorm gains near 1, every other value uniform in ±scale. */
public final class RandomEncoders {
    private RandomEncoders() {}

    public static Encoder encoder(long seed, int C, int I, int layers, int heads, Activation act, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        ParamSource src = (name, shape) -> {
            int n = 1;
            for (int d : shape) n *= d;
            float[] v = new float[n];
            boolean gain = name.contains("layer_norm") && name.endsWith(".weight");
            for (int i = 0; i < n; i++) v[i] = (gain ? 1f : 0f) + (float) r.nextDouble(-scale, scale);
            return v;
        };
        return new Encoder(src, "enc", new TowerConfig(C, I, layers, heads, 1e-5f, act));
    }
}
