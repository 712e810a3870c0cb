package io.github.rpo4j.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A tokenizer whose {@link #eosId()} is another of its special tokens: an instruct model's end of turn
 * ({@code <|im_end|>}), which the trainers append to completions and the sampler stops at, where the
 * {@code tokenizer.json} alone would give the end of text ({@code <|endoftext|>}). Everything else, saving
 * included, is the wrapped tokenizer's.
 */
record WithEndToken(Tokenizer tokenizer, int endId) implements Tokenizer {

    @Override
    public int[] encode(String text) {
        return tokenizer.encode(text);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens);
    }

    @Override
    public String decode(int[] ids, int from, int to) {
        return tokenizer.decode(ids, from, to);
    }

    @Override
    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(endId);
    }

    @Override
    public OptionalInt bosId() {
        return tokenizer.bosId();
    }

    @Override
    public String tokenText(int id) {
        return tokenizer.tokenText(id);
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return tokenizer.specialTokens();
    }

    @Override
    public void save(Path modelDir) throws IOException {
        tokenizer.save(modelDir);
    }
}
