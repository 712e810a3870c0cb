package io.github.rpo4j;

import io.github.rpo4j.tensor.NativeMemory;

/**
 * Process-wide settings for a program that uses rpo4j. Call {@link #configure()} first thing in {@code main},
 * before any rpo4j or ND4J class is used.
 */
public final class Rpo4j {

    /** slf4j-simple's level for ND4J's loggers, which log about a dozen INFO lines when the backend starts. */
    public static final String ND4J_LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.org.nd4j";

    private Rpo4j() {
    }

    /**
     * Applies {@link NativeMemory#applyDefaults()} (limits on ND4J's off-heap memory) and {@link #quietNd4jStartup()}.
     * Settings given on the command line ({@code -D...}) win.
     */
    public static void configure() {
        NativeMemory.applyDefaults();
        quietNd4jStartup();
    }

    /**
     * Keeps ND4J's start-up INFO lines (backend, BLAS vendor, thread counts, ...) out of the log: with the
     * slf4j-simple binding, ND4J's loggers are set to WARN unless {@value #ND4J_LOG_LEVEL_PROPERTY} is already
     * set. slf4j-simple reads the setting when a logger is created, so it must come before ND4J's first use
     * ({@link LanguageModel} applies it when it loads). Other bindings take the same setting from their
     * own configuration, e.g. Logback's {@code <logger name="org.nd4j" level="WARN"/>} (docs/java.md).
     */
    public static void quietNd4jStartup() {
        if (System.getProperty(ND4J_LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(ND4J_LOG_LEVEL_PROPERTY, "warn");
        }
    }
}
