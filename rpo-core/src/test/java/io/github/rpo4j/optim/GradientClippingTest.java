package io.github.rpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.rpo4j.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Global-norm clipping against norms worked out by hand, as torch.nn.utils.clip_grad_norm_ computes them. */
class GradientClippingTest {

    /** A float parameter whose gradient is {@code grad}, laid out as {@code shape}. */
    private static Tensor withGrad(float[] grad, long... shape) {
        Tensor p = Tensor.param(Nd4j.zeros(DataType.FLOAT, shape));
        p.accumulate(Nd4j.create(grad, shape, 'c'));
        return p;
    }

    @Test
    void globalNormCoversEveryGradientAndSkipsParametersWithout() {
        // (3, 4, 12) -> 13 over the three, as sqrt(9 + 16 + 144); the parameter without a gradient adds nothing.
        Tensor matrix = withGrad(new float[] {3, 0, 0, 4}, 2, 2);
        Tensor vector = withGrad(new float[] {12}, 1);
        Tensor none = Tensor.param(Nd4j.ones(DataType.FLOAT, 3));
        assertNull(none.grad());
        assertEquals(13.0, GradientClipping.globalNorm(List.of(matrix, vector, none)), 1e-12);
    }

    @Test
    void globalNormReadsDoubleAndHalfGradientsToo() {
        Tensor d = Tensor.param(Nd4j.zeros(DataType.DOUBLE, 2));
        d.accumulate(Nd4j.create(new double[] {6, 8}, new long[] {2}, 'c'));
        Tensor h = Tensor.param(Nd4j.zeros(DataType.HALF, 1));
        h.accumulate(Nd4j.create(new float[] {24}, new long[] {1}, 'c').castTo(DataType.HALF));
        // sqrt(36 + 64 + 576) = 26
        assertEquals(26.0, GradientClipping.globalNorm(List.of(d, h)), 1e-12);
    }

    @Test
    void clipScalesEveryGradientToTheLimitAndReturnsTheNormBefore() {
        Tensor a = withGrad(new float[] {3, 0}, 2);
        Tensor b = withGrad(new float[] {0, 4}, 2);
        double before = GradientClipping.clip(List.of(a, b), 1.0);
        assertEquals(5.0, before, 1e-12);
        double scale = 1.0 / (5.0 + 1e-6); // PyTorch's max_norm / (norm + 1e-6)
        assertArrayEquals(new float[] {(float) (3 * scale), 0}, a.grad().toFloatVector(), 1e-7f);
        assertArrayEquals(new float[] {0, (float) (4 * scale)}, b.grad().toFloatVector(), 1e-7f);
    }

    @Test
    void clipLeavesGradientsUnderTheLimitAlone() {
        Tensor a = withGrad(new float[] {0.3f, 0.4f}, 2);
        assertEquals(0.5, GradientClipping.clip(List.of(a), 1.0), 1e-7);
        assertArrayEquals(new float[] {0.3f, 0.4f}, a.grad().toFloatVector(), 0f);
        assertEquals(0.5, GradientClipping.clip(List.of(a), 0.0), 1e-7, "0 disables clipping");
        assertArrayEquals(new float[] {0.3f, 0.4f}, a.grad().toFloatVector(), 0f);
    }
}
