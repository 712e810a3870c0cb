package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.io.AtomicFiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE, read from a Hugging Face {@code tokenizer.json}.
 *
 * <p>Encoding: the text is first split on added tokens (longest content first, honouring their
 * {@code lstrip}, {@code rstrip} and {@code single_word} flags), which map straight to their ids. Every other
 * piece gets a leading space if the pre-tokenizer says {@code add_prefix_space} and it has none, is cut into
 * chunks by GPT-2's regular expression (unless {@code use_regex} is false), and each chunk's UTF-8 bytes are
 * mapped to GPT-2's byte-level characters and merged pairwise, always merging the adjacent pair with the
 * lowest merge rank first. Chunk results are cached.
 *
 * <p>Decoding concatenates the bytes of consecutive ordinary tokens and decodes them as UTF-8 (malformed
 * sequences, possible when decoding a slice that splits a character, become U+FFFD); added tokens are
 * written as their content. With {@code add_prefix_space} the added space is decoded too, as in the
 * reference implementation.
 *
 * <p>Supported {@code tokenizer.json}: {@code model.type} {@code "BPE"} with {@code vocab}, {@code merges}
 * (as {@code "a b"} strings or {@code ["a", "b"]} pairs), no {@code continuing_subword_prefix},
 * {@code end_of_word_suffix} or {@code byte_fallback}; {@code normalizer} null; {@code pre_tokenizer}
 * {@code ByteLevel}; {@code decoder} and {@code post_processor} null or {@code ByteLevel}. The vocabulary must
 * contain all 256 byte-level characters, and ids must be dense: every id below the largest is assigned.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {

    /** GPT-2's pre-tokenization pattern; {@code \s} etc. must be Unicode-aware, as in Python's {@code regex}. */
    static final Pattern GPT2_SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** Largest token id accepted from a file: bounds the id tables allocated while loading. */
    static final int MAX_TOKEN_ID = (1 << 24) - 1;

    private static final int CACHE_LIMIT = 50_000;
    private static final List<String> EOS_CANDIDATES = List.of("<|endoftext|>", "<|end_of_text|>", "</s>");
    private static final List<String> BOS_CANDIDATES = List.of("<|begin_of_text|>", "<s>");

    private final JsonNode source;
    private final String[] tokens;
    private final byte[][] tokenBytes;
    private final boolean[] added;
    private final Map<String, Integer> vocab;
    private final int[] byteIds;
    private final Map<Long, Merge> merges;
    private final Pattern addedTokenPattern;
    private final int[] addedTokenIdByGroup;
    private final Map<String, Integer> specialTokens;
    private final boolean addPrefixSpace;
    private final boolean useRegex;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    private record Merge(int rank, int mergedId) {
    }

    private record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip,
                              boolean singleWord) {
    }

    private ByteLevelBpeTokenizer(JsonNode source, String[] tokens, boolean[] added, Map<String, Integer> vocab,
                                  Map<Long, Merge> merges, List<AddedToken> addedTokens,
                                  boolean addPrefixSpace, boolean useRegex) {
        this.source = source;
        this.tokens = tokens;
        this.added = added;
        this.vocab = vocab;
        this.merges = merges;
        this.addPrefixSpace = addPrefixSpace;
        this.useRegex = useRegex;
        this.byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.get(String.valueOf(ByteLevel.charOf(b)));
        }
        this.tokenBytes = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) {
            tokenBytes[id] = added[id] ? tokens[id].getBytes(StandardCharsets.UTF_8) : bytesOf(tokens[id]);
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        List<AddedToken> ordered = new ArrayList<>(addedTokens);
        ordered.sort(Comparator.comparingInt(AddedToken::id));
        for (AddedToken token : ordered) {
            if (token.special()) {
                specials.put(token.content(), token.id());
            }
        }
        this.specialTokens = Collections.unmodifiableMap(specials);
        // Longest first, so that a token containing another as a prefix wins at the same position.
        ordered.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        if (ordered.isEmpty()) {
            this.addedTokenPattern = null;
            this.addedTokenIdByGroup = new int[0];
        } else {
            StringBuilder regex = new StringBuilder();
            this.addedTokenIdByGroup = new int[ordered.size()];
            for (int i = 0; i < ordered.size(); i++) {
                AddedToken token = ordered.get(i);
                addedTokenIdByGroup[i] = token.id();
                if (i > 0) {
                    regex.append('|');
                }
                regex.append('(');
                if (token.lstrip()) {
                    regex.append("\\s*");
                }
                if (token.singleWord()) {
                    regex.append("(?<![\\p{L}\\p{N}_])");
                }
                regex.append(Pattern.quote(token.content()));
                if (token.singleWord()) {
                    regex.append("(?![\\p{L}\\p{N}_])");
                }
                if (token.rstrip()) {
                    regex.append("\\s*");
                }
                regex.append(')');
            }
            this.addedTokenPattern = Pattern.compile(regex.toString(), Pattern.UNICODE_CHARACTER_CLASS);
        }
    }

    /**
     * Loads a {@code tokenizer.json} file.
     *
     * @param file the file
     * @return the tokenizer
     * @throws TokenizerFormatException if the file is not a supported byte-level BPE tokenizer
     * @throws IOException              if the file cannot be read
     */
    public static ByteLevelBpeTokenizer load(Path file) throws IOException {
        return fromJson(file, TokenizerJson.read(file));
    }

    /**
     * Builds a tokenizer from a parsed {@code tokenizer.json} tree.
     *
     * @param file the file the tree came from, used in error messages (may be {@code null})
     * @param root the parsed tree; it is kept (not copied) and written back by {@link #save(Path)}
     * @return the tokenizer
     * @throws TokenizerFormatException if the tree is not a supported byte-level BPE tokenizer
     */
    public static ByteLevelBpeTokenizer fromJson(Path file, JsonNode root) throws TokenizerFormatException {
        Objects.requireNonNull(root, "root");
        JsonNode model = TokenizerJson.requireObject(file, root, "model", "model");
        String type = TokenizerJson.requireText(file, model, "type", "model.type");
        if (!type.equals("BPE")) {
            throw new TokenizerFormatException(file, "model.type", "expected \"BPE\", got \"" + type + "\"");
        }
        checkUnsupportedModelOptions(file, model);
        checkPipeline(file, root);
        JsonNode preTokenizer = root.get("pre_tokenizer");
        // The reference implementation's ByteLevel defaults: add_prefix_space true, use_regex true.
        boolean addPrefixSpace = TokenizerJson.optionalBoolean(file, preTokenizer, "add_prefix_space",
                "pre_tokenizer.add_prefix_space", true);
        boolean useRegex = TokenizerJson.optionalBoolean(file, preTokenizer, "use_regex",
                "pre_tokenizer.use_regex", true);

        JsonNode vocabNode = TokenizerJson.requireObject(file, model, "vocab", "model.vocab");
        Map<String, Integer> vocab = new HashMap<>();
        Map<Integer, String> byId = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> entries = vocabNode.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            String path = TokenizerJson.key("model.vocab", entry.getKey());
            int id = TokenizerJson.requireId(file, entry.getValue(), path, MAX_TOKEN_ID);
            String previous = byId.putIfAbsent(id, entry.getKey());
            if (previous != null) {
                throw new TokenizerFormatException(file, path, "id " + id + " is also used by \"" + previous + "\"");
            }
            vocab.put(entry.getKey(), id);
        }

        List<AddedToken> addedTokens = parseAddedTokens(file, root, vocab, byId);
        java.util.Set<Integer> addedIds = new java.util.HashSet<>();
        for (AddedToken token : addedTokens) {
            addedIds.add(token.id());
        }
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            if (addedIds.contains(entry.getValue())) {
                continue;
            }
            for (int i = 0; i < entry.getKey().length(); i++) {
                if (ByteLevel.byteOf(entry.getKey().charAt(i)) < 0) {
                    throw new TokenizerFormatException(file, TokenizerJson.key("model.vocab", entry.getKey()),
                            "token is not made of byte-level characters (character U+"
                                    + String.format("%04X", (int) entry.getKey().charAt(i)) + ")");
                }
            }
            if (entry.getKey().isEmpty()) {
                throw new TokenizerFormatException(file, TokenizerJson.key("model.vocab", ""), "empty token");
            }
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.charOf(b));
            if (!vocab.containsKey(symbol)) {
                throw new TokenizerFormatException(file, "model.vocab", "missing the byte-level character \""
                        + symbol + "\" for byte 0x" + String.format("%02X", b));
            }
        }

        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        boolean[] added = new boolean[size];
        for (int id = 0; id < size; id++) {
            tokens[id] = byId.get(id);
            if (tokens[id] == null) {
                throw new TokenizerFormatException(file, "model.vocab", "no token has id " + id
                        + " although ids go up to " + (size - 1) + "; ids must be dense");
            }
            added[id] = addedIds.contains(id);
        }

        Map<Long, Merge> merges = parseMerges(file, model, vocab);
        return new ByteLevelBpeTokenizer(root, tokens, added, vocab, merges, addedTokens, addPrefixSpace, useRegex);
    }

    private static void checkUnsupportedModelOptions(Path file, JsonNode model) throws TokenizerFormatException {
        for (String option : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode node = model.get(option);
            if (node != null && !node.isNull() && !(node.isTextual() && node.asText().isEmpty())) {
                throw new TokenizerFormatException(file, "model." + option, "not supported (got " + node + ")");
            }
        }
        if (TokenizerJson.optionalBoolean(file, model, "byte_fallback", "model.byte_fallback", false)) {
            throw new TokenizerFormatException(file, "model.byte_fallback",
                    "byte fallback (SentencePiece-style BPE) is not supported; only byte-level BPE is");
        }
    }

    private static void checkPipeline(Path file, JsonNode root) throws TokenizerFormatException {
        String normalizer = TokenizerJson.componentType(file, root, "normalizer");
        if (normalizer != null) {
            throw new TokenizerFormatException(file, "normalizer.type", "normalizer \"" + normalizer
                    + "\" is not supported; only none (null)");
        }
        String preTokenizer = TokenizerJson.componentType(file, root, "pre_tokenizer");
        if (preTokenizer == null) {
            throw new TokenizerFormatException(file, "pre_tokenizer", "missing; byte-level BPE needs a ByteLevel pre-tokenizer");
        }
        if (!preTokenizer.equals("ByteLevel")) {
            throw new TokenizerFormatException(file, "pre_tokenizer.type", "pre-tokenizer \"" + preTokenizer
                    + "\" is not supported; only ByteLevel");
        }
        for (String component : List.of("decoder", "post_processor")) {
            String componentType = TokenizerJson.componentType(file, root, component);
            if (componentType != null && !componentType.equals("ByteLevel")) {
                throw new TokenizerFormatException(file, component + ".type", component.replace('_', '-') + " \""
                        + componentType + "\" is not supported; only ByteLevel or none");
            }
        }
    }

    private static List<AddedToken> parseAddedTokens(Path file, JsonNode root, Map<String, Integer> vocab,
                                                     Map<Integer, String> byId) throws TokenizerFormatException {
        JsonNode node = root.get("added_tokens");
        List<AddedToken> result = new ArrayList<>();
        if (node == null || node.isNull()) {
            return result;
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(file, "added_tokens", "expected an array, got " + node.getNodeType());
        }
        for (int i = 0; i < node.size(); i++) {
            String path = "added_tokens[" + i + "]";
            JsonNode entry = node.get(i);
            if (!entry.isObject()) {
                throw new TokenizerFormatException(file, path, "expected an object, got " + entry);
            }
            int id = TokenizerJson.requireId(file, entry.get("id"), path + ".id", MAX_TOKEN_ID);
            String content = TokenizerJson.requireText(file, entry, "content", path + ".content");
            if (content.isEmpty()) {
                throw new TokenizerFormatException(file, path + ".content", "empty");
            }
            Integer existingId = vocab.get(content);
            String holder = byId.get(id);
            if (existingId != null && existingId != id) {
                throw new TokenizerFormatException(file, path + ".id", "\"" + content + "\" has id " + id
                        + " here but " + existingId + " in model.vocab");
            }
            if (holder != null && !holder.equals(content)) {
                throw new TokenizerFormatException(file, path + ".id", "id " + id + " of \"" + content
                        + "\" already belongs to \"" + holder + "\"");
            }
            vocab.put(content, id);
            byId.put(id, content);
            result.add(new AddedToken(id, content,
                    TokenizerJson.optionalBoolean(file, entry, "special", path + ".special", false),
                    TokenizerJson.optionalBoolean(file, entry, "lstrip", path + ".lstrip", false),
                    TokenizerJson.optionalBoolean(file, entry, "rstrip", path + ".rstrip", false),
                    TokenizerJson.optionalBoolean(file, entry, "single_word", path + ".single_word", false)));
        }
        return result;
    }

    private static Map<Long, Merge> parseMerges(Path file, JsonNode model, Map<String, Integer> vocab)
            throws TokenizerFormatException {
        JsonNode node = model.get("merges");
        Map<Long, Merge> merges = new HashMap<>();
        if (node == null || node.isNull()) {
            return merges;
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(file, "model.merges", "expected an array, got " + node.getNodeType());
        }
        for (int rank = 0; rank < node.size(); rank++) {
            String path = "model.merges[" + rank + "]";
            JsonNode merge = node.get(rank);
            String left;
            String right;
            if (merge.isTextual()) {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    throw new TokenizerFormatException(file, path, "expected \"left right\" (two tokens separated by "
                            + "one space), got " + merge);
                }
                left = parts[0];
                right = parts[1];
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw new TokenizerFormatException(file, path, "expected \"left right\" or [\"left\", \"right\"], got "
                        + merge);
            }
            int leftId = vocabId(file, path, vocab, left);
            int rightId = vocabId(file, path, vocab, right);
            int mergedId = vocabId(file, path, vocab, left + right);
            // The first occurrence of a pair defines its rank, as in the reference implementation.
            merges.putIfAbsent(pairKey(leftId, rightId), new Merge(rank, mergedId));
        }
        return merges;
    }

    private static int vocabId(Path file, String path, Map<String, Integer> vocab, String token)
            throws TokenizerFormatException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new TokenizerFormatException(file, path, "token \"" + token + "\" is not in model.vocab");
        }
        return id;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private static byte[] bytesOf(String byteLevelToken) {
        byte[] bytes = new byte[byteLevelToken.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ByteLevel.byteOf(byteLevelToken.charAt(i));
        }
        return bytes;
    }

    // ---------------------------------------------------------------- encoding

    @Override
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        if (addedTokenPattern == null) {
            encodeOrdinary(text, out);
            return out.toArray();
        }
        Matcher matcher = addedTokenPattern.matcher(text);
        int last = 0;
        while (matcher.find()) {
            encodeOrdinary(text.substring(last, matcher.start()), out);
            out.add(matchedAddedToken(matcher));
            last = matcher.end();
        }
        encodeOrdinary(text.substring(last), out);
        return out.toArray();
    }

    private int matchedAddedToken(Matcher matcher) {
        for (int group = 1; group <= addedTokenIdByGroup.length; group++) {
            if (matcher.start(group) >= 0) {
                return addedTokenIdByGroup[group - 1];
            }
        }
        throw new IllegalStateException("added-token match without a group");
    }

    private void encodeOrdinary(String piece, IntBuffer out) {
        if (piece.isEmpty()) {
            return;
        }
        String text = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
        if (!useRegex) {
            out.addAll(encodeChunk(text));
            return;
        }
        Matcher matcher = GPT2_SPLIT.matcher(text);
        int last = 0;
        while (matcher.find()) {
            if (matcher.start() > last) {
                // The pattern covers every character; kept so that no text could ever be dropped silently.
                out.addAll(encodeChunk(text.substring(last, matcher.start())));
            }
            out.addAll(encodeChunk(matcher.group()));
            last = matcher.end();
        }
        if (last < text.length()) {
            out.addAll(encodeChunk(text.substring(last)));
        }
    }

    private int[] encodeChunk(String chunk) {
        int[] cached = cache.get(chunk);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteIds[bytes[i] & 0xff];
        }
        int[] result = merge(symbols);
        if (cache.size() >= CACHE_LIMIT) {
            cache.clear(); // crude but bounded; real text has a small working set of chunks
        }
        cache.put(chunk, result);
        return result;
    }

    /** Repeatedly merges every occurrence of the lowest-ranked adjacent pair, left to right. */
    private int[] merge(int[] initial) {
        int[] symbols = initial;
        int length = symbols.length;
        while (length > 1) {
            int bestRank = Integer.MAX_VALUE;
            Merge best = null;
            long bestKey = 0;
            for (int i = 0; i + 1 < length; i++) {
                long key = pairKey(symbols[i], symbols[i + 1]);
                Merge merge = merges.get(key);
                if (merge != null && merge.rank() < bestRank) {
                    bestRank = merge.rank();
                    best = merge;
                    bestKey = key;
                }
            }
            if (best == null) {
                break;
            }
            int write = 0;
            for (int read = 0; read < length; read++) {
                if (read + 1 < length && pairKey(symbols[read], symbols[read + 1]) == bestKey) {
                    symbols[write++] = best.mergedId();
                    read++;
                } else {
                    symbols[write++] = symbols[read];
                }
            }
            length = write;
        }
        return Arrays.copyOf(symbols, length);
    }

    // ---------------------------------------------------------------- decoding and vocabulary

    @Override
    public String decode(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) {
            int id = checkId(ids[i], i);
            if (added[id]) {
                flushUtf8(pending, text);
                text.append(tokens[id]);
            } else {
                pending.writeBytes(tokenBytes[id]);
            }
        }
        flushUtf8(pending, text);
        return text.toString();
    }

    private static void flushUtf8(ByteArrayOutputStream pending, StringBuilder text) {
        if (pending.size() > 0) {
            text.append(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }
    }

    private int checkId(int id, int position) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " at position " + position
                    + " is outside the vocabulary [0, " + tokens.length + ")");
        }
        return id;
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /**
     * The first special token among {@code <|endoftext|>}, {@code <|end_of_text|>} and {@code </s>}.
     * ({@code tokenizer.json} itself does not say which token ends a sequence.)
     */
    @Override
    public OptionalInt eosId() {
        return firstSpecial(EOS_CANDIDATES);
    }

    /**
     * The first special token among {@code <|begin_of_text|>} and {@code <s>}; empty for GPT-2, whose only
     * special token {@code <|endoftext|>} serves as the document separator and is reported by {@link #eosId()}.
     */
    @Override
    public OptionalInt bosId() {
        return firstSpecial(BOS_CANDIDATES);
    }

    private OptionalInt firstSpecial(List<String> candidates) {
        for (String candidate : candidates) {
            Integer id = specialTokens.get(candidate);
            if (id != null) {
                return OptionalInt.of(id);
            }
        }
        return OptionalInt.empty();
    }

    @Override
    public String tokenText(int id) {
        checkId(id, 0);
        return added[id] ? tokens[id] : new String(tokenBytes[id], StandardCharsets.UTF_8);
    }

    /**
     * The token as spelled in the vocabulary, e.g. {@code "Ġthe"} for " the".
     *
     * @param id a token id
     * @return the vocabulary string
     * @throws IllegalArgumentException if the id is outside {@code [0, vocabSize())}
     */
    public String vocabToken(int id) {
        return tokens[checkId(id, 0)];
    }

    /**
     * Looks up a token as spelled in the vocabulary (byte-level characters, or an added token's content).
     *
     * @param vocabToken the vocabulary string, e.g. {@code "Ġthe"} or {@code "<|endoftext|>"}
     * @return its id, if present
     */
    public OptionalInt idOf(String vocabToken) {
        Integer id = vocab.get(vocabToken);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    /** Writes the {@code tokenizer.json} tree this tokenizer was loaded from, unchanged. */
    @Override
    public void save(Path modelDir) throws IOException {
        Files.createDirectories(modelDir);
        AtomicFiles.writeJson(modelDir.resolve(FILE_NAME), source);
    }

    /** A growable int array, to avoid boxing every id. */
    static final class IntBuffer {
        private int[] values;
        private int size;

        IntBuffer(int capacity) {
            values = new int[capacity];
        }

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = value;
        }

        void addAll(int[] more) {
            if (size + more.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, values, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
