package io.github.rpo4j.generate;

import java.util.List;
import java.util.Objects;

/**
 * One call of {@link Sampler#generate}: a chunk of prompts, the samples wanted per prompt and the settings, seed
 * included. A request's result depends on nothing else (the same model, tokenizer and request give the same samples),
 * which is what lets a {@link SamplingBackend} run requests anywhere and in any order.
 *
 * @param prompts          token ids of each prompt, in order
 * @param samplesPerPrompt continuations drawn per prompt
 * @param settings         how to draw them, with the chunk's own seed
 */
public record SamplingRequest(List<int[]> prompts, int samplesPerPrompt, SamplingSettings settings) {

    public SamplingRequest {
        prompts = List.copyOf(prompts);
        if (samplesPerPrompt < 1) {
            throw new IllegalArgumentException("samplesPerPrompt must be >= 1, got " + samplesPerPrompt);
        }
        Objects.requireNonNull(settings, "settings");
    }
}
