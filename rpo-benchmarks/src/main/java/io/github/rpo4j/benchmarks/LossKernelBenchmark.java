package io.github.rpo4j.benchmarks;

import io.github.rpo4j.losses.ObjectiveResult;
import io.github.rpo4j.losses.PreferenceBatch;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.losses.TokenLogProbs;
import io.github.rpo4j.losses.TokenLogProbsReference;
import io.github.rpo4j.losses.TokenLogProbsResult;
import java.util.Random;
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
 * The token log-prob kernel of rpo-losses, fused against the plain log-softmax + gather reference,
 * forward and backward, over 4,096 tokens (16 sequences of 256 positions, float32); and the RPO
 * objective (DPO + NLL) over a batch of pairs.
 *
 * <p>Run: {@code java -jar benchmarks.jar LossKernelBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=2G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=6G", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class LossKernelBenchmark {

    private static final int SEQUENCES = 16;
    private static final int POSITIONS = 256;

    @Param({"64", "512", "32000"})
    public int vocab;

    private INDArray logits; // (B*T, V)
    private INDArray targets; // (B, T)
    private INDArray mask; // (B, T)
    private double[] weights; // (B)
    private PreferenceBatch pairs;
    private final PreferenceLoss rpo = PreferenceLoss.rpo();

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(0);
        logits = Nd4j.rand(DataType.FLOAT, (long) SEQUENCES * POSITIONS, vocab).muli(4).subi(2);
        double[] t = new double[SEQUENCES * POSITIONS];
        double[] m = new double[SEQUENCES * POSITIONS];
        for (int i = 0; i < t.length; i++) {
            t[i] = random.nextInt(vocab);
            m[i] = i % POSITIONS >= POSITIONS / 4 ? 1 : 0; // the first quarter of each row is prompt
        }
        targets = Nd4j.create(t, new long[] {SEQUENCES, POSITIONS}, 'c');
        mask = Nd4j.create(m, new long[] {SEQUENCES, POSITIONS}, 'c');
        weights = new double[SEQUENCES];
        for (int b = 0; b < SEQUENCES; b++) {
            weights[b] = random.nextGaussian();
        }
        int n = 256;
        double[] pc = new double[n];
        double[] pr = new double[n];
        double[] rc = new double[n];
        double[] rr = new double[n];
        int[] lc = new int[n];
        int[] lr = new int[n];
        for (int i = 0; i < n; i++) {
            pc[i] = -20 - 10 * random.nextDouble();
            pr[i] = -20 - 10 * random.nextDouble();
            rc[i] = pc[i] + random.nextGaussian();
            rr[i] = pr[i] + random.nextGaussian();
            lc[i] = 20 + random.nextInt(40);
            lr[i] = 20 + random.nextInt(40);
        }
        pairs = new PreferenceBatch(pc, pr, rc, rr, lc, lr);
    }

    @Benchmark
    public TokenLogProbsResult fusedForward() {
        return TokenLogProbs.forward(logits, targets, mask);
    }

    @Benchmark
    public TokenLogProbsResult referenceForward() {
        return TokenLogProbsReference.forward(logits, targets, mask);
    }

    @Benchmark
    public INDArray fusedBackward() {
        return TokenLogProbs.backwardFromSequenceWeights(logits, targets, mask, weights);
    }

    @Benchmark
    public INDArray referenceBackward() {
        return TokenLogProbsReference.backwardFromSequenceWeights(logits, targets, mask, weights);
    }

    /** DPO + NLL over 256 pairs (independent of the vocabulary; measured once per vocab parameter). */
    @Benchmark
    public ObjectiveResult rpoObjective() {
        return rpo.compute(pairs);
    }
}
