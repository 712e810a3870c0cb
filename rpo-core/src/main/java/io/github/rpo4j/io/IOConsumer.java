package io.github.rpo4j.io;

import java.io.IOException;

/**
 * A consumer that may throw {@link IOException}, used to hand a stream or a directory to code that fills it.
 *
 * @param <T> the type of the value consumed
 */
@FunctionalInterface
public interface IOConsumer<T> {

    /**
     * Performs the operation on the given value.
     *
     * @param value the value to consume
     * @throws IOException if writing fails
     */
    void accept(T value) throws IOException;
}
