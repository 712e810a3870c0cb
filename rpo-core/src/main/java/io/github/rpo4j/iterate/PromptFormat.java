package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.text.Tokenizer;
import java.util.List;
import java.util.Map;

/**
 * How a question becomes the model's prompt, after which the model writes its chain of thought and answer.
 * Training, sampling and evaluation all use the same format, so a model trained here is prompted the way it
 * was taught. Two formats: the question followed by a separator ({@link #separator(String)}, for models trained
 * here or base models), and an instruct model's chat template ({@link ChatPromptFormat}).
 */
public interface PromptFormat {

    /** The question, one space, then the completion. */
    PromptFormat DEFAULT = separator(" ");

    /** The question followed by {@code separator}. */
    static PromptFormat separator(String separator) {
        return new Separator(separator);
    }

    /** The prompt for a question. */
    String prompt(Question q);

    /**
     * The prompt of the next attempt in a self-correction conversation (RISE, SCoRe): the question, then each of
     * {@code attempts}, oldest first, followed by {@code feedback}; with no attempts, {@link #prompt}. This default
     * appends them to the prompt as text, {@code prompt(q) + attempt_1 + feedback + ... + attempt_n + feedback};
     * {@link ChatPromptFormat} renders them as the conversation's turns instead.
     */
    default String conversation(Question q, List<String> attempts, String feedback) {
        StringBuilder p = new StringBuilder(prompt(q));
        for (String attempt : attempts) {
            p.append(attempt).append(feedback);
        }
        return p.toString();
    }

    /** What a run's config.json records about the format. */
    Map<String, Object> describe();

    /**
     * The tokenizer a loop trains and samples with under this format: the same one, or (for a chat template) one
     * whose end token is the template's end of turn, so that trained completions end the way the template ends an
     * assistant turn.
     *
     * @throws IllegalArgumentException if the format's end token is not a token of {@code tokenizer}
     */
    default Tokenizer completionTokenizer(Tokenizer tokenizer) {
        return tokenizer;
    }

    /** The question followed by a separator. */
    record Separator(String separator) implements PromptFormat {

        public Separator {
            java.util.Objects.requireNonNull(separator, "separator");
        }

        @Override
        public String prompt(Question q) {
            return q.prompt() + separator;
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of("prompt_separator", separator);
        }
    }
}
