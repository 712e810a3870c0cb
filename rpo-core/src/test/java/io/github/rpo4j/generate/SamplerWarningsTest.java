package io.github.rpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The sampler's warnings about completions cut short, read from the test binding's output (standard error). */
class SamplerWarningsTest {

    private static final int END = 0;

    private static Sampler sampler(int context) {
        ModelConfig config = ModelConfig.gpt2(12, context, 1, 16, 2);
        return new Sampler(TransformerLM.initialize(config, 1, DataType.FLOAT), SamplerTest.LETTERS, END);
    }

    private static String stderrOf(Supplier<?> action) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.get();
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static int count(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void warnsOnceWhenThePromptLeavesLessRoomThanMaxNewTokens() {
        Sampler s = sampler(16);
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        SamplingSettings settings = SamplingSettings.greedy(20);
        String log = stderrOf(() -> {
            s.generate(List.of(prompt), 1, settings);
            return s.generate(List.of(prompt), 1, settings);
        });
        assertEquals(1, count(log, "maxNewTokens 20 plus a prompt of 10 tokens exceeds the model's context of 16"), log);
        assertTrue(log.contains("stop after 6 tokens"), log);

        String quiet = stderrOf(() -> sampler(64).generate(List.of(prompt), 1, SamplingSettings.greedy(20)));
        assertTrue(!quiet.contains("exceeds the model's context"), quiet);
    }

    @Test
    void warnsOnceWhenTooManySamplesEndAtTheTokenLimit() {
        // Two new tokens: a random model almost never ends a sample with its end token that fast.
        Sampler s = sampler(64);
        SamplingSettings settings = SamplingSettings.sampling(1.0, 2, 5);
        List<List<Sample>> drawn = new java.util.ArrayList<>();
        String log = stderrOf(() -> {
            drawn.addAll(s.generate(List.of(new int[] {1, 2}), 8, settings));
            return s.generate(List.of(new int[] {3, 4}), 8, settings);
        });
        long atLimit = drawn.get(0).stream().filter(x -> x.finish() == Sample.Finish.MAX_TOKENS).count();
        assertTrue(atLimit > 0.2 * 8, "the premise: most samples hit the limit, got " + atLimit);
        assertEquals(1, count(log, "samples so far ended at the token limit (2 new tokens)"), log);
        assertTrue(log.contains(atLimit + " of 8 samples so far"), log);
    }
}
