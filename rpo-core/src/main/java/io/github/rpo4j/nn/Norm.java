package io.github.rpo4j.nn;

import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tensor;

/** LayerNorm (GPT-2, with bias) or RMSNorm (Llama, bias null) over the last axis. */
public record Norm(Tensor gamma, Tensor beta, double eps, boolean rms) {

    public static Norm layerNorm(Tensor gamma, Tensor beta, double eps) {
        return new Norm(gamma, beta, eps, false);
    }

    public static Norm rmsNorm(Tensor gamma, double eps) {
        return new Norm(gamma, null, eps, true);
    }

    public Tensor forward(Tensor x) {
        return rms ? Ops.rmsNorm(x, gamma, eps) : Ops.layerNorm(x, gamma, beta, eps);
    }
}
