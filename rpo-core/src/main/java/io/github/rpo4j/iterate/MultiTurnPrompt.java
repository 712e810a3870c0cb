package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.text.Tokenizer;
import java.util.List;

/**
 * The prompt of a later attempt in a self-correction conversation: the question, then each earlier
 * attempt followed by a feedback turn, after which the model answers again. The prompt format writes it
 * ({@link PromptFormat#conversation}): as text,
 * <pre>
 *   prompt(q) + attempt_1 + feedback + attempt_2 + feedback + ... + attempt_{t-1} + feedback
 * </pre>
 * or, with an instruct model's chat template ({@link ChatPromptFormat}), as turns: the question as the user's
 * turn, each attempt as the assistant's, each feedback as the user's next, then the generation prompt.
 * A small model's context cannot hold many turns, so when the whole conversation does not leave room for
 * {@code maxNewTokens} more tokens, the oldest attempts are left out (the question always stays): the
 * model then sees the question and the most recent attempts only. The most recent attempt is never left out:
 * a model that cannot see the answer it is asked to correct only answers again, so a context without room for
 * the question, one attempt, the feedback and the next attempt is refused ({@link #requireRoomForOneAttempt}).
 *
 * @param format       how the question becomes the first prompt, and the conversation the later ones
 * @param feedback     the text after each attempt; every character must be in the tokenizer's alphabet, and with a
 *                     chat template it must not be blank (it is a user turn of its own)
 * @param tokenizer    measures the prompt in tokens
 * @param contextLength the model's context
 * @param maxNewTokens room kept for the next attempt
 */
record MultiTurnPrompt(PromptFormat format, String feedback, Tokenizer tokenizer, int contextLength,
                       int maxNewTokens) {

    MultiTurnPrompt {
        checkEncodable(tokenizer, feedback, "feedback");
        if (format instanceof ChatPromptFormat) {
            checkChatTurn(feedback, "feedback");
        }
        if (maxNewTokens >= contextLength) {
            throw new IllegalArgumentException("maxNewTokens " + maxNewTokens + " leaves no room for a prompt in the "
                    + "context of " + contextLength);
        }
    }

    /** Fails, naming the setting, when the tokenizer cannot encode {@code text} and give it back unchanged. */
    static void checkEncodable(Tokenizer tokenizer, String text, String setting) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("invalid setting " + setting + ": must not be empty");
        }
        try {
            if (!tokenizer.decode(tokenizer.encode(text)).equals(text)) {
                throw new IllegalArgumentException("invalid setting " + setting + ": the tokenizer does not give \""
                        + text + "\" back unchanged");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid setting " + setting + ": \"" + text + "\" cannot be encoded: "
                    + e.getMessage(), e);
        }
    }

    /** Fails, naming the setting, when {@code text} is blank, so that it cannot be a chat turn of its own. */
    static void checkChatTurn(String text, String setting) {
        try {
            ChatPromptFormat.feedbackTurn(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid setting " + setting + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails, naming the setting, the longest question and the token counts, unless every question leaves room in
     * the context for an earlier attempt of up to {@code maxNewTokens} tokens, the feedback after it and the next
     * attempt: without that room the conversation would silently drop the attempt being corrected.
     */
    void requireRoomForOneAttempt(List<Question> questions, String setting) {
        Question longest = null;
        int longestTokens = -1;
        for (Question q : questions) {
            int n = tokenizer.encode(format.prompt(q)).length;
            if (n > longestTokens) {
                longest = q;
                longestTokens = n;
            }
        }
        if (longest == null) {
            return;
        }
        // The feedback with whatever the format writes around the two turns (a chat template's turn markers),
        // measured with a one-character stand-in for the attempt, whose own tokens are then taken off: a template
        // may leave out an empty turn altogether. The stand-in is the feedback's first character, which encodes.
        String text = feedback.strip().isEmpty() ? feedback : feedback.strip();
        String standIn = new String(Character.toChars(text.codePointAt(0)));
        int withStandIn = tokenizer.encode(format.conversation(longest, List.of(standIn), feedback)).length;
        int feedbackTokens = withStandIn - tokenizer.encode(standIn).length - longestTokens;
        // question + earlier attempt + feedback, then room for the next attempt
        int needed = longestTokens + maxNewTokens + feedbackTokens + maxNewTokens;
        if (needed > contextLength) {
            throw new IllegalArgumentException("invalid setting " + setting + ": the model's context of "
                    + contextLength + " tokens cannot hold a second attempt at question " + longest.id() + ": its prompt ("
                    + longestTokens + " tokens), an earlier attempt (up to maxNewTokens = " + maxNewTokens
                    + "), the feedback with its turn markers (" + feedbackTokens + ") and the next attempt ("
                    + maxNewTokens + ") need " + needed + " tokens; the model would never see the answer it is asked "
                    + "to correct. Use a model with a context of at least " + needed + " tokens, fewer maxNewTokens or "
                    + "a shorter feedback");
        }
    }

    /**
     * The prompt of the attempt after {@code earlier} (empty for the first attempt): the conversation with as many
     * of the most recent attempts as leave room for {@code maxNewTokens}, counted on the whole conversation as the
     * format writes it (a tokenizer may merge across the joins, a template adds its turn markers).
     *
     * @throws IllegalStateException if even the latest attempt alone leaves no room
     */
    String prompt(Question q, List<String> earlier) {
        String first = format.prompt(q);
        int budget = contextLength - maxNewTokens;
        int used = tokenizer.encode(first).length;
        if (used > budget) {
            throw new IllegalArgumentException("question " + q.id() + " takes " + used + " tokens; with "
                    + maxNewTokens + " new tokens it does not fit the context of " + contextLength);
        }
        if (earlier.isEmpty()) {
            return first;
        }
        // Leave out the oldest attempts until the rest fits.
        for (int keepFrom = 0; keepFrom < earlier.size(); keepFrom++) {
            String p = format.conversation(q, earlier.subList(keepFrom, earlier.size()), feedback);
            if (tokenizer.encode(p).length <= budget) {
                return p;
            }
        }
        int latestAlone = tokenizer.encode(format.conversation(q, earlier.subList(earlier.size() - 1, earlier.size()),
                feedback)).length;
        throw new IllegalStateException("question " + q.id() + ": the latest attempt does not fit: with it alone "
                + "the conversation takes " + latestAlone + " tokens (the prompt " + used + "), leaving no room for "
                + maxNewTokens + " new tokens in the context of " + contextLength);
    }
}
