package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
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
    void riseAndSCoReDrawEverySampleThroughTheSampler() throws IOException {
        CountingSampler riseSampler = new CountingSampler();
        Path riseDir = tmp.resolve("rise");
        TinyRuns.rise(riseDir, TinyRuns.PARITY).iterations(1).sampler(riseSampler).build().run();
        // Each evaluation (M0, M1): the first-turn one, then one call per turn of the self-correction one; the
        // rollouts: one call per turn that still had questions (no teacher: the candidates hold the own attempt).
        long rolloutTurns = JsonlReader.readAll(new RunDirectory(riseDir).samples(1), r -> r.json().get("turn").asInt())
                .stream().distinct().count();
        assertTrue(rolloutTurns >= 1);
        assertEquals(2 * (1 + 3) + rolloutTurns, riseSampler.calls);

        CountingSampler scoreSampler = new CountingSampler();
        TinyRuns.score(tmp.resolve("score"), TinyRuns.PARITY).stages(1, 0).sampler(scoreSampler).build().run();
        // Each evaluation (M0, M1): the first-turn one and two turns; the rollouts: first, then second attempts.
        assertEquals(2 * (1 + 2) + 2, scoreSampler.calls);
        // 6 questions in chunks of 4: 2 requests for the first attempts and 2 for the second.
        assertEquals(2 * (2 + 1 + 1) + 2 + 2, scoreSampler.requests);
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
