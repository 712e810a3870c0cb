package io.github.rpo4j.train;

import io.github.rpo4j.text.Tokenizer;

/** Turns (prompt, completion) text into a training sequence: completion ids end with the end token. */
final class Encoded {

    private Encoded() {
    }

    static SequenceBatch.Sequence sequence(Tokenizer tokenizer, String prompt, String completion) {
        int[] c = tokenizer.encode(completion);
        int[] withEnd = c;
        if (tokenizer.eosId().isPresent()) {
            withEnd = java.util.Arrays.copyOf(c, c.length + 1);
            withEnd[c.length] = tokenizer.eosId().getAsInt();
        }
        return new SequenceBatch.Sequence(tokenizer.encode(prompt), withEnd);
    }
}
