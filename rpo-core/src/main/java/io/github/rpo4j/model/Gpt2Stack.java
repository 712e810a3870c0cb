package io.github.rpo4j.model;

import io.github.rpo4j.nn.Linear;
import io.github.rpo4j.nn.Norm;
import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * GPT-2's layout (GPT2LMHeadModel): token and learned position embeddings, pre-LayerNorm blocks with a
 * fused q|k|v projection and a GELU MLP, all with biases, Conv1D weights stored (in, out).
 */
final class Gpt2Stack implements BlockStack {

    /** One GPT-2 block: x + proj(attn(qkv(norm1(x)))), then x + mlpProj(gelu(fc(norm2(x)))). */
    record Block(Norm norm1, Linear qkv, Linear proj, Norm norm2, Linear fc, Linear mlpProj) {

        /** The block's second half: x + MLP(norm2(x)). */
        Tensor mlp(Tensor x) {
            Tensor h2 = norm2.forward(x);
            return x.add(mlpProj.forward(fc.forward(h2).gelu()));
        }
    }

    private final ModelConfig config;
    private final DataType dataType;
    private final Tensor tokenEmbedding; // (V, C)
    private final Tensor positionEmbedding; // (Tctx, C)
    private final Block[] blocks;
    private final Norm finalNorm;

    Gpt2Stack(ModelConfig config, Map<String, Tensor> ps) {
        this.config = config;
        this.tokenEmbedding = ps.get("wte.weight");
        this.dataType = tokenEmbedding.value().dataType();
        this.positionEmbedding = ps.get("wpe.weight");
        this.blocks = new Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            String b = "h." + l + ".";
            blocks[l] = new Block(
                    Norm.layerNorm(ps.get(b + "ln_1.weight"), ps.get(b + "ln_1.bias"), config.normEps()),
                    conv1d(ps, b + "attn.c_attn"), conv1d(ps, b + "attn.c_proj"),
                    Norm.layerNorm(ps.get(b + "ln_2.weight"), ps.get(b + "ln_2.bias"), config.normEps()),
                    conv1d(ps, b + "mlp.c_fc"), conv1d(ps, b + "mlp.c_proj"));
        }
        this.finalNorm = Norm.layerNorm(ps.get("ln_f.weight"), ps.get("ln_f.bias"), config.normEps());
    }

    private static Linear conv1d(Map<String, Tensor> ps, String name) {
        return new Linear(ps.get(name + ".weight"), ps.get(name + ".bias"), Linear.Layout.IN_OUT);
    }

    static void putShapes(ModelConfig c, Map<String, long[]> s) {
        long v = c.vocabSize();
        long w = c.width();
        long m = c.mlpWidth();
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
    }

    @Override
    public Tensor hidden(int[] ids, int[] positions, int batch, int time, INDArray keyPadding, KvCache cache) {
        Tensor x = Ops.embeddingSum(tokenEmbedding, ids, positionEmbedding, positions); // (B*T, C)
        if (cache != null && cache.store() instanceof KvCache.JavaArrays layers) {
            return cachedHidden(x, batch, time, keyPadding, cache, layers);
        }
        INDArray padding = HeadAttention.perHead(keyPadding, batch, time, config.heads(), cache); // (B*H, Tk)
        for (int l = 0; l < blocks.length; l++) {
            x = block(l, x, batch, time, padding, cache);
        }
        if (cache != null) {
            cache.advance(time);
        }
        return finalNorm.forward(x);
    }

    /** One block; {@code padding} is (B*H, Tk) or null. */
    private Tensor block(int l, Tensor x, int batch, int time, INDArray padding, KvCache cache) {
        Block b = blocks[l];
        int heads = config.heads();
        int d = config.headWidth();
        int width = config.width(); // C; the fused q|k|v is (B*T, 3C)
        Tensor h = b.norm1().forward(x); // (B*T, C)
        Tensor qkv = b.qkv().forward(h); // (B*T, 3C)
        if (cache == null) {
            // Without a cache (training, scoring): heads split, attended and merged in one node
            Tensor y = Ops.causalSelfAttention(qkv, batch, time, heads, padding); // (B*T, C)
            return b.mlp(x.add(b.proj().forward(y)));
        }
        Tensor q = HeadAttention.splitHeads(qkv.slice(1, 0, width), batch, time, heads, d); // (B, H, T, D)
        Tensor k = HeadAttention.splitHeads(qkv.slice(1, width, 2L * width), batch, time, heads, d);
        Tensor v = HeadAttention.splitHeads(qkv.slice(1, 2L * width, 3L * width), batch, time, heads, d);
        Tensor y = HeadAttention.attend(q, k, v, l, batch, time, heads, heads, d, padding, cache, 0); // (B*T, C)
        return b.mlp(x.add(b.proj().forward(y)));
    }

    /**
     * The blocks over a cache held in Java arrays ({@link CachedAttention}): the decoding path, without
     * gradients.
     *
     * @param x          the embedded inputs (B*T, C)
     * @param keyPadding (B, given) with 0 at padded keys, or null
     * @param layers     the cache's store
     */
    private Tensor cachedHidden(Tensor x, int batch, int time, INDArray keyPadding, KvCache cache,
                                KvCache.JavaArrays layers) {
        if (x.requiresGrad() && Tape.isRecording()) {
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
                    config.kvHeads(), config.headWidth(), layers.layers()[l], past, present, given);
            INDArray y = Ops.fromDoubles(att, new long[] {(long) batch * time, config.width()}, dataType); // (B*T, C)
            x = b.mlp(x.add(b.proj().forward(Tensor.constant(y))));
        }
        cache.advance(time);
        return finalNorm.forward(x);
    }
}
