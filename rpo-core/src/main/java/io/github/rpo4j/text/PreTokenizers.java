package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.ibm.icu.lang.UCharacter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} component of {@code tokenizer.json}: ByteLevel, Split, Sequence, Metaspace, Digits,
 * Punctuation, Whitespace and WhitespaceSplit, each cutting text into the pieces the model encodes separately,
 * as the reference implementation does.
 */
final class PreTokenizers {

    static final String SUPPORTED = "ByteLevel, Split, Sequence, Metaspace, Digits, Punctuation, Whitespace, "
            + "WhitespaceSplit";

    /** GPT-2's pattern, which the ByteLevel pre-tokenizer applies when {@code use_regex} is true. */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /**
     * A piece of text on its way to the model.
     *
     * @param text      the text (the raw characters even when {@code byteLevel}: the byte-level mapping is
     *                  applied by the model, which saves building the mapped string)
     * @param atStart   whether the piece starts at the beginning of the encoded text (Metaspace's "first")
     * @param byteLevel whether the ByteLevel step has mapped the piece to byte-level characters
     */
    record Piece(String text, boolean atStart, boolean byteLevel) {

        /** The text as later steps see it: byte-level pieces spelled in byte-level characters. */
        String visibleText() {
            return byteLevel ? ByteLevel.toByteLevelString(text) : text;
        }
    }

    /** Cuts one piece into pieces. */
    interface PreTokenizer {
        void split(Piece piece, List<Piece> out);
    }

    /** How matched delimiters are kept, as {@code SplitDelimiterBehavior} upstream. */
    enum Behavior {
        Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous
    }

    private PreTokenizers() {
    }

    /** @return the pre-tokenizer, or {@code null} for a null or absent component */
    static PreTokenizer parse(Path file, JsonNode node, String path) throws TokenizerFormatException {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = TokenizerJson.typeOf(file, node, path);
        switch (type) {
            case "ByteLevel": {
                boolean addPrefixSpace = TokenizerJson.optionalBoolean(file, node, "add_prefix_space",
                        path + ".add_prefix_space", true);
                boolean useRegex = TokenizerJson.optionalBoolean(file, node, "use_regex", path + ".use_regex", true);
                Pattern regex = useRegex ? UnicodePatterns.compile(GPT2_REGEX) : null;
                return (piece, out) -> {
                    String text = piece.visibleText();
                    if (addPrefixSpace && !text.startsWith(" ")) {
                        text = " " + text;
                    }
                    if (regex == null) {
                        out.add(new Piece(text, piece.atStart(), true));
                        return;
                    }
                    int before = out.size();
                    splitByMatches(new Piece(text, piece.atStart(), false), find(regex, text, false),
                            Behavior.Isolated, out);
                    for (int i = before; i < out.size(); i++) {
                        Piece p = out.get(i);
                        out.set(i, new Piece(p.text(), p.atStart(), true));
                    }
                };
            }
            case "Split": {
                Pattern pattern = TokenizerJson.stringOrRegex(file, node, "pattern", path + ".pattern");
                Behavior behavior = behavior(file, node, path + ".behavior", null);
                boolean invert = TokenizerJson.optionalBoolean(file, node, "invert", path + ".invert", false);
                return (piece, out) -> {
                    String text = piece.visibleText();
                    splitByMatches(new Piece(text, piece.atStart(), false), find(pattern, text, invert), behavior, out);
                };
            }
            case "Sequence": {
                List<PreTokenizer> steps = TokenizerJson.components(file, node, "pretokenizers", path,
                        PreTokenizers::parse);
                return (piece, out) -> {
                    List<Piece> current = List.of(piece);
                    for (PreTokenizer step : steps) {
                        List<Piece> next = new ArrayList<>(current.size() * 2);
                        for (Piece p : current) {
                            step.split(p, next);
                        }
                        current = next;
                    }
                    out.addAll(current);
                };
            }
            case "Metaspace":
                return metaspace(file, node, path);
            case "Digits": {
                boolean individual = TokenizerJson.optionalBoolean(file, node, "individual_digits",
                        path + ".individual_digits", false);
                Behavior behavior = individual ? Behavior.Isolated : Behavior.Contiguous;
                return (piece, out) -> splitByCharacters(piece, PreTokenizers::isNumeric, behavior, out);
            }
            case "Punctuation": {
                Behavior behavior = behavior(file, node, path + ".behavior", Behavior.Isolated);
                return (piece, out) -> splitByCharacters(piece, PreTokenizers::isPunctuation, behavior, out);
            }
            case "Whitespace": {
                Pattern words = UnicodePatterns.compile("\\w+|[^\\w\\s]+");
                return (piece, out) -> {
                    String text = piece.visibleText();
                    splitByMatches(new Piece(text, piece.atStart(), false), find(words, text, true),
                            Behavior.Removed, out);
                };
            }
            case "WhitespaceSplit":
                return (piece, out) -> splitByCharacters(piece, Normalizers::isWhitespace, Behavior.Removed, out);
            default:
                throw new TokenizerFormatException(file, path + ".type", "pre-tokenizer \"" + type
                        + "\" is not supported; supported: " + SUPPORTED);
        }
    }

    private static PreTokenizer metaspace(Path file, JsonNode node, String path) throws TokenizerFormatException {
        String replacementText = TokenizerJson.requireText(file, node, "replacement", path + ".replacement");
        if (replacementText.codePointCount(0, replacementText.length()) != 1) {
            throw new TokenizerFormatException(file, path + ".replacement", "expected one character, got \""
                    + replacementText + "\"");
        }
        String scheme = metaspaceScheme(file, node, path);
        boolean split = TokenizerJson.optionalBoolean(file, node, "split", path + ".split", true);
        Pattern replacement = UnicodePatterns.literal(replacementText);
        return (piece, out) -> {
            String text = piece.visibleText().replace(" ", replacementText);
            boolean prepend = switch (scheme) {
                case "always" -> true;
                case "first" -> piece.atStart();
                default -> false;
            };
            if (prepend && !text.startsWith(replacementText)) {
                text = replacementText + text;
            }
            if (split) {
                splitByMatches(new Piece(text, piece.atStart(), false), find(replacement, text, false),
                        Behavior.MergedWithNext, out);
            } else {
                out.add(new Piece(text, piece.atStart(), false));
            }
        };
    }

    /** Metaspace's {@code prepend_scheme} ("always", "first" or "never"), honouring the legacy add_prefix_space. */
    static String metaspaceScheme(Path file, JsonNode node, String path) throws TokenizerFormatException {
        String scheme = TokenizerJson.optionalText(file, node, "prepend_scheme", path + ".prepend_scheme", "always");
        if (!List.of("always", "first", "never").contains(scheme)) {
            throw new TokenizerFormatException(file, path + ".prepend_scheme", "expected \"always\", \"first\" or "
                    + "\"never\", got \"" + scheme + "\"");
        }
        JsonNode legacy = node.get("add_prefix_space");
        if (legacy != null && legacy.isBoolean() && !legacy.asBoolean()) {
            if (!scheme.equals("never") && node.has("prepend_scheme")) {
                throw new TokenizerFormatException(file, path + ".add_prefix_space",
                        "false does not match prepend_scheme \"" + scheme + "\"");
            }
            scheme = "never";
        }
        return scheme;
    }

    private static Behavior behavior(Path file, JsonNode node, String path, Behavior fallback)
            throws TokenizerFormatException {
        JsonNode value = node.get(path.substring(path.lastIndexOf('.') + 1));
        if (value == null || value.isNull()) {
            if (fallback != null) {
                return fallback;
            }
            throw new TokenizerFormatException(file, path, "missing");
        }
        for (Behavior behavior : Behavior.values()) {
            if (behavior.name().equals(value.asText()) && value.isTextual()) {
                return behavior;
            }
        }
        throw new TokenizerFormatException(file, path, "expected one of Removed, Isolated, MergedWithPrevious, "
                + "MergedWithNext, Contiguous, got " + value);
    }

    /** Rust's {@code char::is_numeric}: general categories Nd, Nl and No. */
    static boolean isNumeric(int cp) {
        int type = UCharacter.getType(cp);
        return type == UCharacter.DECIMAL_DIGIT_NUMBER || type == UCharacter.LETTER_NUMBER
                || type == UCharacter.OTHER_NUMBER;
    }

    /** ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or any Unicode P* category. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60)
                    || (cp >= 0x7B && cp <= 0x7E);
        }
        int type = UCharacter.getType(cp);
        return type == UCharacter.CONNECTOR_PUNCTUATION || type == UCharacter.DASH_PUNCTUATION
                || type == UCharacter.START_PUNCTUATION || type == UCharacter.END_PUNCTUATION
                || type == UCharacter.INITIAL_PUNCTUATION || type == UCharacter.FINAL_PUNCTUATION
                || type == UCharacter.OTHER_PUNCTUATION;
    }

    /**
     * Match events covering the whole text in order: {@code [start, end, isMatch]} triples packed into an int
     * list, as {@code find_matches} upstream (an empty match is kept as an empty matched span).
     */
    static int[] find(Pattern pattern, String text, boolean invert) {
        IntList events = new IntList();
        Matcher matcher = pattern.matcher(text);
        int previous = 0;
        while (matcher.find()) {
            if (previous != matcher.start()) {
                events.add(previous, matcher.start(), invert ? 1 : 0);
            }
            events.add(matcher.start(), matcher.end(), invert ? 0 : 1);
            previous = matcher.end();
        }
        if (previous != text.length()) {
            events.add(previous, text.length(), invert ? 1 : 0);
        }
        return events.toArray();
    }

    /** One event per matching character, as upstream's character-predicate patterns. */
    private static void splitByCharacters(Piece piece, IntPredicate predicate, Behavior behavior, List<Piece> out) {
        String text = piece.visibleText();
        IntList events = new IntList();
        int last = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (predicate.test(cp)) {
                if (last < i) {
                    events.add(last, i, 0);
                }
                events.add(i, next, 1);
                last = next;
            }
            i = next;
        }
        if (last < text.length()) {
            events.add(last, text.length(), 0);
        }
        splitByMatches(new Piece(text, piece.atStart(), false), events.toArray(), behavior, out);
    }

    /** Applies a delimiter behaviour to match events and adds the kept, non-empty pieces. */
    static void splitByMatches(Piece piece, int[] events, Behavior behavior, List<Piece> out) {
        String text = piece.text();
        int count = events.length / 3;
        // Kept spans as [start, end, remove] triples.
        IntList spans = new IntList();
        switch (behavior) {
            case Isolated -> {
                for (int e = 0; e < count; e++) {
                    spans.add(events[3 * e], events[3 * e + 1], 0);
                }
            }
            case Removed -> {
                for (int e = 0; e < count; e++) {
                    spans.add(events[3 * e], events[3 * e + 1], events[3 * e + 2]);
                }
            }
            case Contiguous, MergedWithPrevious -> {
                // Contiguous joins a span to the one before when both are matches or both are not;
                // MergedWithPrevious joins a match to the (non-matching) span before it.
                boolean previousMatch = false;
                for (int e = 0; e < count; e++) {
                    boolean isMatch = events[3 * e + 2] == 1;
                    boolean join = behavior == Behavior.Contiguous ? isMatch == previousMatch : isMatch && !previousMatch;
                    if (join && spans.size() > 0) {
                        spans.set(spans.size() - 2, events[3 * e + 1]);
                    } else {
                        spans.add(events[3 * e], events[3 * e + 1], 0);
                    }
                    previousMatch = isMatch;
                }
            }
            case MergedWithNext -> {
                boolean previousMatch = false;
                IntList reversed = new IntList();
                for (int e = count - 1; e >= 0; e--) {
                    boolean isMatch = events[3 * e + 2] == 1;
                    if (isMatch && !previousMatch && reversed.size() > 0) {
                        reversed.set(reversed.size() - 3, events[3 * e]);
                    } else {
                        reversed.add(events[3 * e], events[3 * e + 1], 0);
                    }
                    previousMatch = isMatch;
                }
                for (int s = reversed.size() / 3 - 1; s >= 0; s--) {
                    spans.add(reversed.get(3 * s), reversed.get(3 * s + 1), 0);
                }
            }
        }
        for (int s = 0; s < spans.size() / 3; s++) {
            int start = spans.get(3 * s);
            int end = spans.get(3 * s + 1);
            if (spans.get(3 * s + 2) == 0 && end > start) {
                out.add(new Piece(text.substring(start, end), piece.atStart() && start == 0, piece.byteLevel()));
            }
        }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] values = new int[48];
        private int size;

        void add(int a, int b, int c) {
            if (size + 3 > values.length) {
                values = java.util.Arrays.copyOf(values, values.length * 2);
            }
            values[size++] = a;
            values[size++] = b;
            values[size++] = c;
        }

        int get(int i) {
            return values[i];
        }

        void set(int i, int value) {
            values[i] = value;
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
