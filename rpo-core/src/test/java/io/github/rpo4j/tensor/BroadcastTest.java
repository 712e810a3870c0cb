package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The in-place broadcasts of {@link Broadcast} against ND4J's own row- and column-vector methods, the plain reference. */
class BroadcastTest {

    private static INDArray random(DataType type, long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape).castTo(type);
    }

    @Test
    void rowAndColumnBroadcastsEqualNd4jsMethodsBitForBit() {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (long rows : new long[] {1, 5}) {
                INDArray x = random(type, rows, rows, 7);
                INDArray row = random(type, 11, 1, 7);
                INDArray column = random(type, 12, rows, 1);

                INDArray y = x.dup('c');
                assertSame(y, Broadcast.addiRowVector(y, row));
                assertBitwiseEqual(x.addRowVector(row), y, type + " add row, " + rows + " rows");

                y = x.dup('c');
                Broadcast.muliRowVector(y, row);
                assertBitwiseEqual(x.mulRowVector(row), y, type + " mul row, " + rows + " rows");

                y = x.dup('c');
                Broadcast.subiColumnVector(y, column);
                assertBitwiseEqual(x.subColumnVector(column), y, type + " sub column, " + rows + " rows");

                y = x.dup('c');
                Broadcast.muliColumnVector(y, column);
                assertBitwiseEqual(x.mulColumnVector(column), y, type + " mul column, " + rows + " rows");
            }
        }
    }

    /** Same shape and the same values bit for bit (INDArray.equals allows a tolerance). */
    private static void assertBitwiseEqual(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(Ops.doubles(expected), Ops.doubles(actual), 0.0, what);
    }

    @Test
    void aRowThatIsAReshapedViewIntoALargerBufferIsReadAtItsOffset() {
        // Ops.linear adds bias.reshape(1, C); a bias loaded from a checkpoint may be a view into a larger buffer
        INDArray storage = random(DataType.FLOAT, 3, 2, 6);
        INDArray bias = storage.get(NDArrayIndex.point(1), NDArrayIndex.all()); // (6), offset 6
        INDArray x = random(DataType.FLOAT, 4, 3, 6);
        INDArray y = x.dup('c');
        Broadcast.addiRowVector(y, bias.reshape(1, 6));
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 6; c++) {
                assertEquals(x.getFloat(r, c) + storage.getFloat(1, c), y.getFloat(r, c), 0.0f);
            }
        }
    }
}
