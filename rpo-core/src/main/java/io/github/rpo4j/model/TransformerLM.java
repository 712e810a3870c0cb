package io.github.rpo4j.model;

import io.github.rpo4j.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A decoder-only transformer of the GPT-2 family or of Llama's layout (Llama, Qwen2, Mistral, Qwen3).
 *
 * <p>Parameters are kept by their Hugging Face names ({@code h.0.attn.c_attn.weight} for GPT-2,
 * {@code model.layers.0.self_attn.q_proj.weight} for Llama) in the orientation Hugging Face stores,
 * so checkpoints load and save without renaming or transposing.
 *
 * <p>The layers between the ids and the output head are the family's own type ({@link BlockStack}):
 * GPT-2's layout, or Llama's layout with the variants of Qwen2, Mistral and Qwen3 in its blocks.
 *
 * <p>Activations flow as rows: the batch and time axes are folded into the rows of every
 * matrix product, (B*T, C), and only attention unfolds them.
 */
public final class TransformerLM {

    static {
        // initialize() creates arrays before any Tensor op: OpenBLAS's kernel choice must come first
        io.github.rpo4j.tensor.OpenBlasCore.applyBeforeNativeLoad();
    }

    private final ModelConfig config;
    private final Map<String, Tensor> params;
    private final DataType dataType;

    private final BlockStack stack; // the family's embedding, blocks and final norm
    private final Tensor head; // (V, C): applied as x head^T

    /**
     * Builds the model over existing parameters, named as Hugging Face names them. Every expected
     * tensor must be present with the right shape, and no other may be given; errors name the tensors
     * and both shapes.
     */
    public TransformerLM(ModelConfig config, Map<String, INDArray> weights) {
        this.config = config;
        Map<String, long[]> expected = expectedShapes(config);
        Set<String> unused = new TreeSet<>(weights.keySet());
        unused.removeAll(expected.keySet());
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException("tensors " + unused + " are not part of this " + config.family().modelType()
                    + " configuration; nothing would use them");
        }
        Map<String, Tensor> ps = new LinkedHashMap<>();
        DataType type = null;
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            INDArray w = weights.get(e.getKey());
            if (w == null) {
                throw new IllegalArgumentException("missing tensor \"" + e.getKey() + "\" of shape " + Arrays.toString(e.getValue()));
            }
            if (!Arrays.equals(w.shape(), e.getValue())) {
                throw new IllegalArgumentException("tensor \"" + e.getKey() + "\" has shape " + Arrays.toString(w.shape())
                        + " but the configuration needs " + Arrays.toString(e.getValue()));
            }
            type = type == null ? w.dataType() : type;
            ps.put(e.getKey(), Tensor.param(w.dataType() == type ? w : w.castTo(type)).named(e.getKey()));
        }
        this.params = Collections.unmodifiableMap(ps);
        this.dataType = type;

        stack = BlockStack.of(config, ps);
        head = ps.get(config.tieEmbeddings() ? embeddingName(config) : "lm_head.weight");
    }

    /** The token embedding's name, which a tied output head shares. */
    private static String embeddingName(ModelConfig config) {
        return config.family().gpt2Layout() ? "wte.weight" : "model.embed_tokens.weight";
    }

    /** Every parameter's Hugging Face name and shape for a configuration, in a stable order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        BlockStack.putShapes(c, s);
        if (!c.tieEmbeddings()) {
            s.put("lm_head.weight", new long[] {c.vocabSize(), c.width()});
        }
        return s;
    }

    /**
     * A freshly initialised model: weights N(0, 0.02), residual output projections N(0, 0.02/sqrt(2L))
     * as GPT-2 does, norm gains 1 and biases 0.
     */
    public static TransformerLM initialize(ModelConfig config, long seed, DataType type) {
        Random random = new Random(seed);
        Map<String, INDArray> w = new LinkedHashMap<>();
        double residualStd = 0.02 / Math.sqrt(2.0 * config.layers());
        for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            INDArray a;
            if (name.endsWith(".bias")) {
                a = Nd4j.zeros(type, shape);
            } else if (shape.length == 1) {
                a = Nd4j.ones(type, shape);
            } else {
                boolean residual = name.endsWith("c_proj.weight") || name.endsWith("o_proj.weight")
                        || name.endsWith("down_proj.weight");
                a = gaussian(random, residual ? residualStd : 0.02, shape).castTo(type);
            }
            w.put(name, a);
        }
        return new TransformerLM(config, w);
    }

    private static INDArray gaussian(Random random, double std, long[] shape) {
        int n = (int) (shape[0] * shape[1]);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian() * std;
        }
        return Nd4j.create(v, shape, 'c');
    }

    public ModelConfig config() {
        return config;
    }

    public DataType dataType() {
        return dataType;
    }

    /** Parameters by Hugging Face name (tied weights appear once). */
    public Map<String, Tensor> parameters() {
        return params;
    }

    /** Parameter values by name, the map a checkpoint writer stores. */
    public Map<String, INDArray> weights() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        params.forEach((k, t) -> w.put(k, t.value()));
        return w;
    }

    public long parameterCount() {
        return params.values().stream().mapToLong(t -> t.value().length()).sum();
    }

    /** Logits (B*T, V) for B rows of T token ids, positions 0..T-1, no cache: the training forward. */
    public Tensor forward(int[] ids, int batch, int time) {
        return forward(ids, batch, time, null, null, null);
    }

    /**
     * Logits (B*T, V) for B rows of T new token ids.
     *
     * @param ids        (B*T) token ids, row-major
     * @param positions  (B*T) absolute positions, or null for cacheLength + t
     * @param keyPadding (B, cacheLength + T) with 0 at padded keys, or null when nothing is padded
     * @param cache      the cache to read earlier positions from and append these to, or null
     */
    public Tensor forward(int[] ids, int batch, int time, int[] positions, INDArray keyPadding, KvCache cache) {
        Tensor x = hidden(ids, batch, time, positions, keyPadding, cache);
        return x.matmul(head, false, true); // (B*T, V)
    }

    /** Logits (N, V) for rows of final hidden states (N, C), e.g. only each row's last position. */
    public Tensor logits(Tensor hiddenRows) {
        return hiddenRows.matmul(head, false, true);
    }

    /** The final normalised hidden states (B*T, C), before the output head. */
    public Tensor hidden(int[] ids, int batch, int time, int[] positions, INDArray keyPadding, KvCache cache) {
        if (ids.length != batch * time) {
            throw new IllegalArgumentException("expected " + batch + " x " + time + " ids, got " + ids.length);
        }
        int past = cache == null ? 0 : cache.length();
        if (past + time > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + (past + time) + " tokens exceeds the context length "
                    + config.contextLength());
        }
        int[] pos = positions;
        if (pos == null) {
            pos = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pos[i] = past + i % time;
            }
        }
        return stack.hidden(ids, pos, batch, time, keyPadding, cache);
    }
}
