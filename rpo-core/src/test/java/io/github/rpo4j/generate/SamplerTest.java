package io.github.rpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SamplerTest {

    static final Function<int[], String> LETTERS = ids -> Arrays.stream(ids)
            .mapToObj(i -> String.valueOf((char) ('a' + i))).collect(Collectors.joining());

    private static TransformerLM model(ModelConfig config) {
        return TransformerLM.initialize(config, 3, DataType.DOUBLE);
    }

    /** Greedy decoding by re-running the full forward each step: the plain reference. */
    private static int[] greedyReference(TransformerLM m, int[] prompt, int steps, double[] logProbsOut) {
        int[] seq = prompt.clone();
        int vocab = m.config().vocabSize();
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int s = 0; s < steps; s++) {
                INDArray logits = m.forward(seq, 1, seq.length).value();
                INDArray last = logits.getRow(seq.length - 1);
                int best = last.argMax().getInt(0);
                double max = last.maxNumber().doubleValue();
                double lse = max + Math.log(org.nd4j.linalg.ops.transforms.Transforms.exp(last.sub(max), true).sumNumber().doubleValue());
                logProbsOut[s] = last.getDouble(best) - lse;
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
        }
        return Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    @Test
    void greedyBatchOfUnevenPromptsMatchesTheUncachedReference() {
        for (ModelConfig config : List.of(ModelConfig.gpt2(9, 24, 2, 16, 2), ModelConfig.llama(9, 24, 2, 16, 4, 2, 24))) {
            TransformerLM m = model(config);
            List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4}, new int[] {5, 6, 7, 8, 1, 2});
            Sampler sampler = new Sampler(m, LETTERS, -1);
            List<List<Sample>> out = sampler.generate(prompts, 2, SamplingSettings.greedy(7));
            for (int p = 0; p < prompts.size(); p++) {
                double[] lp = new double[7];
                int[] expected = greedyReference(m, prompts.get(p), 7, lp);
                for (Sample s : out.get(p)) {
                    assertArrayEquals(expected, s.tokenIds(), config.family() + " prompt " + p);
                    assertArrayEquals(lp, s.logProbs(), 1e-6); // the sampler reads logits as float32
                    assertEquals(Sample.Finish.MAX_TOKENS, s.finish());
                    assertEquals(LETTERS.apply(expected), s.text());
                }
            }
        }
    }

    @Test
    void aSeedMakesSamplingReproducible() {
        TransformerLM m = model(ModelConfig.gpt2(9, 32, 1, 16, 2));
        Sampler sampler = new Sampler(m, LETTERS, -1);
        List<int[]> prompts = List.of(new int[] {1, 2}, new int[] {3});
        SamplingSettings s = SamplingSettings.sampling(1.5, 12, 11);
        String a = texts(sampler.generate(prompts, 4, s));
        String b = texts(sampler.generate(prompts, 4, s));
        String c = texts(sampler.generate(prompts, 4, s.withSeed(12)));
        assertEquals(a, b);
        assertFalse(a.equals(c), "another seed should give other samples");
        // top-k of 1 is greedy whatever the temperature
        assertEquals(texts(sampler.generate(prompts, 2, SamplingSettings.greedy(12))),
                texts(sampler.generate(prompts, 2, s.withTopK(1))));
        // a tiny top-p keeps only the most likely token: greedy too
        assertEquals(texts(sampler.generate(prompts, 2, SamplingSettings.greedy(12))),
                texts(sampler.generate(prompts, 2, s.withTopP(1e-6))));
    }

    @Test
    void endTokenAndStopStringsEndASample() {
        TransformerLM m = model(ModelConfig.gpt2(9, 32, 1, 16, 2));
        int[] prompt = {1, 2};
        double[] lp = new double[10];
        int[] greedy = greedyReference(m, prompt, 10, lp);
        int end = greedy[3];
        int firstEnd = 0;
        while (greedy[firstEnd] != end) {
            firstEnd++;
        }
        Sample s = new Sampler(m, LETTERS, end).generate(List.of(prompt), 1, SamplingSettings.greedy(10)).get(0).get(0);
        assertEquals(Sample.Finish.END_TOKEN, s.finish());
        assertArrayEquals(Arrays.copyOf(greedy, firstEnd + 1), s.tokenIds());
        assertEquals(LETTERS.apply(Arrays.copyOf(greedy, firstEnd)), s.text());

        String full = LETTERS.apply(greedy);
        String stop = full.substring(4, 6);
        Sample cut = new Sampler(m, LETTERS, -1).generate(List.of(prompt), 1,
                SamplingSettings.greedy(10).withStopStrings(List.of(stop))).get(0).get(0);
        assertEquals(Sample.Finish.STOP_STRING, cut.finish());
        assertEquals(full.substring(0, full.indexOf(stop)), cut.text());
        assertTrue(cut.tokenIds().length <= 6);
    }

    @Test
    void everyEndIdOfTheModelsConfigurationEndsASample() {
        // config.json's eos_token_id may list several ids (Llama 3 Instruct: end of text, of turn, of message).
        ModelConfig base = ModelConfig.gpt2(9, 32, 1, 16, 2);
        int[] prompt = {1, 2};
        int[] greedy = greedyReference(model(base), prompt, 10, new double[10]);
        for (int k : new int[] {1, 4}) {
            int target = greedy[k];
            int firstEnd = 0;
            while (greedy[firstEnd] != target) {
                firstEnd++;
            }
            int[] before = Arrays.copyOf(greedy, firstEnd + 1);
            int unused = IntStream.range(0, 9).filter(id -> Arrays.stream(before).noneMatch(t -> t == id))
                    .findFirst().getAsInt(); // an id the greedy continuation does not reach before the target
            for (List<Integer> ends : List.of(List.of(unused, target), List.of(target, unused))) {
                TransformerLM m = model(base.withEndTokenIds(ends));
                Sample s = new Sampler(m, LETTERS, -1).generate(List.of(prompt), 1, SamplingSettings.greedy(10))
                        .get(0).get(0);
                assertEquals(Sample.Finish.END_TOKEN, s.finish(), "end ids " + ends);
                assertArrayEquals(before, s.tokenIds(), "end ids " + ends);
            }
        }
        // The collection constructor ends at exactly the ids it is given: none here.
        Sample all = new Sampler(model(base.withEndTokenIds(List.of(greedy[1]))), LETTERS, List.of())
                .generate(List.of(prompt), 1, SamplingSettings.greedy(10)).get(0).get(0);
        assertEquals(Sample.Finish.MAX_TOKENS, all.finish());
        assertArrayEquals(greedy, all.tokenIds());
    }

    private static String texts(List<List<Sample>> out) {
        return out.stream().flatMap(List::stream).map(Sample::text).collect(Collectors.joining("|"));
    }
}
