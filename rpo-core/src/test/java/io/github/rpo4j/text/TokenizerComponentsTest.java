package io.github.rpo4j.text;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hand-worked examples of single components, as upstream documents them. */
class TokenizerComponentsTest {

    private static List<String> split(String text, String delimiter, PreTokenizers.Behavior behavior, boolean invert) {
        List<PreTokenizers.Piece> out = new ArrayList<>();
        PreTokenizers.splitByMatches(new PreTokenizers.Piece(text, true, false),
                PreTokenizers.find(UnicodePatterns.literal(delimiter), text, invert), behavior, out);
        return out.stream().map(PreTokenizers.Piece::text).toList();
    }

    @Test
    void splitBehavioursMatchUpstreamExamples() {
        // The examples of SplitDelimiterBehavior's documentation upstream.
        String text = "the-final--countdown";
        assertEquals(List.of("the", "final", "countdown"), split(text, "-", PreTokenizers.Behavior.Removed, false));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"),
                split(text, "-", PreTokenizers.Behavior.Isolated, false));
        assertEquals(List.of("the-", "final-", "-", "countdown"),
                split(text, "-", PreTokenizers.Behavior.MergedWithPrevious, false));
        assertEquals(List.of("the", "-final", "-", "-countdown"),
                split(text, "-", PreTokenizers.Behavior.MergedWithNext, false));
        assertEquals(List.of("the", "-", "final", "--", "countdown"),
                split(text, "-", PreTokenizers.Behavior.Contiguous, false));
        assertEquals(List.of("-", "-", "-"), split(text, "-", PreTokenizers.Behavior.Removed, true));
    }

    @Test
    void unicodeClassesFollowCurrentUnicode() {
        // U+10570 VITHKUQI CAPITAL LETTER A (Unicode 14): a letter, although Java 17's own tables predate it.
        Pattern letters = UnicodePatterns.compile("\\p{L}+");
        assertTrue(letters.matcher("\uD801\uDD70abc").matches());
        assertFalse(UnicodePatterns.compile("[^\\p{L}]").matcher("\uD801\uDD70").matches());
        assertTrue(UnicodePatterns.compile("[^\\r\\n\\p{L}\\p{N}]").matcher("!").matches());
        assertFalse(UnicodePatterns.compile("[^\\r\\n\\p{L}\\p{N}]").matcher("\uD801\uDD70").matches());
        assertFalse(UnicodePatterns.compile("\\P{L}").matcher("\uD801\uDD70").matches());
        // GPT-2's pattern keeps "'s" a contraction after such a letter.
        Pattern gpt2 = UnicodePatterns.compile(PreTokenizers.GPT2_REGEX);
        var matcher = gpt2.matcher("\uD801\uDD70's");
        List<String> pieces = new ArrayList<>();
        while (matcher.find()) {
            pieces.add(matcher.group());
        }
        assertEquals(List.of("\uD801\uDD70", "'s"), pieces);
        // Oniguruma's \h is a hexadecimal digit, not Java's horizontal whitespace.
        assertTrue(UnicodePatterns.compile("\\h+").matcher("09afAF").matches());
        assertFalse(UnicodePatterns.compile("\\h").matcher(" ").matches());
    }

    @Test
    void normalizersBehaveAsUpstream() {
        assertEquals("σσ i\u0307", Normalizers.lowercase("ΣΣ İ"), "per character, no final sigma");
        assertEquals("a b", Normalizers.strip(" \t a b\u3000\n", true, true));
        assertEquals(" \t a b", Normalizers.strip(" \t a b\u3000\n", false, true));
        assertEquals("x▁y▁▁z", Normalizers.replaceAll(UnicodePatterns.literal(" "), "x y  z", "▁"));
    }

    @Test
    void decodersBehaveAsUpstream() {
        assertEquals(List.of("a", "é", "b"), Decoders.byteFallback(List.of("a", "<0xC3>", "<0xA9>", "b")));
        assertEquals(List.of("\uFFFD", "\uFFFD", "b"), Decoders.byteFallback(List.of("<0xC3>", "<0x28>", "b")),
                "invalid UTF-8: one replacement per byte");
        assertEquals("ab", Decoders.strip("__ab_", '_', 1, 1).replace("_", ""));
        assertEquals("_ab", Decoders.strip("__ab_", '_', 1, 1));
        assertEquals(List.of(" hi\u00e9"), Decoders.byteLevel(List.of("Ġhi", "Ã©")));
        assertEquals(List.of("<|x|>€"), Decoders.byteLevel(List.of("<|x|>", "€")), "not byte-level: its UTF-8");
    }
}
