package io.github.rpo4j.iterate;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.JsonlWriter;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.losses.NllLoss;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.losses.NllWeighting;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RISE, Recursive IntroSpEction (Qu et al. 2024, arXiv 2407.18219): teaches a model to improve its own
 * answer over several turns. Each iteration k = 1..K:
 * <ol>
 *   <li>roll out one episode per training question from M_{k-1}: at turn t the prompt is the whole
 *       conversation so far; n candidates for the turn are sampled (from M_{k-1}, self-distillation, or
 *       from a teacher) and the best is kept when its reward beats the attempt it follows; the learner's
 *       own attempt continues the episode, followed by the feedback turn, unless it was correct or t = T;</li>
 *   <li>train M_k from M_{k-1} by reward-weighted NLL, weights exp(r / tau), on the kept turns: the loss
 *       covers only the turn being trained, the earlier turns are its prompt;</li>
 *   <li>evaluate M_k: turn-1 greedy and majority-vote accuracy, accuracy at each turn 1..T without an
 *       oracle (the model always hears the feedback and answers again), majority vote over the turns,
 *       and with an oracle (p1@tT, correct at some turn up to T).</li>
 * </ol>
 * The run directory has {@link IterativeRpo}'s layout; iter-k/samples.jsonl holds the episodes'
 * turns ({@link RiseTurn}) and iter-k/pairs.jsonl the weighted training examples. A rerun resumes
 * after the last completed stage.
 *
 * <pre>{@code
 * RunResult result = Rise.builder()
 *         .model(m0, tokenizer)
 *         .trainQuestions(train).evalQuestions(test)
 *         .verifier(task.verifier())
 *         .turns(5).candidates(4).iterations(2)
 *         .runDirectory(Path.of("runs/rise"))
 *         .build()
 *         .run();
 * }</pre>
 */
public final class Rise implements MethodStrategy<List<RiseTurn>> {

    private static final Logger LOG = LoggerFactory.getLogger(Rise.class);

    /**
     * The feedback after a wrong attempt. Every character is in the synthetic task's alphabet, which has no
     * "P" or ",": hence not the longer "Please try again".
     */
    public static final String DEFAULT_FEEDBACK = " The answer is incorrect. Try again. ";

    /** The settings every method shares, frozen at build(). */
    private final LoopSettings shared;
    /** RISE's own settings, frozen at build(). */
    private final Settings s;
    private final RunDirectory run;
    private final RunLoop<List<RiseTurn>> loop;
    private final RunBookkeeping books;
    private final MultiTurnPrompt prompts;

    private Rise(LoopSettings shared, Settings s, RunDirectory run) {
        this.shared = shared;
        this.s = s;
        this.run = run;
        this.loop = new RunLoop<>(shared, this, run);
        this.books = loop.books();
        this.prompts = new MultiTurnPrompt(shared.format(), s.feedback(), shared.tokenizer(),
                shared.model().config().contextLength(), shared.maxNewTokens());
        prompts.requireRoomForOneAttempt(shared.trainQuestions(), "trainQuestions");
        prompts.requireRoomForOneAttempt(shared.evalQuestions(), "evalQuestions");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs (or resumes) every iteration and returns each evaluated model's metrics. */
    public RunResult run() throws IOException {
        return loop.run();
    }

    @Override
    public Map<String, Object> settings() {
        return s.toConfig();
    }

    @Override
    public int iterations() {
        return s.iterations();
    }

    @Override
    public List<String> reportedKeys() {
        return List.of("sample_accuracy", "samples", "train_questions_used", "train_examples");
    }

    @Override
    public void restoreTrainingMetrics(int t, Map<String, Object> info) throws IOException {
        Map<?, ?> training = books.restoreTrainingMeans(t, info);
        info.put("train_questions_used", training.get("questions_used"));
        info.put("train_examples", training.get("examples"));
    }

    // ------------------------------------------------------------------ data collection

    @Override
    public List<RiseTurn> collect(int t, TransformerLM learner, Map<String, Object> info) throws IOException {
        List<RiseTurn> turns;
        if (Files.exists(run.samples(t))) {
            books.skipped(t, "sample");
            turns = JsonlReader.readAll(run.samples(t), RiseTurn.class);
        } else {
            books.stage(t, "sample");
            turns = rollOut(t, learner);
            Files.createDirectories(run.iteration(t));
            JsonlWriter.writeAtomically(run.samples(t), turns);
        }
        long firstTurns = turns.stream().filter(x -> x.turn() == 1).count();
        long firstRight = turns.stream().filter(x -> x.turn() == 1 && x.onPolicyCorrect()).count();
        info.put("sample_accuracy", firstTurns == 0 ? 0.0 : (double) firstRight / firstTurns);
        long chains = 0;
        for (RiseTurn x : turns) {
            chains += x.candidates().size() + (s.teacher() != null ? 1 : 0);
        }
        info.put("samples", chains);
        info.put("episodes_improved", turns.stream().filter(RiseTurn::improved).map(RiseTurn::questionId)
                .distinct().count());
        return turns;
    }

    /**
     * Rolls out one episode per training question, all questions' turn t sampled together: each turn's chunks of
     * questions are requests to the loop's sampler (each chunk seeded by the run's seed, the iteration, the turn and
     * its first question), the teacher's candidates and the learner's own attempts as two lists of requests.
     */
    private List<RiseTurn> rollOut(int iteration, TransformerLM learner) {
        double temperature = s.temperature();
        List<List<String>> history = new ArrayList<>();
        List<Integer> active = new ArrayList<>();
        for (int i = 0; i < shared.trainQuestions().size(); i++) {
            history.add(new ArrayList<>());
            active.add(i);
        }
        List<RiseTurn> out = new ArrayList<>();
        for (int turn = 1; turn <= s.turns() && !active.isEmpty(); turn++) {
            List<List<Integer>> chunks = new ArrayList<>();
            List<List<String>> chunkPrompts = new ArrayList<>();
            List<SamplingRequest> candidateRequests = new ArrayList<>();
            List<SamplingRequest> ownRequests = new ArrayList<>();
            for (int from = 0; from < active.size(); from += shared.sampleChunkQuestions()) {
                List<Integer> chunk = active.subList(from, Math.min(active.size(), from + shared.sampleChunkQuestions()));
                List<String> texts = new ArrayList<>();
                List<int[]> ids = new ArrayList<>();
                for (int q : chunk) {
                    String p = prompts.prompt(shared.trainQuestions().get(q), history.get(q));
                    texts.add(p);
                    ids.add(shared.tokenizer().encode(p));
                }
                long seed = Objects.hash(shared.seed(), iteration, turn, shared.trainQuestions().get(chunk.get(0)).id());
                SamplingSettings settings = SamplingSettings.sampling(temperature, shared.maxNewTokens(), seed);
                chunks.add(chunk);
                chunkPrompts.add(texts);
                candidateRequests.add(new SamplingRequest(ids, s.candidates(), settings));
                ownRequests.add(new SamplingRequest(ids, 1, settings.withSeed(seed + 1)));
            }
            String what = "RISE's rollouts, iteration " + iteration + ", turn " + turn;
            List<List<List<Sample>>> candidatesPerChunk = Draws.all(shared.sampler(),
                    s.teacher() == null ? learner : s.teacher(), shared.tokenizer(), candidateRequests, what);
            // Self-distillation: the learner's own attempt is its first candidate.
            List<List<List<Sample>>> ownPerChunk = s.teacher() == null ? candidatesPerChunk
                    : Draws.all(shared.sampler(), learner, shared.tokenizer(), ownRequests, what + " (own attempts)");
            List<Integer> stillWrong = new ArrayList<>();
            for (int c = 0; c < chunks.size(); c++) {
                List<Integer> chunk = chunks.get(c);
                List<List<Sample>> candidates = candidatesPerChunk.get(c);
                List<List<Sample>> own = ownPerChunk.get(c);
                for (int i = 0; i < chunk.size(); i++) {
                    int q = chunk.get(i);
                    Question question = shared.trainQuestions().get(q);
                    List<String> cand = new ArrayList<>();
                    List<Boolean> right = new ArrayList<>();
                    int best = 0;
                    for (Sample c2 : candidates.get(i)) {
                        cand.add(c2.text());
                        right.add(shared.verifier().isCorrect(question, c2.text()));
                        if (right.get(right.size() - 1) && !right.get(best)) {
                            best = right.size() - 1;
                        }
                    }
                    String attempt = own.get(i).get(0).text();
                    boolean attemptRight = shared.verifier().isCorrect(question, attempt);
                    // The episode only continues after a wrong attempt, so the attempt being improved on has reward 0.
                    boolean improved = RiseTurn.reward(right.get(best)) > 0;
                    out.add(new RiseTurn(question.id(), turn, chunkPrompts.get(c).get(i), cand, right, best, attempt,
                            attemptRight, improved));
                    if (!attemptRight) {
                        history.get(q).add(attempt);
                        stillWrong.add(q);
                    }
                }
            }
            active = stillWrong;
        }
        return out;
    }

    // ------------------------------------------------------------------ training

    /**
     * The weighted examples of an iteration: the improved turns, and the unimproved ones when asked for, each with
     * the paper's weight exp(r / tau) of its reward r (0 or 1), unshifted: a correct turn weighs exp(1 / tau), 12.18
     * at tau 0.4, and a wrong one 1.
     */
    List<SftExample> trainingExamples(List<RiseTurn> turns) {
        List<String> prompts = new ArrayList<>();
        List<String> completions = new ArrayList<>();
        List<Double> rewards = new ArrayList<>();
        for (RiseTurn x : turns) {
            if (x.improved()) {
                prompts.add(x.prompt());
                completions.add(x.candidates().get(x.best()));
                rewards.add(RiseTurn.reward(x.candidateCorrect().get(x.best())));
            } else if (s.includeUnimprovedTurns()) {
                prompts.add(x.prompt());
                completions.add(x.onPolicy());
                rewards.add(RiseTurn.reward(x.onPolicyCorrect()));
            }
        }
        if (rewards.isEmpty()) {
            return List.of();
        }
        double[] weights = NllLoss.exponentialWeights(rewards.stream().mapToDouble(Double::doubleValue).toArray(),
                s.weightTemperature());
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            out.add(new SftExample(prompts.get(i), completions.get(i), weights[i]));
        }
        return out;
    }

    @Override
    public TransformerLM train(int t, TransformerLM model, List<RiseTurn> turns, Map<String, Object> info)
            throws IOException {
        books.stage(t, "pairs");
        List<SftExample> examples = trainingExamples(turns);
        JsonlWriter.writeAtomically(run.pairs(t), examples);
        Set<String> questionsUsed = new HashSet<>();
        turns.stream().filter(RiseTurn::improved).forEach(x -> questionsUsed.add(x.questionId()));
        info.put("train_questions_used", questionsUsed.size());
        info.put("train_examples", examples.size());
        books.stage(t, "train");
        TrainingSettings ts = shared.trainingFor(t);
        TrainingReport report = new SftTrainer(model, shared.tokenizer(), ts, NllNormalization.BATCH_TOKEN_MEAN,
                s.rewardWeighting()).withCheckpoints(run.trainingCheckpoint(t))
                .train(examples, "iter " + t + " train", loop.stepListener(t));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("examples", examples.size());
        training.put("questions_used", questionsUsed.size());
        training.put("steps", report.steps());
        training.put("means", report.means());
        training.put("history", report.history());
        run.writeJson(run.training(t), training);
        info.putAll(report.means());
        ModelDirectory.save(run.model(t), model, shared.tokenizer());
        return model;
    }

    // ------------------------------------------------------------------ evaluation

    @Override
    public Map<String, Object> evaluate(int t, TransformerLM model) {
        SelfCorrectionEvaluator.Result turns = SelfCorrectionEvaluator.evaluate(shared.sampler(), model,
                shared.tokenizer(), prompts, shared.evalQuestions(), s.turns(), shared.verifier(), shared.extractor(), shared.evalChunkQuestions());
        Map<String, Object> m = new LinkedHashMap<>();
        double[] perTurn = turns.accuracyPerTurn();
        double[] oracle = turns.oracleAccuracyPerTurn();
        m.put("turn_accuracy", RunBookkeeping.boxed(perTurn));
        m.put("final_turn_accuracy", perTurn[perTurn.length - 1]);
        m.put("maj_over_turns_accuracy", turns.majorityOverTurnsAccuracy(shared.verifier()));
        m.put("oracle_turn_accuracy", RunBookkeeping.boxed(oracle));
        m.put("oracle_accuracy", oracle[oracle.length - 1]);
        m.put("turn_correct", turns.correct());
        return m;
    }

    @Override
    public String summary(Map<String, Object> m) {
        return "; turn accuracy " + m.get("turn_accuracy") + " (oracle p1@t" + s.turns() + " "
                + String.format("%.3f", ((Number) m.get("oracle_accuracy")).doubleValue()) + ")";
    }

    /** Settings of a RISE run; required ones are checked by {@link #build()}. */
    public static final class Builder extends LoopBuilder<Builder> {

        @Override
        protected Builder self() {
            return this;
        }

        private TransformerLM teacher;
        private String feedback = DEFAULT_FEEDBACK;
        private int turns = 5;
        private int candidates = 4;
        private int iterations = 2;
        private double temperature = 1.0;
        private double weightTemperature = 0.4;
        private NllWeighting rewardWeighting = NllWeighting.UNNORMALISED;
        private boolean includeUnimprovedTurns = false;

        /**
         * Sample each turn's candidates from this model instead of the learner (distillation from a
         * stronger model); it must use the learner's tokenizer. The learner's own attempts still drive the
         * episode.
         */
        public Builder teacher(TransformerLM t) {
            this.teacher = t;
            return this;
        }

        /** The turn after a wrong attempt (default {@link #DEFAULT_FEEDBACK}); must be encodable. */
        public Builder feedback(String text) {
            this.feedback = text;
            return this;
        }

        /** T, the most turns of an episode and of the evaluation (paper: 5). */
        public Builder turns(int t) {
            this.turns = t;
            return this;
        }

        /** n, candidates sampled per turn for best-of-n (default 4). */
        public Builder candidates(int n) {
            this.candidates = n;
            return this;
        }

        public Builder iterations(int n) {
            this.iterations = n;
            return this;
        }

        /** Sampling temperature of the episodes and candidates (default 1.0). */
        public Builder temperature(double t) {
            this.temperature = t;
            return this;
        }

        /** tau of the weights exp(r / tau) (paper: 0.4). */
        public Builder weightTemperature(double tau) {
            this.weightTemperature = tau;
            return this;
        }

        /**
         * How the weights exp(r / tau) enter the loss: {@link NllWeighting#UNNORMALISED} (default, the paper's
         * reward-weighted regression: sum_i w_i NLL_i over the micro-batch's completion tokens) or
         * {@link NllWeighting#SELF_NORMALISED} (divided by the micro-batch's weighted token count instead, so the
         * weights' scale cancels within each micro-batch).
         */
        public Builder rewardWeighting(NllWeighting weighting) {
            this.rewardWeighting = Objects.requireNonNull(weighting, "weighting");
            return this;
        }

        /**
         * Also train on the learner's attempts that were not improved, at their lower weight exp(r / tau)
         * (default off: only improved turns).
         */
        public Builder includeUnimprovedTurns(boolean on) {
            this.includeUnimprovedTurns = on;
            return this;
        }

        /** Checks every setting, loads the model directory if one was given, and prepares the run directory. */
        public Rise build() throws IOException {
            checkCommonSettings();
            Settings settings = new Settings(teacher, feedback, turns, candidates, iterations, temperature,
                    weightTemperature, rewardWeighting, includeUnimprovedTurns);
            if (format instanceof ChatPromptFormat) {
                MultiTurnPrompt.checkChatTurn(feedback, "feedback"); // a user turn of its own: not blank
            }
            if (tokenizer != null) {
                MultiTurnPrompt.checkEncodable(tokenizer, feedback, "feedback"); // before the run directory is touched
            }
            Frozen frozen = freeze();
            LoopSettings shared = frozen.settings();
            MultiTurnPrompt.checkEncodable(shared.tokenizer(), feedback, "feedback");
            if (teacher != null) {
                RunBookkeeping.require(teacher.config().vocabSize() == shared.model().config().vocabSize(), "teacher",
                        "a model over the learner's tokenizer (vocabulary " + shared.model().config().vocabSize()
                                + ", got " + teacher.config().vocabSize() + ")");
            }
            return new Rise(shared, settings, frozen.run());
        }
    }

    /**
     * RISE's own settings, frozen and checked at {@link Builder#build()}; the settings every method shares are in
     * {@link LoopSettings}. The components are the builder's settings of the same name.
     *
     * @param teacher           the model the candidates are sampled from; null: the learner (self-distillation)
     * @param temperature       sampling temperature of the episodes and the candidates
     * @param weightTemperature tau of the weights exp(r / tau)
     * @param rewardWeighting   how the weights enter the loss
     */
    record Settings(TransformerLM teacher, String feedback, int turns, int candidates, int iterations,
                    double temperature, double weightTemperature, NllWeighting rewardWeighting,
                    boolean includeUnimprovedTurns) {

        /**
         * The largest 1 / tau: a correct turn weighs exp(1 / tau), which must stay a finite float32, the precision
         * of the gradients it multiplies (exp(88.7) is the largest).
         */
        static final double MAX_INVERSE_WEIGHT_TEMPERATURE = 88;

        Settings {
            RunBookkeeping.require(iterations >= 1, "iterations", ">= 1, got " + iterations);
            RunBookkeeping.require(turns >= 1, "turns", ">= 1, got " + turns);
            RunBookkeeping.require(candidates >= 1, "candidates", ">= 1, got " + candidates);
            RunBookkeeping.require(temperature > 0 && Double.isFinite(temperature), "temperature", "> 0, got "
                    + temperature);
            RunBookkeeping.require(weightTemperature >= 1 / MAX_INVERSE_WEIGHT_TEMPERATURE
                            && Double.isFinite(weightTemperature), "weightTemperature", ">= 1/"
                            + (int) MAX_INVERSE_WEIGHT_TEMPERATURE + ", so that a correct turn's weight exp(1 / tau) is a "
                            + "finite float, got " + weightTemperature);
            RunBookkeeping.require(rewardWeighting != null, "rewardWeighting", "required");
            RunBookkeeping.require(feedback != null, "feedback", "required");
        }

        /** RISE's settings in config.json, before the shared ones. */
        Map<String, Object> toConfig() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("method", "RISE");
            c.put("iterations", iterations);
            c.put("turns", turns);
            c.put("candidates", candidates);
            c.put("teacher", teacher == null ? null : teacher.config().toJson());
            c.put("feedback", feedback);
            c.put("temperature", temperature);
            c.put("weight_temperature", weightTemperature);
            c.put("reward_weighting", rewardWeighting.name());
            c.put("include_unimproved_turns", includeUnimprovedTurns);
            return c;
        }
    }
}
