package io.github.rpo4j.examples;

/** Range checks of command-line flags, made before a command writes anything. */
final class Flags {

    private Flags() {
    }

    /** Throws "FLAG must be EXPECTED, got VALUE" unless {@code ok}; picocli prints the message as the error. */
    static void require(boolean ok, String flag, String expected, Object value) {
        if (!ok) {
            throw new IllegalArgumentException(flag + " must be " + expected + ", got " + value);
        }
    }
}
