package io.github.rpo4j.benchmarks;

import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * The fused causal attention node ({@link Ops#causalAttention}) against the same computation
 * composed of primitive tensor ops, forward alone and forward plus backward, float32.
 *
 * <p>Shapes follow the model configurations: S = 4 heads of width 32, batch 16; M = 8 heads of
 * width 32, batch 8; L = 8 heads of width 64, batch 8; heads are folded into the batch axis (BH =
 * batch x heads) as the model does. At T = 1024 the batch is 1, so that a run stays practical on a
 * small machine; compare times per (BH, T) only within one T.
 *
 * <p>Run: {@code java -jar benchmarks.jar AttentionBenchmark -p config=S -p time=512}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=2G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=6G", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class AttentionBenchmark {

    @Param({"S", "M", "L"})
    public String config;

    @Param({"128", "512", "1024"})
    public int time;

    private Tensor q;
    private Tensor k;
    private Tensor v;
    private Tensor mask;
    private INDArray seed;
    private double scale;

    @Setup(Level.Trial)
    public void setUp() {
        int heads;
        int headWidth;
        int batch;
        switch (config) {
            case "S" -> { heads = 4; headWidth = 32; batch = 16; }
            case "M" -> { heads = 8; headWidth = 32; batch = 8; }
            case "L" -> { heads = 8; headWidth = 64; batch = 8; }
            default -> throw new IllegalArgumentException("unknown config " + config);
        }
        if (time >= 1024) {
            batch = 1;
        }
        long bh = (long) batch * heads;
        Nd4j.getRandom().setSeed(0);
        q = Tensor.param(Nd4j.randn(DataType.FLOAT, bh, time, headWidth));
        k = Tensor.param(Nd4j.randn(DataType.FLOAT, bh, time, headWidth));
        v = Tensor.param(Nd4j.randn(DataType.FLOAT, bh, time, headWidth));
        seed = Nd4j.randn(DataType.FLOAT, bh, time, headWidth);
        scale = 1.0 / Math.sqrt(headWidth);
        float[] m = new float[time * time];
        for (int i = 0; i < time; i++) {
            for (int j = i + 1; j < time; j++) {
                m[i * time + j] = -1e9f;
            }
        }
        mask = Tensor.constant(Nd4j.create(m, new long[] {1, time, time}, 'c'));
    }

    private Tensor unfused() {
        return q.matmul(k, false, true).scale(scale).add(mask).softmax().matmul(v);
    }

    private Tensor fused() {
        return Ops.causalAttention(q, k, v, null);
    }

    @Benchmark
    public INDArray fusedForward() {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return fused().value();
        }
    }

    @Benchmark
    public INDArray unfusedForward() {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return unfused().value();
        }
    }

    @Benchmark
    public INDArray fusedForwardBackward() {
        zeroGrads();
        fused().backward(seed);
        return q.grad();
    }

    @Benchmark
    public INDArray unfusedForwardBackward() {
        zeroGrads();
        unfused().backward(seed);
        return q.grad();
    }

    private void zeroGrads() {
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
    }
}
