package io.github.rpo4j.iterate;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.JsonlWriter;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.losses.ReinforceLoss;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.train.ReinforceTrainer;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCoRe, Self-Correction via Reinforcement learning (Kumar et al. 2024, arXiv 2409.12917): two attempts
 * per question, the second after a self-correction instruction appended to the first, trained on-policy
 * by REINFORCE against the frozen starting model M0 as reference. Each iteration k:
 * <ol>
 *   <li>sample {@code samplesPerQuestion} first attempts per training question from M_{k-1}, and one
 *       second attempt after each; verify both (r1, r2 in {0, 1});</li>
 *   <li>compute the reference log-probs of both attempts under M0, then train M_k from M_{k-1}:
 *     <ul>
 *       <li>Stage I (the first {@code stageOneIterations} iterations): REINFORCE on r2 for the second attempt
 *           with KL weight beta1, and a KL weight beta2 (strong) keeping the first attempt close to M0
 *           (its reward is 0, so only the KL moves it);</li>
 *       <li>Stage II (the rest): REINFORCE on both attempts, the first with reward r1, the second with the
 *           progress-shaped reward r2 + progressBonus (r2 - r1) (the paper's alpha); KL weight beta1 on both.</li>
 *     </ul>
 *       Each attempt is credited with its own reward only, not with the later attempt's: crediting the
 *       first attempt with r2 + progressBonus (r2 - r1) would penalise a correct first answer. The KL
 *       estimate log pi - log rho is subtracted from the reward ({@link ReinforceLoss.KlMode#REWARD_PENALTY}),
 *       the form whose gradient pulls the policy towards the reference;</li>
 *   <li>evaluate M_k: turn-1 greedy and majority-vote accuracy, Acc@t1, Acc@t2, delta(t1, t2) and the
 *       fractions of questions going from wrong to right (delta i->c) and from right to wrong (delta c->i).</li>
 * </ol>
 * The run directory has {@link IterativeRpo}'s layout; iter-k/samples.jsonl holds the rollouts
 * ({@link SCoReRollout}). A rerun resumes after the last completed stage.
 */
public final class SCoRe implements MethodStrategy<List<SCoReRollout>> {

    private static final Logger LOG = LoggerFactory.getLogger(SCoRe.class);

    /** The self-correction instruction; every character is in the synthetic task's alphabet. */
    public static final String DEFAULT_INSTRUCTION =
            " There might be an error in the solution above. Look for it and write the solution again. ";

    /** The settings every method shares, frozen at build(). */
    private final LoopSettings shared;
    /** SCoRe's own settings, frozen at build(). */
    private final Settings s;
    private final RunDirectory run;
    private final RunLoop<List<SCoReRollout>> loop;
    private final RunBookkeeping books;
    private final MultiTurnPrompt prompts;

    private SCoRe(LoopSettings shared, Settings s, RunDirectory run) {
        this.shared = shared;
        this.s = s;
        this.run = run;
        this.loop = new RunLoop<>(shared, this, run);
        this.books = loop.books();
        this.prompts = new MultiTurnPrompt(shared.format(), s.instruction(), shared.tokenizer(),
                shared.model().config().contextLength(), shared.maxNewTokens());
        prompts.requireRoomForOneAttempt(shared.trainQuestions(), "trainQuestions");
        prompts.requireRoomForOneAttempt(shared.evalQuestions(), "evalQuestions");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Stage I or II for iteration t (1-based). */
    int stageOf(int t) {
        return t <= s.stageOneIterations() ? 1 : 2;
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
        return s.stageOneIterations() + s.stageTwoIterations();
    }

    @Override
    public List<String> reportedKeys() {
        return List.of("sample_accuracy", "samples");
    }

    @Override
    public void restoreTrainingMetrics(int t, Map<String, Object> info) throws IOException {
        books.restoreTrainingMeans(t, info);
    }

    // ------------------------------------------------------------------ sampling

    @Override
    public List<SCoReRollout> collect(int t, TransformerLM model, Map<String, Object> info) throws IOException {
        info.put("stage", stageOf(t));
        List<SCoReRollout> rollouts;
        if (Files.exists(run.samples(t))) {
            books.skipped(t, "sample");
            rollouts = JsonlReader.readAll(run.samples(t), SCoReRollout.class);
        } else {
            books.stage(t, "sample");
            rollouts = sample(t, model);
            Files.createDirectories(run.iteration(t));
            JsonlWriter.writeAtomically(run.samples(t), rollouts);
        }
        double first = rollouts.stream().filter(SCoReRollout::firstCorrect).count() / (double) Math.max(1, rollouts.size());
        double second = rollouts.stream().filter(SCoReRollout::secondCorrect).count() / (double) Math.max(1, rollouts.size());
        info.put("sample_accuracy", first);
        info.put("sample_accuracy_t2", second);
        info.put("samples", 2L * rollouts.size());
        return rollouts;
    }

    /**
     * First attempts at every training question, then one second attempt after each: chunks of questions are
     * requests to the loop's sampler, every chunk's first attempts drawn before any second attempt, each seeded by
     * the run's seed, the iteration and the chunk's first question.
     */
    private List<SCoReRollout> sample(int t, TransformerLM model) {
        List<List<Question>> chunks = new ArrayList<>();
        List<List<String>> firstPrompts = new ArrayList<>();
        List<SamplingRequest> firstRequests = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (int from = 0; from < shared.trainQuestions().size(); from += shared.sampleChunkQuestions()) {
            List<Question> chunk = shared.trainQuestions().subList(from, Math.min(shared.trainQuestions().size(),
                    from + shared.sampleChunkQuestions()));
            long seed = Objects.hash(shared.seed(), t, chunk.get(0).id());
            List<int[]> ids = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (Question q : chunk) {
                String p = prompts.prompt(q, List.of());
                texts.add(p);
                ids.add(shared.tokenizer().encode(p));
            }
            chunks.add(chunk);
            firstPrompts.add(texts);
            seeds.add(seed);
            firstRequests.add(new SamplingRequest(ids, s.samplesPerQuestion(),
                    SamplingSettings.sampling(s.temperature(), shared.maxNewTokens(), seed)));
        }
        List<List<List<Sample>>> firsts = Draws.all(shared.sampler(), model, shared.tokenizer(), firstRequests,
                "SCoRe's first attempts, iteration " + t);
        List<List<String>> secondPrompts = new ArrayList<>();
        List<SamplingRequest> secondRequests = new ArrayList<>();
        for (int c = 0; c < chunks.size(); c++) {
            List<int[]> ids = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < chunks.get(c).size(); i++) {
                for (Sample y1 : firsts.get(c).get(i)) {
                    String p = prompts.prompt(chunks.get(c).get(i), List.of(y1.text()));
                    texts.add(p);
                    ids.add(shared.tokenizer().encode(p));
                }
            }
            secondPrompts.add(texts);
            secondRequests.add(new SamplingRequest(ids, 1,
                    SamplingSettings.sampling(s.temperature(), shared.maxNewTokens(), seeds.get(c) + 1)));
        }
        List<List<List<Sample>>> seconds = Draws.all(shared.sampler(), model, shared.tokenizer(), secondRequests,
                "SCoRe's second attempts, iteration " + t);
        List<SCoReRollout> out = new ArrayList<>();
        for (int c = 0; c < chunks.size(); c++) {
            int row = 0;
            for (int i = 0; i < chunks.get(c).size(); i++) {
                Question q = chunks.get(c).get(i);
                for (Sample y1 : firsts.get(c).get(i)) {
                    String y2 = seconds.get(c).get(row).get(0).text();
                    out.add(new SCoReRollout(q.id(), firstPrompts.get(c).get(i), y1.text(),
                            shared.verifier().isCorrect(q, y1.text()), secondPrompts.get(c).get(row), y2,
                            shared.verifier().isCorrect(q, y2)));
                    row++;
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ training

    /** The objective of each attempt in a stage. */
    List<ReinforceLoss> losses(int stage) {
        ReinforceLoss.KlMode mode = ReinforceLoss.KlMode.REWARD_PENALTY;
        if (stage == 1) {
            return List.of(new ReinforceLoss(s.beta2(), true, 0, mode), new ReinforceLoss(s.beta1(), true, 0, mode));
        }
        return List.of(new ReinforceLoss(s.beta1(), true, 0, mode), new ReinforceLoss(s.beta1(), true, s.progressBonus(), mode));
    }

    /**
     * Rollouts as the trainer takes them: stage I gives the first attempt no reward of its own; a question's rollouts
     * form one group, which shares a micro-batch and a leave-one-out baseline.
     */
    static List<ReinforceTrainer.Rollout> toTrainerRollouts(List<SCoReRollout> rollouts, int stage) {
        List<ReinforceTrainer.Rollout> out = new ArrayList<>();
        for (SCoReRollout r : rollouts) {
            double r1 = r.firstCorrect() ? 1 : 0;
            double r2 = r.secondCorrect() ? 1 : 0;
            out.add(new ReinforceTrainer.Rollout(List.of(
                    new ReinforceTrainer.Attempt(r.firstPrompt(), r.first(), stage == 1 ? 0 : r1),
                    new ReinforceTrainer.Attempt(r.secondPrompt(), r.second(), r2)), r.questionId()));
        }
        return out;
    }

    @Override
    public TransformerLM train(int t, TransformerLM model, List<SCoReRollout> rollouts, Map<String, Object> info)
            throws IOException {
        int stage = stageOf(t);
        books.stage(t, "reference");
        // The reference is M0, frozen; it is loaded only for this and dropped before the policy trains.
        TransformerLM reference = ModelDirectory.load(run.model(0)).model();
        List<ReinforceTrainer.Rollout> withRef = ReinforceTrainer.withReference(reference, shared.tokenizer(),
                toTrainerRollouts(rollouts, stage), Math.max(8, shared.training().microBatchSize()),
                shared.training().threads());
        reference = null;
        books.stage(t, "train");
        TrainingSettings ts = shared.trainingFor(t).withLearningRate(stage == 1 ? s.stageOneLearningRate()
                : s.stageTwoLearningRate());
        TrainingReport report = new ReinforceTrainer(model, shared.tokenizer(), ts, losses(stage))
                .withCheckpoints(run.trainingCheckpoint(t)).train(withRef, "iter " + t + " train (stage " + stage + ")");
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("stage", stage);
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
                shared.tokenizer(), prompts, shared.evalQuestions(), 2, shared.verifier(), shared.extractor(), shared.evalChunkQuestions());
        Map<String, Object> m = new LinkedHashMap<>(twoAttemptMetrics(turns.correctAt(1), turns.correctAt(2)));
        m.put("turn_correct", turns.correct());
        return m;
    }

    @Override
    public String summary(Map<String, Object> m) {
        return String.format("; Acc@t1 %.3f Acc@t2 %.3f", ((Number) m.get("acc_t1")).doubleValue(),
                ((Number) m.get("acc_t2")).doubleValue());
    }

    /** SCoRe's metrics from per-question correctness at the first and second attempt. */
    static Map<String, Object> twoAttemptMetrics(boolean[] first, boolean[] second) {
        int n = first.length;
        int right1 = 0;
        int right2 = 0;
        int wrongToRight = 0;
        int rightToWrong = 0;
        for (int i = 0; i < n; i++) {
            right1 += first[i] ? 1 : 0;
            right2 += second[i] ? 1 : 0;
            wrongToRight += !first[i] && second[i] ? 1 : 0;
            rightToWrong += first[i] && !second[i] ? 1 : 0;
        }
        double d = Math.max(1, n);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("acc_t1", right1 / d);
        m.put("acc_t2", right2 / d);
        m.put("delta_t1_t2", (right2 - right1) / d);
        m.put("delta_i_to_c", wrongToRight / d);
        m.put("delta_c_to_i", rightToWrong / d);
        return m;
    }

    /** Settings of a SCoRe run; required ones are checked by {@link #build()}. */
    public static final class Builder extends LoopBuilder<Builder> {

        @Override
        protected Builder self() {
            return this;
        }

        private String instruction = DEFAULT_INSTRUCTION;
        private int stageOneIterations = 1;
        private int stageTwoIterations = 2;
        private int samplesPerQuestion = 4;
        private double temperature = 1.0;
        private double beta1 = 0.01;
        private double beta2 = 0.1;
        private double progressBonus = 10;
        private Double stageOneLearningRate;
        private Double stageTwoLearningRate;

        /** Appended after the first attempt (default {@link #DEFAULT_INSTRUCTION}); must be encodable. */
        public Builder instruction(String text) {
            this.instruction = text;
            return this;
        }

        /** Iterations of stage I, then of stage II (default 1 and 2). */
        public Builder stages(int stageOne, int stageTwo) {
            this.stageOneIterations = stageOne;
            this.stageTwoIterations = stageTwo;
            return this;
        }

        /**
         * Peak learning rate of stage I's and of stage II's iterations (default: both the training settings' rate).
         * The paper tunes them separately: stage I only steers the second attempt, stage II trains both.
         */
        public Builder stageLearningRates(double stageOne, double stageTwo) {
            this.stageOneLearningRate = stageOne;
            this.stageTwoLearningRate = stageTwo;
            return this;
        }

        /** First attempts per training question, each followed by one second attempt (default 4). */
        public Builder samplesPerQuestion(int n) {
            this.samplesPerQuestion = n;
            return this;
        }

        public Builder temperature(double t) {
            this.temperature = t;
            return this;
        }

        /** KL weight on both attempts in stage II and on the second in stage I (paper: 0.01). */
        public Builder beta1(double b) {
            this.beta1 = b;
            return this;
        }

        /** KL weight on the first attempt in stage I (paper: 10 x beta1 = 0.1). */
        public Builder beta2(double b) {
            this.beta2 = b;
            return this;
        }

        /** Weight of the progress bonus, progressBonus * (r2 - r1), in stage II (the paper's alpha: 10). */
        public Builder progressBonus(double weight) {
            this.progressBonus = weight;
            return this;
        }

        /**
         * The paper's name for {@link #progressBonus(double)}.
         *
         * @deprecated "alpha" also names RPO's NLL weight; use {@link #progressBonus(double)}
         */
        @Deprecated
        public Builder alpha(double a) {
            return progressBonus(a);
        }

        /** Checks every setting, loads the model directory if one was given, and prepares the run directory. */
        public SCoRe build() throws IOException {
            checkCommonSettings();
            Settings settings = new Settings(instruction, stageOneIterations, stageTwoIterations, samplesPerQuestion,
                    temperature, beta1, beta2, progressBonus,
                    stageOneLearningRate != null ? stageOneLearningRate : training.learningRate(),
                    stageTwoLearningRate != null ? stageTwoLearningRate : training.learningRate());
            if (format instanceof ChatPromptFormat) {
                MultiTurnPrompt.checkChatTurn(instruction, "instruction"); // a user turn of its own: not blank
            }
            if (tokenizer != null) {
                MultiTurnPrompt.checkEncodable(tokenizer, instruction, "instruction"); // before the run directory is touched
            }
            Frozen frozen = freeze();
            MultiTurnPrompt.checkEncodable(frozen.settings().tokenizer(), instruction, "instruction");
            return new SCoRe(frozen.settings(), settings, frozen.run());
        }
    }

    /**
     * SCoRe's own settings, frozen and checked at {@link Builder#build()}; the settings every method shares are in
     * {@link LoopSettings}. The components are the builder's settings of the same name.
     *
     * @param beta1         KL weight on both attempts in stage II and on the second in stage I
     * @param beta2         KL weight on the first attempt in stage I
     * @param progressBonus weight of the progress bonus progressBonus * (r2 - r1) in stage II (the paper's alpha)
     * @param stageOneLearningRate peak learning rate of stage I's iterations
     * @param stageTwoLearningRate peak learning rate of stage II's iterations
     */
    record Settings(String instruction, int stageOneIterations, int stageTwoIterations, int samplesPerQuestion,
                    double temperature, double beta1, double beta2, double progressBonus,
                    double stageOneLearningRate, double stageTwoLearningRate) {

        Settings {
            RunBookkeeping.require(stageOneIterations >= 0 && stageTwoIterations >= 0
                    && stageOneIterations + stageTwoIterations >= 1, "stages", ">= 0 each and >= 1 in all, got "
                    + stageOneIterations + " and " + stageTwoIterations);
            // Each rollout's REINFORCE baseline is the mean reward of its question's other rollouts (leave-one-out),
            // so every question needs at least two.
            RunBookkeeping.require(samplesPerQuestion >= 2, "samplesPerQuestion",
                    ">= 2, so that each question has samples to compare, got " + samplesPerQuestion);
            RunBookkeeping.require(temperature > 0 && Double.isFinite(temperature), "temperature", "> 0, got "
                    + temperature);
            RunBookkeeping.require(beta1 >= 0 && Double.isFinite(beta1), "beta1", ">= 0, got " + beta1);
            RunBookkeeping.require(beta2 >= 0 && Double.isFinite(beta2), "beta2", ">= 0, got " + beta2);
            RunBookkeeping.require(progressBonus >= 0 && Double.isFinite(progressBonus), "progressBonus",
                    ">= 0, got " + progressBonus);
            RunBookkeeping.require(instruction != null, "instruction", "required");
            RunBookkeeping.require(stageOneLearningRate > 0 && Double.isFinite(stageOneLearningRate)
                    && stageTwoLearningRate > 0 && Double.isFinite(stageTwoLearningRate), "stageLearningRates",
                    "> 0 each, got " + stageOneLearningRate + " and " + stageTwoLearningRate);
        }

        /** SCoRe's settings in config.json, before the shared ones. */
        Map<String, Object> toConfig() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("method", "SCORE");
            c.put("stage_one_iterations", stageOneIterations);
            c.put("stage_two_iterations", stageTwoIterations);
            c.put("samples_per_question", samplesPerQuestion);
            c.put("instruction", instruction);
            c.put("temperature", temperature);
            c.put("beta1", beta1);
            c.put("beta2", beta2);
            c.put("progress_bonus", progressBonus);
            c.put("stage_one_learning_rate", stageOneLearningRate);
            c.put("stage_two_learning_rate", stageTwoLearningRate);
            return c;
        }
    }
}
