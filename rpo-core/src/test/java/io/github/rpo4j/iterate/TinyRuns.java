package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The smallest complete preference run: a 1-layer width-16 model, 6 training and 3 test questions, N=4,
 * K=2, two iterations. Built the same way in the test JVM and in {@link CrashableRun}'s child JVM, so
 * their metrics can be compared exactly.
 */
final class TinyRuns {

    static final SyntheticArithmeticTask TASK = new SyntheticArithmeticTask();
    static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet(TASK.alphabet());
    static final SyntheticArithmeticTask.Split SPLIT = TASK.splits(6, 4, 3);
    /** Questions sampled (and flushed to the partial file) together. */
    static final int SAMPLE_CHUNK = 4;
    static final int SAMPLES_PER_QUESTION = 4;

    /** A random tiny model answers at random: call a completion correct when it holds an even digit count. */
    static final Verifier PARITY = (q, completion) -> completion.chars().filter(Character::isDigit).count() % 2 == 0;

    private TinyRuns() {
    }

    static TransformerLM model(int contextLength) {
        ModelConfig c = ModelConfig.gpt2(TOKENIZER.vocabSize(), contextLength, 1, 16, 2).withEosTokenId(0);
        return TransformerLM.initialize(c, 5, DataType.FLOAT);
    }

    static List<Question> train() {
        return SPLIT.train();
    }

    /** RISE over the same questions: two iterations of three-turn episodes, two candidates per turn. */
    static Rise.Builder rise(Path dir, Verifier verifier) {
        return Rise.builder().model(model(224), TOKENIZER).trainQuestions(train()).evalQuestions(SPLIT.test())
                .verifier(verifier).iterations(2).turns(3).candidates(2).maxNewTokens(12).majorityVote(2, 1.0)
                .temperature(1.5).training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).sampleChunkQuestions(SAMPLE_CHUNK)
                .progressBar(false).runDirectory(dir);
    }

    /** SCoRe over the same questions: one stage I and one stage II iteration, two first attempts per question. */
    static SCoRe.Builder score(Path dir, Verifier verifier) {
        return SCoRe.builder().model(model(224), TOKENIZER).trainQuestions(train()).evalQuestions(SPLIT.test())
                .verifier(verifier).stages(1, 1).samplesPerQuestion(2).maxNewTokens(12).majorityVote(2, 1.0)
                .temperature(1.5).training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).sampleChunkQuestions(SAMPLE_CHUNK)
                .progressBar(false).runDirectory(dir);
    }

    static IterativeRpo.Builder preference(Path dir, Verifier verifier) {
        return IterativeRpo.builder().model(model(224), TOKENIZER).trainQuestions(train()).evalQuestions(SPLIT.test())
                .verifier(verifier).iterations(2).samplesPerQuestion(SAMPLES_PER_QUESTION).pairsPerQuestion(2)
                .maxNewTokens(12).majorityVote(2, 1.0).temperatures(1.5)
                .training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).sampleChunkQuestions(SAMPLE_CHUNK)
                .progressBar(false).runDirectory(dir);
    }
}
