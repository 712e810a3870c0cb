package io.github.rpo4j.tensor;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Numerically stable softmax and log-softmax over the last axis, shared by the ops that need them. */
final class Softmax {

    private Softmax() {
    }

    /** softmax(x) over the last axis, subtracting the row maximum first. */
    static INDArray forward(INDArray x) {
        int last = x.rank() - 1;
        INDArray y = x.sub(x.max(true, last));
        Transforms.exp(y, false);
        return y.divi(y.sum(true, last));
    }

    /** In-place softmax over the last axis. */
    static INDArray forwardInPlace(INDArray x) {
        int last = x.rank() - 1;
        x.subi(x.max(true, last));
        Transforms.exp(x, false);
        return x.divi(x.sum(true, last));
    }

    /** log softmax(x) = x - max - log(sum(exp(x - max))) over the last axis. */
    static INDArray logForward(INDArray x) {
        int last = x.rank() - 1;
        INDArray shifted = x.sub(x.max(true, last));
        INDArray lse = Transforms.log(Transforms.exp(shifted, true).sum(true, last), false);
        return shifted.subi(lse);
    }

    /** The gradient through softmax output {@code y}: y * (g - sum(g * y)). */
    static INDArray backward(INDArray y, INDArray g) {
        int last = y.rank() - 1;
        INDArray dot = g.mul(y).sum(true, last);
        return g.sub(dot).muli(y);
    }
}
