package io.github.rpo4j.optim;

import io.github.rpo4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.blas.Level1;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019), as PyTorch's AdamW computes it:
 * p <- p (1 - lr wd); m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
 * p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 *
 * <p>Weight decay applies to matrices only; norm gains, biases and other vectors are not decayed
 * (the usual choice for transformers).
 */
public final class AdamW {

    /** Hyper-parameters; {@link #defaults()} are PyTorch's except the weight decay of 0.1 (GPT-2 practice). */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        public Settings {
            if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
                throw new IllegalArgumentException("AdamW betas must be in [0, 1): " + beta1 + ", " + beta2);
            }
            if (eps <= 0 || weightDecay < 0) {
                throw new IllegalArgumentException("AdamW needs eps > 0 and weight decay >= 0: " + eps + ", " + weightDecay);
            }
        }

        public static Settings defaults() {
            return new Settings(0.9, 0.999, 1e-8, 0.1);
        }

        public Settings withWeightDecay(double wd) {
            return new Settings(beta1, beta2, eps, wd);
        }

        /** These settings with another second-moment decay (0.95 is common for transformers, e.g. nanoGPT). */
        public Settings withBeta2(double b2) {
            return new Settings(beta1, b2, eps, weightDecay);
        }
    }

    private final Map<String, Tensor> params;
    private final Settings settings;
    private final Map<String, INDArray> firstMoment = new LinkedHashMap<>();
    private final Map<String, INDArray> secondMoment = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, Tensor> params, Settings settings) {
        this.params = params;
        this.settings = settings;
    }

    /** Steps taken so far. */
    public long step() {
        return step;
    }

    /** Applies one update with learning rate {@code lr} to every parameter that has a gradient, then clears the gradients; their arrays are used as scratch space. */
    public void step(double lr) {
        step++;
        double bias1 = 1 - Math.pow(settings.beta1(), step);
        double bias2 = 1 - Math.pow(settings.beta2(), step);
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor p = e.getValue();
            INDArray g = p.grad();
            if (g == null) {
                continue;
            }
            INDArray value = p.value();
            INDArray m = firstMoment.computeIfAbsent(e.getKey(), k -> value.like());
            INDArray v = secondMoment.computeIfAbsent(e.getKey(), k -> value.like());
            // In place, with the gradient (about to be cleared) as the only scratch array: no
            // temporaries, each of which cost an allocation the size of the parameter.
            Level1 blas = Nd4j.getBlasWrapper().level1();
            long n = value.length();
            m.muli(settings.beta1());
            blas.axpy(n, 1 - settings.beta1(), g, m); // m = b1 m + (1 - b1) g
            g.muli(g);
            v.muli(settings.beta2());
            blas.axpy(n, 1 - settings.beta2(), g, v); // v = b2 v + (1 - b2) g^2
            if (settings.weightDecay() > 0 && value.rank() >= 2) {
                value.muli(1 - lr * settings.weightDecay());
            }
            INDArray step = g.assign(v).muli(1 / bias2);
            Transforms.sqrt(step, false).addi(settings.eps()).rdivi(m); // m / (sqrt(v / bias2) + eps)
            blas.axpy(n, -lr / bias1, step, value);
            p.zeroGrad();
        }
    }

    /**
     * The first-moment estimates by parameter name, for parameters that have had a gradient; the live
     * arrays, for writing a checkpoint (do not change them).
     */
    public Map<String, INDArray> firstMoments() {
        return java.util.Collections.unmodifiableMap(firstMoment);
    }

    /** The second-moment estimates, as {@link #firstMoments()}. */
    public Map<String, INDArray> secondMoments() {
        return java.util.Collections.unmodifiableMap(secondMoment);
    }

    /**
     * Restores the state a checkpoint recorded: the steps taken and both moments, so that the next
     * {@link #step(double)} computes exactly what it would have without the interruption.
     *
     * @throws IllegalArgumentException naming the parameter, when a moment names no parameter, has another
     *                                  shape, or lacks its partner
     */
    public void restore(long steps, Map<String, INDArray> first, Map<String, INDArray> second) {
        if (steps < 0) {
            throw new IllegalArgumentException("AdamW step count must be >= 0, got " + steps);
        }
        if (!first.keySet().equals(second.keySet())) {
            throw new IllegalArgumentException("AdamW moments: first moments for " + first.keySet()
                    + " but second moments for " + second.keySet());
        }
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        for (String name : first.keySet()) {
            Tensor p = params.get(name);
            if (p == null) {
                throw new IllegalArgumentException("AdamW moments for \"" + name + "\", which is not a parameter");
            }
            for (INDArray moment : List.of(first.get(name), second.get(name))) {
                if (!java.util.Arrays.equals(moment.shape(), p.value().shape())) {
                    throw new IllegalArgumentException("AdamW moment of \"" + name + "\" has shape "
                            + java.util.Arrays.toString(moment.shape()) + ", the parameter "
                            + java.util.Arrays.toString(p.value().shape()));
                }
            }
            m.put(name, p.value().like().assign(first.get(name)));
            v.put(name, p.value().like().assign(second.get(name)));
        }
        firstMoment.clear();
        firstMoment.putAll(m);
        secondMoment.clear();
        secondMoment.putAll(v);
        step = steps;
    }

    /** Clears every parameter's gradient without updating. */
    public void zeroGrad() {
        params.values().forEach(Tensor::zeroGrad);
    }
}
