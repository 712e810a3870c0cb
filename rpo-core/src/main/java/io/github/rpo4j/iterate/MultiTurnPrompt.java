package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.text.Tokenizer;
import java.util.List;

/**
 * The prompt of a later attempt in a self-correction conversation: the question, then each earlier
 * attempt followed by a feedback turn, after which the model answers again:
 * <pre>
 *   prompt(q) + attempt_1 + feedback + attempt_2 + feedback + ... + attempt_{t-1} + feedback
 * </pre>
 * A small model's context cannot hold many turns, so when the whole conversation does not leave room for
 * {@code maxNewTokens} more tokens, the oldest attempts are left out (the question always stays): the
 * model then sees the question and the most recent attempts only. The most recent attempt is never left out:
 * a model that cannot see the answer it is asked to correct only answers again, so a context without room for
 * the question, one attempt, the feedback and the next attempt is refused ({@link #requireRoomForOneAttempt}).
 *
 * @param format       how the question becomes the first prompt
 * @param feedback     the text after each attempt; every character must be in the tokenizer's alphabet
 * @param tokenizer    measures the prompt in tokens
 * @param contextLength the model's context
 * @param maxNewTokens room kept for the next attempt
 */
record MultiTurnPrompt(PromptFormat format, String feedback, Tokenizer tokenizer, int contextLength,
                       int maxNewTokens) {

    MultiTurnPrompt {
        checkEncodable(tokenizer, feedback, "feedback");
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

    /**
     * Fails, naming the setting, the longest question and the token counts, unless every question leaves room in
     * the context for an earlier attempt of up to {@code maxNewTokens} tokens, the feedback after it and the next
     * attempt: without that room the conversation would silently drop the attempt being corrected.
     */
    void requireRoomForOneAttempt(List<Question> questions, String setting) {
        int feedbackTokens = tokenizer.encode(feedback).length;
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
        // question + earlier attempt + feedback, then room for the next attempt
        int needed = longestTokens + maxNewTokens + feedbackTokens + maxNewTokens;
        if (needed > contextLength) {
            throw new IllegalArgumentException("invalid setting " + setting + ": the model's context of "
                    + contextLength + " tokens cannot hold a second attempt at question " + longest.id() + ": its prompt ("
                    + longestTokens + " tokens), an earlier attempt (up to maxNewTokens = " + maxNewTokens
                    + "), the feedback (" + feedbackTokens + ") and the next attempt (" + maxNewTokens + ") need "
                    + needed + " tokens; the model would never see the answer it is asked to correct. Use a model "
                    + "with a context of at least " + needed + " tokens, fewer maxNewTokens or a shorter feedback");
        }
    }

    /** The prompt of the attempt after {@code earlier} (empty for the first attempt). */
    String prompt(Question q, List<String> earlier) {
        String first = format.prompt(q);
        int budget = contextLength - maxNewTokens;
        int used = tokenizer.encode(first).length;
        if (used > budget) {
            throw new IllegalArgumentException("question " + q.id() + " takes " + used + " tokens; with "
                    + maxNewTokens + " new tokens it does not fit the context of " + contextLength);
        }
        // Walk back from the latest attempt, keeping as many as fit.
        int keepFrom = earlier.size();
        for (int i = earlier.size() - 1; i >= 0; i--) {
            int turn = tokenizer.encode(earlier.get(i) + feedback).length;
            if (used + turn > budget) {
                break;
            }
            used += turn;
            keepFrom = i;
        }
        // Tokenizers that merge across the joins (BPE) may count the whole differently from its parts.
        while (true) {
            String p = join(first, earlier, keepFrom);
            if (keepFrom == earlier.size() || tokenizer.encode(p).length <= budget) {
                if (!earlier.isEmpty() && keepFrom == earlier.size()) {
                    throw new IllegalStateException("question " + q.id() + ": the latest attempt ("
                            + tokenizer.encode(earlier.get(earlier.size() - 1) + feedback).length + " tokens with the "
                            + "feedback) does not fit the context of " + contextLength + " after the prompt ("
                            + tokenizer.encode(first).length + ") with room for " + maxNewTokens + " new tokens");
                }
                return p;
            }
            keepFrom++;
        }
    }

    private String join(String first, List<String> earlier, int from) {
        StringBuilder p = new StringBuilder(first);
        for (int i = from; i < earlier.size(); i++) {
            p.append(earlier.get(i)).append(feedback);
        }
        return p.toString();
    }
}
