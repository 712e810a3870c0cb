package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The choice of OpenBLAS kernels by CPU, and that a choice made reaches the C environment. */
class OpenBlasCoreTest {

    private static Set<String> flags(String... names) {
        return new HashSet<>(Set.of(names));
    }

    @Test
    void amdWithTheAvx512SubsetsGetsSkylakeXKernels() {
        Set<String> zen5 = flags("fma", "avx2", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_bf16");
        assertEquals("SKYLAKEX", OpenBlasCore.choose("AuthenticAMD", zen5));
    }

    @Test
    void otherCpusAreLeftToOpenBlas() {
        Set<String> all = flags("avx2", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl");
        assertNull(OpenBlasCore.choose("GenuineIntel", all)); // OpenBLAS identifies Intel's itself
        assertNull(OpenBlasCore.choose("AuthenticAMD", flags("avx2", "fma"))); // Zen 3 and earlier
        // AVX-512 foundation without BW/VL (no SkylakeX kernels possible)
        assertNull(OpenBlasCore.choose("AuthenticAMD", flags("avx2", "avx512f", "avx512cd")));
    }

    @Test
    void aChosenKernelSetIsInTheCEnvironment() {
        String applied = OpenBlasCore.applyBeforeNativeLoad(); // first in a JVM of this class alone: before ND4J loads
        Nd4j.create(1);
        // Requested: the C environment OpenBLAS read holds it. Not requested: it holds what the process started with.
        assertEquals(applied != null ? applied : System.getenv(OpenBlasCore.VARIABLE), OpenBlasCore.environmentValue());
    }
}
