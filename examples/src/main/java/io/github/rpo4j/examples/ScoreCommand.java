package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.LanguageModel;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.text.Tokenizer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Per-token log-probabilities of a text under a model. */
@Command(name = "score",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Prints one JSON object {\"token_ids\", \"tokens\", \"logprobs\"} with the natural-log probability "
                        + "of each token of TEXT given the tokens before it.",
                "Without --prompt the first token has no context and its logprob is null. With --prompt, PROMPT "
                        + "is put before TEXT and only TEXT's tokens are listed, each scored given the prompt and "
                        + "the text before it.",
                "No beginning-of-sequence token is added."})
final class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory (config.json, "
            + "model.safetensors, tokenizer.json).")
    Path modelDir;

    @Mixin
    ModelLoadOptions loading;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The text to score.")
    String text;

    @Option(names = "--prompt", paramLabel = "PROMPT", description = "Context put before TEXT and not scored itself.")
    String prompt;

    @Override
    public Integer call() throws Exception {
        if (prompt != null && prompt.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--prompt must not be empty; leave it out to score "
                    + "--text on its own");
        }
        ModelDirectory.Loaded loaded = loading.load(modelDir);
        Tokenizer tokenizer = loaded.tokenizer();
        int[] promptIds = prompt == null ? new int[0] : encode(tokenizer, prompt, "--prompt");
        int[] textIds = encode(tokenizer, text, "--text");
        if (textIds.length == 0) {
            throw new ParameterException(spec.commandLine(), "--text must not be empty");
        }
        int context = loaded.model().config().contextLength();
        // The last token is only predicted, never read, so a sequence may be one longer than the context.
        if (promptIds.length + textIds.length - 1 > context) {
            throw new ParameterException(spec.commandLine(), "--prompt and --text are " + promptIds.length + " + "
                    + textIds.length + " tokens; the model's context of " + context + " scores at most "
                    + (context + 1));
        }
        double[] scores = LanguageModel.scoreIds(loaded.model(), promptIds, textIds);

        ObjectNode out = Rpo4jCli.JSON.createObjectNode();
        ArrayNode ids = out.putArray("token_ids");
        ArrayNode tokens = out.putArray("tokens");
        ArrayNode logProbs = out.putArray("logprobs");
        for (int i = 0; i < textIds.length; i++) {
            ids.add(textIds[i]);
            tokens.add(tokenizer.tokenText(textIds[i]));
            if (Double.isNaN(scores[i])) {
                logProbs.addNull(); // a first token without context
            } else {
                logProbs.add(scores[i]);
            }
        }
        spec.commandLine().getOut().println(Rpo4jCli.JSON.writeValueAsString(out));
        spec.commandLine().getOut().flush();
        return 0;
    }

    static int[] encode(Tokenizer tokenizer, String value, String flag) {
        try {
            return tokenizer.encode(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }
}
