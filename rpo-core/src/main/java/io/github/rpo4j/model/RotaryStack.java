package io.github.rpo4j.model;

import io.github.rpo4j.nn.Linear;
import io.github.rpo4j.nn.Norm;
import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tensor;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Llama's layout (LlamaForCausalLM and the families built on it): a token embedding, pre-RMSNorm blocks
 * with rotary positions, grouped-query attention and a SwiGLU MLP, nn.Linear weights stored (out, in).
 * The families differ only inside a block: Qwen2's q, k and v projections carry biases, Mistral's and
 * Qwen's sliding-window layers a window, Qwen3's queries and keys a per-head RMSNorm ({@link NormedProjections}).
 */
final class RotaryStack implements BlockStack {

    /** Queries (B*T, H*D), keys and values (B*T, Hkv*D) of one block, before the rotation. */
    record QueryKeyValue(Tensor q, Tensor k, Tensor v) {
    }

    /** How a block makes its queries, keys and values from the normalised input. */
    sealed interface Projections permits PlainProjections, NormedProjections {
        /** q, k, v for h (B*T, C). */
        QueryKeyValue project(Tensor h, int batch, int time, int heads, int kvHeads, int d);
    }

    /** Llama, Qwen2, Mistral: three nn.Linear maps (with biases where the family or config has them). */
    record PlainProjections(Linear q, Linear k, Linear v) implements Projections {
        @Override
        public QueryKeyValue project(Tensor h, int batch, int time, int heads, int kvHeads, int d) {
            return new QueryKeyValue(q.forward(h), k.forward(h), v.forward(h)); // (B*T, H*D), (B*T, Hkv*D) x 2
        }
    }

    /** Qwen3: three nn.Linear maps, then an RMSNorm over each head's D values of q and of k. */
    record NormedProjections(Linear q, Linear k, Linear v, Norm qNorm, Norm kNorm) implements Projections {
        @Override
        public QueryKeyValue project(Tensor h, int batch, int time, int heads, int kvHeads, int d) {
            long rows = (long) batch * time;
            Tensor qs = q.forward(h); // (B*T, H*D)
            Tensor ks = k.forward(h); // (B*T, Hkv*D)
            Tensor vs = v.forward(h);
            Tensor qn = qNorm.forward(qs.reshape(rows * heads, d)).reshape(rows, (long) heads * d);
            Tensor kn = kNorm.forward(ks.reshape(rows * kvHeads, d)).reshape(rows, (long) kvHeads * d);
            return new QueryKeyValue(qn, kn, vs);
        }
    }

    /**
     * One block: x + o(attn(rope(qkv(norm1(x))))), then x + down(silu(gate(h)) * up(h)) with h = norm2(x).
     *
     * @param window how many positions, itself included, a query sees in this layer; 0 for all
     */
    record Block(Norm norm1, Projections projections, Linear o, int window, Norm norm2, Linear gate, Linear up,
                 Linear down) {

        /** The block's second half: x + MLP(norm2(x)). */
        Tensor mlp(Tensor x) {
            Tensor h2 = norm2.forward(x);
            return x.add(down.forward(gate.forward(h2).silu().mul(up.forward(h2))));
        }
    }

    private final ModelConfig config;
    private final DataType dataType;
    private final Tensor tokenEmbedding; // (V, C)
    private final double[] ropeFrequencies; // (D/2) radians per position
    private final Block[] blocks;
    private final Norm finalNorm;

    RotaryStack(ModelConfig config, Map<String, Tensor> ps) {
        this.config = config;
        this.tokenEmbedding = ps.get("model.embed_tokens.weight");
        this.dataType = tokenEmbedding.value().dataType();
        this.ropeFrequencies = Rope.inverseFrequencies(config);
        this.blocks = new Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = "model.layers." + l + ".";
            Linear q = linear(ps, b + "self_attn.q_proj");
            Linear k = linear(ps, b + "self_attn.k_proj");
            Linear v = linear(ps, b + "self_attn.v_proj");
            Projections projections = config.family().qkNorm()
                    ? new NormedProjections(q, k, v, Norm.rmsNorm(ps.get(b + "self_attn.q_norm.weight"), config.normEps()),
                            Norm.rmsNorm(ps.get(b + "self_attn.k_norm.weight"), config.normEps()))
                    : new PlainProjections(q, k, v);
            blocks[l] = new Block(Norm.rmsNorm(ps.get(b + "input_layernorm.weight"), config.normEps()), projections,
                    linear(ps, b + "self_attn.o_proj"), config.attentionWindow(l),
                    Norm.rmsNorm(ps.get(b + "post_attention_layernorm.weight"), config.normEps()),
                    linear(ps, b + "mlp.gate_proj"), linear(ps, b + "mlp.up_proj"), linear(ps, b + "mlp.down_proj"));
        }
        this.finalNorm = Norm.rmsNorm(ps.get("model.norm.weight"), config.normEps());
    }

    /** An nn.Linear, with its bias when the parameters hold one (Qwen2's q, k, v; attention_bias, mlp_bias). */
    private static Linear linear(Map<String, Tensor> ps, String name) {
        return new Linear(ps.get(name + ".weight"), ps.get(name + ".bias"), Linear.Layout.OUT_IN);
    }

    static void putShapes(ModelConfig c, Map<String, long[]> s) {
        long w = c.width();
        long m = c.mlpWidth();
        long q = (long) c.heads() * c.headWidth();
        long kv = (long) c.kvHeads() * c.headWidth();
        boolean qkvBias = c.attentionBias() || c.family().qkvBiases();
        s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), w});
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

    /** An nn.Linear's weight (out, in) and, when it has one, its bias (out). */
    private static void linearShapes(Map<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[] {out, in});
        if (bias) {
            s.put(name + ".bias", new long[] {out});
        }
    }

    @Override
    public Tensor hidden(int[] ids, int[] positions, int batch, int time, INDArray keyPadding, KvCache cache) {
        if (cache != null && !(cache.store() instanceof KvCache.NdArrays)) {
            throw new IllegalArgumentException("this KV cache was made for GPT-2's layout, not for a "
                    + config.family().modelType() + " model");
        }
        Tensor x = Ops.embedding(tokenEmbedding, ids); // (B*T, C)
        INDArray[] cosSin = Rope.cosSin(positions, batch, time, ropeFrequencies, dataType); // (B, 1, T, D) x 2
        INDArray padding = HeadAttention.perHead(keyPadding, batch, time, config.heads(), cache); // (B*H, Tk)
        for (int l = 0; l < blocks.length; l++) {
            x = block(l, x, batch, time, cosSin[0], cosSin[1], padding, cache);
        }
        if (cache != null) {
            cache.advance(time);
        }
        return finalNorm.forward(x);
    }

    /** One block; cos and sin are (B, 1, T, D), {@code padding} (B*H, Tk) or null. */
    private Tensor block(int l, Tensor x, int batch, int time, INDArray cos, INDArray sin, INDArray padding,
                         KvCache cache) {
        Block b = blocks[l];
        int heads = config.heads();
        int kvHeads = config.kvHeads();
        int d = config.headWidth();
        QueryKeyValue qkv = b.projections().project(b.norm1().forward(x), batch, time, heads, kvHeads, d);
        Tensor q = HeadAttention.splitHeads(qkv.q(), batch, time, heads, d); // (B, H, T, D)
        Tensor k = HeadAttention.splitHeads(qkv.k(), batch, time, kvHeads, d); // (B, Hkv, T, D)
        Tensor v = HeadAttention.splitHeads(qkv.v(), batch, time, kvHeads, d);
        q = Ops.rope(q, cos, sin);
        k = Ops.rope(k, cos, sin);
        Tensor y = HeadAttention.attend(q, k, v, l, batch, time, heads, kvHeads, d, padding, cache, b.window()); // (B*T, H*D)
        return b.mlp(x.add(b.o().forward(y)));
    }
}
