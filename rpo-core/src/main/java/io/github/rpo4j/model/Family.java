package io.github.rpo4j.model;

/** The architecture families rpo4j implements, named as Hugging Face's {@code model_type}. */
public enum Family {
    /** Learned positions, pre-LayerNorm, GELU MLP, biases, tied embeddings (GPT2LMHeadModel). */
    GPT2("gpt2", "GPT2LMHeadModel"),
    /** Rotary positions, RMSNorm, SwiGLU MLP, no biases, grouped-query attention (LlamaForCausalLM). */
    LLAMA("llama", "LlamaForCausalLM");

    private final String modelType;
    private final String architecture;

    Family(String modelType, String architecture) {
        this.modelType = modelType;
        this.architecture = architecture;
    }

    public String modelType() {
        return modelType;
    }

    public String architecture() {
        return architecture;
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
