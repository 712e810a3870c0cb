package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.data.Verifiers;
import io.github.rpo4j.losses.NllWeighting;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** RISE and SCoRe: prompts, metrics, and tiny runs through every stage. */
class SelfCorrectionTest {

    @TempDir
    Path tmp;

    private final SyntheticArithmeticTask task = new SyntheticArithmeticTask();
    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet(task.alphabet());
    /** A random tiny model answers at random: call a completion correct when it holds an even digit count. */
    private final Verifier parity = (q, completion) -> completion.chars().filter(Character::isDigit).count() % 2 == 0;
    private final SyntheticArithmeticTask.Split split = task.splits(6, 4, 3);

    private TransformerLM tinyModel() {
        ModelConfig c = ModelConfig.gpt2(tokenizer.vocabSize(), 224, 1, 16, 2).withEosTokenId(0);
        return TransformerLM.initialize(c, 5, DataType.FLOAT);
    }

    @Test
    void theDefaultFeedbackAndInstructionFitTheTaskAlphabetButPleaseDoesNot() {
        MultiTurnPrompt.checkEncodable(tokenizer, Rise.DEFAULT_FEEDBACK, "feedback");
        MultiTurnPrompt.checkEncodable(tokenizer, SCoRe.DEFAULT_INSTRUCTION, "instruction");
        var e = assertThrows(IllegalArgumentException.class,
                () -> MultiTurnPrompt.checkEncodable(tokenizer, " Please try again. ", "feedback"));
        assertTrue(e.getMessage().contains("feedback"), e.getMessage());
    }

    @Test
    @SuppressWarnings("deprecation")
    void theDeprecatedScoreEntryPointBuildsSCoRe() {
        assertEquals(SCoRe.DEFAULT_INSTRUCTION, Score.DEFAULT_INSTRUCTION);
        assertEquals(SCoRe.Builder.class, Score.builder().getClass());
    }

    @Test
    void aLaterPromptIsTheConversationAndDropsTheOldestAttemptsFirst() {
        Question q = new Question("q", "How many?", "3", null);
        MultiTurnPrompt wide = new MultiTurnPrompt(PromptFormat.DEFAULT, " Try. ", tokenizer, 200, 10);
        assertEquals("How many? ", wide.prompt(q, List.of()));
        assertEquals("How many? a1 Try. a2 Try. ", wide.prompt(q, List.of("a1", "a2")));
        // Room for the question (10) and one attempt with its feedback (8), not two.
        MultiTurnPrompt narrow = new MultiTurnPrompt(PromptFormat.DEFAULT, " Try. ", tokenizer, 28, 10);
        assertEquals("How many? a2 Try. ", narrow.prompt(q, List.of("a1", "a2")));
    }

    @Test
    void theLatestAttemptIsNeverDroppedAndAContextWithoutRoomForItIsRefused() {
        Question q = new Question("q", "How many?", "3", null);
        // Room for the question (10) and 10 new tokens only: the attempt (2) and its feedback (6) cannot be shown.
        MultiTurnPrompt tight = new MultiTurnPrompt(PromptFormat.DEFAULT, " Try. ", tokenizer, 20, 10);
        assertEquals("How many? ", tight.prompt(q, List.of()));
        var dropped = assertThrows(IllegalStateException.class, () -> tight.prompt(q, List.of("a1")));
        assertTrue(dropped.getMessage().contains("latest attempt"), dropped.getMessage());
        // question 10 + earlier attempt 10 + feedback 6 + next attempt 10 = 36 tokens
        var refused = assertThrows(IllegalArgumentException.class,
                () -> new MultiTurnPrompt(PromptFormat.DEFAULT, " Try. ", tokenizer, 35, 10)
                        .requireRoomForOneAttempt(List.of(q), "trainQuestions"));
        assertTrue(refused.getMessage().contains("need 36 tokens") && refused.getMessage().contains("context of 35")
                && refused.getMessage().contains("trainQuestions"), refused.getMessage());
        new MultiTurnPrompt(PromptFormat.DEFAULT, " Try. ", tokenizer, 36, 10)
                .requireRoomForOneAttempt(List.of(q), "trainQuestions");
    }

    @Test
    void riseAndScoreRefuseAModelThatCannotSeeItsEarlierAttempt() throws IOException {
        // The built-in task's prompts take up to about 115 tokens; 12 new tokens twice and the feedback need more
        // than a 128-token context holds, so the second attempt would be made without the first in view.
        ModelConfig c = ModelConfig.gpt2(tokenizer.vocabSize(), 128, 1, 16, 2).withEosTokenId(0);
        TransformerLM narrow = TransformerLM.initialize(c, 5, DataType.FLOAT);
        var rise = assertThrows(IllegalArgumentException.class, () -> Rise.builder().model(narrow, tokenizer)
                .trainQuestions(split.train()).evalQuestions(split.test()).verifier(parity)
                .maxNewTokens(12).runDirectory(tmp.resolve("rise")).build());
        assertTrue(rise.getMessage().contains("cannot hold a second attempt"), rise.getMessage());
        var score = assertThrows(IllegalArgumentException.class, () -> SCoRe.builder().model(narrow, tokenizer)
                .trainQuestions(split.train()).evalQuestions(split.test()).verifier(parity)
                .maxNewTokens(12).runDirectory(tmp.resolve("score")).build());
        assertTrue(score.getMessage().contains("cannot hold a second attempt"), score.getMessage());
    }

    @Test
    void turnMetricsWithAndWithoutOracle() {
        List<Question> qs = List.of(new Question("a", "x", "1", null), new Question("b", "y", "2", null),
                new Question("c", "z", "3", null));
        boolean[][] correct = {{false, true, false}, {true, true, true}, {false, false, false}};
        String[][] answers = {{"5", "1", "5"}, {"2", "2", "2"}, {"7", null, "8"}};
        SelfCorrectionEvaluator.Result r = new SelfCorrectionEvaluator.Result(qs, correct, answers);
        assertArrayEquals(new double[] {1 / 3.0, 2 / 3.0, 1 / 3.0}, r.accuracyPerTurn(), 1e-12);
        assertArrayEquals(new double[] {1 / 3.0, 2 / 3.0, 2 / 3.0}, r.oracleAccuracyPerTurn(), 1e-12);
        // a: majority 5 (wrong); b: 2 (right); c: tie 7 vs 8, the earlier 7 (wrong).
        assertEquals(1 / 3.0, r.majorityOverTurnsAccuracy(Verifiers.numericExactMatch()), 1e-12);

        Map<String, Object> m = SCoRe.twoAttemptMetrics(new boolean[] {true, false, false, true},
                new boolean[] {true, true, false, false});
        assertEquals(0.5, m.get("acc_t1"));
        assertEquals(0.5, m.get("acc_t2"));
        assertEquals(0.0, m.get("delta_t1_t2"));
        assertEquals(0.25, m.get("delta_i_to_c"));
        assertEquals(0.25, m.get("delta_c_to_i"));
    }

    private Rise.Builder tinyRise(Path dir) {
        return Rise.builder().model(tinyModel(), tokenizer).trainQuestions(split.train()).evalQuestions(split.test())
                .verifier(parity).iterations(1).turns(3).candidates(2).maxNewTokens(12).majorityVote(2, 1.0)
                .temperature(1.5).training(TrainingSettings.defaults(1e-3).withBatch(4, 4)).progressBar(false)
                .runDirectory(dir);
    }

    @Test
    void riseRunsEpisodesTrainsOnImprovedTurnsAndReportsEveryTurn() throws IOException {
        Path dir = tmp.resolve("rise");
        RunResult r = tinyRise(dir).build().run();
        RunDirectory run = new RunDirectory(dir);
        List<RiseTurn> turns = JsonlReader.readAll(run.samples(1), RiseTurn.class);
        assertEquals(6, turns.stream().filter(x -> x.turn() == 1).count(), "one episode per question");
        boolean distinctCandidates = false;
        for (RiseTurn x : turns) {
            assertEquals(2, x.candidates().size());
            if (x.turn() > 1) {
                assertTrue(x.prompt().contains(Rise.DEFAULT_FEEDBACK), "a later turn sees the feedback");
            }
            // An episode goes on only after a wrong attempt, with the attempt and the feedback appended.
            RiseTurn next = turns.stream().filter(y -> y.questionId().equals(x.questionId()) && y.turn() == x.turn() + 1)
                    .findFirst().orElse(null);
            assertFalse(next != null && x.onPolicyCorrect());
            if (next != null) {
                assertEquals(x.prompt() + x.onPolicy() + Rise.DEFAULT_FEEDBACK, next.prompt());
            }
            // Self-distillation: the learner's attempt is its first candidate.
            assertEquals(x.candidates().get(0), x.onPolicy());
            assertEquals(x.candidateCorrect().get(0), x.onPolicyCorrect());
            // Best of n: the first correct candidate when there is one, and the turn then counts as improved.
            int firstCorrect = x.candidateCorrect().indexOf(true);
            assertEquals(Math.max(firstCorrect, 0), x.best());
            assertEquals(firstCorrect >= 0, x.improved());
            distinctCandidates |= !x.candidates().get(0).equals(x.candidates().get(1));
        }
        assertTrue(distinctCandidates, "the candidates are separate samples at temperature > 0");
        assertTrue(turns.stream().anyMatch(x -> x.turn() > 1), "some episode went on after a failed attempt");
        long improved = turns.stream().filter(RiseTurn::improved).count();
        assertEquals(improved, Files.readAllLines(run.pairs(1)).size());
        assertTrue(ModelDirectory.isComplete(run.model(1)));

        Map<String, Object> m1 = r.iterations().get(1);
        List<?> perTurn = (List<?>) m1.get("turn_accuracy");
        List<?> oracle = (List<?>) m1.get("oracle_turn_accuracy");
        assertEquals(3, perTurn.size());
        for (int t = 0; t < 3; t++) {
            assertTrue(((Number) oracle.get(t)).doubleValue() >= ((Number) perTurn.get(t)).doubleValue());
        }
        assertTrue(m1.containsKey("maj_over_turns_accuracy") && m1.containsKey("maj_at_k_accuracy"));
        assertEquals(2, Files.readAllLines(run.metrics()).size());

        List<String> skipped = new ArrayList<>();
        tinyRise(dir).listener(new IterationListener() {
            @Override
            public void onStageSkipped(int iteration, String stage) {
                skipped.add(iteration + ":" + stage);
            }
        }).build().run();
        assertEquals(List.of("0:evaluate", "1:iteration"), skipped, "a finished run is not redone");
    }

    @Test
    void riseWeighsEachTurnByThePapersUnnormalisedExpOfRewardOverTau() throws IOException {
        Rise rise = tinyRise(tmp.resolve("w")).includeUnimprovedTurns(true).weightTemperature(0.4).build();
        RiseTurn improved = new RiseTurn("a", 1, "p ", List.of("x", "y"), List.of(false, true), 1, "x", false, true);
        RiseTurn notImproved = new RiseTurn("b", 1, "q ", List.of("z"), List.of(false), 0, "z", false, false);
        List<SftExample> examples = rise.trainingExamples(List.of(improved, notImproved));
        assertEquals(2, examples.size());
        assertEquals("y", examples.get(0).completion(), "the improved turn trains on its best candidate");
        assertEquals("z", examples.get(1).completion(), "the unimproved turn on the learner's own attempt");
        // exp(r / tau) at tau = 0.4, unshifted: r = 1 gives e^2.5 (written out), r = 0 gives 1.
        assertEquals(12.182493960703473, examples.get(0).weight(), 1e-13);
        assertEquals(1.0, examples.get(1).weight(), 0);
        // A batch of improved turns alone weighs the same: the weight does not depend on the batch.
        assertEquals(12.182493960703473, rise.trainingExamples(List.of(improved)).get(0).weight(), 1e-13);
    }

    @Test
    void riseTrainsWithTheWeightsUnnormalisedByDefaultAndSelfNormalisedWhenAsked() throws IOException {
        // Only improved turns: every weight is e^(1/tau). Unnormalised, each step's weighted NLL is that factor
        // times its plain NLL; self-normalised, the factor cancels and the two are equal.
        double tau = 0.5;
        for (NllWeighting weighting : NllWeighting.values()) {
            Path dir = tmp.resolve("weighting-" + weighting);
            Rise.Builder b = tinyRise(dir).weightTemperature(tau).majorityVote(0, 1.0);
            if (weighting != NllWeighting.UNNORMALISED) {
                b.rewardWeighting(weighting);
            }
            b.build().run();
            RunDirectory run = new RunDirectory(dir);
            assertEquals(weighting.name(), RunDirectory.JSON.readTree(run.config().toFile()).get("settings")
                    .get("reward_weighting").asText());
            List<?> history = (List<?>) run.readJson(run.training(1), Map.class).get("history");
            assertFalse(history.isEmpty(), "the tiny run found improved turns to train on");
            double factor = weighting == NllWeighting.UNNORMALISED ? Math.exp(1 / tau) : 1.0;
            for (Object step : history) {
                Map<?, ?> m = (Map<?, ?>) step;
                double nll = ((Number) m.get("nll")).doubleValue();
                double weighted = ((Number) m.get("weighted_nll")).doubleValue();
                assertEquals(factor * nll, weighted, 1e-5 * weighted, weighting + ": " + m);
                assertEquals(Math.exp(1 / tau), ((Number) m.get("weights/mean")).doubleValue(), 1e-9);
            }
        }
    }

    @Test
    void riseRefusesAWeightTemperatureWhoseWeightsOverflowAFloat() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> tinyRise(tmp.resolve("tau")).weightTemperature(0.01).build());
        assertTrue(e.getMessage().contains("weightTemperature"), e.getMessage());
        var zero = assertThrows(IllegalArgumentException.class,
                () -> tinyRise(tmp.resolve("t0")).temperature(0).build());
        assertTrue(zero.getMessage().contains("temperature"), zero.getMessage());
        assertFalse(Files.exists(tmp.resolve("tau")) || Files.exists(tmp.resolve("t0")), "a refused build writes nothing");
    }

    @Test
    void riseRejectsFeedbackOutsideTheAlphabet() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> tinyRise(tmp.resolve("bad")).feedback(" Please, again. ").build());
        assertTrue(e.getMessage().contains("feedback"), e.getMessage());
    }

    @Test
    void scoreRunsStageOneThenStageTwoAndReportsTheSelfCorrectionDeltas() throws IOException {
        Path dir = tmp.resolve("score");
        RunResult r = SCoRe.builder().model(tinyModel(), tokenizer).trainQuestions(split.train())
                .evalQuestions(split.test()).verifier(parity).stages(1, 1).samplesPerQuestion(2).maxNewTokens(12)
                .majorityVote(0, 1.0).temperature(1.5).training(TrainingSettings.defaults(1e-3).withBatch(4, 4))
                .stageLearningRates(1e-3, 2e-3).progressBar(false).runDirectory(dir).build().run();
        RunDirectory run = new RunDirectory(dir);
        assertEquals(3, r.iterations().size());
        // Each stage trains at its own peak rate.
        assertEquals(1e-3, ((Number) r.iterations().get(1).get("lr_peak")).doubleValue(), 1e-15);
        assertEquals(2e-3, ((Number) r.iterations().get(2).get("lr_peak")).doubleValue(), 1e-15);
        for (int t = 1; t <= 2; t++) {
            List<SCoReRollout> rollouts = JsonlReader.readAll(run.samples(t), SCoReRollout.class);
            assertEquals(6 * 2, rollouts.size());
            for (SCoReRollout x : rollouts) {
                assertEquals(x.firstPrompt() + x.first() + SCoRe.DEFAULT_INSTRUCTION, x.secondPrompt());
            }
            Map<?, ?> training = run.readJson(run.training(t), Map.class);
            assertEquals(t, training.get("stage"));
            Map<?, ?> means = (Map<?, ?>) training.get("means");
            assertTrue(means.containsKey("attempt1/kl") && means.containsKey("attempt2/kl"));
            assertEquals(t == 2, means.containsKey("attempt2/rewards/first_attempt"), "the bonus is stage II's");
        }
        Map<String, Object> m = r.iterations().get(2);
        double d = ((Number) m.get("acc_t2")).doubleValue() - ((Number) m.get("acc_t1")).doubleValue();
        assertEquals(d, ((Number) m.get("delta_t1_t2")).doubleValue(), 1e-12);
        assertEquals(d, ((Number) m.get("delta_i_to_c")).doubleValue() - ((Number) m.get("delta_c_to_i")).doubleValue(),
                1e-12);
        assertEquals(m.get("test_accuracy"), m.get("acc_t1"), "turn 1 of the conversation is the greedy answer");
    }
}
