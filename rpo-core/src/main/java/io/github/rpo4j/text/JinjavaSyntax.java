package io.github.rpo4j.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two constructs of real chat templates (Qwen 3's) that Jinjava's expression parser does not read as jinja2 does,
 * rewritten inside the template's tags into Jinja that Jinjava reads, with the same meaning; the line structure is
 * kept, so errors still name the template's own lines:
 * <ul>
 *   <li>the reversing slice {@code x[::-1]} (Jinjava has no extended slices) becomes {@code (x|reverse)};</li>
 *   <li>a keyword argument whose value has an operator or filter, {@code namespace(i=messages|length - 1)}, gets
 *       its value in parentheses, {@code i=(messages|length - 1)}: Jinjava binds the keyword to
 *       {@code messages|length} and subtracts from the keyword argument itself.</li>
 * </ul>
 * Text outside tags, string literals and comments is left alone; any other extended slice stays and is refused by
 * the engine, naming its line.
 */
final class JinjavaSyntax {

    private static final Pattern REVERSED = Pattern.compile(
            "([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)\\[::-1\\]");

    private JinjavaSyntax() {
    }

    static String adapt(String template) {
        StringBuilder out = new StringBuilder(template.length() + 16);
        int i = 0;
        while (i < template.length()) {
            int open = nextTagStart(template, i);
            if (open < 0) {
                out.append(template, i, template.length());
                break;
            }
            out.append(template, i, open);
            char kind = template.charAt(open + 1);
            if (kind == '#') {
                int close = template.indexOf("#}", open + 2);
                int end = close < 0 ? template.length() : close + 2;
                out.append(template, open, end);
                i = end;
                continue;
            }
            String closer = kind == '{' ? "}}" : "%}";
            int close = closingOfTag(template, open + 2, closer);
            if (close < 0) {                 // unterminated: leave it to the engine's error
                out.append(template, open, template.length());
                break;
            }
            String body = template.substring(open + 2, close);
            boolean macro = kind == '%' && body.strip().replaceFirst("^-", "").strip().startsWith("macro");
            out.append(template, open, open + 2).append(macro ? body : adaptExpression(body)).append(closer);
            i = close + 2;
        }
        return out.toString();
    }

    private static int nextTagStart(String s, int from) {
        for (int i = s.indexOf('{', from); i >= 0 && i + 1 < s.length(); i = s.indexOf('{', i + 1)) {
            char c = s.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /** The index of {@code closer} ending a tag, skipping string literals. */
    private static int closingOfTag(String s, int from, String closer) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(s, i);
            } else if (s.startsWith(closer, i)) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the quote closing the string literal opened at {@code start}. */
    private static int endOfString(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i;
            }
        }
        return s.length() - 1;
    }

    static String adaptExpression(String expression) {
        return wrapKeywordValues(reverseSlices(expression));
    }

    /** x[::-1] outside string literals becomes (x|reverse). */
    private static String reverseSlices(String e) {
        StringBuilder out = new StringBuilder(e.length());
        int codeStart = 0;
        for (int i = 0; i <= e.length(); i++) {
            if (i == e.length() || e.charAt(i) == '\'' || e.charAt(i) == '"') {
                Matcher m = REVERSED.matcher(e.substring(codeStart, i));
                out.append(m.replaceAll("($1|reverse)"));
                if (i == e.length()) {
                    break;
                }
                int end = endOfString(e, i);
                out.append(e, i, end + 1);
                i = end;
                codeStart = end + 1;
            }
        }
        return out.toString();
    }

    /** In every call's argument list, name=value with an operator or filter in value becomes name=(value). */
    private static String wrapKeywordValues(String e) {
        StringBuilder out = new StringBuilder(e.length() + 8);
        int i = 0;
        while (i < e.length()) {
            char c = e.charAt(i);
            if (c == '\'' || c == '"') {
                int end = endOfString(e, i);
                out.append(e, i, end + 1);
                i = end + 1;
            } else if (c == '(' && i > 0 && isNameChar(e.charAt(i - 1))) {
                int close = matching(e, i);
                if (close < 0) {
                    out.append(e, i, e.length());
                    break;
                }
                out.append('(').append(arguments(e.substring(i + 1, close))).append(')');
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** One call's arguments, split at top-level commas, each keyword value wrapped when it needs it. */
    private static String arguments(String args) {
        StringBuilder out = new StringBuilder(args.length() + 8);
        int start = 0;
        int depth = 0;
        for (int i = 0; i <= args.length(); i++) {
            char c = i < args.length() ? args.charAt(i) : ',';
            if (c == '\'' || c == '"') {
                i = endOfString(args, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.append(argument(args.substring(start, Math.min(i, args.length()))));
                if (i < args.length()) {
                    out.append(',');
                }
                start = i + 1;
            }
        }
        return out.toString();
    }

    private static final Pattern KEYWORD = Pattern.compile("(\\s*[A-Za-z_][A-Za-z0-9_]*\\s*=)(?!=)(.*)", Pattern.DOTALL);
    private static final Pattern OPERATOR = Pattern.compile("\\||\\s[-+*/~%]\\s|\\s(and|or|if|in|not)\\s|[=!<>]=|[<>]");

    private static String argument(String argument) {
        Matcher m = KEYWORD.matcher(argument);
        if (!m.matches()) {
            return wrapKeywordValues(argument);
        }
        String value = wrapKeywordValues(m.group(2));
        if (!OPERATOR.matcher(withoutStringsAndBrackets(value)).find()) {
            return m.group(1) + value;
        }
        int lead = 0;
        while (lead < value.length() && Character.isWhitespace(value.charAt(lead))) {
            lead++;
        }
        int trail = value.length();
        while (trail > lead && Character.isWhitespace(value.charAt(trail - 1))) {
            trail--;
        }
        return m.group(1) + value.substring(0, lead) + "(" + value.substring(lead, trail) + ")" + value.substring(trail);
    }

    /** The value with string literals and bracketed parts blanked out, to look for top-level operators only. */
    private static String withoutStringsAndBrackets(String v) {
        StringBuilder out = new StringBuilder(v.length());
        int depth = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(v, i);
                out.append(' ');
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
                out.append(' ');
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                out.append(' ');
            } else {
                out.append(depth == 0 ? c : ' ');
            }
        }
        return out.toString();
    }

    private static int matching(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(s, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
