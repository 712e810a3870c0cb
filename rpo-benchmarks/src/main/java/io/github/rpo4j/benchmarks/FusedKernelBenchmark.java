package io.github.rpo4j.benchmarks;

import io.github.rpo4j.tensor.FusedKernels;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Each single-pass kernel of {@link FusedKernels} beside the ND4J composition it replaced
 * ({@code kernels=fused} vs {@code kernels=composition}), at M training's shapes, float32:
 * GELU on the MLP's (B*T, 4C) = (2048, 1024); LayerNorm on (B*T, C) = (2048, 256); attention's
 * scale, causal mask and softmax (and its gradient) inside {@link Ops#causalAttention} on
 * (B*H, T, D) = (64, 256, 32). Forward alone (no tape) and forward plus backward.
 *
 * <p>Run: {@code java -jar benchmarks.jar FusedKernelBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Dorg.bytedeco.javacpp.maxbytes=2G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=6G", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class FusedKernelBenchmark {

    @Param({"fused", "composition"})
    public String kernels;

    private Tensor mlp; // (2048, 1024)
    private INDArray mlpSeed;
    private Tensor rows; // (2048, 256)
    private Tensor gamma;
    private Tensor beta;
    private INDArray rowsSeed;
    private Tensor q;
    private Tensor k;
    private Tensor v;
    private INDArray attSeed;

    @Setup(Level.Trial)
    public void setUp() {
        FusedKernels.setEnabled(kernels.equals("fused"));
        Nd4j.getRandom().setSeed(0);
        mlp = Tensor.param(Nd4j.randn(DataType.FLOAT, 2048, 1024));
        mlpSeed = Nd4j.randn(DataType.FLOAT, 2048, 1024);
        rows = Tensor.param(Nd4j.randn(DataType.FLOAT, 2048, 256));
        gamma = Tensor.param(Nd4j.randn(DataType.FLOAT, 256));
        beta = Tensor.param(Nd4j.randn(DataType.FLOAT, 256));
        rowsSeed = Nd4j.randn(DataType.FLOAT, 2048, 256);
        q = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32));
        k = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32));
        v = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32));
        attSeed = Nd4j.randn(DataType.FLOAT, 64, 256, 32);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        FusedKernels.setEnabled(true);
    }

    @Benchmark
    public INDArray geluForward() {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return mlp.gelu().value();
        }
    }

    @Benchmark
    public INDArray geluForwardBackward() {
        mlp.zeroGrad();
        mlp.gelu().backward(mlpSeed);
        return mlp.grad();
    }

    @Benchmark
    public INDArray layerNormForward() {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return Ops.layerNorm(rows, gamma, beta, 1e-5).value();
        }
    }

    @Benchmark
    public INDArray layerNormForwardBackward() {
        rows.zeroGrad();
        gamma.zeroGrad();
        beta.zeroGrad();
        Ops.layerNorm(rows, gamma, beta, 1e-5).backward(rowsSeed);
        return rows.grad();
    }

    @Benchmark
    public INDArray attentionForward() {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return Ops.causalAttention(q, k, v, null).value();
        }
    }

    @Benchmark
    public INDArray attentionForwardBackward() {
        q.zeroGrad();
        k.zeroGrad();
        v.zeroGrad();
        Ops.causalAttention(q, k, v, null).backward(attSeed);
        return q.grad();
    }
}
