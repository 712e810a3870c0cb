package io.github.rpo4j.losses;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Argument validation shared by the objectives; every message names the offending argument. */
final class Checks {

    private Checks() {
    }

    static void requireNonNull(Object value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    static void requireNonEmpty(double[] values, String name) {
        requireNonNull(values, name);
        if (values.length == 0) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }

    static void requireSameLength(double[] values, String name, int expected, String expectedName) {
        requireNonNull(values, name);
        if (values.length != expected) {
            throw new IllegalArgumentException(name + " has length " + values.length + " but " + expectedName
                    + " has length " + expected);
        }
    }

    static void requireSameLength(int[] values, String name, int expected, String expectedName) {
        requireNonNull(values, name);
        if (values.length != expected) {
            throw new IllegalArgumentException(name + " has length " + values.length + " but " + expectedName
                    + " has length " + expected);
        }
    }

    static void requireFinite(double[] values, String name) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + values[i] + "; values must be finite");
            }
        }
    }

    /** A completion with no tokens has no defined per-token mean and no log-prob to optimise. */
    static void requirePositiveLengths(int[] lengths, String name) {
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] <= 0) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + lengths[i]
                        + ": every completion must have at least one token");
            }
        }
    }

    static void requirePositiveFinite(double value, String name) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + value);
        }
    }

    static void requireNonNegativeFinite(double value, String name) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be non-negative and finite, got " + value);
        }
    }

    static void requireFinite(double value, String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
    }

    /** Converts a vector-shaped INDArray (any numeric type) to doubles. */
    static double[] toDoubles(INDArray array, String name) {
        requireNonNull(array, name);
        if (array.rank() > 2 || (array.rank() == 2 && array.size(0) != 1 && array.size(1) != 1)) {
            throw new IllegalArgumentException(name + " must be a vector, got shape "
                    + java.util.Arrays.toString(array.shape()));
        }
        if (array.isEmpty()) {
            return new double[0];
        }
        return array.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').reshape(array.length())
                .toDoubleVector();
    }

    static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
