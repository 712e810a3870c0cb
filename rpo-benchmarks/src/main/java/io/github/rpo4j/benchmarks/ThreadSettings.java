package io.github.rpo4j.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.tensor.OpenBlasCore;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The native thread settings a benchmark runs under, and the system properties that change them.
 *
 * <p>rpo-core applies one native thread by default ({@link NativeThreads}; {@code -Drpo.threads=N}
 * or {@code OMP_NUM_THREADS} override it). On top of that, {@code -Drpo.maxThreads=N} and
 * {@code -Drpo.maxMasterThreads=N} set ND4J's own {@code Environment} limits alone.
 */
final class ThreadSettings {

    private ThreadSettings() {
    }

    /** Applies the ND4J limits given as system properties, if any. */
    static void applyFromSystemProperties() {
        Integer max = Integer.getInteger("rpo.maxThreads");
        if (max != null) {
            Nd4j.getEnvironment().setMaxThreads(max);
        }
        Integer master = Integer.getInteger("rpo.maxMasterThreads");
        if (master != null) {
            Nd4j.getEnvironment().setMaxMasterThreads(master);
        }
    }

    /** The settings in effect, for printing next to the numbers they produced. */
    static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        String omp = System.getenv("OMP_NUM_THREADS");
        m.put("omp_num_threads", omp == null ? "unset" : omp);
        m.put("rpo_threads", System.getProperty(NativeThreads.PROPERTY, "default"));
        m.put("omp_max_threads", NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
        m.put("blas_max_threads", Nd4j.factory().blas().getMaxThreads());
        m.put("nd4j_max_threads", Nd4j.getEnvironment().maxThreads());
        m.put("nd4j_max_master_threads", Nd4j.getEnvironment().maxMasterThreads());
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.putAll(blas());
        return m;
    }

    /**
     * The OpenBLAS kernel set rpo-core requested ({@link OpenBlasCore}; "null" when it left the
     * choice alone) and the value of {@code OPENBLAS_CORETYPE} OpenBLAS read ("unset" when it
     * detected the CPU itself).
     */
    static Map<String, Object> blas() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("openblas_coretype_requested", String.valueOf(OpenBlasCore.applyBeforeNativeLoad()));
        String seen = OpenBlasCore.environmentValue();
        m.put("openblas_coretype", seen == null ? "unset" : seen);
        return m;
    }
}
