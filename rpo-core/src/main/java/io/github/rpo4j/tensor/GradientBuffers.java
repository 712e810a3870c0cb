package io.github.rpo4j.tensor;

import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Parameter gradients kept apart from the parameters' own, to be added to them later in an order the caller
 * fixes. While {@link #collect()}'s scope is open on a thread, every gradient that thread's backward passes
 * would add to a trainable leaf (a parameter) is added here instead; gradients of the other tensors are not
 * affected. A micro-batch split into shards differentiates each shard into buffers of its own, possibly on
 * several threads at once, and then adds the buffers to the parameters shard by shard, so that the sum, and
 * its rounding, is the same however many threads ran the shards.
 *
 * <p>Not thread-safe: one thread collects into a buffer at a time.
 */
public final class GradientBuffers {

    private static final ThreadLocal<GradientBuffers> COLLECTING = new ThreadLocal<>();

    private final Map<Tensor, INDArray> gradients = new IdentityHashMap<>();

    /** The buffers this thread's backward passes add parameter gradients to now, or null. */
    static GradientBuffers collecting() {
        return COLLECTING.get();
    }

    /** Redirects this thread's parameter gradients into these buffers until the scope is closed. */
    public Tape.Scope collect() {
        GradientBuffers previous = COLLECTING.get();
        COLLECTING.set(this);
        return () -> {
            if (previous == null) {
                COLLECTING.remove();
            } else {
                COLLECTING.set(previous);
            }
        };
    }

    /** The gradient collected for {@code parameter}, or null when none flowed to it. */
    public INDArray gradient(Tensor parameter) {
        return gradients.get(parameter);
    }

    /**
     * As {@link Tensor#accumulate} and {@link Tensor#accumulateOwned} do for the parameter's own gradient: the
     * first gradient is adopted when {@code owned} (created by the caller, referenced by nobody else) and
     * copied otherwise; later ones are added in place.
     */
    void accumulate(Tensor parameter, INDArray g, boolean owned) {
        INDArray held = gradients.get(parameter);
        if (held != null) {
            held.addi(g);
        } else if (owned && Arrays.equals(g.shape(), parameter.value().shape()) && Tensor.isWholeCBuffer(g)) {
            gradients.put(parameter, g);
        } else {
            gradients.put(parameter, g.dup('c'));
        }
    }

    /**
     * Adds every collected gradient to its parameter's own, in the order of {@code parameters}, and empties
     * these buffers. A parameter without a gradient of its own adopts the collected array.
     */
    public void addTo(Collection<Tensor> parameters) {
        for (Tensor p : parameters) {
            INDArray g = gradients.remove(p);
            if (g != null) {
                p.accumulateOwned(g);
            }
        }
        if (!gradients.isEmpty()) {
            throw new IllegalStateException(gradients.size() + " collected gradient(s) belong to tensors outside the "
                    + "given parameters");
        }
    }
}
