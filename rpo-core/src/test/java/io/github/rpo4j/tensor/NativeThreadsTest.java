package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The native thread default and its system-property override. */
class NativeThreadsTest {

    @Test
    void thePropertyOverridesAndIsValidated() {
        String before = System.getProperty(NativeThreads.PROPERTY);
        try {
            System.setProperty(NativeThreads.PROPERTY, "1");
            assertEquals(1, NativeThreads.applyDefaults());
            assertEquals(1, Nd4j.getEnvironment().maxThreads());
            assertEquals(1, Nd4j.factory().blas().getMaxThreads());
            System.setProperty(NativeThreads.PROPERTY, "0");
            assertThrows(IllegalArgumentException.class, NativeThreads::applyDefaults);
        } finally {
            if (before == null) {
                System.clearProperty(NativeThreads.PROPERTY);
            } else {
                System.setProperty(NativeThreads.PROPERTY, before);
            }
        }
    }

    @Test
    void withoutThePropertyTheEnvironmentDecides() {
        if (System.getProperty(NativeThreads.PROPERTY) == null) {
            Integer applied = NativeThreads.applyDefaults();
            assertEquals(System.getenv("OMP_NUM_THREADS") == null ? Integer.valueOf(1) : null, applied);
        }
    }
}
