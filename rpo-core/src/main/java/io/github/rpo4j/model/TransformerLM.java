package io.github.rpo4j.model;

import io.github.rpo4j.nn.Linear;
import io.github.rpo4j.nn.Norm;
import io.github.rpo4j.tensor.Ops;
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

    private final Tensor tokenEmbedding; // (V, C)
    private final Tensor positionEmbedding; // (Tctx, C), GPT-2 only
    private final Block[] blocks;
    private final Norm finalNorm;
    private final Tensor head; // (V, C): applied as x head^T
    private final double[] ropeFrequencies; // (D/2) radians per position, Llama only

    /** One layer's modules; those a family does not have are null (qkv, fc: GPT-2; q..down: Llama's layout; qNorm, kNorm: Qwen3). */
    private record Block(Norm norm1, Linear qkv, Linear q, Linear k, Linear v, Norm qNorm, Norm kNorm, Linear proj,
                         Norm norm2, Linear fc, Linear gate, Linear up, Linear down) {
    }

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

        boolean gpt2 = config.family() == Family.GPT2;
        String p = gpt2 ? "" : "model.";
        tokenEmbedding = ps.get(gpt2 ? "wte.weight" : "model.embed_tokens.weight");
        positionEmbedding = gpt2 ? ps.get("wpe.weight") : null;
        blocks = new Block[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            if (gpt2) {
                String b = "h." + l + ".";
                blocks[l] = new Block(
                        Norm.layerNorm(ps.get(b + "ln_1.weight"), ps.get(b + "ln_1.bias"), config.normEps()),
                        conv1d(ps, b + "attn.c_attn"), null, null, null, null, null, conv1d(ps, b + "attn.c_proj"),
                        Norm.layerNorm(ps.get(b + "ln_2.weight"), ps.get(b + "ln_2.bias"), config.normEps()),
                        conv1d(ps, b + "mlp.c_fc"), null, null, conv1d(ps, b + "mlp.c_proj"));
            } else {
                String b = "model.layers." + l + ".";
                blocks[l] = new Block(
                        Norm.rmsNorm(ps.get(b + "input_layernorm.weight"), config.normEps()), null,
                        linear(ps, b + "self_attn.q_proj"), linear(ps, b + "self_attn.k_proj"),
                        linear(ps, b + "self_attn.v_proj"),
                        config.family().qkNorm() ? Norm.rmsNorm(ps.get(b + "self_attn.q_norm.weight"), config.normEps()) : null,
                        config.family().qkNorm() ? Norm.rmsNorm(ps.get(b + "self_attn.k_norm.weight"), config.normEps()) : null,
                        linear(ps, b + "self_attn.o_proj"),
                        Norm.rmsNorm(ps.get(b + "post_attention_layernorm.weight"), config.normEps()),
                        null, linear(ps, b + "mlp.gate_proj"), linear(ps, b + "mlp.up_proj"),
                        linear(ps, b + "mlp.down_proj"));
            }
        }
        finalNorm = gpt2 ? Norm.layerNorm(ps.get("ln_f.weight"), ps.get("ln_f.bias"), config.normEps())
                : Norm.rmsNorm(ps.get(p + "norm.weight"), config.normEps());
        head = config.tieEmbeddings() ? tokenEmbedding : ps.get("lm_head.weight");
        ropeFrequencies = gpt2 ? null : Rope.inverseFrequencies(config);
    }

    private static Linear conv1d(Map<String, Tensor> ps, String name) {
        return new Linear(ps.get(name + ".weight"), ps.get(name + ".bias"), Linear.Layout.IN_OUT);
    }

    /** An nn.Linear, with its bias when the configuration has one (attention_bias, mlp_bias). */
    private static Linear linear(Map<String, Tensor> ps, String name) {
        return new Linear(ps.get(name + ".weight"), ps.get(name + ".bias"), Linear.Layout.OUT_IN);
    }

    /** Every parameter's Hugging Face name and shape for a configuration, in a stable order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long v = c.vocabSize();
        long w = c.width();
        long m = c.mlpWidth();
        if (c.family() == Family.GPT2) {
            s.put("wte.weight", new long[] {v, w});
            s.put("wpe.weight", new long[] {c.contextLength(), w});
            for (int l = 0; l < c.layers(); l++) {
                String b = "h." + l + ".";
                s.put(b + "ln_1.weight", new long[] {w});
                s.put(b + "ln_1.bias", new long[] {w});
                s.put(b + "attn.c_attn.weight", new long[] {w, 3 * w});
                s.put(b + "attn.c_attn.bias", new long[] {3 * w});
                s.put(b + "attn.c_proj.weight", new long[] {w, w});
                s.put(b + "attn.c_proj.bias", new long[] {w});
                s.put(b + "ln_2.weight", new long[] {w});
                s.put(b + "ln_2.bias", new long[] {w});
                s.put(b + "mlp.c_fc.weight", new long[] {w, m});
                s.put(b + "mlp.c_fc.bias", new long[] {m});
                s.put(b + "mlp.c_proj.weight", new long[] {m, w});
                s.put(b + "mlp.c_proj.bias", new long[] {w});
            }
            s.put("ln_f.weight", new long[] {w});
            s.put("ln_f.bias", new long[] {w});
        } else {
            long q = (long) c.heads() * c.headWidth();
            long kv = (long) c.kvHeads() * c.headWidth();
            boolean qkvBias = c.attentionBias() || c.family().qkvBiases();
            s.put("model.embed_tokens.weight", new long[] {v, w});
            for (int l = 0; l < c.layers(); l++) {
                String b = "model.layers." + l + ".";
                s.put(b + "input_layernorm.weight", new long[] {w});
                linearShapes(s, b + "self_attn.q_proj", q, w, qkvBias);
                linearShapes(s, b + "self_attn.k_proj", kv, w, qkvBias);
                linearShapes(s, b + "self_attn.v_proj", kv, w, qkvBias);
                if (c.family().qkNorm()) {
                    s.put(b + "self_attn.q_norm.weight", new long[] {c.headWidth()});
                    s.put(b + "self_attn.k_norm.weight", new long[] {c.headWidth()});
                }
                linearShapes(s, b + "self_attn.o_proj", w, q, c.attentionBias());
                s.put(b + "post_attention_layernorm.weight", new long[] {w});
                linearShapes(s, b + "mlp.gate_proj", m, w, c.mlpBias());
                linearShapes(s, b + "mlp.up_proj", m, w, c.mlpBias());
                linearShapes(s, b + "mlp.down_proj", w, m, c.mlpBias());
            }
            s.put("model.norm.weight", new long[] {w});
        }
        if (!c.tieEmbeddings()) {
            s.put("lm_head.weight", new long[] {v, w});
        }
        return s;
    }

    /** An nn.Linear's weight (out, in) and, when it has one, its bias (out). */
    private static void linearShapes(Map<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[] {out, in});
        if (bias) {
            s.put(name + ".bias", new long[] {out});
        }
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
        Tensor x;
        INDArray cos = null;
        INDArray sin = null;
        if (config.family() == Family.GPT2) {
            x = Ops.embeddingSum(tokenEmbedding, ids, positionEmbedding, pos); // (B*T, C)
        } else {
            x = Ops.embedding(tokenEmbedding, ids); // (B*T, C)
            INDArray[] cs = Rope.cosSin(pos, batch, time, ropeFrequencies, dataType);
            cos = cs[0];
            sin = cs[1];
        }
        if (cache != null && cache.inJava()) {
            return cachedHidden(x, batch, time, keyPadding, cache);
        }
        INDArray padding = null; // (B*H, Tk): every head of a row shares its row's padding
        if (keyPadding != null) {
            int keys = cache == null ? time : cache.capacity();
            INDArray rows = keyPadding;
            if (rows.size(1) < keys) {
                // Slots after the filled ones are masked by causality; mark them present here.
                rows = Nd4j.concat(1, rows, Nd4j.ones(rows.dataType(), batch, keys - rows.size(1)));
            }
            padding = rows.reshape(batch, 1, keys).broadcast(batch, config.heads(), keys).dup('c')
                    .reshape((long) batch * config.heads(), keys);
        }
        for (int l = 0; l < blocks.length; l++) {
            x = block(l, x, batch, time, cos, sin, padding, cache);
        }
        if (cache != null) {
            cache.advance(time);
        }
        return finalNorm.forward(x);
    }

    /**
     * GPT-2 blocks over a cache held in Java arrays ({@link CachedAttention}): the decoding path,
     * without gradients.
     *
     * @param x          the embedded inputs (B*T, C)
     * @param keyPadding (B, given) with 0 at padded keys, or null
     */
    private Tensor cachedHidden(Tensor x, int batch, int time, INDArray keyPadding, KvCache cache) {
        if (x.requiresGrad() && io.github.rpo4j.tensor.Tape.isRecording()) {
            throw new IllegalStateException("decoding with a KV cache records no gradients: run it under Tape.noGrad()");
        }
        float[] present = null;
        int given = 0;
        if (keyPadding != null) {
            given = (int) keyPadding.size(1);
            present = keyPadding.castTo(DataType.FLOAT).dup('c').data().asFloat();
        }
        int past = cache.length();
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            Tensor qkv = b.qkv().forward(b.norm1().forward(x)); // (B*T, 3C)
            double[] att = CachedAttention.attend(Ops.doubles(qkv.value()), batch, time, config.heads(),
                    config.kvHeads(), config.headWidth(), cache.layer(l), past, present, given);
            INDArray y = Ops.fromDoubles(att, new long[] {(long) batch * time, config.width()}, dataType); // (B*T, C)
            x = mlp(b, x.add(b.proj().forward(Tensor.constant(y))));
        }
        cache.advance(time);
        return finalNorm.forward(x);
    }

    /** One pre-norm block; {@code padding} is (B*H, Tk) or null. */
    private Tensor block(int l, Tensor x, int batch, int time, INDArray cos, INDArray sin, INDArray padding,
                         KvCache cache) {
        Block b = blocks[l];
        int heads = config.heads();
        int kvHeads = config.kvHeads();
        int d = config.headWidth();
        int width = config.width(); // C, GPT-2's fused q|k|v is (B*T, 3C)

        Tensor h = b.norm1().forward(x); // (B*T, C)
        if (b.qkv() != null && cache == null) {
            // GPT-2 without a cache (training, scoring): heads split, attended and merged in one node
            Tensor y = Ops.causalSelfAttention(b.qkv().forward(h), batch, time, heads, padding); // (B*T, C)
            return mlp(b, x.add(b.proj().forward(y)));
        }
        Tensor q;
        Tensor k;
        Tensor v;
        if (b.qkv() != null) {
            Tensor qkv = b.qkv().forward(h); // (B*T, 3C)
            q = qkv.slice(1, 0, width);
            k = qkv.slice(1, width, 2L * width);
            v = qkv.slice(1, 2L * width, 3L * width);
        } else {
            q = b.q().forward(h); // (B*T, H*D)
            k = b.k().forward(h); // (B*T, Hkv*D)
            v = b.v().forward(h);
            if (b.qNorm() != null) {
                // Qwen3: RMSNorm over each head's D values, before the rotation
                q = b.qNorm().forward(q.reshape((long) batch * time * heads, d)).reshape((long) batch * time, (long) heads * d);
                k = b.kNorm().forward(k.reshape((long) batch * time * kvHeads, d)).reshape((long) batch * time, (long) kvHeads * d);
            }
        }
        q = q.reshape(batch, time, heads, d).permute(0, 2, 1, 3); // (B, H, T, D)
        k = k.reshape(batch, time, kvHeads, d).permute(0, 2, 1, 3); // (B, Hkv, T, D)
        v = v.reshape(batch, time, kvHeads, d).permute(0, 2, 1, 3);
        if (cos != null) {
            q = Ops.rope(q, cos, sin);
            k = Ops.rope(k, cos, sin);
        }
        int keysLength = time;
        int queryOffset = 0;
        if (cache != null) {
            cache.write(l, k.value(), v.value());
            keysLength = cache.capacity();
            queryOffset = cache.length();
            k = Tensor.constant(cache.keys(l)); // (B, Hkv, capacity, D)
            v = Tensor.constant(cache.values(l));
        }
        int rep = heads / kvHeads;
        k = Ops.repeatHeads(k, rep); // (B, H, Tk, D)
        v = Ops.repeatHeads(v, rep);
        Tensor att = Ops.causalAttention(
                q.reshape((long) batch * heads, time, d),
                k.reshape((long) batch * heads, keysLength, d),
                v.reshape((long) batch * heads, keysLength, d), padding, queryOffset,
                config.attentionWindow(l)); // (B*H, T, D)
        Tensor y = att.reshape(batch, heads, time, d).permute(0, 2, 1, 3).reshape((long) batch * time, (long) heads * d); // (B*T, H*D)
        return mlp(b, x.add(b.proj().forward(y)));
    }

    /** The block's second half: x + MLP(norm2(x)). */
    private static Tensor mlp(Block b, Tensor x) {
        Tensor h2 = b.norm2().forward(x);
        Tensor mlp = b.fc() != null
                ? b.down().forward(b.fc().forward(h2).gelu())
                : b.down().forward(b.gate().forward(h2).silu().mul(b.up().forward(h2)));
        return x.add(mlp);
    }
}
