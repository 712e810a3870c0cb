package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.text.Tokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Continuations of a prompt. */
@Command(name = "sample",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Draws N continuations of PROMPT. Prints one JSON object per line and sample: "
                        + "{\"index\", \"text\", \"token_ids\", \"logprobs\", \"finish\"}, or with --text each "
                        + "sample's text on its own line.",
                "logprobs are the model's natural-log probabilities of the drawn tokens at temperature 1 without "
                        + "truncation. finish is end_token, stop_string or max_tokens. text excludes the end token "
                        + "and is cut before a stop string; token_ids include everything generated.",
                "The prompt is encoded as given (no beginning-of-sequence token is added); for a model trained "
                        + "with `rpo4j sft`, end it with the separator used there (a space by default)."})
final class SampleCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SampleCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path modelDir;

    @Mixin
    ModelLoadOptions loading;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "The prompt to continue.")
    String prompt;

    @Option(names = {"-n", "--samples"}, defaultValue = "1", paramLabel = "N",
            description = "Number of samples (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T",
            description = "Softmax temperature; 0 decodes greedily (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K",
            description = "Sample among the K most likely tokens only; 0 for no limit (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", paramLabel = "P",
            description = "Sample among the most likely tokens whose probabilities reach P; 1 for no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--max-new-tokens", defaultValue = "128", paramLabel = "M",
            description = "The most tokens generated per sample, further limited by the model's context "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--seed", paramLabel = "S",
            description = "Makes the samples reproducible (default: a random seed, logged to standard error).")
    Long seed;

    @Option(names = "--stop", paramLabel = "STR",
            description = "Ends a sample once its text contains STR; repeatable.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--text", description = "Print only each sample's text, one per line, instead of JSON.")
    boolean plainText;

    @Override
    public Integer call() throws Exception {
        if (samples < 1) {
            throw new ParameterException(spec.commandLine(), "-n/--samples must be >= 1, got " + samples);
        }
        if (prompt.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prompt must not be empty");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw new ParameterException(spec.commandLine(), "--stop must not be empty");
        }
        SamplingSettings settings;
        long seedUsed = seed != null ? seed : new SecureRandom().nextLong();
        try {
            settings = new SamplingSettings(temperature, topK, topP, maxNewTokens, stops, seedUsed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage()
                    .replace("topK", "--top-k").replace("topP", "--top-p").replace("maxNewTokens", "--max-new-tokens")
                    .replace("temperature", "--temperature"), e, null, null);
        }
        if (seed == null) {
            LOG.info("sampling seed {}", seedUsed);
        }
        ModelDirectory.Loaded loaded = loading.load(modelDir);
        Tokenizer tokenizer = loaded.tokenizer();
        int[] promptIds = ScoreCommand.encode(tokenizer, prompt, "--prompt");
        int context = loaded.model().config().contextLength();
        if (promptIds.length >= context) {
            throw new ParameterException(spec.commandLine(), "--prompt is " + promptIds.length
                    + " tokens, leaving no room in the model's context of " + context);
        }
        // Ends at the tokenizer's end of text and at every end id config.json and generation_config.json list.
        Sampler sampler = new Sampler(loaded.model(), tokenizer::decode, tokenizer.eosId().orElse(-1));
        List<Sample> drawn = sampler.generate(List.of(promptIds), samples, settings).get(0);

        PrintWriter out = spec.commandLine().getOut();
        for (int i = 0; i < drawn.size(); i++) {
            Sample sample = drawn.get(i);
            if (plainText) {
                out.println(sample.text());
                continue;
            }
            ObjectNode line = Rpo4jCli.JSON.createObjectNode();
            line.put("index", i);
            line.put("text", sample.text());
            var ids = line.putArray("token_ids");
            for (int id : sample.tokenIds()) {
                ids.add(id);
            }
            var logProbs = line.putArray("logprobs");
            for (double lp : sample.logProbs()) {
                logProbs.add(lp);
            }
            line.put("finish", sample.finish().name().toLowerCase(Locale.ROOT));
            out.println(Rpo4jCli.JSON.writeValueAsString(line));
        }
        out.flush();
        return 0;
    }
}
