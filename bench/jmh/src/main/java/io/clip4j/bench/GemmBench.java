package io.clip4j.bench;

import io.clip4j.kernel.Activation;
import io.clip4j.kernel.Ops;
import io.clip4j.kernel.Parallel;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * GEMM at ViT-B/32 shapes: {@code shape} = "NxCxOC" (32 images × 50 tokens = 1600 rows; 77 = one text sequence).
 * The {@code gflops} aux counter reports the achieved rate (ops/s × 2·N·C·OC / 1e9); {@code threads} caps the kernel's
 * threads (1 = single core). Example: {@code java -jar bench/jmh/target/benchmarks.jar GemmBench -p threads=1}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Thread)
public class GemmBench {
    @Param({"1600x768x3072", "1600x3072x768", "1600x768x2304", "1600x768x768", "77x768x3072", "77x512x2048", "1x768x768"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"NONE"})
    public Activation act;

    int N, C, OC;
    float[] inp, w, bias, out;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        N = Integer.parseInt(p[0].trim());
        C = Integer.parseInt(p[1].trim());
        OC = Integer.parseInt(p[2].trim());
        SplittableRandom r = new SplittableRandom(42);
        inp = new float[N * C];
        w = new float[OC * C];
        bias = new float[OC];
        out = new float[N * OC];
        for (int i = 0; i < inp.length; i++) inp[i] = (float) r.nextDouble(-1, 1);
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextDouble(-0.05, 0.05);
        for (int i = 0; i < OC; i++) bias[i] = (float) r.nextDouble(-0.1, 0.1);
    }

    /** Counts floating-point operations; JMH reports them per second, scaled here to GFLOP. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() { gflop = 0; }
    }

    @Benchmark
    public float[] matmul(Flops f) {
        Parallel.withMaxThreads(threads, () -> Ops.matmul(out, inp, w, bias, N, C, OC, act));
        f.gflop += 2.0 * N * C * OC * 1e-9;
        return out;
    }
}
