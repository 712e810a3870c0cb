package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifiers;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.iterate.Evaluation;
import io.github.rpo4j.iterate.Evaluator;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.model.ModelDirectory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Greedy and majority-vote accuracy of a model directory on a question file. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluates a model directory on a question file and prints the accuracies as one JSON object.")
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Mixin
    ModelLoadOptions loading;

    @Mixin
    QuestionFileOptions questions;

    @Option(names = "-k", defaultValue = "8", description = "Samples per question for the majority vote; 0 skips it "
            + "(default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Temperature of the majority-vote samples "
            + "(default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Longest completion (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--separator", defaultValue = " ", description = "Text between the question and the completion, "
            + "as the model was trained (default: one space).")
    String separator;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ChatTemplateOptions chat;

    @Mixin
    SamplingThreadsOption sampling;

    @Override
    public Integer call() throws Exception {
        PromptFormat format = chat.format(modelDir, spec.commandLine());
        if (format != null && spec.commandLine().getParseResult().hasMatchedOption("--separator")) {
            throw new ParameterException(spec.commandLine(), "give --separator or --chat-template, not both");
        }
        if (format == null) {
            format = PromptFormat.separator(separator);
        }
        int threads = sampling.threads(); // checked before the model loads
        ModelDirectory.Loaded loaded = loading.load(modelDir);
        List<Question> qs = questions.load();
        Evaluator evaluator = new Evaluator(Verifiers.byQuestionKind(), new io.github.rpo4j.data.NumericAnswerExtractor()::extract,
                format, 64);
        // With a chat template, sampling also stops at the template's end of turn.
        Evaluation e = evaluator.evaluate(SamplingBackend.local(threads), loaded.model(),
                format.completionTokenizer(loaded.tokenizer()), qs, maxNewTokens, k, temperature, seed);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("questions", e.questions());
        out.put("test_accuracy", e.greedyAccuracy());
        out.put("test_accuracy_ci95", e.greedyCi95());
        out.put("maj_at_k_accuracy", e.k() > 0 ? e.majorityAccuracy() : null); // null: no vote was taken
        out.put("k", e.k());
        spec.commandLine().getOut().println(Rpo4jCli.JSON.writeValueAsString(out));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
