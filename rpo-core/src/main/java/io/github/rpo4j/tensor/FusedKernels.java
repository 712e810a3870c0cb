package io.github.rpo4j.tensor;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-pass kernels in plain Java for the elementwise work around the matrix products: GELU,
 * the masked softmax of attention and its gradient, LayerNorm and its gradient.
 *
 * <p>Each replaces a chain of ND4J calls, each of which made a full pass over its array (and most
 * a fresh one): GELU's forward was five passes and two fresh arrays, softmax five passes plus the
 * mask adds, LayerNorm six. A kernel here copies its inputs from ND4J's host buffer into Java
 * arrays in one bulk copy, does its arithmetic in one loop (in double, whatever the storage
 * type), and copies the result back; the bulk copies cost a small fraction of one ND4J pass.
 * Results are those of the ND4J compositions up to the last bits of float32 rounding (exp and tanh
 * are Java's, in double, rounded once), and never depend on the thread count: every loop runs on
 * the calling thread in a fixed order.
 *
 * <p>They read host memory, so they run only on ND4J's CPU backend, on float32 or float64 arrays
 * that are the whole of their buffers in row-major order; everywhere else (the CUDA backend in
 * particular) the callers keep the ND4J composition, which is also the plain reference the tests
 * compare these kernels with. {@link #setEnabled(boolean)} (or {@code -Drpo.fusedKernels=false})
 * selects the compositions everywhere, for benchmarks and tests.
 */
public final class FusedKernels {

    private static final boolean HOST_BACKEND = Nd4j.getEnvironment().isCPU();
    private static volatile boolean enabled = Boolean.parseBoolean(System.getProperty("rpo.fusedKernels", "true"));

    /** GELU's tanh-form constants: sqrt(2/pi) and the cubic coefficient. */
    static final double GELU_C = Math.sqrt(2.0 / Math.PI);
    static final double GELU_A = 0.044715;

    private FusedKernels() {
    }

    /** Whether the kernels are used where they apply (always false on a non-CPU backend). */
    public static boolean enabled() {
        return enabled && HOST_BACKEND;
    }

    /** Selects the kernels (true, the default) or the ND4J compositions (false) for every op that has both. */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** Whether the kernels can run on these arrays: enabled, host memory, float32/64, whole row-major buffers. */
    static boolean applies(INDArray... arrays) {
        if (!enabled()) {
            return false;
        }
        for (INDArray a : arrays) {
            DataType t = a.dataType();
            if ((t != DataType.FLOAT && t != DataType.DOUBLE) || !Tensor.isWholeCBuffer(a) || a.length() > Integer.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ GELU

    /** tanh(u) from one exp, saturating to +-1 without overflow trouble (exp(2u) = inf gives 1). */
    static double tanh(double u) {
        return 1.0 - 2.0 / (Math.exp(2.0 * u) + 1.0);
    }

    /**
     * tanh in float32 as a rational function (the odd degree-13 over even degree-6 approximation
     * Eigen uses for its vectorised float tanh), accurate to a few float32 ulps, with the argument
     * clamped to +-7.9988 (the approximation's range) and +-1 returned past 9.1. Only multiplies, adds, a divide and a
     * clamp: the JIT vectorises loops of it, where Java's scalar exp cost about 4 ns an element.
     */
    static float tanhFloat(float x) {
        float c = Math.max(-7.99881172180175781f, Math.min(7.99881172180175781f, x));
        float c2 = c * c;
        float p = c2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
        p = p * c2 + -8.60467152213735e-11f;
        p = p * c2 + 5.12229709037114e-08f;
        p = p * c2 + 1.48572235717979e-05f;
        p = p * c2 + 6.37261928875436e-04f;
        p = p * c2 + 4.89352455891786e-03f;
        p = p * c;
        float q = c2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
        q = q * c2 + 2.26843463243900e-03f;
        q = q * c2 + 4.89352518554385e-03f;
        // Past 9.1, tanh rounds to +-1 in float32; the clamped rational stays 3 ulps short of it, which
        // GELU's derivative multiplies by about x^3 (a 1e-4 error at x = 30). The switch to +-1 is
        // written with min/max instead of a branch so that loops of this still vectorise:
        // beyond is 1 past 9.1 and 0 below it, sign is +-1 for any |x| above 1e-30.
        float beyond = Math.min(1f, Math.max(0f, (Math.abs(x) - 9.1f) * 1e30f));
        float sign = Math.min(1f, Math.max(-1f, x * 1e30f));
        float r = p / q;
        return r + beyond * (sign - r);
    }

    /** Elements per block of the float32 GELU loops: their scratch stays in the L1 cache. */
    private static final int BLOCK = 2048;

    /**
     * t[i] = tanh(c (x + a x^3)) for x = xs[i], i < n. Three separate loops, each of which
     * the JIT vectorises; fused into one loop, the body was not vectorised and ran 12x slower.
     */
    private static void geluTanhBlock(float[] xs, int n, float[] t) {
        float c = (float) GELU_C;
        float a = (float) GELU_A;
        for (int i = 0; i < n; i++) {
            float v = xs[i];
            t[i] = c * v * (1f + a * v * v);
        }
        for (int i = 0; i < n; i++) {
            t[i] = tanhFloat(t[i]);
        }
    }

    /** GELU (tanh form) of x into a fresh array of x's shape and type. */
    static INDArray gelu(INDArray x) {
        if (x.dataType() == DataType.FLOAT) {
            // Streamed through two block-sized scratch arrays: whole-array Java copies were humongous
            // heap allocations that cost more than the arithmetic.
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
            FloatBuffer xb = x.data().asNioFloat();
            FloatBuffer yb = y.data().asNioFloat();
            int length = (int) x.length();
            float[] xs = new float[BLOCK];
            float[] t = new float[BLOCK];
            for (int from = 0; from < length; from += BLOCK) {
                int n = Math.min(BLOCK, length - from);
                xb.get(from, xs, 0, n);
                geluTanhBlock(xs, n, t);
                for (int i = 0; i < n; i++) {
                    t[i] = 0.5f * xs[i] * (1f + t[i]);
                }
                yb.put(from, t, 0, n);
            }
            return y;
        }
        HostArray in = HostArray.read(x);
        HostArray out = HostArray.uninitialized(x);
        for (int i = 0; i < in.length; i++) {
            double v = in.get(i);
            double t = tanh(GELU_C * v * (1.0 + GELU_A * v * v));
            out.set(i, 0.5 * v * (1.0 + t));
        }
        return out.write();
    }

    /** g *= GELU'(x), in place over g (this op's own gradient), the derivative recomputed from x. */
    static INDArray geluBackwardInPlace(INDArray x, INDArray g) {
        if (x.dataType() == DataType.FLOAT && g.dataType() == DataType.FLOAT) {
            float c = (float) GELU_C;
            float a = (float) GELU_A;
            FloatBuffer xb = x.data().asNioFloat();
            FloatBuffer gb = g.data().asNioFloat();
            int length = (int) x.length();
            float[] xs = new float[BLOCK];
            float[] gs = new float[BLOCK];
            float[] t = new float[BLOCK];
            for (int from = 0; from < length; from += BLOCK) {
                int n = Math.min(BLOCK, length - from);
                xb.get(from, xs, 0, n);
                gb.get(from, gs, 0, n);
                geluTanhBlock(xs, n, t);
                for (int i = 0; i < n; i++) {
                    float v = xs[i];
                    float ti = t[i];
                    // d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3a x^2)
                    gs[i] *= 0.5f * (1f + ti) + 0.5f * (1f - ti * ti) * c * v * (1f + 3f * a * v * v);
                }
                gb.put(from, gs, 0, n);
            }
            return g;
        }
        HostArray in = HostArray.read(x);
        HostArray grad = HostArray.read(g);
        for (int i = 0; i < in.length; i++) {
            double v = in.get(i);
            double w = GELU_C * v * (1.0 + GELU_A * v * v);
            double t = tanh(w);
            // d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3a x^2)
            double d = 0.5 * (1.0 + t) + 0.5 * (1.0 - t * t) * GELU_C * v * (1.0 + 3.0 * GELU_A * v * v);
            grad.set(i, grad.get(i) * d);
        }
        return grad.write();
    }

    // ------------------------------------------------------------------ attention softmax

    /**
     * In place over raw scores (BH, Tq, Tk) = q k^T: softmax(scale * s + causal mask + padding)
     * along the last axis, query i seeing keys 0..offset+i. Masked keys get exactly 0, as
     * exp(MASKED) underflows in the composition, and are not exponentiated at all unless a whole
     * visible row is padding (then the row is computed over every key with the mask values added,
     * as the composition does).
     *
     * @param keyPadding null, or (BH, Tk) with 1 for keys that exist and 0 for padding
     */
    static INDArray maskedSoftmaxInPlace(INDArray scores, double scale, long offset, INDArray keyPadding) {
        return maskedSoftmaxInPlace(scores, scale, offset, 0, keyPadding);
    }

    /**
     * As {@link #maskedSoftmaxInPlace(INDArray, double, long, INDArray)}, query i seeing only the keys
     * offset + i - window + 1 .. offset + i ({@code window} 0 for no limit); keys before the window are masked
     * as padding is.
     */
    static INDArray maskedSoftmaxInPlace(INDArray scores, double scale, long offset, int window, INDArray keyPadding) {
        int bh = (int) scores.size(0);
        int tq = (int) scores.size(1);
        int tk = (int) scores.size(2);
        double[] pad = keyPadding == null ? null : Ops.doubles(keyPadding); // (BH, Tk)
        HostArray s = HostArray.read(scores);
        double[] row = new double[tk];
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < tq; i++) {
                int base = (b * tq + i) * tk;
                int visible = (int) Math.min(tk, Math.max(0, offset + i + 1)); // keys 0..visible-1
                int first = window == 0 ? 0 : (int) Math.min(tk, Math.max(0, offset + i + 1 - window)); // keys before: out of the window
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < first; j++) {
                    row[j] = Double.NEGATIVE_INFINITY;
                }
                for (int j = first; j < visible; j++) {
                    double v = s.get(base + j) * scale;
                    if (pad != null && pad[b * tk + j] == 0) {
                        v += Ops.MASKED;
                    }
                    row[j] = v;
                    max = Math.max(max, v);
                }
                int end = visible;
                if (visible == 0 || max <= Ops.MASKED / 2) {
                    // every visible key masked: like the composition, weigh all keys by their masked scores
                    end = tk;
                    max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < tk; j++) {
                        double v = s.get(base + j) * scale + (j >= first && j < visible ? 0 : Ops.MASKED);
                        if (pad != null && pad[b * tk + j] == 0) {
                            v += Ops.MASKED;
                        }
                        row[j] = v;
                        max = Math.max(max, v);
                    }
                }
                double sum = 0;
                for (int j = 0; j < end; j++) {
                    double e = Math.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                double inv = 1.0 / sum;
                for (int j = 0; j < end; j++) {
                    s.set(base + j, row[j] * inv);
                }
                for (int j = end; j < tk; j++) {
                    s.set(base + j, 0.0);
                }
            }
        }
        return s.write();
    }

    /**
     * Softmax backward of attention in place over dP (BH, Tq, Tk): dS = scale * P * (dP - rowsum(dO * O)),
     * with rowsum(dP * P) taken as rowsum(dO * O) over (BH, Tq, D).
     *
     * @param p   the probabilities (BH, Tq, Tk)
     * @param dO  the output's gradient (BH, Tq, D)
     * @param out the output (BH, Tq, D)
     */
    static INDArray softmaxBackwardInPlace(INDArray dP, INDArray p, INDArray dO, INDArray out, double scale) {
        int rows = (int) (dP.size(0) * dP.size(1));
        int tk = (int) dP.size(2);
        int d = (int) out.size(2);
        HostArray ds = HostArray.read(dP);
        HostArray probs = HostArray.read(p);
        HostArray go = HostArray.read(dO);
        HostArray o = HostArray.read(out);
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += go.get(r * d + c) * o.get(r * d + c);
            }
            int base = r * tk;
            for (int j = 0; j < tk; j++) {
                double pj = probs.get(base + j);
                ds.set(base + j, pj == 0 ? 0.0 : scale * pj * (ds.get(base + j) - dot));
            }
        }
        return ds.write();
    }

    // ------------------------------------------------------------------ LayerNorm

    /**
     * LayerNorm of the rows of x (R, C): y = (x - mean) * rstd * gamma + beta, the variance biased,
     * statistics in double.
     *
     * @return {y (R, C), xhat (R, C), rstd (R, 1)}, all fresh, in x's type
     */
    static INDArray[] layerNorm(INDArray x, INDArray gamma, INDArray beta, double eps) {
        int rows = (int) x.size(0);
        int width = (int) x.size(1);
        double[] g = Ops.doubles(gamma);
        double[] b = beta == null ? null : Ops.doubles(beta);
        if (x.dataType() == DataType.FLOAT) {
            // float32: a row at a time through row-sized scratch arrays (no whole-array Java copies)
            INDArray y = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
            INDArray xhat = Nd4j.createUninitialized(DataType.FLOAT, x.shape(), 'c');
            FloatBuffer xb = x.data().asNioFloat();
            FloatBuffer yb = y.data().asNioFloat();
            FloatBuffer hb = xhat.data().asNioFloat();
            float[] row = new float[width];
            float[] hrow = new float[width];
            float[] rstd = new float[rows];
            for (int r = 0; r < rows; r++) {
                int base = r * width;
                xb.get(base, row, 0, width);
                double mean = 0;
                for (int c = 0; c < width; c++) {
                    mean += row[c];
                }
                mean /= width;
                double var = 0;
                for (int c = 0; c < width; c++) {
                    double e = row[c] - mean;
                    var += e * e;
                }
                double inv = 1.0 / Math.sqrt(var / width + eps);
                rstd[r] = (float) inv;
                for (int c = 0; c < width; c++) {
                    float h = (float) ((row[c] - mean) * inv);
                    hrow[c] = h;
                    row[c] = (float) (h * g[c] + (b == null ? 0.0 : b[c]));
                }
                hb.put(base, hrow, 0, width);
                yb.put(base, row, 0, width);
            }
            return new INDArray[] {y, xhat, Nd4j.create(rstd, new long[] {rows, 1}, 'c')};
        }
        HostArray in = HostArray.read(x);
        HostArray y = HostArray.uninitialized(x);
        HostArray xhat = HostArray.uninitialized(x);
        HostArray rstd = HostArray.uninitialized(x.dataType(), rows, 1);
        for (int r = 0; r < rows; r++) {
            int base = r * width;
            double mean = 0;
            for (int c = 0; c < width; c++) {
                mean += in.get(base + c);
            }
            mean /= width;
            double var = 0;
            for (int c = 0; c < width; c++) {
                double e = in.get(base + c) - mean;
                var += e * e;
            }
            double inv = 1.0 / Math.sqrt(var / width + eps);
            rstd.set(r, inv);
            for (int c = 0; c < width; c++) {
                double h = xhat.round((in.get(base + c) - mean) * inv); // as stored, so backward sees the same
                xhat.set(base + c, h);
                y.set(base + c, h * g[c] + (b == null ? 0.0 : b[c]));
            }
        }
        return new INDArray[] {y.write(), xhat.write(), rstd.write()};
    }

    /**
     * LayerNorm's backward from the saved xhat (R, C) and rstd (R, 1), over g (R, C), this op's own
     * gradient, which is overwritten with dx when {@code wantX}.
     *
     * @return {dx (g itself) or null, dgamma (C) or null, dbeta (C) or null}
     */
    static INDArray[] layerNormBackward(INDArray g, INDArray xhat, INDArray rstd, INDArray gamma,
                                        boolean wantX, boolean wantGamma, boolean wantBeta) {
        int rows = (int) g.size(0);
        int width = (int) g.size(1);
        double[] inv = Ops.doubles(rstd);
        double[] gam = Ops.doubles(gamma);
        double[] dGamma = new double[width];
        double[] dBeta = new double[width];
        if (g.dataType() == DataType.FLOAT && xhat.dataType() == DataType.FLOAT) {
            // float32: a row at a time through row-sized scratch arrays (no whole-array Java copies)
            FloatBuffer gb = g.data().asNioFloat();
            FloatBuffer hb = xhat.data().asNioFloat();
            float[] gf = new float[width];
            float[] hf = new float[width];
            for (int r = 0; r < rows; r++) {
                int base = r * width;
                gb.get(base, gf, 0, width);
                hb.get(base, hf, 0, width);
                double m1 = 0;
                double m2 = 0;
                for (int c = 0; c < width; c++) {
                    double gc = gf[c];
                    double hc = hf[c];
                    dGamma[c] += gc * hc;
                    dBeta[c] += gc;
                    double dh = gc * gam[c];
                    m1 += dh;
                    m2 += dh * hc;
                }
                if (wantX) {
                    m1 /= width;
                    m2 /= width;
                    for (int c = 0; c < width; c++) {
                        gf[c] = (float) (inv[r] * (gf[c] * gam[c] - m1 - hf[c] * m2));
                    }
                    gb.put(base, gf, 0, width);
                }
            }
        } else {
            HostArray grad = HostArray.read(g);
            HostArray h = HostArray.read(xhat);
            for (int r = 0; r < rows; r++) {
                int base = r * width;
                double m1 = 0; // mean(dxhat)
                double m2 = 0; // mean(dxhat * xhat)
                for (int c = 0; c < width; c++) {
                    double gc = grad.get(base + c);
                    double hc = h.get(base + c);
                    dGamma[c] += gc * hc;
                    dBeta[c] += gc;
                    double dh = gc * gam[c];
                    m1 += dh;
                    m2 += dh * hc;
                }
                if (wantX) {
                    m1 /= width;
                    m2 /= width;
                    for (int c = 0; c < width; c++) {
                        double dh = grad.get(base + c) * gam[c];
                        grad.set(base + c, inv[r] * (dh - m1 - h.get(base + c) * m2));
                    }
                }
            }
            if (wantX) {
                grad.write();
            }
        }
        long[] shape = gamma.shape();
        return new INDArray[] {
            wantX ? g : null,
            wantGamma ? Ops.fromDoubles(dGamma, shape, g.dataType()) : null,
            wantBeta ? Ops.fromDoubles(dBeta, shape, g.dataType()) : null};
    }
}
