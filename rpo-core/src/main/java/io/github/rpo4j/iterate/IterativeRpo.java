package io.github.rpo4j.iterate;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.JsonlWriter;
import io.github.rpo4j.data.PairBuilder;
import io.github.rpo4j.data.PairStats;
import io.github.rpo4j.data.PreferencePair;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.VerifiedSample;
import io.github.rpo4j.data.StepChecker;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.train.PreferenceTrainer;
import io.github.rpo4j.train.Progress;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingLoop;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * Iterative Reasoning Preference Optimization (Pang et al. 2024, arXiv 2404.19733) and the loops that
 * share its stages. Each iteration t = 1..T:
 * <ol>
 *   <li>sample N chains of thought per training question from M_{t-1} (batched, KV cache);</li>
 *   <li>verify each against the gold answer;</li>
 *   <li>build pairs: K per question by walking the winner and loser sets together;</li>
 *   <li>compute the reference (M_{t-1}) log-probs of all pairs once, then train M_t from M_{t-1}
 *       with DPO + nllWeight * NLL on the winner (the paper's alpha);</li>
 *   <li>evaluate M_t (greedy and majority vote) and checkpoint it.</li>
 * </ol>
 * Every stage writes its output into the run directory ({@link RunDirectory}); running again with
 * the same directory resumes after the last completed stage.
 *
 * <pre>{@code
 * RunResult result = IterativeRpo.builder()
 *         .model(model, tokenizer)
 *         .trainQuestions(train).evalQuestions(test)
 *         .verifier(Verifiers.numericExactMatch())
 *         .iterations(3)
 *         .runDirectory(Path.of("runs/my-run"))
 *         .build()
 *         .run();
 * }</pre>
 */
public final class IterativeRpo implements MethodStrategy<List<VerifiedSample>> {

    private static final Logger LOG = LoggerFactory.getLogger(IterativeRpo.class);

    /** The settings every method shares, frozen at build(). */
    private final LoopSettings shared;
    /** This method's settings, frozen at build(). */
    private final Settings s;
    private final RunDirectory run;
    private final RunLoop<List<VerifiedSample>> loop;
    private final RunBookkeeping books;

    private IterativeRpo(LoopSettings shared, Settings s, RunDirectory run) {
        this.shared = shared;
        this.s = s;
        this.run = run;
        this.loop = new RunLoop<>(shared, this, run);
        this.books = loop.books();
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
    public List<VerifiedSample> collect(int t, TransformerLM model, Map<String, Object> info) throws IOException {
        List<VerifiedSample> samples = sampleStage(t, model);
        info.putAll(SampleDiagnostics.of(shared.trainQuestions(), samples, s.stepChecker()));
        return samples;
    }

    @Override
    public void restoreTrainingMetrics(int t, Map<String, Object> info) throws IOException {
        Map<?, ?> stats = run.readJson(run.pairStats(t), Map.class);
        // Runs written before pair_stats.json was snake_case say questionsUsed.
        info.put("train_questions_used", stats.containsKey("questions_used") ? stats.get("questions_used")
                : stats.get("questionsUsed"));
        info.put("train_pairs", stats.get("pairs"));
        Map<?, ?> training = run.readJson(run.training(t), Map.class);
        info.putAll(castMap(training.get("means")));
        info.putAll(castMap(training.get("probe_logps")));
    }

    @Override
    public List<String> reportedKeys() {
        return List.of("sample_accuracy", "train_questions_used", "train_pairs");
    }

    // ------------------------------------------------------------------ sampling

    private List<VerifiedSample> sampleStage(int t, TransformerLM model) throws IOException {
        Path done = run.samples(t);
        if (Files.exists(done)) {
            books.skipped(t, "sample");
            return JsonlReader.readAll(done, VerifiedSample.class);
        }
        books.stage(t, "sample");
        Files.createDirectories(run.iteration(t));
        Map<String, List<VerifiedSample>> finished = readCompleteQuestions(run.partialSamples(t), s.samplesPerQuestion());
        // Rewrite the partial file with only whole questions, dropping a line cut off by a crash.
        List<VerifiedSample> kept = new ArrayList<>();
        finished.values().forEach(kept::addAll);
        JsonlWriter.writeAtomically(run.partialSamples(t), kept);

        List<Question> todo = new ArrayList<>();
        for (Question q : shared.trainQuestions()) {
            if (!finished.containsKey(q.id())) {
                todo.add(q);
            }
        }
        double temperature = s.temperatureFor(t);
        List<List<Question>> chunks = new ArrayList<>();
        List<SamplingRequest> requests = new ArrayList<>();
        for (int from = 0; from < todo.size(); from += shared.sampleChunkQuestions()) {
            List<Question> chunk = todo.subList(from, Math.min(todo.size(), from + shared.sampleChunkQuestions()));
            List<int[]> prompts = new ArrayList<>();
            for (Question q : chunk) {
                prompts.add(shared.tokenizer().encode(shared.format().prompt(q)));
            }
            // The seed depends on the questions, not on how far an earlier attempt got: resumes reproduce.
            long seed = Objects.hash(shared.seed(), t, chunk.get(0).id());
            chunks.add(chunk);
            requests.add(new SamplingRequest(prompts, s.samplesPerQuestion(),
                    new SamplingSettings(temperature, 0, 1, shared.maxNewTokens(), List.of(), seed)));
        }
        try (JsonlWriter out = JsonlWriter.appending(run.partialSamples(t));
             // A bar on a terminal, progress lines when stderr is redirected, nothing without progressBar.
             Progress bar = Progress.start("iter " + t + " sample", shared.trainQuestions().size(), shared.progressBar())) {
            bar.stepBy(finished.size());
            // Each chunk is written and flushed whole as its samples arrive, wherever the backend drew them.
            shared.sampler().generate(model, shared.tokenizer(), requests, (index, drawn) -> {
                List<Question> chunk = chunks.get(index);
                for (int i = 0; i < chunk.size(); i++) {
                    for (int j = 0; j < drawn.get(i).size(); j++) {
                        out.write(VerifiedSample.verify(chunk.get(i), drawn.get(i).get(j).text(), j, shared.extractor(), shared.verifier()));
                    }
                }
                out.flush();
                bar.stepBy(chunk.size());
            });
        }
        // Order the samples as the questions are ordered, then publish the stage's output.
        Map<String, List<VerifiedSample>> byQuestion = readCompleteQuestions(run.partialSamples(t), s.samplesPerQuestion());
        List<VerifiedSample> ordered = new ArrayList<>();
        for (Question q : shared.trainQuestions()) {
            List<VerifiedSample> list = byQuestion.get(q.id());
            if (list == null) {
                throw new IllegalStateException("sampling finished without samples for question " + q.id());
            }
            ordered.addAll(list);
        }
        JsonlWriter.writeAtomically(done, ordered);
        Files.deleteIfExists(run.partialSamples(t));
        return ordered;
    }

    /** Questions with all their samples in a partial file; a torn last line and incomplete questions are dropped. */
    static Map<String, List<VerifiedSample>> readCompleteQuestions(Path partial, int perQuestion) throws IOException {
        Map<String, List<VerifiedSample>> byQuestion = new LinkedHashMap<>();
        if (!Files.exists(partial)) {
            return byQuestion;
        }
        try (BufferedReader r = Files.newBufferedReader(partial, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                VerifiedSample sample;
                try {
                    sample = RunDirectory.JSON.readValue(line, VerifiedSample.class);
                } catch (IOException e) {
                    LOG.warn("{}: dropping an unreadable line left by an interrupted run", partial);
                    continue;
                }
                byQuestion.computeIfAbsent(sample.questionId(), k -> new ArrayList<>()).add(sample);
            }
        }
        byQuestion.values().removeIf(list -> list.size() != perQuestion);
        return byQuestion;
    }

    // ------------------------------------------------------------------ pairs and training

    @Override
    public TransformerLM train(int t, TransformerLM current, List<VerifiedSample> samples,
                               Map<String, Object> info) throws IOException {
        TransformerLM student = current;
        TrainingReport report;
        TrainingSettings ts = shared.trainingFor(t).withLearningRate(s.learningRateFor(t, shared.training()));
        books.stage(t, "pairs");
        // Every method's pairs are built: the preference methods train on them, and all methods are probed on them.
        PairBuilder.Result pairs = buildPairs(samples);
        ProbeLogProbs probe;
        if (s.method() == Method.PREFERENCE || s.method() == Method.SFT_ON_CHOSEN) {
            publishPairs(t, pairs, info);
            books.stage(t, "train");
            if (s.method() == Method.PREFERENCE) {
                PreferenceLoss loss = s.nllWeight() > 0 ? PreferenceLoss.rpo(s.beta(), s.nllWeight(), s.nllNormalization())
                        : PreferenceLoss.dpo(s.beta());
                PreferenceTrainer trainer = new PreferenceTrainer(student, shared.tokenizer(), ts, loss, s.rejectedStepEnd())
                        .withCheckpoints(run.trainingCheckpoint(t));
                // The reference log-probs: under M_{t-1} (the paper's choice, the model being trained starts as it)
                // or under M0.
                TransformerLM reference = s.referenceIsStartingModel() && t > 1
                        ? ModelDirectory.load(run.model(0)).model() : student;
                List<PreferenceTrainer.TokenizedPair> prepared =
                        new PreferenceTrainer(reference, shared.tokenizer(), ts, loss, s.rejectedStepEnd()).prepare(pairs.pairs());
                // The probe's "before" is M_{t-1}'s score, which the reference already is unless it is M0.
                probe = reference == student ? ProbeLogProbs.fromPrepared(pairs.pairs(), prepared)
                        : ProbeLogProbs.before(current, shared.tokenizer(), pairs.pairs(), s.rejectedStepEnd(),
                        ts.threads());
                report = trainer.trainPrepared(prepared, "iter " + t + " train", stepListener(t));
            } else {
                probe = ProbeLogProbs.before(current, shared.tokenizer(), pairs.pairs(), s.rejectedStepEnd(),
                        ts.threads());
                // RPO without its DPO term: the NLL term alone on the same winners, in the same order and batches.
                List<SftExample> winners = new ArrayList<>();
                for (PreferencePair p : pairs.pairs()) {
                    winners.add(new SftExample(p.prompt(), p.chosen()));
                }
                report = new SftTrainer(student, shared.tokenizer(), ts, s.nllNormalization())
                        .withCheckpoints(run.trainingCheckpoint(t)).train(winners, "iter " + t + " train", stepListener(t));
            }
        } else {
            probe = ProbeLogProbs.before(current, shared.tokenizer(), pairs.pairs(), s.rejectedStepEnd(),
                    ts.threads());
            List<SftExample> kept = keptCorrect(t, samples, info);
            if (s.method() == Method.REST_EM) {
                student = ModelDirectory.load(run.model(0)).model(); // ReST-EM fine-tunes the base model every time
            }
            books.stage(t, "train");
            report = new SftTrainer(student, shared.tokenizer(), ts, NllNormalization.BATCH_TOKEN_MEAN)
                    .withCheckpoints(run.trainingCheckpoint(t)).train(kept, "iter " + t + " train", stepListener(t));
        }
        Map<String, Object> probeMetrics = probe.after(student, ts.threads());
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("steps", report.steps());
        training.put("means", report.means());
        training.put("probe_logps", probeMetrics);
        training.put("history", report.history());
        run.writeJson(run.training(t), training);
        info.putAll(report.means());
        info.putAll(probeMetrics);
        ModelDirectory.save(run.model(t), student, shared.tokenizer());
        return student;
    }

    private TrainingLoop.StepListener stepListener(int t) {
        return loop.stepListener(t);
    }

    /** The (winner, loser) pairs of the iteration's samples, with the formatted prompt that training sees. */
    private PairBuilder.Result buildPairs(List<VerifiedSample> samples) {
        PairBuilder.Result result = PairBuilder.builder(s.pairsPerQuestion()).includeGoldChain(s.includeGoldChain())
                .build().build(shared.trainQuestions(), samples);
        Map<String, String> prompts = new LinkedHashMap<>();
        for (Question q : shared.trainQuestions()) {
            prompts.put(q.id(), shared.format().prompt(q));
        }
        // The pair builder carries the raw question text; training sees the formatted prompt.
        List<PreferencePair> formatted = new ArrayList<>();
        for (PreferencePair p : result.pairs()) {
            formatted.add(new PreferencePair(p.questionId(), prompts.get(p.questionId()), p.chosen(), p.rejected()));
        }
        return new PairBuilder.Result(formatted, result.stats());
    }

    private void publishPairs(int t, PairBuilder.Result pairs, Map<String, Object> info) throws IOException {
        JsonlWriter.writeAtomically(run.pairs(t), pairs.pairs());
        run.writeJson(run.pairStats(t), pairs.stats());
        info.put("train_questions_used", pairs.stats().questionsUsed());
        info.put("train_pairs", pairs.stats().pairs());
    }

    private List<SftExample> keptCorrect(int t, List<VerifiedSample> samples, Map<String, Object> info) throws IOException {
        Map<String, Question> byId = new LinkedHashMap<>();
        shared.trainQuestions().forEach(q -> byId.put(q.id(), q));
        Map<String, Set<String>> seen = new LinkedHashMap<>();
        List<SftExample> kept = new ArrayList<>();
        List<VerifiedSample> keptSamples = new ArrayList<>();
        int cap = s.method() == Method.REST_EM ? s.maxCorrectPerQuestion() : Integer.MAX_VALUE;
        for (VerifiedSample sample : samples) {
            if (!sample.correct()) {
                continue;
            }
            Set<String> texts = seen.computeIfAbsent(sample.questionId(), k -> new HashSet<>());
            if (texts.size() >= cap || !texts.add(sample.completion())) {
                continue;
            }
            kept.add(new SftExample(shared.format().prompt(byId.get(sample.questionId())), sample.completion()));
            keptSamples.add(sample);
        }
        JsonlWriter.writeAtomically(run.pairs(t), keptSamples);
        PairStats stats = new PairStats(shared.trainQuestions().size(), seen.size(), shared.trainQuestions().size() - seen.size(),
                0, kept.size(), 0);
        run.writeJson(run.pairStats(t), stats);
        info.put("train_questions_used", seen.size());
        info.put("train_pairs", kept.size());
        return kept;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** Settings of a run; required ones are checked by {@link #build()}, the rest default to the paper's. */
    public static final class Builder extends LoopBuilder<Builder> {

        @Override
        protected Builder self() {
            return this;
        }

        private Method method = Method.PREFERENCE;
        private int iterations = 3;
        private int samplesPerQuestion = 30;
        private int pairsPerQuestion = 10;
        private int maxCorrectPerQuestion = 10;
        private double[] temperatures = {0.8, 0.8, 1.3};
        /** Peak learning rate per iteration; empty: every iteration uses the training settings' rate. */
        private double[] learningRates = {};
        private double beta = 0.1;
        private double nllWeight = 1.0;
        private NllNormalization nllNormalization = NllNormalization.PER_SEQUENCE_MEAN;
        private boolean includeGoldChain = false;
        private String rejectedStepEnd = null;
        private StepChecker stepChecker = null;
        private boolean referenceIsStartingModel = false;

        /** What each iteration trains on (default: preference pairs, i.e. RPO). */
        public Builder method(Method m) {
            this.method = m;
            return this;
        }

        public Builder iterations(int n) {
            this.iterations = n;
            return this;
        }

        /** N, samples per question (paper: 30). */
        public Builder samplesPerQuestion(int n) {
            this.samplesPerQuestion = n;
            return this;
        }

        /** K, pairs per question (paper: 10). */
        public Builder pairsPerQuestion(int k) {
            this.pairsPerQuestion = k;
            return this;
        }

        /** ReST-EM's cap C on kept correct samples per question (default 10). */
        public Builder maxCorrectPerQuestion(int c) {
            this.maxCorrectPerQuestion = c;
            return this;
        }

        /** Sampling temperature of iteration 1, 2, ...; the last repeats (paper: 0.8, 0.8, 1.3). */
        public Builder temperatures(double... t) {
            this.temperatures = t.clone();
            return this;
        }

        /**
         * Peak learning rate of iteration 1, 2, ...; the last repeats. Each iteration keeps the schedule shape
         * (warm-up, decay) of {@link #training(TrainingSettings)}; when both are given, the first rate here must
         * equal the rate there, or {@link #build()} refuses the contradiction.
         * A falling sequence lets later iterations, which start from a better model, move it less.
         */
        public Builder learningRates(double... lr) {
            this.learningRates = lr.clone();
            return this;
        }

        /** DPO's beta (paper: 0.1). */
        public Builder beta(double b) {
            this.beta = b;
            return this;
        }

        /** Weight of the NLL term on the winner (the paper's alpha: 1); 0 gives DPO only. */
        public Builder nllWeight(double w) {
            this.nllWeight = w;
            return this;
        }

        /**
         * The paper's name for {@link #nllWeight(double)}.
         *
         * @deprecated "alpha" also names SCoRe's progress bonus; use {@link #nllWeight(double)}
         */
        @Deprecated
        public Builder alpha(double a) {
            return nllWeight(a);
        }

        /** How the NLL term is normalised (paper: per sequence, then averaged). */
        public Builder nllNormalization(NllNormalization n) {
            this.nllNormalization = n;
            return this;
        }

        /**
         * The DPO reference of every iteration: M0 instead of the model the iteration starts from, M_{t-1} (the
         * paper's choice, and the default).
         */
        public Builder referenceStartingModel(boolean on) {
            this.referenceIsStartingModel = on;
            return this;
        }

        /**
         * A process verifier for diagnostics: each iteration reports the fraction of correct-answer samples whose
         * every step it accepts ({@code winners_all_steps_correct} in metrics.jsonl). Default none. It never
         * changes what is trained on.
         */
        public Builder stepChecker(StepChecker checker) {
            this.stepChecker = checker;
            return this;
        }

        /**
         * Add each question's gold chain to its winners (default off). This is not the paper's self-improvement
         * setting: the gold chains are extra supervision, and a gain with them on says nothing about learning from
         * the model's own samples.
         */
        public Builder includeGoldChain(boolean on) {
            this.includeGoldChain = on;
            return this;
        }

        /**
         * Score each loser only through the end of the reasoning step in which it first departs from its
         * winner: up to and including the first token at or after that point containing {@code stepEnd}
         * (for example "." or a newline), with no end token. Default {@code null}: the whole loser, as the
         * paper does. See {@link PreferenceTrainer#PreferenceTrainer(io.github.rpo4j.model.TransformerLM,
         * io.github.rpo4j.text.Tokenizer, TrainingSettings, PreferenceLoss, String)}.
         */
        public Builder cutRejectedAfterStep(String stepEnd) {
            this.rejectedStepEnd = stepEnd;
            return this;
        }

        /** Checks every setting, loads the model directory if one was given, and prepares the run directory. */
        public IterativeRpo build() throws IOException {
            checkCommonSettings();
            Settings settings = new Settings(method, iterations, samplesPerQuestion, pairsPerQuestion,
                    maxCorrectPerQuestion, boxed(temperatures), boxed(learningRates), beta, nllWeight, nllNormalization,
                    includeGoldChain, rejectedStepEnd, stepChecker, referenceIsStartingModel);
            if (trainingGiven && learningRates.length > 0 && learningRates[0] != training.learningRate()) {
                throw new IllegalArgumentException("contradictory settings: learningRates(" + learningRates[0]
                        + (learningRates.length > 1 ? ", ..." : "") + ") and training(TrainingSettings) with learning "
                        + "rate " + training.learningRate() + " both set iteration 1's peak learning rate; give it "
                        + "once: drop learningRates(...) for one rate, or pass training(settings.withLearningRate("
                        + learningRates[0] + "))");
            }
            Frozen frozen = freeze();
            return new IterativeRpo(frozen.settings(), settings, frozen.run());
        }

        private static List<Double> boxed(double[] values) {
            return java.util.Arrays.stream(values).boxed().toList();
        }
    }

    /**
     * The settings of {@link IterativeRpo}'s own method, frozen and checked at {@link Builder#build()}; the settings
     * every method shares are in {@link LoopSettings}. The components are the builder's settings of the same name.
     *
     * @param referenceIsStartingModel {@link Builder#referenceStartingModel(boolean)}
     * @param rejectedStepEnd          {@link Builder#cutRejectedAfterStep(String)}; null: the whole loser
     * @param learningRates            peak learning rate per iteration, the last repeating; empty: the training
     *                                 settings' rate for every iteration
     */
    record Settings(Method method, int iterations, int samplesPerQuestion, int pairsPerQuestion,
                    int maxCorrectPerQuestion, List<Double> temperatures, List<Double> learningRates, double beta,
                    double nllWeight, NllNormalization nllNormalization, boolean includeGoldChain,
                    String rejectedStepEnd, StepChecker stepChecker, boolean referenceIsStartingModel) {

        Settings {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(nllNormalization, "nllNormalization");
            temperatures = List.copyOf(temperatures);
            learningRates = List.copyOf(learningRates);
            RunBookkeeping.require(iterations >= 1, "iterations", ">= 1, got " + iterations);
            RunBookkeeping.require(samplesPerQuestion >= 2 || method != Method.PREFERENCE, "samplesPerQuestion (N)",
                    ">= 2 to have both a winner and a loser, got " + samplesPerQuestion);
            RunBookkeeping.require(samplesPerQuestion >= 1, "samplesPerQuestion (N)", ">= 1, got " + samplesPerQuestion);
            RunBookkeeping.require(pairsPerQuestion >= 1, "pairsPerQuestion (K)", ">= 1, got " + pairsPerQuestion);
            RunBookkeeping.require(maxCorrectPerQuestion >= 1, "maxCorrectPerQuestion (C)", ">= 1, got "
                    + maxCorrectPerQuestion);
            RunBookkeeping.require(!temperatures.isEmpty(), "temperatures", "at least one");
            for (double t : temperatures) {
                RunBookkeeping.require(t >= 0 && Double.isFinite(t), "temperatures", "each >= 0, got " + t);
            }
            for (double lr : learningRates) {
                RunBookkeeping.require(lr > 0 && Double.isFinite(lr), "learningRates", "each > 0, got " + lr);
            }
            RunBookkeeping.require(rejectedStepEnd == null || !rejectedStepEnd.isEmpty(), "cutRejectedAfterStep",
                    "null or a non-empty step end");
            RunBookkeeping.require(beta > 0 && Double.isFinite(beta), "beta", "> 0, got " + beta);
            RunBookkeeping.require(nllWeight >= 0 && Double.isFinite(nllWeight), "nllWeight", ">= 0, got " + nllWeight);
        }

        /** Sampling temperature of iteration t (1-based); the last one repeats. */
        double temperatureFor(int iteration) {
            return temperatures.get(Math.min(iteration - 1, temperatures.size() - 1));
        }

        /** Peak learning rate of iteration t (1-based): the last given one repeats; none given, the training's. */
        double learningRateFor(int iteration, TrainingSettings training) {
            return learningRates.isEmpty() ? training.learningRate()
                    : learningRates.get(Math.min(iteration - 1, learningRates.size() - 1));
        }

        /** This method's settings in config.json, before the shared ones. */
        Map<String, Object> toConfig() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("method", method.name());
            c.put("iterations", iterations);
            c.put("samples_per_question", samplesPerQuestion);
            c.put("pairs_per_question", pairsPerQuestion);
            if (method == Method.REST_EM) {
                c.put("max_correct_per_question", maxCorrectPerQuestion); // the other methods keep every correct sample
            }
            c.put("temperatures", temperatures);
            c.put("beta", beta);
            c.put("nll_weight", nllWeight);
            c.put("nll_normalization", nllNormalization.name());
            c.put("include_gold_chain", includeGoldChain);
            c.put("reference", referenceIsStartingModel ? "M0" : "previous iterate");
            c.put("step_checker", stepChecker == null ? null : stepChecker.getClass().getName());
            c.put("rejected_step_end", rejectedStepEnd);
            c.put("learning_rates", learningRates);
            return c;
        }
    }
}
