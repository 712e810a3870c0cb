package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class GradientBuffersTest {

    @Test
    void parameterGradientsGoToTheBuffersWhileCollecting() {
        Tensor w = Tensor.param(Nd4j.createFromArray(1.0, 2.0, 3.0));
        Tensor x = Tensor.constant(Nd4j.createFromArray(4.0, 5.0, 6.0));
        GradientBuffers buffers = new GradientBuffers();
        try (Tape.Scope ignored = buffers.collect()) {
            w.mul(x).sum().backward();  // d/dw = x
            w.mul(w).sum().backward();  // d/dw = 2w, added to the buffer
        }
        assertNull(w.grad(), "nothing reaches the parameter's own gradient while collecting");
        assertEquals(Nd4j.createFromArray(6.0, 9.0, 12.0), buffers.gradient(w));
        w.mul(x).sum().backward(); // not collecting: the parameter's own
        assertEquals(x.value(), w.grad());
        buffers.addTo(List.of(w));
        assertEquals(Nd4j.createFromArray(10.0, 14.0, 18.0), w.grad());
        assertNull(buffers.gradient(w), "emptied");
    }

    @Test
    void collectingIsPerThreadAndScopesNest() throws InterruptedException {
        Tensor w = Tensor.param(Nd4j.createFromArray(1.0, 2.0));
        GradientBuffers outer = new GradientBuffers();
        GradientBuffers inner = new GradientBuffers();
        try (Tape.Scope a = outer.collect()) {
            Thread other = new Thread(() -> w.mul(w).sum().backward()); // not collecting on that thread
            other.start();
            other.join();
            try (Tape.Scope b = inner.collect()) {
                w.sum().backward();
            }
            w.sum().backward();
        }
        assertEquals(Nd4j.createFromArray(2.0, 4.0), w.grad());
        assertEquals(Nd4j.createFromArray(1.0, 1.0), inner.gradient(w));
        assertEquals(Nd4j.createFromArray(1.0, 1.0), outer.gradient(w));
    }

    @Test
    void aGradientOfATensorOutsideTheParametersIsRefused() {
        Tensor w = Tensor.param(Nd4j.createFromArray(1.0));
        Tensor v = Tensor.param(Nd4j.createFromArray(2.0));
        GradientBuffers buffers = new GradientBuffers();
        try (Tape.Scope ignored = buffers.collect()) {
            w.mul(v).sum().backward();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buffers.addTo(List.of(w)));
        assertEquals("1 collected gradient(s) belong to tensors outside the given parameters", e.getMessage());
    }
}
