package io.github.rpo4j.spark;

import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link SamplingRequest} as it travels to an executor: plain arrays and fields under Java serialization.
 *
 * @param index            the request's position in the call, to put results back in order
 * @param prompts          token ids of each prompt
 * @param samplesPerPrompt continuations per prompt
 * @param temperature      {@link SamplingSettings#temperature()}, and so on for the settings' other fields
 */
record RequestRow(int index, int[][] prompts, int samplesPerPrompt, double temperature, int topK, double topP,
                  int maxNewTokens, String[] stopStrings, long seed) implements Serializable {

    static RequestRow of(int index, SamplingRequest r) {
        SamplingSettings s = r.settings();
        return new RequestRow(index, r.prompts().toArray(new int[0][]), r.samplesPerPrompt(), s.temperature(), s.topK(),
                s.topP(), s.maxNewTokens(), s.stopStrings().toArray(new String[0]), s.seed());
    }

    List<int[]> promptList() {
        return Arrays.asList(prompts);
    }

    SamplingSettings settings() {
        return new SamplingSettings(temperature, topK, topP, maxNewTokens, List.of(stopStrings), seed);
    }
}
