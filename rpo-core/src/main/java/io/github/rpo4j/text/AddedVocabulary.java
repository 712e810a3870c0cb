package io.github.rpo4j.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The {@code added_tokens} of {@code tokenizer.json} and how they are found in text, as upstream's
 * {@code AddedVocabulary}: tokens with {@code normalized: false} are found in the raw text first, tokens with
 * {@code normalized: true} in the normalized remainder (spelled as the normalizer rewrites them). At each
 * position the longest token wins (leftmost-longest); a {@code single_word} token is skipped where a word
 * character touches it; {@code lstrip}/{@code rstrip} absorb the whitespace before/after the token.
 */
final class AddedVocabulary {

    /** One entry of {@code added_tokens}. */
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip, boolean normalized,
                      boolean singleWord) {
    }

    /** A piece of text: either an added token's id, or ordinary text starting at {@code start}. */
    record Segment(int tokenId, String text, int start) {
        boolean isToken() {
            return tokenId >= 0;
        }
    }

    private final Trie rawTrie;
    private final Trie normalizedTrie;
    private final Map<Integer, AddedToken> byId = new HashMap<>();

    AddedVocabulary(List<AddedToken> tokens, UnaryOperator<String> normalizer) {
        rawTrie = new Trie();
        normalizedTrie = new Trie();
        for (AddedToken token : tokens) {
            byId.put(token.id(), token);
            if (token.normalized()) {
                String spelled = normalizer == null ? token.content() : normalizer.apply(token.content());
                normalizedTrie.put(spelled, token.id());
            } else {
                rawTrie.put(token.content(), token.id());
            }
        }
    }

    boolean isEmpty() {
        return byId.isEmpty();
    }

    /** Splits raw text around the tokens with {@code normalized: false}. */
    void splitRaw(String text, int offset, Consumer<Segment> out) {
        split(rawTrie, text, offset, out);
    }

    /** Splits normalized text around the tokens with {@code normalized: true}. */
    void splitNormalized(String text, int offset, Consumer<Segment> out) {
        split(normalizedTrie, text, offset, out);
    }

    private void split(Trie trie, String text, int offset, Consumer<Segment> out) {
        if (trie.isEmpty()) {
            out.accept(new Segment(-1, text, offset));
            return;
        }
        int startOffset = 0;
        int i = 0;
        while (i < text.length()) {
            long match = trie.longestAt(text, i);
            if (match < 0) {
                i++;
                continue;
            }
            int end = (int) (match >>> 32);
            int id = (int) match;
            AddedToken token = byId.get(id);
            int start = i;
            // Upstream's automaton moves past a match whether or not it is then discarded.
            i = end;
            if (token.singleWord()) {
                boolean startSpace = start == 0 || !isWordChar(text.codePointBefore(start));
                boolean stopSpace = end == text.length() || !isWordChar(text.codePointAt(end));
                if (!startSpace || !stopSpace) {
                    continue;
                }
            }
            if (token.lstrip()) {
                int newStart = start;
                while (newStart > 0 && Normalizers.isWhitespace(text.codePointBefore(newStart))) {
                    newStart -= Character.charCount(text.codePointBefore(newStart));
                }
                start = Math.max(newStart, startOffset);
            }
            if (token.rstrip()) {
                while (end < text.length() && Normalizers.isWhitespace(text.codePointAt(end))) {
                    end += Character.charCount(text.codePointAt(end));
                }
                i = end;
            }
            if (startOffset < start) {
                out.accept(new Segment(-1, text.substring(startOffset, start), offset + startOffset));
            }
            out.accept(new Segment(id, text.substring(start, end), offset + start));
            startOffset = end;
        }
        if (startOffset < text.length() || text.isEmpty()) {
            out.accept(new Segment(-1, text.substring(startOffset), offset + startOffset));
        }
    }

    /** Upstream's {@code \w} (Rust regex, Unicode): alphabetic, marks, decimal digits, connector punctuation. */
    private static boolean isWordChar(int cp) {
        return com.ibm.icu.lang.UCharacter.hasBinaryProperty(cp, com.ibm.icu.lang.UProperty.ALPHABETIC)
                || com.ibm.icu.lang.UCharacter.hasBinaryProperty(cp, com.ibm.icu.lang.UProperty.JOIN_CONTROL)
                || switch (com.ibm.icu.lang.UCharacter.getType(cp)) {
                    case com.ibm.icu.lang.UCharacter.NON_SPACING_MARK, com.ibm.icu.lang.UCharacter.ENCLOSING_MARK,
                         com.ibm.icu.lang.UCharacter.COMBINING_SPACING_MARK,
                         com.ibm.icu.lang.UCharacter.DECIMAL_DIGIT_NUMBER,
                         com.ibm.icu.lang.UCharacter.CONNECTOR_PUNCTUATION -> true;
                    default -> false;
                };
    }

    /** A character trie over UTF-16 units, for leftmost-longest matching. */
    private static final class Trie {
        private final Node root = new Node();
        private boolean empty = true;

        private static final class Node {
            final Map<Character, Node> children = new HashMap<>(4);
            int id = -1;
        }

        void put(String content, int id) {
            if (content.isEmpty()) {
                return;
            }
            Node node = root;
            for (int i = 0; i < content.length(); i++) {
                node = node.children.computeIfAbsent(content.charAt(i), c -> new Node());
            }
            node.id = id;
            empty = false;
        }

        boolean isEmpty() {
            return empty;
        }

        /** @return {@code (end << 32) | id} of the longest token starting at {@code start}, or -1 */
        long longestAt(String text, int start) {
            Node node = root;
            long best = -1;
            for (int i = start; i < text.length(); i++) {
                node = node.children.get(text.charAt(i));
                if (node == null) {
                    break;
                }
                if (node.id >= 0) {
                    best = ((long) (i + 1) << 32) | node.id;
                }
            }
            return best;
        }
    }

    /** @return the added tokens in the order given */
    List<AddedToken> tokens() {
        return new ArrayList<>(byId.values());
    }
}
