package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * A BPE tokenizer read from a Hugging Face {@code tokenizer.json}, encoding and decoding as the reference
 * implementation (Hugging Face {@code tokenizers}) does: GPT-2 style byte-level BPE (GPT-2, Llama 3, Qwen 2.5
 * and 3, DeepSeek V3, o200k-style files) and SentencePiece style BPE with byte fallback (Llama 2, Mistral,
 * Gemma).
 *
 * <p>Encoding, as upstream: the text is split around added tokens whose {@code normalized} flag is false (each
 * becomes its id); every other piece is normalized ({@link Normalizers}), split around the remaining added
 * tokens, pre-tokenized ({@link PreTokenizers}) and each resulting piece encoded by the {@link BpeModel}.
 * {@link #encode(String)} adds no special tokens; {@link #encode(String, boolean)} with {@code true} applies the
 * file's post-processor ({@link PostProcessors}), e.g. Llama 2's {@code <s>} in front.
 *
 * <p>Decoding maps ids to their token strings (an added token's content) and runs the file's decoder
 * ({@link Decoders}); without a decoder the tokens are joined with spaces, as upstream. Ids below
 * {@link #vocabSize()} that no token has (a gap between the vocabulary and the added tokens) decode to
 * nothing, as upstream.
 *
 * <p>Any component, option or model type not implemented is refused when loading, with the field named
 * ({@link TokenizerFormatException}); nothing is silently ignored. One deliberate difference: where upstream
 * silently drops a character that has no token, no byte fallback and no unk token, {@link #encode(String)}
 * throws {@link IllegalArgumentException} naming it (byte-level and byte-fallback tokenizers never do).
 */
public final class BpeTokenizer implements Tokenizer {

    private static final List<String> EOS_CANDIDATES = List.of("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>",
            "<｜end▁of▁sentence｜>");
    private static final List<String> BOS_CANDIDATES = List.of("<|begin_of_text|>", "<s>", "<bos>",
            "<｜begin▁of▁sentence｜>");

    private final JsonNode source;
    private final String[] tokens;           // by id; null where no token has the id
    private final boolean[] added;
    private final Map<String, Integer> addedIds;
    private final BpeModel model;
    private final AddedVocabulary addedVocabulary;
    private final Normalizers.TextNormalizer normalizer;
    private final PreTokenizers.PreTokenizer preTokenizer;
    private final PostProcessors.PostProcessor postProcessor;
    private final Decoders.Decoder decoder;
    private final Map<String, Integer> specialTokens;

    private BpeTokenizer(JsonNode source, String[] tokens, boolean[] added, Map<String, Integer> addedIds,
                         BpeModel model, List<AddedVocabulary.AddedToken> addedTokens,
                         Normalizers.TextNormalizer normalizer, PreTokenizers.PreTokenizer preTokenizer,
                         PostProcessors.PostProcessor postProcessor, Decoders.Decoder decoder) {
        this.source = source;
        this.tokens = tokens;
        this.added = added;
        this.addedIds = addedIds;
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.addedVocabulary = new AddedVocabulary(addedTokens, normalizer == null ? null : normalizer::normalize);
        List<AddedVocabulary.AddedToken> ordered = new ArrayList<>(addedTokens);
        ordered.sort((a, b) -> Integer.compare(a.id(), b.id()));
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (AddedVocabulary.AddedToken token : ordered) {
            if (token.special()) {
                specials.put(token.content(), token.id());
            }
        }
        this.specialTokens = Collections.unmodifiableMap(specials);
    }

    /**
     * Loads a {@code tokenizer.json} file.
     *
     * @param file the file
     * @return the tokenizer
     * @throws TokenizerFormatException if the file is not a supported BPE tokenizer; the message names the field
     * @throws IOException              if the file cannot be read
     */
    public static BpeTokenizer load(Path file) throws IOException {
        return fromJson(file, TokenizerJson.read(file));
    }

    /**
     * Builds a tokenizer from a parsed {@code tokenizer.json} tree.
     *
     * @param file the file the tree came from, used in error messages (may be {@code null})
     * @param root the parsed tree; it is kept (not copied) and written back by {@link #save(Path)}
     * @return the tokenizer
     * @throws TokenizerFormatException if the tree is not a supported BPE tokenizer; the message names the field
     */
    public static BpeTokenizer fromJson(Path file, JsonNode root) throws TokenizerFormatException {
        Objects.requireNonNull(root, "root");
        JsonNode modelNode = TokenizerJson.requireObject(file, root, "model", "model");
        String type = TokenizerJson.requireText(file, modelNode, "type", "model.type");
        if (!type.equals("BPE")) {
            throw new TokenizerFormatException(file, "model.type", "expected \"BPE\", got \"" + type + "\"");
        }
        for (String option : List.of("truncation", "padding")) {
            JsonNode node = root.get(option);
            if (node != null && !node.isNull()) {
                throw new TokenizerFormatException(file, option, option + " is not supported (got " + node
                        + "); sequences are encoded whole");
            }
        }
        BpeModel model = BpeModel.parse(file, modelNode);
        Normalizers.TextNormalizer normalizer = Normalizers.parse(file, root.get("normalizer"), "normalizer");
        PreTokenizers.PreTokenizer preTokenizer;
        try {
            preTokenizer = PreTokenizers.parse(file, root.get("pre_tokenizer"), "pre_tokenizer");
        } catch (IllegalArgumentException badPattern) {
            throw new TokenizerFormatException(file, "pre_tokenizer", badPattern.getMessage(), badPattern);
        }
        Decoders.Decoder decoder = Decoders.parse(file, root.get("decoder"), "decoder");
        if (usesByteLevel(root.get("pre_tokenizer")) || usesByteLevel(root.get("decoder"))) {
            int missing = model.missingByteLevelByte();
            if (missing >= 0) {
                throw new TokenizerFormatException(file, "model.vocab", "missing the byte-level character \""
                        + ByteLevel.charOf(missing) + "\" for byte 0x" + String.format("%02X", missing)
                        + ", which a ByteLevel pre-tokenizer or decoder needs");
            }
        }

        Map<String, Integer> allIds = new HashMap<>(model.vocab);
        Map<Integer, String> byId = new HashMap<>(model.vocab.size() * 2);
        for (Map.Entry<String, Integer> entry : model.vocab.entrySet()) {
            byId.put(entry.getValue(), entry.getKey());
        }
        List<AddedVocabulary.AddedToken> addedTokens = parseAddedTokens(file, root, allIds, byId);
        PostProcessors.PostProcessor postProcessor = PostProcessors.parse(file, root.get("post_processor"),
                "post_processor", allIds);

        int size = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        boolean[] added = new boolean[size];
        Map<String, Integer> addedIds = new HashMap<>();
        for (Map.Entry<Integer, String> entry : byId.entrySet()) {
            tokens[entry.getKey()] = entry.getValue();
        }
        for (AddedVocabulary.AddedToken token : addedTokens) {
            added[token.id()] = true;
            addedIds.put(token.content(), token.id());
        }
        return new BpeTokenizer(root, tokens, added, addedIds, model, addedTokens, normalizer, preTokenizer,
                postProcessor, decoder);
    }

    private static boolean usesByteLevel(JsonNode component) {
        if (component == null || !component.isContainerNode()) {
            return false;
        }
        if (component.isObject() && "ByteLevel".equals(component.path("type").asText(null))) {
            return true;
        }
        for (JsonNode child : component) {
            if (usesByteLevel(child)) {
                return true;
            }
        }
        return false;
    }

    private static List<AddedVocabulary.AddedToken> parseAddedTokens(Path file, JsonNode root,
                                                                     Map<String, Integer> vocab,
                                                                     Map<Integer, String> byId)
            throws TokenizerFormatException {
        JsonNode node = root.get("added_tokens");
        List<AddedVocabulary.AddedToken> result = new ArrayList<>();
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
            int id = TokenizerJson.requireId(file, entry.get("id"), path + ".id", BpeModel.MAX_TOKEN_ID);
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
            boolean special = TokenizerJson.optionalBoolean(file, entry, "special", path + ".special", false);
            result.add(new AddedVocabulary.AddedToken(id, content, special,
                    TokenizerJson.optionalBoolean(file, entry, "lstrip", path + ".lstrip", false),
                    TokenizerJson.optionalBoolean(file, entry, "rstrip", path + ".rstrip", false),
                    TokenizerJson.optionalBoolean(file, entry, "normalized", path + ".normalized", !special),
                    TokenizerJson.optionalBoolean(file, entry, "single_word", path + ".single_word", false)));
        }
        return result;
    }

    // ---------------------------------------------------------------- encoding

    /** Encodes without special tokens: no BOS or EOS is added, whatever the post-processor says. */
    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Encodes text, applying the file's post-processor when {@code addSpecialTokens} (as upstream's
     * {@code encode(text, add_special_tokens=True)}, e.g. Llama 2's and Gemma's BOS in front).
     *
     * @param text             the text
     * @param addSpecialTokens whether to add the post-processor's special tokens
     * @return the ids
     */
    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        List<PreTokenizers.Piece> pieces = new ArrayList<>();
        addedVocabulary.splitRaw(text, 0, raw -> {
            if (raw.isToken()) {
                out.add(raw.tokenId());
                return;
            }
            if (raw.text().isEmpty()) {
                return;
            }
            String normalized = normalizer == null ? raw.text() : normalizer.normalize(raw.text());
            addedVocabulary.splitNormalized(normalized, 0, segment -> {
                if (segment.isToken()) {
                    out.add(segment.tokenId());
                } else if (!segment.text().isEmpty()) {
                    PreTokenizers.Piece piece = new PreTokenizers.Piece(segment.text(),
                            raw.start() == 0 && segment.start() == 0, false);
                    if (preTokenizer == null) {
                        out.addAll(model.tokenize(piece));
                    } else {
                        pieces.clear();
                        preTokenizer.split(piece, pieces);
                        for (PreTokenizers.Piece p : pieces) {
                            out.addAll(model.tokenize(p));
                        }
                    }
                }
            });
        });
        int[] ids = out.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(ids) : ids;
    }

    // ---------------------------------------------------------------- decoding and vocabulary

    @Override
    public String decode(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        List<String> pieces = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            int id = checkId(ids[i], i);
            if (tokens[id] != null) {
                pieces.add(tokens[id]);
            }
        }
        if (decoder == null) {
            return String.join(" ", pieces);
        }
        return String.join("", decoder.decodeChain(pieces));
    }

    private int checkId(int id, int position) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " at position " + position
                    + " is outside the vocabulary [0, " + tokens.length + ")");
        }
        return id;
    }

    /** One more than the largest id of the vocabulary and the added tokens. */
    @Override
    public int vocabSize() {
        return tokens.length;
    }

    /**
     * The first special token among {@code <|endoftext|>}, {@code <|end_of_text|>}, {@code </s>}, {@code <eos>}
     * and DeepSeek's end of sentence. ({@code tokenizer.json} itself does not say which token ends a sequence;
     * a model's {@code generation_config.json} may name another.)
     */
    @Override
    public OptionalInt eosId() {
        return firstSpecial(EOS_CANDIDATES);
    }

    /**
     * The single special token the post-processor puts before a sequence, if there is one; otherwise the first
     * special token among {@code <|begin_of_text|>}, {@code <s>}, {@code <bos>} and DeepSeek's begin of sentence.
     * Empty for GPT-2, whose only special token {@code <|endoftext|>} is reported by {@link #eosId()}.
     */
    @Override
    public OptionalInt bosId() {
        if (postProcessor != null) {
            int[] prefix = postProcessor.prefixIds();
            if (prefix.length == 1) {
                return OptionalInt.of(prefix[0]);
            }
        }
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

    /** The token decoded alone (so a byte-level token that is only part of a UTF-8 character shows U+FFFD). */
    @Override
    public String tokenText(int id) {
        checkId(id, 0);
        return decode(new int[]{id});
    }

    /**
     * The token as spelled in the vocabulary, e.g. {@code "Ġthe"} for " the" or {@code "▁the"}.
     *
     * @param id a token id
     * @return the vocabulary string
     * @throws IllegalArgumentException if no token has the id
     */
    public String vocabToken(int id) {
        String token = tokens[checkId(id, 0)];
        if (token == null) {
            throw new IllegalArgumentException("no token has id " + id);
        }
        return token;
    }

    /**
     * Looks up a token as spelled in the vocabulary, or an added token's content.
     *
     * @param vocabToken the vocabulary string, e.g. {@code "Ġthe"} or {@code "<|endoftext|>"}
     * @return its id, if present
     */
    public OptionalInt idOf(String vocabToken) {
        Integer id = addedIds.get(vocabToken);
        if (id == null) {
            id = model.vocab.get(vocabToken);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** @return whether the id is one of {@code added_tokens} */
    public boolean isAddedToken(int id) {
        return added[checkId(id, 0)];
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
            values = new int[Math.max(capacity, 4)];
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
