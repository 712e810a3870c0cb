package io.github.rpo4j.model;

import java.util.ArrayList;
import java.util.List;

/** The architecture families rpo4j implements, named as Hugging Face's {@code model_type}. */
public enum Family {
    /** Learned positions, pre-LayerNorm, GELU MLP, biases, tied embeddings (GPT2LMHeadModel). */
    GPT2("gpt2", "GPT2LMHeadModel", "GPT2Model"),
    /** Rotary positions, RMSNorm, SwiGLU MLP, biases only where attention_bias / mlp_bias ask, grouped-query attention (LlamaForCausalLM). */
    LLAMA("llama", "LlamaForCausalLM");

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

    public static Family fromModelType(String type) {
        for (Family f : values()) {
            if (f.modelType.equals(type)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unsupported model_type \"" + type + "\"; rpo4j reads gpt2 and llama");
    }
}
