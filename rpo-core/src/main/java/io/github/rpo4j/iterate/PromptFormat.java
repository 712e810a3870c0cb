package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;

/**
 * How a question becomes the model's prompt: the question text followed by a separator, after which
 * the model writes its chain of thought and answer. Training, sampling and evaluation all use the
 * same format, so a model trained here is prompted the way it was taught.
 */
public record PromptFormat(String separator) {

    /** The question, one space, then the completion. */
    public static final PromptFormat DEFAULT = new PromptFormat(" ");

    public String prompt(Question q) {
        return q.prompt() + separator;
    }
}
