package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.losses.TokenLogProbs;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.SequenceBatch;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /**
     * Log-probabilities of a text's tokens.
     *
     * @param tokenIds the scored tokens (TEXT's only)
     * @param logProbs one per token; null for a first token that has no context
     */
    record Scores(int[] tokenIds, Double[] logProbs) {
    }

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
        Scores scores = score(loaded.model(), promptIds, textIds);

        ObjectNode out = Rpo4jCli.JSON.createObjectNode();
        ArrayNode ids = out.putArray("token_ids");
        ArrayNode tokens = out.putArray("tokens");
        ArrayNode logProbs = out.putArray("logprobs");
        for (int i = 0; i < scores.tokenIds().length; i++) {
            ids.add(scores.tokenIds()[i]);
            tokens.add(tokenizer.tokenText(scores.tokenIds()[i]));
            if (scores.logProbs()[i] == null) {
                logProbs.addNull();
            } else {
                logProbs.add(scores.logProbs()[i]);
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

    /**
     * Scores {@code textIds} after {@code promptIds} (which may be empty) with one no-grad forward pass. The
     * first text token is scored only when there is a prompt before it.
     */
    static Scores score(TransformerLM model, int[] promptIds, int[] textIds) {
        // Without a prompt, the first text token is the context of the rest and gets no score of its own.
        int[] context = promptIds.length > 0 ? promptIds : new int[] {textIds[0]};
        int[] scored = promptIds.length > 0 ? textIds : Arrays.copyOfRange(textIds, 1, textIds.length);
        Double[] logProbs = new Double[textIds.length];
        int offset = textIds.length - scored.length;
        if (scored.length > 0) {
            SequenceBatch batch = SequenceBatch.of(List.of(new SequenceBatch.Sequence(context, scored)),
                    model.config().contextLength());
            INDArray tokenLogProbs;
            try (Tape.Scope ignored = Tape.noGrad()) {
                INDArray logits = model.forward(batch.inputs(), batch.batch(), batch.time()).value();
                tokenLogProbs = TokenLogProbs.forward(logits, batch.targets(), batch.completionMask()).tokenLogProbs();
            }
            // Input position t predicts token t + 1, so the first scored token is predicted at the context's end.
            for (int i = 0; i < scored.length; i++) {
                logProbs[offset + i] = tokenLogProbs.getDouble(0, context.length - 1 + i);
            }
        }
        return new Scores(textIds, logProbs);
    }
}
