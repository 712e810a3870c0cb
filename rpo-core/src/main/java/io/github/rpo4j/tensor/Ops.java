package io.github.rpo4j.tensor;

import io.github.rpo4j.losses.TokenLogProbs;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The fused ops of a transformer, each one node on the tape with a hand-written backward:
 * embedding lookup, LayerNorm, RMSNorm, rotary position embedding, head repetition for grouped-query
 * attention, causal self-attention and cross-entropy.
 */
public final class Ops {

    /** Added to the scores of masked key positions; finite so a fully masked row cannot make NaN. */
    static final double MASKED = -1e9;

    private Ops() {
    }

    // ------------------------------------------------------------------ embedding

    /**
     * Rows of {@code weight} (V, C) at {@code ids}: the result has shape (N, C). The backward
     * scatter-adds each row's gradient into the rows it was read from (ids may repeat).
     */
    public static Tensor embedding(Tensor weight, int[] ids) {
        checkIds(ids, weight.size(0), "token id");
        INDArray rows = weight.value().getRows(ids); // (N, C)
        return Tensor.fromOp(rows, g -> weight.accumulateOwned(
                scatterRows(doubles(g), ids, weight.shape(), weight.dataType())), weight);
    }

    // ------------------------------------------------------------------ affine

    /**
     * y = x W (+ b) over rows as one node: x (N, in), W (in, out), or (out, in) applied transposed
     * when {@code transposeW}; b (out) or null. The bias is added in place to the product, so the
     * layer allocates one (N, out) array where a product and a separate add allocated two.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor b, boolean transposeW) {
        INDArray y = Tensor.mm(x.value(), w.value(), false, transposeW); // (N, out), fresh
        if (b != null) {
            Broadcast.addiRowVector(y, b.value().reshape(1, y.size(1)));
        }
        Tensor[] inputs = b == null ? new Tensor[] {x, w} : new Tensor[] {x, w, b};
        return Tensor.fromOp(y, g -> {
            if (x.requiresGrad()) {
                x.accumulateOwned(Tensor.mm(g, w.value(), false, !transposeW)); // (N, in)
            }
            if (w.requiresGrad()) {
                w.accumulateOwned(transposeW ? Tensor.mm(g, x.value(), true, false) : Tensor.mm(x.value(), g, true, false));
            }
            if (b != null && b.requiresGrad()) {
                b.accumulateOwned(Broadcast.sumRows(g).reshape(b.shape()));
            }
        }, inputs);
    }

    /**
     * Token plus position embedding, GPT-2's input, as one node: tokens[ids[i]] + positions[pos[i]]
     * for tokens (V, C) and positions (Tctx, C); the result is (N, C). One Java gather and one
     * scatter per table, where two ND4J row gathers and an add cost three native calls and
     * allocations (ND4J's row gather was 3-6 % of a training step).
     */
    public static Tensor embeddingSum(Tensor tokens, int[] ids, Tensor positions, int[] pos) {
        int width = (int) tokens.size(1);
        if (positions.size(1) != width || ids.length != pos.length) {
            throw new IllegalArgumentException("embeddingSum needs tables of equal width and one position per id");
        }
        checkIds(ids, tokens.size(0), "token id");
        checkIds(pos, positions.size(0), "position");
        double[] tok = doubles(tokens.value());
        double[] wpe = doubles(positions.value());
        double[] out = new double[ids.length * width];
        for (int i = 0; i < ids.length; i++) {
            int o = i * width;
            int a = ids[i] * width;
            int b = pos[i] * width;
            for (int c = 0; c < width; c++) {
                out[o + c] = tok[a + c] + wpe[b + c];
            }
        }
        long[] shape = {ids.length, width};
        return Tensor.fromOp(fromDoubles(out, shape, tokens.dataType()), g -> {
            double[] gd = doubles(g);
            if (tokens.requiresGrad()) {
                tokens.accumulateOwned(scatterRows(gd, ids, tokens.shape(), tokens.dataType()));
            }
            if (positions.requiresGrad()) {
                positions.accumulateOwned(scatterRows(gd, pos, positions.shape(), positions.dataType()));
            }
        }, tokens, positions);
    }

    private static void checkIds(int[] ids, long size, String what) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= size) {
                throw new IllegalArgumentException(what + " " + ids[i] + " at position " + i + " is outside the table of " + size);
            }
        }
    }

    /** (rows, C) table-shaped sums of the rows of g (N, C) by their ids; ids may repeat. */
    private static INDArray scatterRows(double[] g, int[] ids, long[] shape, DataType type) {
        int width = (int) shape[1];
        double[] acc = new double[(int) (shape[0] * width)];
        for (int i = 0; i < ids.length; i++) {
            int o = ids[i] * width;
            int s = i * width;
            for (int c = 0; c < width; c++) {
                acc[o + c] += g[s + c];
            }
        }
        return fromDoubles(acc, shape, type);
    }

    // ------------------------------------------------------------------ normalisation

    /** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta; beta may be null. */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, double eps) {
        long[] shape = x.shape();
        long width = shape[shape.length - 1];
        boolean needsGrad = Tape.isRecording()
                && (x.requiresGrad() || gamma.requiresGrad() || (beta != null && beta.requiresGrad()));
        if (!needsGrad && x.value().length() <= SMALL_INFERENCE) {
            return Tensor.constant(layerNormRows(x.value(), gamma.value(), beta == null ? null : beta.value(), eps));
        }
        INDArray x2 = x.value().reshape('c', -1, width); // (R, C)
        Tensor[] inputs = beta == null ? new Tensor[] {x, gamma} : new Tensor[] {x, gamma, beta};
        if (FusedKernels.applies(x2, gamma.value()) && (beta == null || FusedKernels.applies(beta.value()))) {
            INDArray[] yHatRstd = FusedKernels.layerNorm(x2, gamma.value(), beta == null ? null : beta.value(), eps);
            INDArray xhatSaved = yHatRstd[1]; // (R, C)
            INDArray rstdSaved = yHatRstd[2]; // (R, 1)
            return Tensor.fromOp(yHatRstd[0].reshape('c', shape), g -> {
                INDArray g2 = g.reshape('c', -1, width); // (R, C), this node's own gradient
                if (!FusedKernels.applies(g2)) {
                    g2 = g2.dup('c');
                }
                INDArray[] d = FusedKernels.layerNormBackward(g2, xhatSaved, rstdSaved, gamma.value(),
                        x.requiresGrad(), gamma.requiresGrad(), beta != null && beta.requiresGrad());
                if (d[1] != null) {
                    gamma.accumulateOwned(d[1]);
                }
                if (d[2] != null) {
                    beta.accumulateOwned(d[2].reshape(beta.shape()));
                }
                if (d[0] != null) {
                    x.accumulateOwned(d[0].reshape('c', shape));
                }
            }, inputs);
        }
        INDArray mean = x2.mean(true, 1); // (R, 1)
        INDArray xhat = Broadcast.subiColumnVector(x2.dup('c'), mean); // (R, C), centred; the one fresh array besides y
        // Biased variance as |x - mean|^2 / C from a norm reduction: ND4J's variance op (summary
        // statistics) took 4 % of an S training step on its own.
        INDArray norm = xhat.norm2(1); // (R)
        INDArray rstd = Transforms.pow(norm.muli(norm).divi(width).addi(eps), -0.5, false).reshape(-1, 1); // (R, 1)
        Broadcast.muliColumnVector(xhat, rstd);
        INDArray gammaRow = gamma.value().reshape(1, width);
        INDArray y = Broadcast.muliRowVector(xhat.dup('c'), gammaRow);
        if (beta != null) {
            Broadcast.addiRowVector(y, beta.value().reshape(1, width));
        }
        return Tensor.fromOp(y.reshape('c', shape), g -> {
            INDArray g2 = g.reshape('c', -1, width); // (R, C), this node's own gradient
            INDArray t = g2.mul(xhat); // (R, C) scratch: g * xhat
            if (gamma.requiresGrad()) {
                gamma.accumulateOwned(Broadcast.sumRows(t).reshape(gamma.shape()));
            }
            if (beta != null && beta.requiresGrad()) {
                beta.accumulateOwned(Broadcast.sumRows(g2).reshape(beta.shape()));
            }
            if (x.requiresGrad()) {
                // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * gamma
                INDArray m2 = Broadcast.muliRowVector(t, gammaRow).mean(true, 1); // (R, 1)
                INDArray dx = Broadcast.muliRowVector(g2, gammaRow); // dxhat, in place over g
                INDArray m1 = dx.mean(true, 1);
                Broadcast.subiColumnVector(dx, m1).subi(Broadcast.muliColumnVector(t.assign(xhat), m2));
                Broadcast.muliColumnVector(dx, rstd);
                x.accumulateOwned(dx.reshape('c', shape));
            }
        }, inputs);
    }

    /**
     * Inference on at most this many elements runs as one Java loop instead of a chain of ND4J
     * calls: decoding normalises a few rows (B, C) per step, where ND4J's eight calls of about 20
     * microseconds each cost more than the arithmetic.
     */
    static final long SMALL_INFERENCE = 1 << 16;

    /** LayerNorm of the rows of x (..., C) in a Java loop, accumulating in double; no gradient. */
    static INDArray layerNormRows(INDArray x, INDArray gamma, INDArray beta, double eps) {
        int width = (int) x.size(x.rank() - 1);
        double[] a = doubles(x);
        double[] g = doubles(gamma);
        double[] b = beta == null ? null : doubles(beta);
        for (int r = 0; r < a.length; r += width) {
            double mean = 0;
            for (int c = 0; c < width; c++) {
                mean += a[r + c];
            }
            mean /= width;
            double var = 0;
            for (int c = 0; c < width; c++) {
                double e = a[r + c] - mean;
                var += e * e;
            }
            double rstd = 1.0 / Math.sqrt(var / width + eps);
            for (int c = 0; c < width; c++) {
                a[r + c] = (a[r + c] - mean) * rstd * g[c] + (b == null ? 0 : b[c]);
            }
        }
        return fromDoubles(a, x.shape(), x.dataType());
    }

    /**
     * The elements of {@code a} in row-major order as a fresh Java array; copies once (no
     * intermediate dup) when {@code a} is already the whole of its buffer in row-major order.
     */
    public static double[] doubles(INDArray a) {
        return (Tensor.isWholeCBuffer(a) ? a : a.dup('c')).data().asDouble();
    }

    /** A row-major array of the given shape and type holding {@code a}. */
    public static INDArray fromDoubles(double[] a, long[] shape, DataType type) {
        if (type == DataType.FLOAT) {
            float[] f = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                f[i] = (float) a[i];
            }
            return Nd4j.create(f, shape, 'c');
        }
        INDArray d = Nd4j.create(a, shape, 'c');
        return type == DataType.DOUBLE ? d : d.castTo(type);
    }

    /** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * gamma (Llama). */
    public static Tensor rmsNorm(Tensor x, Tensor gamma, double eps) {
        long[] shape = x.shape();
        long width = shape[shape.length - 1];
        INDArray x2 = x.value().reshape('c', -1, width); // (R, C)
        INDArray rstd = Transforms.pow(x2.mul(x2).mean(true, 1).addi(eps), -0.5, false); // (R, 1)
        INDArray xhat = x2.mul(rstd);
        INDArray gammaRow = gamma.value().reshape(1, width);
        INDArray y = xhat.mul(gammaRow);
        return Tensor.fromOp(y.reshape('c', shape), g -> {
            INDArray g2 = g.reshape('c', -1, width);
            if (gamma.requiresGrad()) {
                gamma.accumulate(g2.mul(xhat).sum(0).reshape(gamma.shape()));
            }
            if (x.requiresGrad()) {
                // dx = rstd * (dxhat - xhat * mean(dxhat * xhat))
                INDArray dxhat = g2.mul(gammaRow);
                INDArray m = dxhat.mul(xhat).mean(true, 1);
                INDArray dx = dxhat.subi(xhat.mul(m)).muli(rstd);
                x.accumulate(dx.reshape('c', shape));
            }
        }, x, gamma);
    }

    // ------------------------------------------------------------------ positions and heads

    /**
     * Rotary position embedding in the "rotate half" layout of Hugging Face's Llama:
     * out = x * cos + rotateHalf(x) * sin, with rotateHalf([x1, x2]) = [-x2, x1].
     *
     * @param x   (B, H, T, D)
     * @param cos (B or 1, 1, T, D)
     * @param sin (B or 1, 1, T, D)
     */
    public static Tensor rope(Tensor x, INDArray cos, INDArray sin) {
        INDArray xv = x.value();
        INDArray y = xv.mul(cos).addi(rotateHalf(xv, false).muli(sin));
        return Tensor.fromOp(y, g -> {
            // rotateHalf is linear with transpose rotateHalfT([y1, y2]) = [y2, -y1]
            INDArray dx = g.mul(cos).addi(rotateHalf(g.mul(sin), true));
            x.accumulate(dx);
        }, x);
    }

    /** [-x2, x1] (or, transposed, [x2, -x1]) over the halves of the last axis. */
    static INDArray rotateHalf(INDArray x, boolean transposed) {
        int last = x.rank() - 1;
        long half = x.size(last) / 2;
        INDArray x1 = x.get(lastAxisRange(x.rank(), 0, half));
        INDArray x2 = x.get(lastAxisRange(x.rank(), half, 2 * half));
        return transposed ? Nd4j.concat(last, x2, x1.neg()) : Nd4j.concat(last, x2.neg(), x1);
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex[] lastAxisRange(int rank, long from, long to) {
        org.nd4j.linalg.indexing.INDArrayIndex[] idx = new org.nd4j.linalg.indexing.INDArrayIndex[rank];
        for (int i = 0; i < rank - 1; i++) {
            idx[i] = org.nd4j.linalg.indexing.NDArrayIndex.all();
        }
        idx[rank - 1] = org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
        return idx;
    }

    /**
     * Repeats each key/value head {@code times} times along axis 1 for grouped-query attention:
     * (B, Hkv, T, D) -> (B, Hkv * times, T, D), query head h reading key/value head h / times.
     */
    public static Tensor repeatHeads(Tensor x, int times) {
        if (times == 1) {
            return x;
        }
        long[] s = x.shape();
        long[] expanded = {s[0], s[1], times, s[2], s[3]};
        INDArray y = x.value().reshape('c', s[0], s[1], 1, s[2], s[3]).broadcast(expanded).dup('c')
                .reshape('c', s[0], s[1] * times, s[2], s[3]);
        return Tensor.fromOp(y, g -> x.accumulate(
                g.reshape('c', expanded).sum(2).reshape('c', s)), x);
    }

    // ------------------------------------------------------------------ attention

    /**
     * Causal scaled dot-product attention over heads folded into the batch, as one node:
     * softmax(q k^T / sqrt(D) + mask) v. With fewer queries than keys (decoding with a cache), query
     * i sits at key position Tk - Tq + i and sees keys up to it.
     *
     * @param q          (BH, Tq, D)
     * @param k          (BH, Tk, D)
     * @param v          (BH, Tk, D)
     * @param keyPadding null, or (BH, Tk) with 1 for keys that exist and 0 for padding
     * @return (BH, Tq, D)
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, INDArray keyPadding) {
        return causalAttention(q, k, v, keyPadding, k.size(1) - q.size(1));
    }

    /**
     * As {@link #causalAttention(Tensor, Tensor, Tensor, INDArray)}, with query i at key position
     * {@code queryOffset + i}: keys after it are masked. A KV cache passes its whole preallocated
     * capacity as the keys and its filled length as the offset, so the unfilled slots are masked
     * by causality and no slice of the cache is ever copied.
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, INDArray keyPadding, long queryOffset) {
        return causalAttention(q, k, v, keyPadding, queryOffset, 0);
    }

    /**
     * As {@link #causalAttention(Tensor, Tensor, Tensor, INDArray, long)}, with a sliding window: query i at key
     * position p = queryOffset + i sees keys p - window + 1 .. p, {@code window} positions itself included (as
     * Hugging Face's sliding-window mask); {@code window} 0 for no limit.
     */
    public static Tensor causalAttention(Tensor q, Tensor k, Tensor v, INDArray keyPadding, long queryOffset, int window) {
        if (window < 0) {
            throw new IllegalArgumentException("attention window must be >= 0 (0 for none), got " + window);
        }
        long bh = q.size(0);
        long tq = q.size(1);
        long tk = k.size(1);
        long d = q.size(2);
        if (k.size(0) != bh || v.size(0) != bh || k.size(2) != d || v.size(1) != tk) {
            throw new IllegalArgumentException("attention shapes disagree: q " + Arrays.toString(q.shape())
                    + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        }
        if (queryOffset < 0 || queryOffset + tq > tk) {
            throw new IllegalArgumentException("queries at key positions " + queryOffset + ".." + (queryOffset + tq - 1)
                    + " do not fit " + tk + " keys");
        }
        INDArray[] pOut = attentionForward(q.value(), k.value(), v.value(), keyPadding, queryOffset, window);
        INDArray p = pOut[0]; // (BH, Tq, Tk)
        INDArray out = pOut[1]; // (BH, Tq, D)
        return Tensor.fromOp(out, g -> {
            INDArray[] grads = attentionBackward(q.value(), k.value(), v.value(), p, out, g,
                    q.requiresGrad(), k.requiresGrad(), v.requiresGrad(), null);
            if (q.requiresGrad()) {
                q.accumulateOwned(grads[0]);
            }
            if (k.requiresGrad()) {
                k.accumulateOwned(grads[1]);
            }
            if (v.requiresGrad()) {
                v.accumulateOwned(grads[2]);
            }
        }, q, k, v);
    }

    /**
     * GPT-2's causal self-attention from the fused projection to the merged heads, as one node:
     * qkv (B*T, 3C), columns [q | k | v] with head h at columns h*D..(h+1)*D of each, to (B*T, C).
     * Equal to slicing q, k and v, splitting each into heads (B*H, T, D), {@link #causalAttention}
     * and merging the heads back, but with one copy in where that composition made six (three
     * slices, three head transposes) and one gradient array out where it allocated three zero-filled
     * (B*T, 3C) arrays for the slices' backward.
     *
     * @param keyPadding null, or (B*H, T) with 1 for keys that exist and 0 for padding
     */
    public static Tensor causalSelfAttention(Tensor qkv, int batch, int time, int heads, INDArray keyPadding) {
        long n = qkv.size(0);
        long width = qkv.size(1) / 3;
        long d = width / heads;
        long bh = (long) batch * heads;
        if (qkv.rank() != 2 || n != (long) batch * time || qkv.size(1) != 3 * width || width != d * heads) {
            throw new IllegalArgumentException("causalSelfAttention needs qkv (B*T, 3*H*D) for B=" + batch + ", T=" + time
                    + ", H=" + heads + "; got " + Arrays.toString(qkv.shape()));
        }
        // (B*T, 3C) -> (3, B, H, T, D) -> (3, B*H, T, D): q, k and v heads, each block contiguous
        INDArray split = qkv.value().reshape('c', batch, time, 3, heads, d).permute(2, 0, 3, 1, 4).dup('c')
                .reshape('c', 3, bh, time, d);
        INDArray q = part(split, 0); // (BH, T, D)
        INDArray k = part(split, 1);
        INDArray v = part(split, 2);
        INDArray[] pOut = attentionForward(q, k, v, keyPadding, 0, 0);
        INDArray p = pOut[0]; // (BH, T, T)
        INDArray out = pOut[1]; // (BH, T, D)
        INDArray merged = out.reshape('c', batch, heads, time, d).permute(0, 2, 1, 3).dup('c')
                .reshape('c', n, width); // (B*T, C)
        return Tensor.fromOp(merged, g -> {
            INDArray gh = g.reshape('c', batch, time, heads, d).permute(0, 2, 1, 3).dup('c')
                    .reshape('c', bh, time, d); // dO (BH, T, D)
            INDArray dSplit = Nd4j.createUninitialized(qkv.dataType(), 3, bh, time, d);
            attentionBackward(q, k, v, p, out, gh, true, true, true, dSplit);
            qkv.accumulateOwned(dSplit.reshape('c', 3, batch, heads, time, d).permute(1, 3, 0, 2, 4).dup('c')
                    .reshape('c', n, 3 * width));
        }, qkv);
    }

    /** Block i of a (3, BH, T, D) array: a (BH, T, D) view. */
    private static INDArray part(INDArray split, int i) {
        return split.get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all());
    }

    /**
     * softmax(q k^T / sqrt(D) + causal mask + padding) and its product with v.
     *
     * @return {P (BH, Tq, Tk), O (BH, Tq, D)}
     */
    private static INDArray[] attentionForward(INDArray q, INDArray k, INDArray v, INDArray keyPadding, long queryOffset,
                                               int window) {
        long bh = q.size(0);
        long tq = q.size(1);
        long tk = k.size(1);
        double scale = 1.0 / Math.sqrt(q.size(2));
        INDArray scores = Tensor.mm(q, k, false, true); // (BH, Tq, Tk), fresh
        if (FusedKernels.applies(scores)) {
            // scale, masks and softmax in one pass per row; masked keys are never exponentiated
            INDArray p = FusedKernels.maskedSoftmaxInPlace(scores, scale, queryOffset, window, keyPadding);
            return new INDArray[] {p, Tensor.mm(p, v, false, false)};
        }
        scores.muli(scale);
        // In-place broadcast adds over rows of (BH, Tq*Tk): no (BH, Tq, Tk) temporary for the masks.
        INDArray flat = scores.reshape('c', bh, tq * tk);
        Broadcast.addiRowVector(flat, causalMask(tq, tk, queryOffset, window, scores.dataType()).reshape(1, tq * tk));
        if (keyPadding != null) {
            INDArray bias = keyPadding.castTo(scores.dataType()).rsub(1.0).muli(MASKED); // (BH, Tk)
            scores.reshape('c', bh * tq, tk).addi(tq == 1 ? bias : repeatRows(bias, tq));
        }
        INDArray p = Softmax.forwardInPlace(scores); // (BH, Tq, Tk)
        return new INDArray[] {p, Tensor.mm(p, v, false, false)};
    }

    /**
     * The gradients of {@link #attentionForward} from dO (BH, Tq, D). With {@code into} (3, BH, T, D)
     * they are written to its blocks 0, 1, 2 (all three wanted); otherwise returned as fresh arrays
     * {dq, dk, dv}, null where not wanted.
     */
    private static INDArray[] attentionBackward(INDArray q, INDArray k, INDArray v, INDArray p, INDArray out, INDArray g,
                                                boolean wantQ, boolean wantK, boolean wantV, INDArray into) {
        long bh = q.size(0);
        long tq = q.size(1);
        long tk = k.size(1);
        double scale = 1.0 / Math.sqrt(q.size(2));
        INDArray[] grads = new INDArray[3];
        if (wantV) {
            grads[2] = product(p, g, true, false, into, 2); // P^T dO (BH, Tk, D)
        }
        if (wantQ || wantK) {
            INDArray ds = Tensor.mm(g, v, false, true); // dP (BH, Tq, Tk), fresh
            // Softmax backward in place on dP: dS = P * (dP - rowsum(dP * P)), where
            // rowsum(dP * P) = rowsum(dO * O) (BH, Tq, 1), a (BH, Tq, D) product instead of (BH, Tq, Tk).
            if (FusedKernels.applies(ds, p, g, out)) {
                FusedKernels.softmaxBackwardInPlace(ds, p, g, out, scale);
            } else {
                INDArray dot = g.mul(out).sum(true, 2); // (BH, Tq, 1)
                Broadcast.subiColumnVector(ds.reshape('c', bh * tq, tk), dot.reshape('c', bh * tq, 1));
                ds.muli(p).muli(scale);
            }
            if (wantQ) {
                grads[0] = product(ds, k, false, false, into, 0); // dS K (BH, Tq, D)
            }
            if (wantK) {
                grads[1] = product(ds, q, true, false, into, 1); // dS^T Q (BH, Tk, D)
            }
        }
        return grads;
    }

    /** A batched product, fresh or written to block {@code i} of {@code into}. */
    private static INDArray product(INDArray a, INDArray b, boolean transA, boolean transB, INDArray into, int i) {
        if (into == null) {
            return Tensor.mm(a, b, transA, transB);
        }
        INDArray target = part(into, i);
        target.assign(Tensor.mm(a, b, transA, transB));
        return target;
    }

    /** (R, C) -> (R * times, C), each row repeated {@code times} times in place. */
    private static INDArray repeatRows(INDArray a, long times) {
        long r = a.size(0);
        long c = a.size(1);
        return a.reshape('c', r, 1, c).broadcast(r, times, c).dup('c').reshape('c', r * times, c);
    }

    /**
     * The last {@value #MASKS_KEPT} causal masks built, for the ND4J composition of attention (the
     * fused kernel needs none). Bounded because decoding with a cache asks for a new (query offset)
     * mask at every step.
     */
    private static final Map<String, INDArray> MASKS = Collections.synchronizedMap(
            new LinkedHashMap<String, INDArray>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, INDArray> eldest) {
                    return size() > MASKS_KEPT;
                }
            });

    static final int MASKS_KEPT = 16;

    /** How many causal masks are kept now (at most {@link #MASKS_KEPT}). */
    static int masksKept() {
        return MASKS.size();
    }

    /** (1, Tq, Tk): 0 where query i (at key position Tk - Tq + i) may see key j, MASKED elsewhere. */
    static INDArray causalMask(long tq, long tk, DataType type) {
        return causalMask(tq, tk, tk - tq, type);
    }

    /** (1, Tq, Tk): 0 where query i (at key position offset + i) may see key j, MASKED elsewhere. */
    static INDArray causalMask(long tq, long tk, long offset, DataType type) {
        return causalMask(tq, tk, offset, 0, type);
    }

    /**
     * (1, Tq, Tk): 0 where query i (at key position p = offset + i) may see key j, j in p - window + 1 .. p
     * ({@code window} 0 for 0 .. p), MASKED elsewhere.
     */
    static INDArray causalMask(long tq, long tk, long offset, int window, DataType type) {
        return MASKS.computeIfAbsent(tq + "x" + tk + "+" + offset + "w" + window + ":" + type, key -> {
            double[] m = new double[(int) (tq * tk)];
            for (int i = 0; i < tq; i++) {
                for (int j = 0; j < tk; j++) {
                    boolean inWindow = window == 0 || j > i + offset - window;
                    m[(int) (i * tk + j)] = j <= i + offset && inWindow ? 0.0 : MASKED;
                }
            }
            return Nd4j.create(m, new long[] {1, tq, tk}, 'c').castTo(type);
        });
    }

    // ------------------------------------------------------------------ cross-entropy

    /**
     * Mean cross-entropy of logits (N, V) against target ids (N), over the positions whose target
     * is not {@code ignoreIndex}. Returns a scalar; zero (with zero gradient) when every position
     * is ignored. Runs on the fused token log-prob kernel of rpo-losses, each position as its own
     * one-token sequence.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        long n = logits.size(0);
        long vocab = logits.size(1);
        if (logits.rank() != 2 || targets.length != n) {
            throw new IllegalArgumentException("crossEntropy needs logits (N, V) and N targets; got "
                    + Arrays.toString(logits.shape()) + " and " + targets.length + " targets");
        }
        double[] ids = new double[(int) n];
        double[] mask = new double[(int) n];
        int counted = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= vocab) {
                throw new IllegalArgumentException("target " + t + " at position " + i + " is outside the vocabulary of " + vocab);
            }
            ids[i] = t;
            mask[i] = 1;
            counted++;
        }
        INDArray targetArray = Nd4j.create(ids, new long[] {n, 1}, 'c'); // (N, 1): N one-token sequences
        INDArray maskArray = Nd4j.create(mask, new long[] {n, 1}, 'c');
        double total = 0;
        if (counted > 0) {
            for (double lp : TokenLogProbs.forward(logits.value(), targetArray, maskArray).sequenceLogProbs()) {
                total -= lp;
            }
        }
        int count = counted;
        INDArray loss = Nd4j.scalar(logits.dataType(), count == 0 ? 0.0 : total / count);
        return Tensor.fromOp(loss, g -> {
            if (count == 0) {
                return;
            }
            double[] weights = new double[(int) n];
            Arrays.fill(weights, -g.getDouble(0) / count); // d(-mean logp)/d logp_i
            logits.accumulate(TokenLogProbs.backwardFromSequenceWeights(logits.value(), targetArray, maskArray, weights));
        }, logits);
    }
}
