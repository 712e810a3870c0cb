package io.github.rpo4j.generate;

import java.util.List;

/**
 * How to draw continuations.
 *
 * @param temperature  0 for greedy decoding; otherwise logits are divided by it before sampling
 * @param topK         keep only the k most likely tokens (0 = no limit)
 * @param topP         keep the smallest set of tokens whose probability reaches p (1 = no limit)
 * @param maxNewTokens the most tokens generated per sample
 * @param stopStrings  generation of a sample ends once its text contains one of these; the text is cut before it
 * @param seed         makes a call reproducible: the same prompts, model and settings give the same samples
 */
public record SamplingSettings(double temperature, int topK, double topP, int maxNewTokens, List<String> stopStrings,
                               long seed) {

    public SamplingSettings {
        if (!(temperature >= 0) || !Double.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /** Greedy decoding of at most {@code maxNewTokens}. */
    public static SamplingSettings greedy(int maxNewTokens) {
        return new SamplingSettings(0, 0, 1, maxNewTokens, List.of(), 0);
    }

    /** Plain sampling at a temperature. */
    public static SamplingSettings sampling(double temperature, int maxNewTokens, long seed) {
        return new SamplingSettings(temperature, 0, 1, maxNewTokens, List.of(), seed);
    }

    public SamplingSettings withSeed(long newSeed) {
        return new SamplingSettings(temperature, topK, topP, maxNewTokens, stopStrings, newSeed);
    }

    public SamplingSettings withTopK(int k) {
        return new SamplingSettings(temperature, k, topP, maxNewTokens, stopStrings, seed);
    }

    public SamplingSettings withTopP(double p) {
        return new SamplingSettings(temperature, topK, p, maxNewTokens, stopStrings, seed);
    }

    public SamplingSettings withStopStrings(List<String> stops) {
        return new SamplingSettings(temperature, topK, topP, maxNewTokens, stops, seed);
    }
}
