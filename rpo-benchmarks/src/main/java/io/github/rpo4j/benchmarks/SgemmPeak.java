package io.github.rpo4j.benchmarks;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Times float32 matrix products through Nd4j.gemm (OpenBLAS sgemm on the CPU backend). */
final class SgemmPeak {

    private SgemmPeak() {
    }

    /**
     * GFLOP/s of C = op(A) op(B) with A (m, k) and B (k, n) after transposes: the best of
     * {@code repeats} timings, each of as many products as fit in about {@code millisPerTiming}.
     */
    static double gflops(long m, long k, long n, boolean transB, int repeats, long millisPerTiming) {
        INDArray a = Nd4j.rand(DataType.FLOAT, m, k);
        INDArray b = transB ? Nd4j.rand(DataType.FLOAT, n, k) : Nd4j.rand(DataType.FLOAT, k, n);
        INDArray c = Nd4j.create(DataType.FLOAT, m, n);
        double flop = 2.0 * m * k * n;
        for (int i = 0; i < 3; i++) { // warm-up: thread pools, page faults, JIT
            Nd4j.gemm(a, b, c, false, transB, 1.0, 0.0);
        }
        long t0 = System.nanoTime();
        Nd4j.gemm(a, b, c, false, transB, 1.0, 0.0);
        long one = Math.max(1, System.nanoTime() - t0);
        int perTiming = (int) Math.max(1, millisPerTiming * 1_000_000L / one);
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < perTiming; i++) {
                Nd4j.gemm(a, b, c, false, transB, 1.0, 0.0);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            best = Math.max(best, flop * perTiming / seconds / 1e9);
        }
        return best;
    }

    /** The 1024 x 1024 x 1024 figure used as the machine's sgemm peak. */
    static double peak() {
        return gflops(1024, 1024, 1024, false, 3, 1000);
    }
}
