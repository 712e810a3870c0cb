package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code BPE} model of {@code tokenizer.json}: turns one pre-tokenized piece into ids.
 *
 * <p>Each character of the piece (each byte, for pieces the ByteLevel pre-tokenizer mapped) starts as its own
 * symbol: its vocabulary id, else its UTF-8 bytes as {@code <0xNN>} tokens when {@code byte_fallback} is on,
 * else {@code unk_token} (consecutive unknowns fused into one when {@code fuse_unk}). Symbols are then merged
 * as upstream's {@code Word::merge_all}: a priority queue holds every adjacent pair that has a merge, ordered
 * by merge rank and then position; the best is popped, checked against the current (linked-list) neighbours
 * and applied, and only the two pairs it creates are pushed. A word of n symbols thus costs O(n log n), not the
 * O(n²) of rescanning the word for the best pair after every merge. With {@code ignore_merges}, a piece that
 * is itself in the vocabulary is that one token.
 */
final class BpeModel {

    /** Largest token id accepted from a file: bounds the id tables allocated while loading. */
    static final int MAX_TOKEN_ID = (1 << 24) - 1;

    /** Pieces at least this long are not cached (upstream uses the same limit), so the cache stays small. */
    private static final int CACHE_MAX_PIECE_LENGTH = 256;
    private static final int CACHE_LIMIT = 50_000;

    final Map<String, Integer> vocab;
    private final int[] singleCharIds;       // BMP code point -> id of the one-character token, or -1
    private final int[] byteLevelIds = new int[256];
    private final int[] byteFallbackIds = new int[256];
    private final PairRanks merges;
    private final int[] mergedIdByRank;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final Map<String, int[]> textCache = new ConcurrentHashMap<>();
    private final Map<String, int[]> byteLevelCache = new ConcurrentHashMap<>();

    private BpeModel(Map<String, Integer> vocab, PairRanks merges, int[] mergedIdByRank, int unkId, boolean fuseUnk,
                     boolean byteFallback, boolean ignoreMerges, String continuingSubwordPrefix,
                     String endOfWordSuffix) {
        this.vocab = vocab;
        this.merges = merges;
        this.mergedIdByRank = mergedIdByRank;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        this.singleCharIds = new int[0x10000];
        Arrays.fill(singleCharIds, -1);
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            String token = entry.getKey();
            if (token.length() == 1) {
                singleCharIds[token.charAt(0)] = entry.getValue();
            }
        }
        for (int b = 0; b < 256; b++) {
            byteLevelIds[b] = singleCharIds[ByteLevel.charOf(b)];
            Integer fallback = vocab.get(byteToken(b));
            byteFallbackIds[b] = fallback == null ? -1 : fallback;
        }
    }

    /** The spelling of a byte-fallback token, e.g. {@code <0x0A>}. */
    static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    static BpeModel parse(Path file, JsonNode model) throws TokenizerFormatException {
        JsonNode dropout = model.get("dropout");
        if (dropout != null && !dropout.isNull() && !(dropout.isNumber() && dropout.asDouble() == 0.0)) {
            throw new TokenizerFormatException(file, "model.dropout", "BPE dropout is not supported (got " + dropout
                    + "); it makes encoding random");
        }
        String prefix = emptyToNull(TokenizerJson.optionalText(file, model, "continuing_subword_prefix",
                "model.continuing_subword_prefix", null));
        String suffix = emptyToNull(TokenizerJson.optionalText(file, model, "end_of_word_suffix",
                "model.end_of_word_suffix", null));
        boolean fuseUnk = TokenizerJson.optionalBoolean(file, model, "fuse_unk", "model.fuse_unk", false);
        boolean byteFallback = TokenizerJson.optionalBoolean(file, model, "byte_fallback", "model.byte_fallback", false);
        boolean ignoreMerges = TokenizerJson.optionalBoolean(file, model, "ignore_merges", "model.ignore_merges", false);

        JsonNode vocabNode = TokenizerJson.requireObject(file, model, "vocab", "model.vocab");
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        Map<Integer, String> byId = new HashMap<>(vocabNode.size() * 2);
        Iterator<Map.Entry<String, JsonNode>> entries = vocabNode.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            String path = TokenizerJson.key("model.vocab", entry.getKey());
            if (entry.getKey().isEmpty()) {
                throw new TokenizerFormatException(file, path, "empty token");
            }
            int id = TokenizerJson.requireId(file, entry.getValue(), path, MAX_TOKEN_ID);
            String previous = byId.putIfAbsent(id, entry.getKey());
            if (previous != null) {
                throw new TokenizerFormatException(file, path, "id " + id + " is also used by \"" + previous + "\"");
            }
            vocab.put(entry.getKey(), id);
        }

        String unkToken = TokenizerJson.optionalText(file, model, "unk_token", "model.unk_token", null);
        int unkId = -1;
        if (unkToken != null) {
            Integer id = vocab.get(unkToken);
            if (id == null) {
                throw new TokenizerFormatException(file, "model.unk_token", "\"" + unkToken + "\" is not in model.vocab");
            }
            unkId = id;
        }

        JsonNode mergesNode = model.get("merges");
        int count = mergesNode == null || mergesNode.isNull() ? 0 : mergesNode.size();
        if (mergesNode != null && !mergesNode.isNull() && !mergesNode.isArray()) {
            throw new TokenizerFormatException(file, "model.merges", "expected an array, got " + mergesNode.getNodeType());
        }
        PairRanks merges = new PairRanks(count);
        int[] mergedIdByRank = new int[count];
        int prefixLength = prefix == null ? 0 : prefix.length();
        for (int rank = 0; rank < count; rank++) {
            String path = "model.merges[" + rank + "]";
            JsonNode merge = mergesNode.get(rank);
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
            if (right.length() < prefixLength || (prefix != null && !right.startsWith(prefix))) {
                throw new TokenizerFormatException(file, path, "right token \"" + right
                        + "\" does not start with the continuing_subword_prefix");
            }
            mergedIdByRank[rank] = vocabId(file, path, vocab, left + right.substring(prefixLength));
            // A pair listed twice keeps its last rank, as upstream's map built in file order does.
            merges.put(pairKey(leftId, rightId), rank);
        }
        return new BpeModel(vocab, merges, mergedIdByRank, unkId, fuseUnk, byteFallback, ignoreMerges, prefix, suffix);
    }

    private static String emptyToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    private static int vocabId(Path file, String path, Map<String, Integer> vocab, String token)
            throws TokenizerFormatException {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new TokenizerFormatException(file, path, "token \"" + token + "\" is not in model.vocab");
        }
        return id;
    }

    static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    /** @return whether every byte has a byte-level character token, as byte-level BPE needs */
    int missingByteLevelByte() {
        for (int b = 0; b < 256; b++) {
            if (byteLevelIds[b] < 0) {
                return b;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- encoding

    /**
     * Encodes one piece.
     *
     * @throws IllegalArgumentException if a character has no token, no byte fallback and there is no unk token
     */
    int[] tokenize(PreTokenizers.Piece piece) {
        Map<String, int[]> cache = piece.byteLevel() ? byteLevelCache : textCache;
        String key = piece.text();
        int[] cached = cache.get(key);
        if (cached != null) {
            return cached;
        }
        int[] result = compute(piece);
        if (key.length() < CACHE_MAX_PIECE_LENGTH) {
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear(); // crude but bounded; real text has a small working set of pieces
            }
            cache.put(key, result);
        }
        return result;
    }

    private int[] compute(PreTokenizers.Piece piece) {
        if (ignoreMerges) {
            Integer whole = vocab.get(piece.visibleText());
            if (whole != null) {
                return new int[]{whole};
            }
        }
        Word word;
        if (piece.byteLevel() && continuingSubwordPrefix == null && endOfWordSuffix == null) {
            byte[] bytes = piece.text().getBytes(StandardCharsets.UTF_8);
            word = new Word(bytes.length);
            for (byte value : bytes) {
                int b = value & 0xff;
                if (byteLevelIds[b] >= 0) {
                    word.add(byteLevelIds[b]);
                } else {
                    unknown(word, String.valueOf(ByteLevel.charOf(b)));
                }
            }
        } else {
            String text = piece.visibleText();
            word = new Word(text.length());
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                int next = i + Character.charCount(cp);
                int id = -1;
                String symbol = null;
                if (continuingSubwordPrefix == null && endOfWordSuffix == null) {
                    if (cp < 0x10000) {
                        id = singleCharIds[cp];
                    } else {
                        symbol = text.substring(i, next);
                        Integer found = vocab.get(symbol);
                        id = found == null ? -1 : found;
                    }
                } else {
                    symbol = text.substring(i, next);
                    if (i > 0 && continuingSubwordPrefix != null) {
                        symbol = continuingSubwordPrefix + symbol;
                    }
                    if (next == text.length() && endOfWordSuffix != null) {
                        symbol = symbol + endOfWordSuffix;
                    }
                    Integer found = vocab.get(symbol);
                    id = found == null ? -1 : found;
                }
                if (id >= 0) {
                    word.add(id);
                } else {
                    unknown(word, symbol != null ? symbol : text.substring(i, next));
                }
                i = next;
            }
        }
        word.flushUnknown();
        return word.mergeAll();
    }

    private void unknown(Word word, String symbol) {
        if (byteFallback) {
            byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
            boolean all = true;
            for (byte b : bytes) {
                all &= byteFallbackIds[b & 0xff] >= 0;
            }
            if (all) {
                for (byte b : bytes) {
                    // Upstream adds these without first emitting a pending unknown.
                    word.push(byteFallbackIds[b & 0xff]);
                }
                return;
            }
        }
        if (unkId < 0) {
            throw new IllegalArgumentException("cannot encode \"" + symbol + "\" (U+"
                    + String.format("%04X", symbol.codePointAt(0)) + "): it is not in the vocabulary, and the "
                    + "tokenizer has neither byte_fallback nor an unk_token");
        }
        word.addUnknown(unkId, fuseUnk);
    }

    /** The symbols of one piece as a doubly linked list over arrays, merged in place. */
    private final class Word {
        private int[] ids;
        private int[] prev;
        private int[] next;
        private boolean[] removed;
        private int size;
        private int pendingUnk = -1;

        Word(int capacity) {
            ids = new int[Math.max(capacity, 1)];
        }

        void add(int id) {
            flushUnknown();
            push(id);
        }

        /** Upstream keeps one pending unknown and, with fuse_unk, extends it instead of adding another. */
        void addUnknown(int id, boolean fuse) {
            if (pendingUnk >= 0 && !fuse) {
                push(pendingUnk);
            }
            pendingUnk = id;
        }

        void flushUnknown() {
            if (pendingUnk >= 0) {
                push(pendingUnk);
                pendingUnk = -1;
            }
        }

        void push(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        int[] mergeAll() {
            int n = size;
            if (n < 2 || merges.isEmpty()) {
                return Arrays.copyOf(ids, n);
            }
            prev = new int[n];
            next = new int[n];
            removed = new boolean[n];
            LongHeap queue = new LongHeap(n);
            for (int i = 0; i < n; i++) {
                prev[i] = i - 1;
                next[i] = i + 1 < n ? i + 1 : -1;
                if (i + 1 < n) {
                    int rank = merges.get(pairKey(ids[i], ids[i + 1]));
                    if (rank >= 0) {
                        queue.push(entry(rank, i));
                    }
                }
            }
            while (!queue.isEmpty()) {
                long top = queue.pop();
                int rank = (int) (top >>> 32);
                int pos = (int) top;
                if (removed[pos] || next[pos] < 0) {
                    continue;
                }
                int right = next[pos];
                int currentRank = merges.get(pairKey(ids[pos], ids[right]));
                int mergedId = mergedIdByRank[rank];
                // The pair may have changed since it was queued; upstream compares the merged token.
                if (currentRank < 0 || mergedIdByRank[currentRank] != mergedId) {
                    continue;
                }
                ids[pos] = mergedId;
                next[pos] = next[right];
                removed[right] = true;
                if (next[right] >= 0) {
                    prev[next[right]] = pos;
                }
                if (prev[pos] >= 0) {
                    int leftRank = merges.get(pairKey(ids[prev[pos]], mergedId));
                    if (leftRank >= 0) {
                        queue.push(entry(leftRank, prev[pos]));
                    }
                }
                if (next[pos] >= 0) {
                    int rightRank = merges.get(pairKey(mergedId, ids[next[pos]]));
                    if (rightRank >= 0) {
                        queue.push(entry(rightRank, pos));
                    }
                }
            }
            int[] result = new int[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (!removed[i]) {
                    result[count++] = ids[i];
                }
            }
            return Arrays.copyOf(result, count);
        }

        /** Lower rank first, then leftmost position, as upstream's ordering of merges. */
        private long entry(int rank, int pos) {
            return ((long) rank << 32) | pos;
        }
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] values;
        private int size;

        LongHeap(int capacity) {
            values = new long[Math.max(capacity, 4)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (values[parent] <= value) {
                    break;
                }
                values[i] = values[parent];
                i = parent;
            }
            values[i] = value;
        }

        long pop() {
            long top = values[0];
            long last = values[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && values[child + 1] < values[child]) {
                    child++;
                }
                if (values[child] >= last) {
                    break;
                }
                values[i] = values[child];
                i = child;
            }
            values[i] = last;
            return top;
        }
    }

    /** An open-addressing map from a (left id, right id) pair key to a merge rank; -1 when absent. */
    static final class PairRanks {
        private final long[] keys;
        private final int[] ranks;
        private final int mask;
        private int size;

        PairRanks(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected * 2 + 1) - 1) << 1;
            keys = new long[capacity];
            ranks = new int[capacity];
            Arrays.fill(keys, -1L);
            mask = capacity - 1;
        }

        boolean isEmpty() {
            return size == 0;
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h ^ (h >>> 32)) & mask;
        }

        void put(long key, int rank) {
            int i = slot(key);
            while (keys[i] != -1L && keys[i] != key) {
                i = (i + 1) & mask;
            }
            if (keys[i] == -1L) {
                size++;
            }
            keys[i] = key;
            ranks[i] = rank;
        }

        int get(long key) {
            int i = slot(key);
            while (true) {
                long k = keys[i];
                if (k == key) {
                    return ranks[i];
                }
                if (k == -1L) {
                    return -1;
                }
                i = (i + 1) & mask;
            }
        }
    }
}
