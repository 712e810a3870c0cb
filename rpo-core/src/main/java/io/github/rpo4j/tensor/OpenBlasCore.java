package io.github.rpo4j.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which kernel set OpenBLAS uses for the matrix products, chosen before OpenBLAS loads.
 *
 * <p>OpenBLAS picks its kernels from the CPU model when it loads. The 0.3.19 that ND4J
 * 1.0.0-M2.1 bundles (and Debian's 0.3.21) does not know AMD's AVX-512 processors (Zen 4 and
 * later) and runs them on its AVX2 "Haswell" kernels: on a 2-core AMD EPYC with AVX-512 a
 * one-thread 1024^3 sgemm ran at about 120 GFLOP/s on those and about 210 GFLOP/s on the
 * AVX-512 "SkylakeX" kernels (docs/benchmarks.md, "BLAS"). OpenBLAS reads the choice only from
 * the environment variable {@code OPENBLAS_CORETYPE}, so this class sets it in the process's C
 * environment before ND4J loads OpenBLAS, when:
 * <ul>
 *   <li>the variable is not set already (then it governs), and</li>
 *   <li>the CPU is an AMD processor with the AVX-512 subsets SkylakeX's kernels use
 *       (F, CD, BW, DQ, VL), read from {@code /proc/cpuinfo}; Intel processors with AVX-512
 *       are identified correctly by OpenBLAS itself.</li>
 * </ul>
 * {@code -Drpo.openblas.coretype=NAME} sets a kernel set by name instead, and
 * {@code -Drpo.openblas.coretype=none} leaves OpenBLAS to its own detection.
 *
 * <p>Applied from {@link NativeThreads}' class initialisation, which {@link Tensor}'s runs before
 * any of its ops. When ND4J was initialised earlier by other code, OpenBLAS has already chosen;
 * this is then logged as a warning and nothing is changed.
 */
public final class OpenBlasCore {

    /** System property: a kernel-set name, {@code auto} (the default) or {@code none}. */
    public static final String PROPERTY = "rpo.openblas.coretype";

    /** The environment variable OpenBLAS reads when it loads. */
    static final String VARIABLE = "OPENBLAS_CORETYPE";

    /** The AVX-512 subsets OpenBLAS's SkylakeX kernels need. */
    static final List<String> SKYLAKEX_FLAGS = List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    private static final Logger LOG = LoggerFactory.getLogger(OpenBlasCore.class);
    private static boolean decided;
    private static String applied;

    private OpenBlasCore() {
    }

    /**
     * The kernel set to request for a CPU, or null to leave OpenBLAS to its own detection.
     *
     * @param vendor the {@code vendor_id} of /proc/cpuinfo, e.g. AuthenticAMD or GenuineIntel
     * @param flags  the CPU's feature flags as /proc/cpuinfo names them
     */
    static String choose(String vendor, Set<String> flags) {
        if ("AuthenticAMD".equals(vendor) && flags.containsAll(SKYLAKEX_FLAGS)) {
            return "SKYLAKEX";
        }
        return null;
    }

    /**
     * Sets {@code OPENBLAS_CORETYPE} as described above, once per process; later calls return the
     * first call's result.
     *
     * @return the kernel set requested, or null when OpenBLAS was left to choose
     */
    public static synchronized String applyBeforeNativeLoad() {
        if (decided) {
            return applied;
        }
        decided = true;
        String setting = System.getProperty(PROPERTY, "auto").trim();
        if (setting.equalsIgnoreCase("none") || System.getenv(VARIABLE) != null) {
            return null;
        }
        String core = setting.equalsIgnoreCase("auto") ? detect() : setting.toUpperCase(Locale.ROOT);
        if (core == null) {
            return null;
        }
        if (openBlasLoaded()) {
            LOG.warn("OpenBLAS was loaded before rpo4j could request its {} kernels for this CPU; matrix products may run"
                    + " on slower ones. Set {}={} in the environment to choose them.", core, VARIABLE, core);
            return null;
        }
        int rc = org.bytedeco.systems.global.linux.setenv(VARIABLE, core, 0);
        if (rc != 0) {
            LOG.warn("could not set {}={} (setenv returned {})", VARIABLE, core, rc);
            return null;
        }
        applied = core;
        return core;
    }

    /** The kernel set for this machine's CPU, or null when not on Linux x86-64 or none is needed. */
    private static String detect() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return null;
        }
        String vendor = null;
        Set<String> flags = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (vendor == null && key.equals("vendor_id")) {
                    vendor = value;
                } else if (flags == null && key.equals("flags")) {
                    flags = new HashSet<>(Arrays.asList(value.split("\\s+")));
                }
                if (vendor != null && flags != null) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null; // no /proc/cpuinfo: leave OpenBLAS to its own detection
        }
        return vendor == null || flags == null ? null : choose(vendor, flags);
    }

    private static boolean openBlasLoaded() {
        for (String name : Loader.getLoadedLibraries().keySet()) {
            if (name.startsWith("openblas")) {
                return true;
            }
        }
        return false;
    }
}
