package io.github.rpo4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rpo4j.tensor.NativeMemory;
import org.junit.jupiter.api.Test;

class Rpo4jTest {

    @Test
    void configureSetsWhatIsUnsetAndKeepsWhatWasGiven() {
        String[] keys = {Rpo4j.ND4J_LOG_LEVEL_PROPERTY, NativeMemory.MAX_BYTES, NativeMemory.MAX_PHYSICAL_BYTES};
        String[] saved = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            saved[i] = System.getProperty(keys[i]);
        }
        try {
            System.clearProperty(Rpo4j.ND4J_LOG_LEVEL_PROPERTY);
            System.setProperty(NativeMemory.MAX_BYTES, "3G");
            System.clearProperty(NativeMemory.MAX_PHYSICAL_BYTES);
            Rpo4j.configure();
            assertEquals("warn", System.getProperty(Rpo4j.ND4J_LOG_LEVEL_PROPERTY));
            assertEquals("3G", System.getProperty(NativeMemory.MAX_BYTES));
            assertEquals("6G", System.getProperty(NativeMemory.MAX_PHYSICAL_BYTES));

            System.setProperty(Rpo4j.ND4J_LOG_LEVEL_PROPERTY, "info");
            Rpo4j.quietNd4jStartup();
            assertEquals("info", System.getProperty(Rpo4j.ND4J_LOG_LEVEL_PROPERTY));
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (saved[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], saved[i]);
                }
            }
        }
    }
}
