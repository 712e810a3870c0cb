package io.github.rpo4j.text;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.text.UnicodeSet;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regular expressions of {@code tokenizer.json} files (written for Oniguruma, the engine the
 * reference implementation uses) into {@link java.util.regex.Pattern}s whose Unicode classes follow current
 * Unicode rather than the JDK's tables.
 *
 * <p>Why: Java 17's {@code \p{L}} knows Unicode 13 only, so a letter added later (U+10570, Vithkuqi, Unicode
 * 14) is not a letter to it, and GPT-2's pattern then splits {@code 's} after it differently. ICU4J is the
 * maintained source of the Unicode Character Database on the JVM and tracks each Unicode release, so every
 * {@code \p{X}} and {@code \P{X}} is rewritten as the JDK's class plus the code points ICU adds to it, minus
 * those ICU removes (for example U+0295, no longer {@code Ll}). Only that difference is spelled out, which
 * keeps the JDK's fast table lookup for the common case. {@code \d} becomes ICU's {@code Nd} likewise.
 *
 * <p>Other translations: Oniguruma's {@code \h} (a hexadecimal digit) becomes {@code [0-9a-fA-F]}, since Java
 * reads it as horizontal whitespace. POSIX brackets such as {@code [[:alpha:]]} are refused. {@code \s} and
 * {@code \w} keep Java's Unicode definitions ({@link Pattern#UNICODE_CHARACTER_CLASS}), which for {@code \s}
 * is the same set as Oniguruma's (Unicode White_Space).
 */
final class UnicodePatterns {

    private static final Map<String, String> CLASS_CACHE = new ConcurrentHashMap<>();

    private UnicodePatterns() {
    }

    /**
     * Compiles an Oniguruma-style pattern.
     *
     * @param regex the pattern as written in the file
     * @return the Java pattern
     * @throws IllegalArgumentException if the pattern uses syntax that cannot be translated or does not compile;
     *                                  the message says why
     */
    static Pattern compile(String regex) {
        String translated = translate(regex);
        try {
            return Pattern.compile(translated, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regular expression: " + e.getDescription() + " near index "
                    + e.getIndex(), e);
        }
    }

    /** A pattern matching {@code literal} exactly, as the reference implementation escapes String patterns. */
    static Pattern literal(String literal) {
        return Pattern.compile(Pattern.quote(literal));
    }

    static String translate(String regex) {
        if (regex.contains("[:") && regex.matches("(?s).*\\[:\\^?[a-zA-Z]+:\\].*")) {
            throw new IllegalArgumentException("POSIX bracket classes such as [[:alpha:]] are not supported");
        }
        StringBuilder out = new StringBuilder(regex.length() + 64);
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char next = regex.charAt(i + 1);
                if ((next == 'p' || next == 'P') && i + 2 < regex.length()) {
                    int start = i + 2;
                    String name;
                    int end;
                    if (regex.charAt(start) == '{') {
                        end = regex.indexOf('}', start);
                        if (end < 0) {
                            throw new IllegalArgumentException("unterminated \\" + next + "{ at index " + i);
                        }
                        name = regex.substring(start + 1, end);
                    } else {
                        end = start;
                        name = String.valueOf(regex.charAt(start));
                    }
                    boolean negated = next == 'P';
                    if (name.startsWith("^")) {
                        negated = !negated;
                        name = name.substring(1);
                    }
                    String cls = propertyClass(name);
                    out.append(negated ? "[^" + cls.substring(1) : cls);
                    i = end;
                    continue;
                }
                if (next == 'd' || next == 'D') {
                    String cls = propertyClass("Nd");
                    out.append(next == 'D' ? "[^" + cls.substring(1) : cls);
                    i++;
                    continue;
                }
                if (next == 'h') {
                    out.append("[0-9a-fA-F]");
                    i++;
                    continue;
                }
                if (next == 'H') {
                    out.append("[^0-9a-fA-F]");
                    i++;
                    continue;
                }
                out.append(c).append(next);
                i++;
                continue;
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * A bracketed Java class for a Unicode property name such as {@code L}, {@code Lu}, {@code N} or a script
     * such as {@code Han}, following ICU's current tables. Usable both alone and nested inside another class.
     */
    static String propertyClass(String name) {
        return CLASS_CACHE.computeIfAbsent(name, UnicodePatterns::buildPropertyClass);
    }

    private static String buildPropertyClass(String name) {
        if (!name.matches("[A-Za-z_]+")) {
            throw new IllegalArgumentException("unsupported Unicode property \\p{" + name + "}");
        }
        UnicodeSet icu;
        try {
            icu = new UnicodeSet("[\\p{" + name + "}]").freeze();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown Unicode property \\p{" + name + "}", e);
        }
        String javaName = javaPropertyName(name);
        if (javaName == null) {
            // No JDK equivalent worth trusting: spell out all of ICU's ranges.
            return "[" + ranges(icu) + "]";
        }
        UnicodeSet jdkSet = new UnicodeSet();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (jdkContains(javaName, cp)) {
                jdkSet.add(cp);
            }
        }
        UnicodeSet added = new UnicodeSet(icu).removeAll(jdkSet);
        UnicodeSet removed = new UnicodeSet(jdkSet).removeAll(icu);
        // ICU's surrogate code points are not matchable in well-formed text either way.
        added.remove(Character.MIN_SURROGATE, Character.MAX_SURROGATE);
        StringBuilder cls = new StringBuilder("[");
        if (removed.isEmpty()) {
            cls.append("\\p{").append(javaName).append('}');
        } else {
            cls.append("[\\p{").append(javaName).append("}&&[^").append(ranges(removed)).append("]]");
        }
        if (!added.isEmpty()) {
            // Java evaluates a class's members as a chain of nested unions, one call per range: nested inside a
            // non-ASCII guard, the added ranges cost nothing for ASCII and for code points the JDK's table holds.
            cls.append("[\\x{80}-\\x{10ffff}&&[").append(ranges(added)).append("]]");
        }
        cls.append(']');
        return cls.toString();
    }

    /** Whether the JDK's {@code \\p{javaName}} contains a code point, read from the same tables its regex uses. */
    private static boolean jdkContains(String javaName, int cp) {
        if (javaName.startsWith("Is")) {
            return Character.UnicodeScript.of(cp) == Character.UnicodeScript.forName(javaName.substring(2));
        }
        String category = GENERAL_CATEGORY_NAMES[Character.getType(cp)];
        return javaName.length() == 1 ? category.charAt(0) == javaName.charAt(0) : category.equals(javaName);
    }

    /** Two-letter names of the JDK's general category constants, indexed by {@link Character#getType(int)}. */
    private static final String[] GENERAL_CATEGORY_NAMES = new String[31];

    static {
        Object[][] names = {
                {Character.UNASSIGNED, "Cn"}, {Character.UPPERCASE_LETTER, "Lu"}, {Character.LOWERCASE_LETTER, "Ll"},
                {Character.TITLECASE_LETTER, "Lt"}, {Character.MODIFIER_LETTER, "Lm"}, {Character.OTHER_LETTER, "Lo"},
                {Character.NON_SPACING_MARK, "Mn"}, {Character.ENCLOSING_MARK, "Me"},
                {Character.COMBINING_SPACING_MARK, "Mc"}, {Character.DECIMAL_DIGIT_NUMBER, "Nd"},
                {Character.LETTER_NUMBER, "Nl"}, {Character.OTHER_NUMBER, "No"}, {Character.SPACE_SEPARATOR, "Zs"},
                {Character.LINE_SEPARATOR, "Zl"}, {Character.PARAGRAPH_SEPARATOR, "Zp"}, {Character.CONTROL, "Cc"},
                {Character.FORMAT, "Cf"}, {Character.PRIVATE_USE, "Co"}, {Character.SURROGATE, "Cs"},
                {Character.DASH_PUNCTUATION, "Pd"}, {Character.START_PUNCTUATION, "Ps"},
                {Character.END_PUNCTUATION, "Pe"}, {Character.CONNECTOR_PUNCTUATION, "Pc"},
                {Character.OTHER_PUNCTUATION, "Po"}, {Character.MATH_SYMBOL, "Sm"}, {Character.CURRENCY_SYMBOL, "Sc"},
                {Character.MODIFIER_SYMBOL, "Sk"}, {Character.OTHER_SYMBOL, "So"},
                {Character.INITIAL_QUOTE_PUNCTUATION, "Pi"}, {Character.FINAL_QUOTE_PUNCTUATION, "Pf"}};
        for (Object[] entry : names) {
            GENERAL_CATEGORY_NAMES[((Number) entry[0]).intValue()] = (String) entry[1];
        }
        for (int i = 0; i < GENERAL_CATEGORY_NAMES.length; i++) {
            if (GENERAL_CATEGORY_NAMES[i] == null) {
                GENERAL_CATEGORY_NAMES[i] = "Cn";
            }
        }
    }

    /** The JDK spelling of a general category or script, or {@code null} to use ICU's ranges alone. */
    private static String javaPropertyName(String name) {
        if (name.matches("[LMNPSZC][a-z]?")) {
            return name;
        }
        try {
            Character.UnicodeScript.forName(name);
            return "Is" + name;
        } catch (IllegalArgumentException notAScript) {
            return null;
        }
    }

    private static String ranges(UnicodeSet set) {
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < set.getRangeCount(); r++) {
            int start = set.getRangeStart(r);
            int end = set.getRangeEnd(r);
            out.append("\\x{").append(Integer.toHexString(start)).append('}');
            if (end > start) {
                out.append("-\\x{").append(Integer.toHexString(end)).append('}');
            }
        }
        return out.toString();
    }

    /** @return the Unicode version of the tables used, e.g. "17.0" */
    static String unicodeVersion() {
        return UCharacter.getUnicodeVersion().getMajor() + "." + UCharacter.getUnicodeVersion().getMinor();
    }
}
