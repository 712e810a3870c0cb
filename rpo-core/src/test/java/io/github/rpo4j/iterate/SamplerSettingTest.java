package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which loops take a sampler other than the local one, and that those draw every sample through it. */
class SamplerSettingTest {

    @TempDir
    Path tmp;

    /** Draws locally, as a cluster backend must give the same samples, and counts calls and requests. */
    private static final class CountingSampler implements SamplingBackend {
        int calls;
        int requests;

        @Override
        public void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> list,
                             ResultConsumer consumer) throws IOException {
            calls++;
            requests += list.size();
            SamplingBackend.local().generate(model, tokenizer, list, consumer);
        }

        @Override
        public String describe() {
            return "counting";
        }
    }

    @Test
    void riseAndSCoReRefuseAnotherSamplerAtBuildAndWriteNothing() {
        Path riseDir = tmp.resolve("rise");
        var rise = assertThrows(IllegalArgumentException.class,
                () -> TinyRuns.rise(riseDir, TinyRuns.PARITY).sampler(new CountingSampler()).build());
        assertEquals("invalid setting sampler: must be the local sampler for Rise, got counting: its multi-turn "
                + "rollouts and self-correction evaluation sample in this JVM only, so another sampler would draw "
                + "only part of the run's samples (IterativeRpo samples everything through it)", rise.getMessage());
        Path scoreDir = tmp.resolve("score");
        var score = assertThrows(IllegalArgumentException.class,
                () -> TinyRuns.score(scoreDir, TinyRuns.PARITY).sampler(new CountingSampler()).build());
        assertTrue(score.getMessage().startsWith("invalid setting sampler: must be the local sampler for SCoRe, got "
                + "counting"), score.getMessage());
        assertFalse(Files.exists(riseDir) || Files.exists(scoreDir), "a refused configuration writes nothing");
    }

    @Test
    void riseAndSCoReBuildWithTheLocalSamplerGivenExplicitly() throws IOException {
        TinyRuns.rise(tmp.resolve("rise"), TinyRuns.PARITY).sampler(SamplingBackend.local()).build();
        TinyRuns.score(tmp.resolve("score"), TinyRuns.PARITY).sampler(SamplingBackend.local()).build();
    }

    @Test
    void everyIterativeRpoMethodSamplesAndEvaluatesThroughTheSampler() throws IOException {
        for (Method method : Method.values()) {
            CountingSampler sampler = new CountingSampler();
            TinyRuns.preference(tmp.resolve(method.name()), TinyRuns.PARITY).method(method).iterations(1)
                    .sampler(sampler).build().run();
            // One iteration: evaluations of M0 and M1, and iteration 1's sampling stage.
            assertEquals(3, sampler.calls, method.name());
            // Each evaluation: 3 questions in one chunk, greedy and maj@2 (2 requests); the sampling stage: 6
            // questions in chunks of 4 (2 requests).
            assertEquals(2 * 2 + 2, sampler.requests, method.name());
        }
    }
}
