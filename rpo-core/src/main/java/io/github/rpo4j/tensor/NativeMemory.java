package io.github.rpo4j.tensor;

/**
 * Limits on ND4J's off-heap memory. ND4J arrays live outside the Java heap and are freed when their
 * Java objects are collected; a small heap is collected rarely, so without a limit the native memory
 * of a training run grows to many gigabytes before anything is freed. JavaCPP forces a collection
 * when its limits are reached; these defaults keep a run within a few gigabytes.
 *
 * <p>Call {@link #applyDefaults()} first thing in {@code main}, before any ND4J class loads. Limits
 * given on the command line ({@code -Dorg.bytedeco.javacpp.maxbytes=...}) win.
 */
public final class NativeMemory {

    public static final String MAX_BYTES = "org.bytedeco.javacpp.maxbytes";
    public static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";

    private NativeMemory() {
    }

    /** Sets 2 GB of tracked native arrays and 6 GB of process memory as limits, unless already set. */
    public static void applyDefaults() {
        if (System.getProperty(MAX_BYTES) == null) {
            System.setProperty(MAX_BYTES, "2G");
        }
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES, "6G");
        }
    }
}
