package io.github.rpo4j.model;

import java.util.ArrayList;
import java.util.List;

/** The architecture families rpo4j implements, named as Hugging Face's {@code model_type}. */
public enum Family {
    /** Learned positions, pre-LayerNorm, GELU MLP, biases, tied embeddings (GPT2LMHeadModel). */
    GPT2("gpt2", "GPT2LMHeadModel", "GPT2Model"),
    /** Rotary positions, RMSNorm, SwiGLU MLP, biases only where attention_bias / mlp_bias ask, grouped-query attention (LlamaForCausalLM). */
    LLAMA("llama", "LlamaForCausalLM"),
    /** Llama's layout with biases on the q, k and v projections (not o) and optional sliding-window layers (Qwen2ForCausalLM, also Qwen2.5). */
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    /** Llama's layout without biases, with sliding-window attention in every layer (MistralForCausalLM). */
    MISTRAL("mistral", "MistralForCausalLM"),
    /** Llama's layout with a per-head RMSNorm on q and k before the rotation (Qwen3ForCausalLM). */
    QWEN3("qwen3", "Qwen3ForCausalLM");

    private final String modelType;
    private final String architecture;
    private final List<String> readableArchitectures;

    Family(String modelType, String architecture, String... alsoReadable) {
        this.modelType = modelType;
        this.architecture = architecture;
        List<String> readable = new ArrayList<>(List.of(architecture));
        readable.addAll(List.of(alsoReadable));
        this.readableArchitectures = List.copyOf(readable);
    }

    public String modelType() {
        return modelType;
    }

    public String architecture() {
        return architecture;
    }

    /**
     * The config.json {@code architectures} entries this family loads: the causal language model, and for
     * GPT-2 the bare GPT2Model, whose tensors are the same less a tied output head.
     */
    public List<String> readableArchitectures() {
        return readableArchitectures;
    }

    /** Whether the family has GPT-2's layout (learned positions, LayerNorm, fused qkv); every other family has Llama's. */
    public boolean gpt2Layout() {
        return this == GPT2;
    }

    /** Whether the q, k and v projections always have biases, whatever attention_bias says (Qwen2). */
    public boolean qkvBiases() {
        return this == QWEN2;
    }

    /** Whether q and k pass a per-head RMSNorm (q_norm, k_norm, of the head width) before the rotation (Qwen3). */
    public boolean qkNorm() {
        return this == QWEN3;
    }

    public static Family fromModelType(String type) {
        for (Family f : values()) {
            if (f.modelType.equals(type)) {
                return f;
            }
        }
        List<String> known = new ArrayList<>();
        for (Family f : values()) {
            known.add(f.modelType);
        }
        throw new IllegalArgumentException("field \"model_type\" = \"" + type + "\" is not supported; rpo4j reads "
                + String.join(", ", known));
    }
}
