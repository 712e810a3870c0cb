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
 * <p>OpenBLAS picks its kernels from the CPU model when it loads, or takes them from the
 * environment variable {@code OPENBLAS_CORETYPE}. The 0.3.19 that ND4J 1.0.0-M2.1 bundles does
 * not know AMD's AVX-512 processors (Zen 4 and later): on a 2-core AMD EPYC of CPU family 26 it
 * identified a "Barcelona" (2007, SSE kernels) and ran a one-thread 1024^3 sgemm at 13 GFLOP/s,
 * against about 120 on its AVX2 "Haswell" kernels and about 210 on its AVX-512 "SkylakeX" ones
 * (docs/benchmarks.md, "BLAS"). So this class sets the variable in the process's C environment
 * before ND4J loads OpenBLAS:
 * <ul>
 *   <li>by default ({@code -Drpo.openblas.coretype=auto}), only when the variable is not set
 *       (a value in the environment governs) and the CPU is an AMD processor with the AVX-512
 *       subsets SkylakeX's kernels use (F, CD, BW, DQ, VL), read from {@code /proc/cpuinfo}; it
 *       then requests SKYLAKEX. Intel processors with AVX-512 are identified by OpenBLAS itself;</li>
 *   <li>{@code -Drpo.openblas.coretype=NAME} requests the kernel set NAME (an OpenBLAS core name
 *       such as SKYLAKEX or HASWELL), over the environment's value if there is one;</li>
 *   <li>{@code -Drpo.openblas.coretype=none} leaves everything to OpenBLAS and the environment.</li>
 * </ul>
 *
 * <p>Applied from {@link NativeThreads}' class initialisation, which {@link Tensor}'s runs before
 * any of its ops, and from {@code TransformerLM}'s. When ND4J was initialised earlier by other
 * code, OpenBLAS has already chosen; this is then logged as a warning and nothing is changed.
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
        boolean auto = setting.equalsIgnoreCase("auto");
        if (setting.equalsIgnoreCase("none") || (auto && System.getenv(VARIABLE) != null)) {
            return null;
        }
        String core = auto ? detect() : setting.toUpperCase(Locale.ROOT);
        if (core == null) {
            return null;
        }
        if (openBlasLoaded()) {
            LOG.warn("OpenBLAS was loaded before rpo4j could request its {} kernels for this CPU; matrix products may run"
                    + " on slower ones. Set {}={} in the environment to choose them.", core, VARIABLE, core);
            return null;
        }
        int rc = org.bytedeco.systems.global.linux.setenv(VARIABLE, core, 1);
        if (rc != 0) {
            LOG.warn("could not set {}={} (setenv returned {})", VARIABLE, core, rc);
            return null;
        }
        applied = core;
        return core;
    }

    /**
     * {@code OPENBLAS_CORETYPE} in the process's C environment now (what OpenBLAS read when it
     * loaded, unless changed since), or null when unset or not on Linux.
     */
    public static String environmentValue() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return null;
        }
        org.bytedeco.javacpp.BytePointer value = org.bytedeco.systems.global.linux.getenv(
                new org.bytedeco.javacpp.BytePointer(VARIABLE));
        return value == null || value.isNull() ? null : value.getString();
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
