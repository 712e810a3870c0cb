package io.github.rpo4j.model;

import io.github.rpo4j.tensor.Tensor;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The layers of one family's layout between the token ids and the output head: the embedding, the
 * blocks and the final norm. GPT-2 ({@link Gpt2Stack}: learned positions, LayerNorm, fused q|k|v, GELU)
 * and Llama's layout ({@link RotaryStack}: rotary positions, RMSNorm, separate projections, SwiGLU; Qwen2,
 * Mistral and Qwen3 are variants of its blocks) are separate types, so that each holds only the modules
 * it computes with.
 */
sealed interface BlockStack permits Gpt2Stack, RotaryStack {

    /**
     * The final normalised hidden states (B*T, C) for B rows of T token ids; the cache, when given, is read
     * for earlier positions, extended with these and advanced.
     *
     * @param ids        (B*T) token ids, row-major
     * @param positions  (B*T) absolute positions
     * @param keyPadding (B, cacheLength + T) with 0 at padded keys, or null when nothing is padded
     * @param cache      the cache, or null
     */
    Tensor hidden(int[] ids, int[] positions, int batch, int time, INDArray keyPadding, KvCache cache);

    /** Every parameter's Hugging Face name and shape for a configuration of this layout, in a stable order. */
    static void putShapes(ModelConfig c, Map<String, long[]> shapes) {
        if (c.family().gpt2Layout()) {
            Gpt2Stack.putShapes(c, shapes);
        } else {
            RotaryStack.putShapes(c, shapes);
        }
    }

    /** The stack of a configuration over parameters named as {@link #putShapes} names them. */
    static BlockStack of(ModelConfig c, Map<String, Tensor> params) {
        return c.family().gpt2Layout() ? new Gpt2Stack(c, params) : new RotaryStack(c, params);
    }
}
