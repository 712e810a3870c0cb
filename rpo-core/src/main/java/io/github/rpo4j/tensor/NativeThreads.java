package io.github.rpo4j.tensor;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * How many threads ND4J's native code uses: its own loops (OpenMP and ND4J's thread pool) and
 * OpenBLAS's matrix products.
 *
 * <p>The default is one thread, chosen from measurements (docs/benchmarks.md, "Thread settings"):
 * on the 2-core machine measured, one thread trained 2-9x and sampled 25-50x faster than ND4J's
 * default of one thread per core, because this model's many small ops each pay a fork and a
 * barrier, and a barrier waits for any thread the other jobs have descheduled. Override with
 * {@code -Drpo.threads=N} (N threads everywhere), or set {@code OMP_NUM_THREADS} in the
 * environment, which is then left to govern as ND4J and OpenBLAS read it at start-up.
 *
 * <p>Applied when the autograd is first used ({@link Tensor}'s class initialisation).
 *
 * <p>One count stays out of reach: ND4J 1.0.0-M2.1 sizes its whole-array reductions (sum, norm of a
 * whole array) by a thread count it reads from {@code OMP_NUM_THREADS} at start-up, or else the
 * number of cores, and its {@code setMaxThreads} does nothing. Their last bits then depend on the
 * environment, so code whose results must not depend on it avoids them (see
 * {@code GradientClipping.globalNorm}).
 */
public final class NativeThreads {

    /** System property overriding the thread count. */
    public static final String PROPERTY = "rpo.threads";

    static {
        OpenBlasCore.applyBeforeNativeLoad(); // before this class's methods first load ND4J
    }

    private static volatile Integer applied;

    private NativeThreads() {
    }

    /**
     * Sets the native thread count from {@code -Drpo.threads}, or to 1 when neither that nor
     * {@code OMP_NUM_THREADS} is set; leaves the settings alone when only {@code OMP_NUM_THREADS} is.
     *
     * @return the count applied, or null when the environment's was left in place
     */
    public static synchronized Integer applyDefaults() {
        String property = System.getProperty(PROPERTY);
        Integer threads = null;
        if (property != null) {
            threads = Integer.parseInt(property.trim());
            if (threads < 1) {
                throw new IllegalArgumentException(PROPERTY + " must be >= 1, got " + property);
            }
        } else if (System.getenv("OMP_NUM_THREADS") == null) {
            threads = 1;
        }
        if (threads != null && !threads.equals(applied)) {
            set(threads);
        }
        applied = threads;
        return threads;
    }

    /**
     * Gives the calling thread the count {@link #applyDefaults()} applies, for a thread started to run ops beside
     * the one that first used the autograd. OpenMP keeps its thread count per calling thread: ND4J's
     * {@code setOmpNumThreads} sets it for the thread that calls it, and a thread started later begins with OpenMP's
     * process default ({@code OMP_NUM_THREADS}, else one per core; seen on ND4J 1.0.0-M2.1). OpenBLAS's count and
     * ND4J's own are process-wide and need nothing per thread.
     *
     * @return the count applied to this thread, or null when the environment's was left in place
     */
    public static Integer applyToCurrentThread() {
        Integer threads = applyDefaults();
        if (threads != null) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        }
        return threads;
    }

    /** The OpenMP thread count the calling thread's native ops would use now. */
    public static int openMpThreadsOfCurrentThread() {
        return NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads();
    }

    /** Sets every native thread limit to {@code threads}. */
    public static synchronized void set(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads); // a no-op in 1.0.0-M2.1; kept for versions where it is not
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }
}
