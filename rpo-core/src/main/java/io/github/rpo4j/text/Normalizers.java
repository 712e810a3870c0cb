package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.util.ULocale;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code normalizer} component of {@code tokenizer.json}: NFC, NFD, NFKC, NFKD (ICU4J, current Unicode),
 * Sequence, Replace, Prepend, Strip and Lowercase, each behaving as the reference implementation's.
 */
final class Normalizers {

    /** Rewrites a piece of text before pre-tokenization. */
    interface TextNormalizer {
        String normalize(String text);
    }

    static final String SUPPORTED = "NFC, NFD, NFKC, NFKD, Sequence, Replace, Prepend, Strip, Lowercase";

    private Normalizers() {
    }

    /** @return the normalizer, or {@code null} for a null or absent component */
    static TextNormalizer parse(Path file, JsonNode node, String path) throws TokenizerFormatException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new TokenizerFormatException(file, path, "expected a JSON object or null, got " + node.getNodeType());
        }
        String type = TokenizerJson.requireText(file, node, "type", path + ".type");
        switch (type) {
            case "NFC":
                return unicode(Normalizer2.getNFCInstance());
            case "NFD":
                return unicode(Normalizer2.getNFDInstance());
            case "NFKC":
                return unicode(Normalizer2.getNFKCInstance());
            case "NFKD":
                return unicode(Normalizer2.getNFKDInstance());
            case "Sequence": {
                List<TextNormalizer> steps = TokenizerJson.components(file, node, "normalizers", path,
                        Normalizers::parse);
                return text -> {
                    String result = text;
                    for (TextNormalizer step : steps) {
                        result = step.normalize(result);
                    }
                    return result;
                };
            }
            case "Replace": {
                Pattern pattern = TokenizerJson.stringOrRegex(file, node, "pattern", path + ".pattern");
                String content = TokenizerJson.requireText(file, node, "content", path + ".content");
                return text -> replaceAll(pattern, text, content);
            }
            case "Prepend": {
                String prepend = TokenizerJson.requireText(file, node, "prepend", path + ".prepend");
                // As upstream: nothing is prepended to an empty piece.
                return text -> text.isEmpty() ? text : prepend + text;
            }
            case "Strip": {
                boolean left = TokenizerJson.optionalBoolean(file, node, "strip_left", path + ".strip_left", true);
                boolean right = TokenizerJson.optionalBoolean(file, node, "strip_right", path + ".strip_right", true);
                return text -> strip(text, left, right);
            }
            case "Lowercase":
                return Normalizers::lowercase;
            default:
                throw new TokenizerFormatException(file, path + ".type", "normalizer \"" + type
                        + "\" is not supported; supported: " + SUPPORTED);
        }
    }

    private static TextNormalizer unicode(Normalizer2 normalizer) {
        return text -> normalizer.isNormalized(text) ? text : normalizer.normalize(text);
    }

    /** Replaces every non-overlapping match, leftmost first, with the content taken literally. */
    static String replaceAll(Pattern pattern, String text, String content) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        int last = 0;
        do {
            out.append(text, last, matcher.start()).append(content);
            last = matcher.end();
        } while (matcher.find());
        out.append(text, last, text.length());
        return out.toString();
    }

    /** Strips Unicode whitespace (Rust's {@code char::is_whitespace}, i.e. White_Space) from either end. */
    static String strip(String text, boolean left, boolean right) {
        int start = 0;
        int end = text.length();
        if (left) {
            while (start < end) {
                int cp = text.codePointAt(start);
                if (!isWhitespace(cp)) {
                    break;
                }
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = text.codePointBefore(end);
                if (!isWhitespace(cp)) {
                    break;
                }
                end -= Character.charCount(cp);
            }
        }
        return text.substring(start, end);
    }

    /** Rust's {@code char::is_whitespace}: the Unicode White_Space property. */
    static boolean isWhitespace(int cp) {
        return UCharacter.hasBinaryProperty(cp, com.ibm.icu.lang.UProperty.WHITE_SPACE);
    }

    /**
     * Lowercases code point by code point with the full (not context-sensitive) mappings, as Rust's
     * {@code char::to_lowercase} does: a final capital sigma becomes σ, not ς.
     */
    static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 0x80) {
                out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
            } else {
                out.append(UCharacter.toLowerCase(ULocale.ROOT, new String(Character.toChars(cp))));
            }
        }
        return out.toString();
    }
}
