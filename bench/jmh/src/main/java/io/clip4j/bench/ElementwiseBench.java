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

/** LayerNorm over [N, 768] and the activations over [N, 3072] (N = 1600 = 32 images × 50 tokens). */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class ElementwiseBench {
    @Param({"1600"})
    public int N;

    @Param({"1", "2"})
    public int threads;

    final int C = 768;
    float[] x, ln, g, b, h, h0;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(3);
        x = new float[N * C];
        ln = new float[N * C];
        g = new float[C];
        b = new float[C];
        h0 = new float[N * 4 * C];
        h = new float[N * 4 * C];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble(-2, 2);
        for (int i = 0; i < h0.length; i++) h0[i] = (float) r.nextDouble(-4, 4);
        for (int i = 0; i < C; i++) { g[i] = 1f + (float) r.nextDouble(-0.1, 0.1); b[i] = (float) r.nextDouble(-0.1, 0.1); }
    }

    @Benchmark
    public float[] layerNorm() {
        Parallel.withMaxThreads(threads, () -> Ops.layerNorm(ln, x, g, b, N, C, 1e-5f));
        return ln;
    }

    /** Copies fresh input then applies QuickGELU (the copy is part of the measured time). */
    @Benchmark
    public float[] quickGelu() {
        System.arraycopy(h0, 0, h, 0, h.length);
        Parallel.withMaxThreads(threads, () -> Ops.quickGelu(h, h.length));
        return h;
    }

    @Benchmark
    public float[] gelu() {
        System.arraycopy(h0, 0, h, 0, h.length);
        Parallel.withMaxThreads(threads, () -> Ops.gelu(h, h.length));
        return h;
    }

    @Benchmark
    public float[] geluTanh() {
        System.arraycopy(h0, 0, h, 0, h.length);
        Parallel.withMaxThreads(threads, () -> Ops.geluTanh(h, h.length));
        return h;
    }

    @Benchmark
    public float[] addInPlace() {
        Parallel.withMaxThreads(threads, () -> Ops.addInPlace(ln, x, x.length));
        return ln;
    }
}
