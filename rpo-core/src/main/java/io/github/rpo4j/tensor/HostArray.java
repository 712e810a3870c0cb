package io.github.rpo4j.tensor;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The elements of a float32 or float64 ND4J array on the Java heap, in the array's own precision,
 * for {@link FusedKernels}: read in one bulk copy from the host buffer, read and written per
 * element as doubles, and copied back in one bulk copy. The array must be the whole of its
 * buffer in row-major order ({@link FusedKernels#applies}).
 */
final class HostArray {

    final INDArray array;
    final int length;
    private final float[] f;
    private final double[] d;

    private HostArray(INDArray array, boolean read) {
        this.array = array;
        this.length = (int) array.length();
        if (array.dataType() == DataType.FLOAT) {
            f = new float[length];
            d = null;
            if (read) {
                array.data().asNioFloat().get(0, f);
            }
        } else if (array.dataType() == DataType.DOUBLE) {
            d = new double[length];
            f = null;
            if (read) {
                array.data().asNioDouble().get(0, d);
            }
        } else {
            throw new IllegalArgumentException("host kernels take float32 or float64 arrays, not " + array.dataType());
        }
    }

    /** The elements of {@code a}, to read and overwrite; {@link #write()} stores them back into {@code a}. */
    static HostArray read(INDArray a) {
        return new HostArray(a, true);
    }

    /** A fresh uninitialised array of a's shape and type, every element of which the caller sets. */
    static HostArray uninitialized(INDArray a) {
        return new HostArray(Nd4j.createUninitialized(a.dataType(), a.shape(), 'c'), false);
    }

    /** A fresh uninitialised array of the given type and shape, every element of which the caller sets. */
    static HostArray uninitialized(DataType type, long... shape) {
        return new HostArray(Nd4j.createUninitialized(type, shape, 'c'), false);
    }

    double get(int i) {
        return f != null ? f[i] : d[i];
    }

    void set(int i, double v) {
        if (f != null) {
            f[i] = (float) v;
        } else {
            d[i] = v;
        }
    }

    /** {@code v} rounded to this array's precision, the value {@link #set} would store. */
    double round(double v) {
        return f != null ? (float) v : v;
    }

    /** Copies the elements back into the ND4J array and returns it. */
    INDArray write() {
        if (f != null) {
            array.data().asNioFloat().put(0, f);
        } else {
            array.data().asNioDouble().put(0, d);
        }
        return array;
    }
}
