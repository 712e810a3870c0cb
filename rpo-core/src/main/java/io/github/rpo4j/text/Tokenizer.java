package io.github.rpo4j.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Maps text to token ids and back. Implementations are immutable and safe to share between threads.
 *
 * <p>Special tokens (such as {@code <|endoftext|>}) written literally in the text are encoded as their
 * special id, as the Hugging Face {@code tokenizers} library does; {@link #decode(int[])} writes them back as
 * their literal text, so that decoding never silently drops information.
 *
 * @see Tokenizers#load(Path)
 */
public interface Tokenizer {

    /** Name of the file a tokenizer is saved as inside a model directory. */
    String FILE_NAME = "tokenizer.json";

    /**
     * Encodes text. No beginning- or end-of-sequence token is added; callers add {@link #bosId()} or
     * {@link #eosId()} themselves where their format wants them.
     *
     * @param text the text
     * @return the token ids
     * @throws IllegalArgumentException if the text contains something the vocabulary cannot represent
     */
    int[] encode(String text);

    /**
     * Encodes text, with the special tokens the tokenizer's own format adds around a sequence when
     * {@code addSpecialTokens} (for a Hugging Face {@code tokenizer.json}, its post-processor: Llama 2's and
     * Gemma's BOS, for example). Tokenizers whose format adds none return {@link #encode(String)}.
     *
     * @param text             the text
     * @param addSpecialTokens whether to add the format's special tokens
     * @return the token ids
     * @throws IllegalArgumentException if the text contains something the vocabulary cannot represent
     */
    default int[] encode(String text, boolean addSpecialTokens) {
        return encode(text);
    }

    /**
     * Decodes the ids {@code ids[from]} (inclusive) to {@code ids[to]} (exclusive).
     *
     * @param ids  token ids
     * @param from first index to decode
     * @param to   one past the last index to decode
     * @return the text
     * @throws IllegalArgumentException  if an id is outside {@code [0, vocabSize())}; the message names it
     * @throws IndexOutOfBoundsException if the range is outside the array
     */
    String decode(int[] ids, int from, int to);

    /**
     * Decodes all ids.
     *
     * @param ids token ids
     * @return the text
     * @throws IllegalArgumentException if an id is outside {@code [0, vocabSize())}
     */
    default String decode(int[] ids) {
        return decode(ids, 0, ids.length);
    }

    /**
     * Decodes a list of ids.
     *
     * @param ids token ids
     * @return the text
     * @throws IllegalArgumentException if an id is outside {@code [0, vocabSize())}
     */
    default String decode(List<Integer> ids) {
        int[] array = new int[ids.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = ids.get(i);
        }
        return decode(array);
    }

    /** @return the number of ids; every id is in {@code [0, vocabSize())} */
    int vocabSize();

    /** @return the id of the end-of-sequence token, if the vocabulary has one */
    OptionalInt eosId();

    /** @return the id of the beginning-of-sequence token, if the vocabulary has a distinct one */
    OptionalInt bosId();

    /**
     * The surface text of one token, for display (a byte-level token that is only part of a UTF-8 character
     * shows as U+FFFD).
     *
     * @param id a token id
     * @return the token's text
     * @throws IllegalArgumentException if the id is outside {@code [0, vocabSize())}
     */
    String tokenText(int id);

    /** @return the special tokens, content to id, in id order */
    Map<String, Integer> specialTokens();

    /**
     * Writes this tokenizer as {@value #FILE_NAME} into a model directory (created if missing), atomically.
     *
     * @param modelDir the model directory
     * @throws IOException if writing fails
     */
    void save(Path modelDir) throws IOException;
}
