package io.github.rpo4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class LanguageModelTest {

    @TempDir
    Path tmp;

    private static final String PROMPT = "What is 7 times 8 plus 2? ";
    private static final String CHAIN = "7*8=56. 56+2=58. The answer is 58.";
    private static final CharTokenizer TOKENIZER = CharTokenizer.fromCorpus(List.of(PROMPT, CHAIN, "0123456789"));

    private static LanguageModel tiny(int context) {
        return LanguageModel.initialize(ModelConfig.gpt2(999, context, 1, 16, 2), TOKENIZER, 7);
    }

    /** log softmax of the full sequence's logits, computed here in double precision from the raw forward pass. */
    private static double referenceLogProb(LanguageModel lm, int[] sequence, int position) {
        INDArray logits;
        try (Tape.Scope ignored = Tape.noGrad()) {
            logits = lm.model().forward(sequence, 1, sequence.length).value(); // (T, V)
        }
        return io.github.rpo4j.model.LogProbRows.of(logits)[position - 1][sequence[position]];
    }

    @Test
    void initializeTakesTheVocabularyAndEndTokenFromTheTokenizer() {
        LanguageModel lm = tiny(64);
        assertEquals(TOKENIZER.vocabSize(), lm.model().config().vocabSize());
        assertEquals(CharTokenizer.END_OF_TEXT_ID, lm.model().config().eosTokenId());
        assertEquals(64, lm.contextLength());
    }

    @Test
    void scoreGivesEachTokensLogProbGivenThePromptAndTheirSum() {
        LanguageModel lm = tiny(96);
        LanguageModel.TextScore s = lm.score(PROMPT, CHAIN);
        int[] p = TOKENIZER.encode(PROMPT);
        int[] c = TOKENIZER.encode(CHAIN);
        assertArrayEquals(c, s.tokenIds());
        assertEquals(c.length, s.tokens().size());
        assertEquals("7", s.tokens().get(0));
        int[] full = new int[p.length + c.length];
        System.arraycopy(p, 0, full, 0, p.length);
        System.arraycopy(c, 0, full, p.length, c.length);
        double total = 0;
        for (int i = 0; i < c.length; i++) {
            double expected = referenceLogProb(lm, full, p.length + i);
            assertEquals(expected, s.logProbs()[i], 1e-4, "token " + i);
            total += expected;
        }
        assertEquals(total, s.totalLogProb(), 1e-3);
        assertEquals(c.length, s.scoredTokens());
    }

    @Test
    void withoutAPromptTheFirstTokenIsUnscored() {
        LanguageModel lm = tiny(96);
        LanguageModel.TextScore s = lm.score("", CHAIN);
        assertTrue(Double.isNaN(s.logProbs()[0]));
        assertEquals(CHAIN.length() - 1, s.scoredTokens());
        int[] c = TOKENIZER.encode(CHAIN);
        assertEquals(referenceLogProb(lm, c, 1), s.logProbs()[1], 1e-4);
    }

    @Test
    void scoreRefusesTextThatDoesNotFitOrEncode() {
        LanguageModel lm = tiny(16);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lm.score(PROMPT, CHAIN));
        assertTrue(e.getMessage().contains("context of 16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tiny(96).score(PROMPT, "Z!"));
        assertTrue(e.getMessage().startsWith("text: character 'Z'"), e.getMessage());
    }

    @Test
    void sampleDrawsNReproducibleCompletions() {
        LanguageModel lm = tiny(96);
        SamplingSettings settings = SamplingSettings.sampling(1.0, 10, 3);
        List<Sample> a = lm.sample(PROMPT, 4, settings);
        List<Sample> b = lm.sample(PROMPT, 4, settings);
        assertEquals(4, a.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(a.get(i).text(), b.get(i).text());
            assertTrue(a.get(i).tokenIds().length <= 10);
            assertEquals(a.get(i).tokenIds().length == 10 && a.get(i).finish() != Sample.Finish.END_TOKEN,
                    a.get(i).finish() == Sample.Finish.MAX_TOKENS);
        }
        List<Sample> greedy = lm.sample(PROMPT, 2, SamplingSettings.greedy(10));
        assertEquals(greedy.get(0).text(), greedy.get(1).text());
        assertThrows(IllegalArgumentException.class, () -> lm.sample("", 1, settings));
    }

    @Test
    void fineTuneTeachesTheCompletionAndSaveLoadKeepsTheModel() throws Exception {
        LanguageModel lm = tiny(96);
        List<SftExample> examples = List.of(new SftExample(PROMPT, CHAIN));
        double before = lm.score(PROMPT, CHAIN).totalLogProb();
        double nllBefore = lm.meanNll(examples);
        TrainingReport report = lm.fineTune(examples,
                TrainingSettings.defaults(1e-2).withEpochs(15).withBatch(1, 1).withProgressBar(false));
        assertEquals(15, report.steps());
        double after = lm.score(PROMPT, CHAIN).totalLogProb();
        assertTrue(after > before + 10, "log-likelihood " + before + " -> " + after);
        assertTrue(lm.meanNll(examples) < nllBefore);

        Path dir = tmp.resolve("model");
        lm.save(dir);
        assertTrue(ModelDirectory.isComplete(dir));
        LanguageModel loaded = LanguageModel.load(dir);
        assertArrayEquals(lm.score(PROMPT, CHAIN).logProbs(), loaded.score(PROMPT, CHAIN).logProbs(), 1e-6);
        assertEquals(lm.sample(PROMPT, 1, SamplingSettings.greedy(12)).get(0).text(),
                loaded.sample(PROMPT, 1, SamplingSettings.greedy(12)).get(0).text());
    }

    @Test
    void fineTuneNamesTheExampleThatDoesNotEncodeOrFit() {
        LanguageModel lm = tiny(40);
        TrainingSettings settings = TrainingSettings.defaults(1e-3).withProgressBar(false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lm.fineTune(
                List.of(new SftExample("7 ", "8."), new SftExample("Zed ", "8.")), settings));
        assertTrue(e.getMessage().startsWith("examples: example 2: character 'Z'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lm.fineTune(
                List.of(new SftExample(PROMPT, CHAIN)), settings));
        assertTrue(e.getMessage().contains("example 1 is 61 tokens, longer than the model's context of 40"),
                e.getMessage());
    }

    @Test
    void goldChainExamplesUseThePromptFormatAndNameAQuestionWithoutAChain() {
        List<SftExample> examples = LanguageModel.goldChainExamples(
                List.of(new Question("q1", "What is 7 times 8 plus 2?", "58", CHAIN)), PromptFormat.separator(" "), "a.jsonl");
        assertEquals(PROMPT, examples.get(0).prompt());
        assertEquals(CHAIN, examples.get(0).completion());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LanguageModel.goldChainExamples(
                List.of(new Question("q9", "x", "1", null)), PromptFormat.DEFAULT, "a.jsonl"));
        assertTrue(e.getMessage().startsWith("a.jsonl: question 'q9' has no gold chain"), e.getMessage());
        assertEquals(TOKENIZER.encode(PROMPT).length + TOKENIZER.encode(CHAIN).length + 1,
                LanguageModel.longestExample(TOKENIZER, examples, "a.jsonl"));
    }

    @Test
    void theExampleProgramRunsAllFourActions() throws Exception {
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            LanguageModelExample.main(new String[] {tmp.resolve("example").toString()});
        } finally {
            System.setOut(saved);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(ModelDirectory.isComplete(tmp.resolve("example")));
        assertTrue(out.contains("fine-tuned 20 steps"), out);
        assertEquals(3, Stream.of(out.split("\n")).filter(l -> l.matches("(END_TOKEN|STOP_STRING|MAX_TOKENS): .*"))
                .count(), out);
        assertTrue(out.contains("log p(text | prompt) = -"), out);
        assertNotEquals(-1, out.indexOf("over 34 tokens"), out);
    }
}
