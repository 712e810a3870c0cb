package io.github.rpo4j.train;

/** Training met a NaN or infinite loss or gradient; the parameters were not updated by that step. */
public class NonFiniteLossException extends RuntimeException {
    public NonFiniteLossException(String message) {
        super(message);
    }
}
