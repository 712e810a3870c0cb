package io.github.rpo4j.spark;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.LoopBuilder;
import io.github.rpo4j.iterate.Rise;
import io.github.rpo4j.iterate.SCoRe;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.TrainingSettings;
import io.github.rpo4j.generate.SamplingBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A random 1-layer width-16 model on the synthetic arithmetic task, and the smallest complete preference run. */
final class TinySetup {

    static final SyntheticArithmeticTask TASK = new SyntheticArithmeticTask();
    static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet(TASK.alphabet());
    static final SyntheticArithmeticTask.Split SPLIT = TASK.splits(6, 4, 3);

    /** A random tiny model answers at random: call a completion correct when it holds an even digit count. */
    static final Verifier PARITY = (q, completion) -> completion.chars().filter(Character::isDigit).count() % 2 == 0;

    private TinySetup() {
    }

    static TransformerLM model() {
        ModelConfig c = ModelConfig.gpt2(TOKENIZER.vocabSize(), 224, 1, 16, 2).withEosTokenId(0);
        return TransformerLM.initialize(c, 5, DataType.FLOAT);
    }

    static List<Question> questions(int count) {
        return TASK.splits(count, 1, 7).train();
    }

    /** Two iterations, 6 training questions in chunks of 2, N=4, K=2, 3 evaluation questions with maj@2. */
    static IterativeRpo.Builder run(Path dir) {
        return IterativeRpo.builder().model(model(), TOKENIZER).trainQuestions(SPLIT.train())
                .evalQuestions(SPLIT.test()).verifier(PARITY).iterations(2).samplesPerQuestion(4).pairsPerQuestion(2)
                .maxNewTokens(12).majorityVote(2, 1.0).temperatures(1.5)
                .training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).sampleChunkQuestions(2)
                .progressBar(false).runDirectory(dir);
    }

    /**
     * Runs two iterations of RISE (two-turn episodes, two candidates) or SCoRe (stage I, then stage II) on the same
     * questions, in chunks of 2, drawing through {@code sampler}.
     */
    static void runSelfCorrecting(String loop, Path dir, SamplingBackend sampler) throws IOException {
        if (loop.equals("rise")) {
            selfCorrecting(Rise.builder().iterations(2).turns(2).candidates(2).temperature(1.5), dir).sampler(sampler).build().run();
        } else {
            selfCorrecting(SCoRe.builder().stages(1, 1).samplesPerQuestion(2).temperature(1.5), dir).sampler(sampler).build().run();
        }
    }

    private static <B extends LoopBuilder<B>> B selfCorrecting(B b, Path dir) {
        return b.model(model(), TOKENIZER).trainQuestions(SPLIT.train()).evalQuestions(SPLIT.test()).verifier(PARITY)
                .maxNewTokens(12).majorityVote(2, 1.0).training(TrainingSettings.defaults(1e-3).withBatch(4, 4))
                .sampleChunkQuestions(2).progressBar(false).runDirectory(dir);
    }

    /** Every field of every sample equal, log-probs bit for bit. */
    static void assertSameSamples(List<List<Sample>> expected, List<List<Sample>> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": prompts");
        for (int p = 0; p < expected.size(); p++) {
            assertEquals(expected.get(p).size(), actual.get(p).size(), what + ": samples of prompt " + p);
            for (int s = 0; s < expected.get(p).size(); s++) {
                Sample e = expected.get(p).get(s);
                Sample a = actual.get(p).get(s);
                String where = what + ", prompt " + p + ", sample " + s;
                assertEquals(e.promptIndex(), a.promptIndex(), where);
                assertArrayEquals(e.tokenIds(), a.tokenIds(), where);
                assertEquals(e.text(), a.text(), where);
                assertArrayEquals(e.logProbs(), a.logProbs(), 0.0, where);
                assertEquals(e.finish(), a.finish(), where);
            }
        }
    }
}
