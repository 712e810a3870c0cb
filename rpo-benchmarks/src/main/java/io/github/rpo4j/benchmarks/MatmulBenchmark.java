package io.github.rpo4j.benchmarks;

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
 * Float32 matrix products at the shapes of one training step's forward pass, through
 * {@code Nd4j.gemm} as {@code Tensor.matmul} calls it. Rows are B x T = 2048 tokens for every
 * configuration (S: 16 x 128, M and L: 8 x 256).
 *
 * <p>The score is milliseconds per product; GFLOP/s = 2 m k n / time. {@link MatmulPeak} prints the
 * same shapes directly as GFLOP/s, with the 1024-cube figure taken as the machine's sgemm peak.
 *
 * <p>Run: {@code java -jar benchmarks.jar MatmulBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class MatmulBenchmark {

    /** Configuration and product: qkv (N,C)x(C,3C), fc (N,C)x(C,4C), mlpProj (N,4C)x(4C,C), head (N,C)x(V,C)^T. */
    @Param({"S.qkv", "S.fc", "S.mlpProj", "S.head", "M.qkv", "M.fc", "M.mlpProj", "M.head",
            "L.qkv", "L.fc", "L.mlpProj", "L.head"})
    public String shape;

    private INDArray a;
    private INDArray b;
    private INDArray c;
    private boolean transB;

    @Setup(Level.Trial)
    public void setUp() {
        ModelShape s = ModelShape.parse(shape);
        a = Nd4j.rand(DataType.FLOAT, s.m(), s.k());
        b = s.transB() ? Nd4j.rand(DataType.FLOAT, s.n(), s.k()) : Nd4j.rand(DataType.FLOAT, s.k(), s.n());
        c = Nd4j.create(DataType.FLOAT, s.m(), s.n());
        transB = s.transB();
    }

    @Benchmark
    public INDArray gemm() {
        return Nd4j.gemm(a, b, c, false, transB, 1.0, 0.0);
    }
}
