package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

/**
 * A character-level tokenizer: one token per Unicode code point (so an emoji outside the BMP is one token,
 * not two UTF-16 halves), plus the special end-of-text token {@value #END_OF_TEXT}.
 *
 * <p>Ids: {@value #END_OF_TEXT} is id {@value #END_OF_TEXT_ID}; the characters follow from id 1 in alphabet
 * order. The special token is also the end-of-sequence token; there is no separate beginning token.
 * Encoding a character outside the alphabet fails with an {@link IllegalArgumentException} naming the
 * character and its position rather than silently mapping it to some unknown token.
 *
 * <p>The vocabulary is saved as a Hugging Face style {@code tokenizer.json}: a {@code WordLevel} model whose
 * vocab maps each character to its id, {@code added_tokens} holding the special token, a {@code Split}
 * pre-tokenizer isolating every character (regex {@code [\s\S]}) and a {@code Fuse} decoder that joins the
 * characters without separators. {@link Tokenizers#load(Path)} recognises this layout.
 */
public final class CharTokenizer implements Tokenizer {

    /** The special end-of-text token, also used as end-of-sequence. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** The id of {@link #END_OF_TEXT}. */
    public static final int END_OF_TEXT_ID = 0;

    /** The pre-tokenizer pattern written to and expected in {@code tokenizer.json}: any single character. */
    static final String SPLIT_PATTERN = "[\\s\\S]";

    private final int[] codePoints;
    private final Map<Integer, Integer> idByCodePoint;

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
        this.idByCodePoint = new HashMap<>();
        for (int i = 0; i < codePoints.length; i++) {
            idByCodePoint.put(codePoints[i], i + 1);
        }
    }

    /**
     * Creates a tokenizer whose alphabet is the distinct code points of {@code characters}, in order of
     * first appearance.
     *
     * @param characters the alphabet, e.g. {@code "0123456789+-*= \n"}
     * @return the tokenizer
     */
    public static CharTokenizer ofAlphabet(String characters) {
        Set<Integer> distinct = new LinkedHashSet<>();
        characters.codePoints().forEach(distinct::add);
        return new CharTokenizer(distinct.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Creates a tokenizer whose alphabet is the sorted distinct code points of a training corpus, so that the
     * same corpus always yields the same ids.
     *
     * @param texts the corpus
     * @return the tokenizer
     */
    public static CharTokenizer fromCorpus(Iterable<String> texts) {
        Set<Integer> distinct = new TreeSet<>();
        for (String text : texts) {
            text.codePoints().forEach(distinct::add);
        }
        return new CharTokenizer(distinct.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Rebuilds a tokenizer from a {@code tokenizer.json} tree written by {@link #save(Path)}.
     *
     * @param file the file the tree came from, used in error messages (may be {@code null})
     * @param root the parsed tree
     * @return the tokenizer
     * @throws TokenizerFormatException if the tree is not a per-character WordLevel tokenizer with the layout
     *                                  described in the class documentation
     */
    public static CharTokenizer fromJson(Path file, JsonNode root) throws TokenizerFormatException {
        JsonNode model = TokenizerJson.requireObject(file, root, "model", "model");
        String type = TokenizerJson.requireText(file, model, "type", "model.type");
        if (!type.equals("WordLevel")) {
            throw new TokenizerFormatException(file, "model.type", "expected \"WordLevel\", got \"" + type + "\"");
        }
        String normalizer = TokenizerJson.componentType(file, root, "normalizer");
        if (normalizer != null) {
            throw new TokenizerFormatException(file, "normalizer.type", "normalizer \"" + normalizer
                    + "\" is not supported; only none (null)");
        }
        String preTokenizer = TokenizerJson.componentType(file, root, "pre_tokenizer");
        JsonNode pattern = preTokenizer == null ? null : root.get("pre_tokenizer").path("pattern").get("Regex");
        if (!"Split".equals(preTokenizer) || pattern == null || !pattern.asText().equals(SPLIT_PATTERN)) {
            throw new TokenizerFormatException(file, "pre_tokenizer", "a WordLevel tokenizer is only supported "
                    + "as a per-character vocabulary, with pre_tokenizer {\"type\": \"Split\", \"pattern\": "
                    + "{\"Regex\": \"" + SPLIT_PATTERN + "\"}}");
        }

        JsonNode addedTokens = root.get("added_tokens");
        if (addedTokens == null || !addedTokens.isArray() || addedTokens.size() != 1
                || !END_OF_TEXT.equals(addedTokens.get(0).path("content").asText(null))
                || addedTokens.get(0).path("id").asInt(-1) != END_OF_TEXT_ID) {
            throw new TokenizerFormatException(file, "added_tokens", "expected exactly one added token, \""
                    + END_OF_TEXT + "\" with id " + END_OF_TEXT_ID);
        }

        JsonNode vocab = TokenizerJson.requireObject(file, model, "vocab", "model.vocab");
        int size = vocab.size();
        if (size == 0) {
            throw new TokenizerFormatException(file, "model.vocab", "empty; expected " + END_OF_TEXT + " and the characters");
        }
        if (size - 1 > BpeModel.MAX_TOKEN_ID) {
            throw new TokenizerFormatException(file, "model.vocab", "too many entries: " + size);
        }
        int[] codePoints = new int[size - 1];
        boolean[] seen = new boolean[size];
        Iterator<Map.Entry<String, JsonNode>> entries = vocab.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            String path = TokenizerJson.key("model.vocab", entry.getKey());
            int id = TokenizerJson.requireId(file, entry.getValue(), path, size - 1);
            if (seen[id]) {
                throw new TokenizerFormatException(file, path, "id " + id + " is used twice");
            }
            seen[id] = true;
            if (entry.getKey().equals(END_OF_TEXT)) {
                if (id != END_OF_TEXT_ID) {
                    throw new TokenizerFormatException(file, path, "expected id " + END_OF_TEXT_ID + ", got " + id);
                }
                continue;
            }
            if (entry.getKey().codePointCount(0, entry.getKey().length()) != 1) {
                throw new TokenizerFormatException(file, path, "expected a single character per entry");
            }
            if (id == END_OF_TEXT_ID) {
                throw new TokenizerFormatException(file, path, "id " + END_OF_TEXT_ID + " is reserved for " + END_OF_TEXT);
            }
            codePoints[id - 1] = entry.getKey().codePointAt(0);
        }
        if (!seen[END_OF_TEXT_ID]) {
            throw new TokenizerFormatException(file, "model.vocab", "missing " + END_OF_TEXT);
        }
        return new CharTokenizer(codePoints);
    }

    /** @return the alphabet, in id order (id {@code i + 1} for {@code alphabet().codePointAt(...)} number i) */
    public String alphabet() {
        return new String(codePoints, 0, codePoints.length);
    }

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        BpeTokenizer.IntBuffer ids = new BpeTokenizer.IntBuffer(Math.max(16, text.length()));
        int index = 0;
        while (index < text.length()) {
            if (text.startsWith(END_OF_TEXT, index)) {
                ids.add(END_OF_TEXT_ID);
                index += END_OF_TEXT.length();
                continue;
            }
            int codePoint = text.codePointAt(index);
            Integer id = idByCodePoint.get(codePoint);
            if (id == null) {
                throw new IllegalArgumentException("character '" + new String(Character.toChars(codePoint))
                        + "' (U+" + String.format("%04X", codePoint) + ") at index " + index
                        + " is not in the tokenizer's alphabet of " + codePoints.length + " characters");
            }
            ids.add(id);
            index += Character.charCount(codePoint);
        }
        return ids.toArray();
    }

    @Override
    public String decode(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        StringBuilder text = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            appendToken(text, ids[i], i);
        }
        return text.toString();
    }

    private void appendToken(StringBuilder text, int id, int position) {
        if (id == END_OF_TEXT_ID) {
            text.append(END_OF_TEXT);
        } else if (id > 0 && id <= codePoints.length) {
            text.appendCodePoint(codePoints[id - 1]);
        } else {
            throw new IllegalArgumentException("token id " + id + " at position " + position
                    + " is outside the vocabulary [0, " + vocabSize() + ")");
        }
    }

    @Override
    public int vocabSize() {
        return codePoints.length + 1;
    }

    @Override
    public OptionalInt eosId() {
        return OptionalInt.of(END_OF_TEXT_ID);
    }

    /** @return empty: character-level models here mark document boundaries with the end-of-text token only */
    @Override
    public OptionalInt bosId() {
        return OptionalInt.empty();
    }

    @Override
    public String tokenText(int id) {
        StringBuilder text = new StringBuilder();
        appendToken(text, id, 0);
        return text.toString();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Map.of(END_OF_TEXT, END_OF_TEXT_ID);
    }

    /** @return this tokenizer as a Hugging Face style {@code tokenizer.json} tree */
    public ObjectNode toJson() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode root = json.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject()
                .put("id", END_OF_TEXT_ID)
                .put("content", END_OF_TEXT)
                .put("single_word", false)
                .put("lstrip", false)
                .put("rstrip", false)
                .put("normalized", false)
                .put("special", true);
        root.putNull("normalizer");
        ObjectNode split = root.putObject("pre_tokenizer");
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", SPLIT_PATTERN);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        vocab.put(END_OF_TEXT, END_OF_TEXT_ID);
        for (int i = 0; i < codePoints.length; i++) {
            vocab.put(new String(Character.toChars(codePoints[i])), i + 1);
        }
        // Not in the vocabulary on purpose: the reference library then rejects unknown characters, as we do.
        model.put("unk_token", "<unk>");
        return root;
    }

    @Override
    public void save(Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        AtomicFiles.writeJson(modelDir.resolve(FILE_NAME), toJson());
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CharTokenizer that && Arrays.equals(codePoints, that.codePoints);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codePoints);
    }

    @Override
    public String toString() {
        return "CharTokenizer[" + vocabSize() + " tokens]";
    }
}
