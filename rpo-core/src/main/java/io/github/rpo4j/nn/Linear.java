package io.github.rpo4j.nn;

import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tensor;

/**
 * An affine map y = x W (+ b) over rows: x (N, in) -> y (N, out).
 *
 * <p>The weight keeps the orientation of the checkpoint it comes from, so loading never copies:
 * GPT-2's Conv1D stores (in, out) ({@link Layout#IN_OUT}); PyTorch's nn.Linear, used by Llama,
 * stores (out, in) ({@link Layout#OUT_IN}) and is applied as x W^T.
 */
public final class Linear {

    /** How the weight matrix is stored. */
    public enum Layout { IN_OUT, OUT_IN }

    private final Tensor weight;
    private final Tensor bias;
    private final Layout layout;

    public Linear(Tensor weight, Tensor bias, Layout layout) {
        this.weight = weight;
        this.bias = bias;
        this.layout = layout;
    }

    /** x (N, in) -> (N, out). */
    public Tensor forward(Tensor x) {
        return x.rank() == 2 ? Ops.linear(x, weight, bias, layout == Layout.OUT_IN)
                : addBias(x.matmul(weight, false, layout == Layout.OUT_IN));
    }

    private Tensor addBias(Tensor y) {
        return bias == null ? y : y.add(bias);
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor bias() {
        return bias;
    }

    public long inFeatures() {
        return layout == Layout.IN_OUT ? weight.size(0) : weight.size(1);
    }

    public long outFeatures() {
        return layout == Layout.IN_OUT ? weight.size(1) : weight.size(0);
    }
}
