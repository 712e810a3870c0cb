package io.github.rpo4j.benchmarks;

import io.github.rpo4j.tensor.FusedKernels;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The cases of {@link FusedKernelBenchmark} timed in CPU time of the calling thread (which with one
 * native thread does all the work) instead of wall time: on a machine shared with other jobs wall
 * time moves with their load, CPU time far less. Each case: 3 warm-up calls, then the best of 5
 * rounds of 5 calls, kernels on and off. Prints a Markdown table.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.rpo4j.benchmarks.FusedKernelCpuTime}
 */
public final class FusedKernelCpuTime {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private FusedKernelCpuTime() {
    }

    private static double cpuMillis(Runnable call) {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long c0 = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < 5; i++) {
                call.run();
            }
            best = Math.min(best, (THREADS.getCurrentThreadCpuTime() - c0) / 1e6 / 5);
        }
        return best;
    }

    public static void main(String[] args) {
        NativeThreads.applyDefaults();
        Nd4j.getRandom().setSeed(0);
        Tensor mlp = Tensor.param(Nd4j.randn(DataType.FLOAT, 2048, 1024)); // M's MLP activations (B*T, 4C)
        INDArray mlpSeed = Nd4j.randn(DataType.FLOAT, 2048, 1024);
        Tensor rows = Tensor.param(Nd4j.randn(DataType.FLOAT, 2048, 256)); // (B*T, C)
        Tensor gamma = Tensor.param(Nd4j.randn(DataType.FLOAT, 256));
        Tensor beta = Tensor.param(Nd4j.randn(DataType.FLOAT, 256));
        INDArray rowsSeed = Nd4j.randn(DataType.FLOAT, 2048, 256);
        Tensor q = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32)); // (B*H, T, D)
        Tensor k = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32));
        Tensor v = Tensor.param(Nd4j.randn(DataType.FLOAT, 64, 256, 32));
        INDArray attSeed = Nd4j.randn(DataType.FLOAT, 64, 256, 32);
        String[] names = {"GELU forward (2048, 1024)", "GELU forward+backward", "LayerNorm forward (2048, 256)",
            "LayerNorm forward+backward", "attention forward (64, 256, 32)", "attention forward+backward"};
        Runnable[] calls = {
            () -> {
                try (Tape.Scope ignored = Tape.noGrad()) {
                    mlp.gelu();
                }
            },
            () -> {
                mlp.zeroGrad();
                mlp.gelu().backward(mlpSeed);
            },
            () -> {
                try (Tape.Scope ignored = Tape.noGrad()) {
                    Ops.layerNorm(rows, gamma, beta, 1e-5);
                }
            },
            () -> {
                rows.zeroGrad();
                gamma.zeroGrad();
                beta.zeroGrad();
                Ops.layerNorm(rows, gamma, beta, 1e-5).backward(rowsSeed);
            },
            () -> {
                try (Tape.Scope ignored = Tape.noGrad()) {
                    Ops.causalAttention(q, k, v, null);
                }
            },
            () -> {
                q.zeroGrad();
                k.zeroGrad();
                v.zeroGrad();
                Ops.causalAttention(q, k, v, null).backward(attSeed);
            }};
        System.out.println("| case | fused, CPU ms | ND4J composition, CPU ms | composition / fused |");
        System.out.println("|---|---|---|---|");
        for (int i = 0; i < calls.length; i++) {
            FusedKernels.setEnabled(true);
            double fused = cpuMillis(calls[i]);
            FusedKernels.setEnabled(false);
            double composition = cpuMillis(calls[i]);
            System.out.printf("| %s | %.1f | %.1f | %.2fx |%n", names[i], fused, composition, composition / fused);
        }
        FusedKernels.setEnabled(true);
    }
}
