package io.clip4j.bench;

import io.clip4j.kernel.Ops;
import io.clip4j.kernel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Attention at ViT-B/32 shapes: {@code shape} = "BxTxCxH[xcausal]" (32 images × 50 tokens; 32 texts × 77 tokens, causal). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class AttentionBench {
    @Param({"32x50x768x12", "32x77x512x8xcausal", "1x77x512x8xcausal"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    int B, T, C, H;
    boolean causal;
    float[] qkv, out;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        B = Integer.parseInt(p[0]);
        T = Integer.parseInt(p[1]);
        C = Integer.parseInt(p[2]);
        H = Integer.parseInt(p[3]);
        causal = p.length > 4 && p[4].equals("causal");
        SplittableRandom r = new SplittableRandom(7);
        qkv = new float[B * T * 3 * C];
        out = new float[B * T * C];
        for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextDouble(-1, 1);
    }

    @Benchmark
    public float[] attention() {
        Parallel.withMaxThreads(threads, () -> Ops.attention(out, qkv, B, T, C, H, causal));
        return out;
    }
}
