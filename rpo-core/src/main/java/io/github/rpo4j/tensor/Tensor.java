package io.github.rpo4j.tensor;

import java.util.Arrays;
import java.util.function.Consumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An n-dimensional array with an optional gradient, the unit of rpo4j's tape-based autograd.
 *
 * <p>A tensor is either a leaf (a parameter or a constant input) or the output of an op. Ops
 * on tensors that need a gradient are recorded on the thread's {@link Tape}; {@link #backward()}
 * then fills {@link #grad()} of every parameter that contributed. Values are ND4J arrays in
 * float32 by default; every op follows its inputs' data type, so gradient checks run in float64.
 *
 * <p>The elementary ops live here as instance methods; the fused ops a transformer needs
 * (attention, normalisation, embedding, cross-entropy) live in {@link Ops}.
 */
public final class Tensor {

    static {
        NativeThreads.applyDefaults(); // one native thread unless overridden: see NativeThreads
    }

    private final INDArray value;
    private INDArray grad;
    private final boolean requiresGrad;
    private final boolean leaf;
    private Consumer<INDArray> backwardFn;
    private String name;

    private Tensor(INDArray value, boolean requiresGrad, boolean leaf) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.leaf = leaf;
    }

    /** A trainable leaf: its gradient accumulates across backward passes until {@link #zeroGrad()}. */
    public static Tensor param(INDArray value) {
        return new Tensor(value, true, true);
    }

    /** A leaf that never needs a gradient (inputs, masks, frozen weights). */
    public static Tensor constant(INDArray value) {
        return new Tensor(value, false, true);
    }

    /**
     * The output of an op: recorded on the tape with its backward function when recording is on
     * and any input needs a gradient; otherwise a constant.
     *
     * @param backward receives this output's gradient and adds each input's share to it with
     *                 {@link #accumulate(INDArray)}
     */
    public static Tensor fromOp(INDArray value, Consumer<INDArray> backward, Tensor... inputs) {
        boolean needs = false;
        for (Tensor t : inputs) {
            needs |= t.requiresGrad;
        }
        if (!needs || !Tape.isRecording()) {
            return new Tensor(value, false, false);
        }
        Tensor out = new Tensor(value, true, false);
        out.backwardFn = backward;
        Tape.current().record(out);
        return out;
    }

    public INDArray value() {
        return value;
    }

    /** The accumulated gradient, or null when none has flowed here. */
    public INDArray grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public long[] shape() {
        return value.shape();
    }

    public long size(int axis) {
        return value.size(axis);
    }

    public int rank() {
        return value.rank();
    }

    public DataType dataType() {
        return value.dataType();
    }

    public String name() {
        return name;
    }

    public Tensor named(String name) {
        this.name = name;
        return this;
    }

    /** Clears this tensor's gradient (parameters keep theirs across backward passes otherwise). */
    public void zeroGrad() {
        grad = null;
    }

    /** Adds {@code g} (same shape as this tensor) to this tensor's gradient, if it needs one. */
    public void accumulate(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        if (!Arrays.equals(g.shape(), value.shape())) {
            throw new IllegalStateException("gradient of shape " + Arrays.toString(g.shape())
                    + " for a tensor of shape " + Arrays.toString(value.shape()) + (name == null ? "" : " (" + name + ")"));
        }
        if (leaf && collectInto(g, false)) {
            return;
        }
        if (grad == null) {
            grad = g.dup('c');
        } else {
            grad.addi(g);
        }
    }

    /**
     * As {@link #accumulate(INDArray)}, for a gradient array that the caller has just created and
     * nobody else references: the first one is adopted as this tensor's gradient instead of copied.
     * Allocating (and zeroing) a fresh output costs about as much as an elementwise pass, so the copy
     * {@code accumulate} makes of every first gradient was a large share of a training step.
     * Every gradient stays exclusively owned by its tensor, which lets backward functions update
     * the gradient they receive in place.
     */
    void accumulateOwned(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        if (leaf && Arrays.equals(g.shape(), value.shape()) && collectInto(g, true)) {
            return;
        }
        if (grad == null && Arrays.equals(g.shape(), value.shape()) && isWholeCBuffer(g)) {
            grad = g;
        } else {
            accumulate(g);
        }
    }

    /** Adds a parameter's gradient to the thread's {@link GradientBuffers}, when it is collecting into some. */
    private boolean collectInto(INDArray g, boolean owned) {
        GradientBuffers buffers = GradientBuffers.collecting();
        if (buffers == null) {
            return false;
        }
        buffers.accumulate(this, g, owned);
        return true;
    }

    /** Whether {@code a} is the whole of its buffer in row-major order (not a view into something larger). */
    static boolean isWholeCBuffer(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && a.length() == a.data().length()
                && org.nd4j.linalg.api.shape.Shape.hasDefaultStridesForShape(a);
    }

    /** Differentiates this scalar with respect to every recorded input (seed gradient 1). */
    public void backward() {
        if (value.length() != 1) {
            throw new IllegalStateException("backward() needs a scalar; this tensor has shape "
                    + Arrays.toString(value.shape()) + ": pass a seed gradient");
        }
        backward(Nd4j.ones(value.dataType(), value.shape()));
    }

    /** Differentiates with the given seed gradient of this tensor's shape. */
    public void backward(INDArray seed) {
        if (!requiresGrad) {
            throw new IllegalStateException("this tensor does not depend on any parameter");
        }
        accumulate(seed);
        if (leaf) {
            return;
        }
        Tape.current().backwardFrom(this);
    }

    void runBackward() {
        if (backwardFn == null || grad == null) {
            return;
        }
        INDArray g = grad;
        grad = null; // intermediate gradients are dropped once used, to bound memory
        backwardFn.accept(g);
        backwardFn = null;
    }

    // ------------------------------------------------------------------ linear algebra

    /** Matrix product: (M, K) x (K, N) or batched (B, M, K) x (B, K, N). */
    public Tensor matmul(Tensor other) {
        return matmul(other, false, false);
    }

    /** Matrix product with optional transposes of either side's last two axes. */
    public Tensor matmul(Tensor other, boolean transA, boolean transB) {
        Tensor a = this;
        Tensor b = other;
        INDArray out = mm(a.value, b.value, transA, transB);
        return fromOp(out, g -> {
            if (a.requiresGrad) {
                // C = op(A) op(B): dop(A) = G op(B)^T
                INDArray ga = transA ? mm(b.value, g, transB, true) : mm(g, b.value, false, !transB);
                a.accumulateOwned(ga);
            }
            if (b.requiresGrad) {
                INDArray gb = transB ? mm(g, a.value, true, transA) : mm(a.value, g, !transA, false);
                b.accumulateOwned(gb);
            }
        }, a, b);
    }

    /** The product of two rank-2 or two rank-3 (batched) arrays, with transposes of the last two axes. */
    static INDArray mm(INDArray a, INDArray b, boolean transA, boolean transB) {
        if (a.rank() == 2 && b.rank() == 2) {
            // Into an uninitialised output: gemm with beta 0 overwrites it, so zero-filling it first is wasted.
            INDArray out = Nd4j.createUninitialized(a.dataType(), transA ? a.size(1) : a.size(0), transB ? b.size(0) : b.size(1));
            return Nd4j.gemm(a, b, out, transA, transB, 1.0, 0.0);
        }
        if (a.rank() == 3 && b.rank() == 3 && a.size(0) == b.size(0)) {
            return Nd4j.matmul(a, b, transA, transB, false);
        }
        throw new IllegalArgumentException("matmul needs two rank-2 or two rank-3 arrays with equal batch; got "
                + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
    }

    // ------------------------------------------------------------------ elementwise with broadcasting

    public Tensor add(Tensor other) {
        Tensor a = this;
        Tensor b = other;
        return fromOp(a.value.add(b.value), g -> {
            // g is this node's own gradient, unused after this function: a side whose shape is g's may
            // adopt it (a broadcast side gets its own fresh sum), but only one side, so when neither
            // broadcasts b gets a copy.
            INDArray ga = Broadcast.reduceTo(g, a.shape());
            INDArray gb = Broadcast.reduceTo(g, b.shape());
            if (ga == g && gb == g) {
                b.accumulate(g);
            } else {
                b.accumulateOwned(gb);
            }
            a.accumulateOwned(ga);
        }, a, b);
    }

    public Tensor sub(Tensor other) {
        Tensor a = this;
        Tensor b = other;
        return fromOp(a.value.sub(b.value), g -> {
            a.accumulate(Broadcast.reduceTo(g, a.shape()));
            if (b.requiresGrad) {
                b.accumulate(Broadcast.reduceTo(g.neg(), b.shape()));
            }
        }, a, b);
    }

    public Tensor mul(Tensor other) {
        Tensor a = this;
        Tensor b = other;
        return fromOp(a.value.mul(b.value), g -> {
            if (a.requiresGrad) {
                a.accumulate(Broadcast.reduceTo(g.mul(b.value), a.shape()));
            }
            if (b.requiresGrad) {
                b.accumulate(Broadcast.reduceTo(g.mul(a.value), b.shape()));
            }
        }, a, b);
    }

    public Tensor div(Tensor other) {
        Tensor a = this;
        Tensor b = other;
        return fromOp(a.value.div(b.value), g -> {
            if (a.requiresGrad) {
                a.accumulate(Broadcast.reduceTo(g.div(b.value), a.shape()));
            }
            if (b.requiresGrad) {
                // d(a/b)/db = -a / b^2
                INDArray gb = g.mul(a.value).divi(b.value).divi(b.value).negi();
                b.accumulate(Broadcast.reduceTo(gb, b.shape()));
            }
        }, a, b);
    }

    /** Multiplies by a constant. */
    public Tensor scale(double factor) {
        Tensor a = this;
        return fromOp(a.value.mul(factor), g -> a.accumulate(g.mul(factor)), a);
    }

    /** Adds a constant. */
    public Tensor addScalar(double c) {
        Tensor a = this;
        return fromOp(a.value.add(c), a::accumulate, a);
    }

    public Tensor neg() {
        return scale(-1.0);
    }

    public Tensor exp() {
        Tensor a = this;
        INDArray y = Transforms.exp(a.value, true);
        return fromOp(y, g -> a.accumulate(g.mul(y)), a);
    }

    public Tensor log() {
        Tensor a = this;
        return fromOp(Transforms.log(a.value, true), g -> a.accumulate(g.div(a.value)), a);
    }

    public Tensor tanh() {
        Tensor a = this;
        INDArray y = Transforms.tanh(a.value, true);
        return fromOp(y, g -> a.accumulate(g.mul(y.mul(y).rsubi(1.0))), a);
    }

    /** x * x. */
    public Tensor square() {
        Tensor a = this;
        return fromOp(a.value.mul(a.value), g -> a.accumulate(g.mul(a.value).muli(2.0)), a);
    }

    /**
     * GELU in the tanh form GPT-2 uses: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). One pass
     * each way in {@link FusedKernels} where it applies (the backward recomputes tanh from x instead
     * of keeping it), else the ND4J composition.
     */
    public Tensor gelu() {
        Tensor a = this;
        INDArray x = a.value;
        if (FusedKernels.applies(x)) {
            return fromOp(FusedKernels.gelu(x), g -> a.accumulateOwned(FusedKernels.applies(g)
                    ? FusedKernels.geluBackwardInPlace(x, g) : geluDerivativeComposition(x, geluTanh(x)).muli(g)), a);
        }
        INDArray t = geluTanh(x);
        INDArray y = t.add(1.0).muli(x).muli(0.5);
        return fromOp(y, g -> a.accumulateOwned(geluDerivativeComposition(x, t).muli(g)), a);
    }

    /** tanh(c (x + 0.044715 x^3)), fresh, by ND4J passes: one fresh array and in-place passes. */
    private static INDArray geluTanh(INDArray x) {
        INDArray t = x.mul(x).muli(FusedKernels.GELU_A).addi(1.0).muli(x).muli(FusedKernels.GELU_C); // the tanh argument
        return Transforms.tanh(t, false);
    }

    /** GELU'(x) from t = tanh(...), fresh: 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3a x^2). */
    private static INDArray geluDerivativeComposition(INDArray x, INDArray t) {
        INDArray w = x.mul(x).muli(3 * FusedKernels.GELU_A).addi(1.0).muli(x).muli(FusedKernels.GELU_C); // c x (1 + 3a x^2)
        return t.mul(t).rsubi(1.0).muli(w).addi(t).addi(1.0).muli(0.5);
    }

    /** SiLU (swish): x * sigmoid(x). */
    public Tensor silu() {
        Tensor a = this;
        INDArray s = Transforms.sigmoid(a.value, true);
        return fromOp(a.value.mul(s), g -> {
            // d/dx = s (1 + x (1 - s))
            INDArray d = s.rsub(1.0).muli(a.value).addi(1.0).muli(s);
            a.accumulate(d.muli(g));
        }, a);
    }

    /** Softmax over the last axis. */
    public Tensor softmax() {
        Tensor a = this;
        INDArray y = Softmax.forward(a.value);
        return fromOp(y, g -> a.accumulate(Softmax.backward(y, g)), a);
    }

    /** Log-softmax over the last axis. */
    public Tensor logSoftmax() {
        Tensor a = this;
        INDArray y = Softmax.logForward(a.value);
        return fromOp(y, g -> {
            // dx = g - softmax * sum(g)
            INDArray p = Transforms.exp(y, true);
            INDArray s = g.sum(true, y.rank() - 1);
            a.accumulate(g.sub(p.muli(s)));
        }, a);
    }

    /**
     * Inverted dropout: zeroes each element with probability {@code p} and scales the rest by
     * 1/(1-p); the identity when {@code p == 0}.
     */
    public Tensor dropout(double p, java.util.Random random) {
        if (p < 0 || p >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return this;
        }
        Tensor a = this;
        double keep = 1.0 - p;
        double[] m = new double[(int) a.value.length()];
        for (int i = 0; i < m.length; i++) {
            m[i] = random.nextDouble() < keep ? 1.0 / keep : 0.0;
        }
        INDArray mask = Nd4j.create(m, a.shape(), 'c').castTo(a.dataType());
        return fromOp(a.value.mul(mask), g -> a.accumulate(g.mul(mask)), a);
    }

    // ------------------------------------------------------------------ reductions

    /** Sum over the given axes (all when none), keeping them as size 1 when {@code keepDims}. */
    public Tensor sum(boolean keepDims, int... axes) {
        Tensor a = this;
        INDArray y = axes.length == 0 ? a.value.sum(keepDims) : a.value.sum(keepDims, axes);
        if (axes.length == 0 && !keepDims) {
            y = y.reshape(); // scalar
        }
        long[] kept = Broadcast.keptShape(a.shape(), axes);
        return fromOp(y, g -> a.accumulate(Broadcast.expand(g.reshape(kept), a.shape())), a);
    }

    /** Sum of all elements, as a scalar. */
    public Tensor sum() {
        return sum(false);
    }

    /** Mean over the given axes (all when none). */
    public Tensor mean(boolean keepDims, int... axes) {
        long count = 1;
        if (axes.length == 0) {
            count = value.length();
        } else {
            for (int ax : axes) {
                count *= value.size(ax);
            }
        }
        return sum(keepDims, axes).scale(1.0 / count);
    }

    public Tensor mean() {
        return mean(false);
    }

    // ------------------------------------------------------------------ shape

    public Tensor reshape(long... shape) {
        Tensor a = this;
        long[] in = a.shape();
        INDArray y = a.value.reshape('c', shape);
        // g is this node's own gradient, unused after this function, so a reshaped view (a copy when
        // g is not contiguous) may be adopted
        return fromOp(y, g -> a.accumulateOwned(g.reshape('c', in)), a);
    }

    /** Reorders axes; the result is contiguous. */
    public Tensor permute(int... axes) {
        Tensor a = this;
        int[] inverse = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            inverse[axes[i]] = i;
        }
        INDArray y = a.value.permute(axes).dup('c');
        return fromOp(y, g -> a.accumulateOwned(g.permute(inverse).dup('c')), a);
    }

    /** Swaps two axes. */
    public Tensor transpose(int axis1, int axis2) {
        int r = rank();
        int[] axes = new int[r];
        for (int i = 0; i < r; i++) {
            axes[i] = i;
        }
        axes[norm(axis1)] = norm(axis2);
        axes[norm(axis2)] = norm(axis1);
        return permute(axes);
    }

    /** Elements {@code from} (inclusive) to {@code to} (exclusive) along one axis. */
    public Tensor slice(int axis, long from, long to) {
        Tensor a = this;
        int ax = norm(axis);
        INDArrayIndex[] idx = new INDArrayIndex[rank()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i == ax ? NDArrayIndex.interval(from, to) : NDArrayIndex.all();
        }
        INDArray y = a.value.get(idx).dup('c');
        return fromOp(y, g -> {
            INDArray full = Nd4j.zeros(a.dataType(), a.shape());
            full.get(idx).assign(g);
            a.accumulateOwned(full);
        }, a);
    }

    /** Joins tensors along an axis. */
    public static Tensor concat(int axis, Tensor... parts) {
        INDArray[] values = new INDArray[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = parts[i].value;
        }
        int ax = axis < 0 ? axis + parts[0].rank() : axis;
        INDArray y = Nd4j.concat(ax, values);
        return fromOp(y, g -> {
            long offset = 0;
            for (Tensor p : parts) {
                long len = p.size(ax);
                if (p.requiresGrad) {
                    INDArrayIndex[] idx = new INDArrayIndex[g.rank()];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = i == ax ? NDArrayIndex.interval(offset, offset + len) : NDArrayIndex.all();
                    }
                    p.accumulate(g.get(idx).dup('c'));
                }
                offset += len;
            }
        }, parts);
    }

    private int norm(int axis) {
        return axis < 0 ? axis + rank() : axis;
    }

    @Override
    public String toString() {
        return "Tensor" + (name == null ? "" : "(" + name + ")") + Arrays.toString(shape())
                + (requiresGrad ? " requiresGrad" : "");
    }
}
