package io.github.rpo4j.iterate;

import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.JsonlWriter;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingReport;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A method added as one strategy class, the worked example of docs/architecture.md: each iteration samples up to
 * N completions per question from M_{t-1}, keeps the first correct one, and fine-tunes M_{t-1} on the kept ones
 * by NLL. {@link RunLoop} does the rest: lock, config.json, M0, resume, evaluation, metrics.
 */
final class FirstCorrectSft implements MethodStrategy<List<SftExample>> {

    /** The method's settings on top of every loop's. */
    static final class Builder extends LoopBuilder<Builder> {
        private int samplesPerQuestion = 4;
        private int iterations = 1;

        @Override
        protected Builder self() {
            return this;
        }

        Builder samplesPerQuestion(int n) {
            this.samplesPerQuestion = n;
            return this;
        }

        Builder iterations(int n) {
            this.iterations = n;
            return this;
        }

        FirstCorrectSft build() throws IOException {
            checkCommonSettings();
            Settings settings = new Settings(samplesPerQuestion, iterations); // checks them
            Frozen frozen = freeze(); // the shared settings, with M0 loaded, and the run directory
            return new FirstCorrectSft(frozen.settings(), settings, frozen.run());
        }
    }

    /** The method's own settings, immutable and checked when made. */
    record Settings(int samplesPerQuestion, int iterations) {
        Settings {
            RunBookkeeping.require(samplesPerQuestion >= 1, "samplesPerQuestion", ">= 1, got " + samplesPerQuestion);
            RunBookkeeping.require(iterations >= 1, "iterations", ">= 1, got " + iterations);
        }
    }

    private final LoopSettings shared;
    private final Settings s;
    private final RunDirectory run;
    private final RunLoop<List<SftExample>> loop;

    private FirstCorrectSft(LoopSettings shared, Settings s, RunDirectory run) {
        this.shared = shared;
        this.s = s;
        this.run = run;
        this.loop = new RunLoop<>(shared, this, run);
    }

    static Builder builder() {
        return new Builder();
    }

    RunResult run() throws IOException {
        return loop.run();
    }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("method", "FIRST_CORRECT_SFT");
        c.put("iterations", s.iterations());
        c.put("samples_per_question", s.samplesPerQuestion());
        return c;
    }

    @Override
    public int iterations() {
        return s.iterations();
    }

    @Override
    public List<SftExample> collect(int t, TransformerLM model, Map<String, Object> info) throws IOException {
        List<SftExample> kept;
        if (Files.exists(run.pairs(t))) { // published whole, so a file that exists is complete
            loop.books().skipped(t, "sample");
            kept = JsonlReader.readAll(run.pairs(t), SftExample.class);
        } else {
            loop.books().stage(t, "sample");
            Sampler sampler = new Sampler(model, shared.tokenizer()::decode, shared.tokenizer().eosId().orElse(-1));
            kept = new ArrayList<>();
            for (Question q : shared.trainQuestions()) {
                String prompt = shared.format().prompt(q);
                // Seeded by the question, so a resumed run draws the same samples.
                SamplingSettings settings = SamplingSettings.sampling(1.0, shared.maxNewTokens(),
                        Objects.hash(shared.seed(), t, q.id()));
                for (Sample x : sampler.generate(List.of(shared.tokenizer().encode(prompt)), s.samplesPerQuestion(),
                        settings).get(0)) {
                    if (shared.verifier().isCorrect(q, x.text())) {
                        kept.add(new SftExample(prompt, x.text()));
                        break;
                    }
                }
            }
            Files.createDirectories(run.iteration(t));
            JsonlWriter.writeAtomically(run.pairs(t), kept);
        }
        info.put("train_examples", kept.size());
        return kept;
    }

    @Override
    public TransformerLM train(int t, TransformerLM model, List<SftExample> data, Map<String, Object> info)
            throws IOException {
        loop.books().stage(t, "train");
        TrainingReport report = new SftTrainer(model, shared.tokenizer(), shared.trainingFor(t),
                NllNormalization.BATCH_TOKEN_MEAN).train(data, "iter " + t + " train", loop.stepListener(t));
        run.writeJson(run.training(t), Map.of("examples", data.size(), "means", report.means()));
        info.putAll(report.means());
        ModelDirectory.save(run.model(t), model, shared.tokenizer());
        return model;
    }

    @Override
    public void restoreTrainingMetrics(int t, Map<String, Object> info) throws IOException {
        Map<?, ?> training = run.readJson(run.training(t), Map.class);
        ((Map<?, ?>) training.get("means")).forEach((k, v) -> info.put(String.valueOf(k), v));
    }

    @Override
    public List<String> reportedKeys() {
        return List.of("train_examples");
    }
}
