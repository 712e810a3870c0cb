package io.github.rpo4j.text;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Jinjava configured as {@code transformers} configures Python's jinja2 for chat templates
 * ({@code chat_template_utils._compile_jinja_template}), plus what Python gives templates for free: its string
 * methods and {@code json.dumps}.
 */
final class JinjaEngine {

    static final JinjaEngine INSTANCE = new JinjaEngine();

    private final Jinjava jinjava;

    private JinjaEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true)  // jinja2 drops one trailing newline of the source, not of the output
                .withElResolver(resolver)
                // {{- and -}} strip whitespace around expressions as they do around tags, as in jinja2.
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true).build())
                .build();
        jinjava = new Jinjava(config);
        jinjava.registerFilter(new ToJson());
        try {
            java.lang.reflect.Method raise = JinjaEngine.class.getDeclaredMethod("raiseException", Object.class);
            raise.setAccessible(true);      // this class is not public
            jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", raise));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    RenderResult render(String template, Map<String, ?> context) {
        return jinjava.renderForResult(withoutTrailingNewline(template), context);
    }

    /** jinja2's keep_trailing_newline=False: a single newline at the end of the template source is not output. */
    static String withoutTrailingNewline(String template) {
        if (template.endsWith("\r\n")) {
            return template.substring(0, template.length() - 2);
        }
        if (template.endsWith("\n") || template.endsWith("\r")) {
            return template.substring(0, template.length() - 1);
        }
        return template;
    }

    /** A fatal error as one line: the template's own message for raise_exception, else the engine's with the line. */
    static String describe(TemplateError error) {
        Raised raised = raisedBy(error);
        if (raised != null) {
            return raised.getMessage();
        }
        String where = error.getLineno() > 0 ? "line " + error.getLineno() + ": " : "";
        return where + error.getMessage();
    }

    static boolean isRaisedByTemplate(TemplateError error) {
        return raisedBy(error) != null;
    }

    private static Raised raisedBy(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof Raised r) {
                return r;
            }
        }
        return null;
    }

    /** {@code raise_exception(message)}: the template refuses its input. */
    public static Object raiseException(Object message) {
        throw new Raised(String.valueOf(message));
    }

    /** Thrown by {@code raise_exception}; recognised in the engine's errors by its type. */
    static final class Raised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Raised(String message) {
            super(message);
        }
    }

    /**
     * The methods of Python's {@code str} that chat templates call on message content, with Python's meaning
     * (Java's {@code String.split} takes a regular expression and drops trailing empty strings; Python's does not).
     */
    static final class PythonStringMethods extends ELResolver {

        private static final Set<String> METHODS = Set.of("strip", "lstrip", "rstrip", "startswith", "endswith",
                "split", "upper", "lower");

        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
            if (!(base instanceof String s) || method == null || !METHODS.contains(method.toString())) {
                return null;
            }
            Object[] args = params == null ? new Object[0] : params;
            Object result = switch (method.toString()) {
                case "strip" -> strip(s, chars(args, "strip"), true, true);
                case "lstrip" -> strip(s, chars(args, "lstrip"), true, false);
                case "rstrip" -> strip(s, chars(args, "rstrip"), false, true);
                case "startswith" -> s.startsWith(stringArg(args, "startswith"));
                case "endswith" -> s.endsWith(stringArg(args, "endswith"));
                case "split" -> split(s, args);
                case "upper" -> s.toUpperCase(Locale.ROOT);
                case "lower" -> s.toLowerCase(Locale.ROOT);
                default -> throw new IllegalStateException(method.toString());
            };
            context.setPropertyResolved(true);
            return result;
        }

        private static String chars(Object[] args, String method) {
            if (args.length == 0 || args[0] == null) {
                return null;
            }
            return stringArg(args, method);
        }

        private static String stringArg(Object[] args, String method) {
            if (args.length != 1 || !(args[0] instanceof String a)) {
                throw new IllegalArgumentException("str." + method + " takes one string here, got "
                        + java.util.Arrays.toString(args));
            }
            return a;
        }

        /** Python's str.isspace for one character. */
        static boolean isPythonSpace(int c) {
            return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
        }

        static String strip(String s, String chars, boolean left, boolean right) {
            int start = 0;
            int end = s.length();
            if (left) {
                while (start < end && stripped(s.codePointAt(start), chars)) {
                    start += Character.charCount(s.codePointAt(start));
                }
            }
            if (right) {
                while (end > start && stripped(s.codePointBefore(end), chars)) {
                    end -= Character.charCount(s.codePointBefore(end));
                }
            }
            return s.substring(start, end);
        }

        private static boolean stripped(int c, String chars) {
            return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
        }

        /** str.split(): runs of whitespace, no empty pieces; str.split(sep[, maxsplit]): every piece, empty ones too. */
        static List<String> split(String s, Object[] args) {
            String sep = args.length > 0 && args[0] != null ? (String) args[0] : null;
            int maxSplit = args.length > 1 ? ((Number) args[1]).intValue() : -1;
            List<String> pieces = new ArrayList<>();
            if (sep == null) {
                int i = 0;
                int n = s.length();
                while (true) {
                    while (i < n && isPythonSpace(s.charAt(i))) {
                        i++;
                    }
                    if (i == n) {
                        return pieces;
                    }
                    if (maxSplit >= 0 && pieces.size() == maxSplit) {
                        pieces.add(strip(s.substring(i), null, false, true));
                        return pieces;
                    }
                    int j = i;
                    while (j < n && !isPythonSpace(s.charAt(j))) {
                        j++;
                    }
                    pieces.add(s.substring(i, j));
                    i = j;
                }
            }
            if (sep.isEmpty()) {
                throw new IllegalArgumentException("str.split: empty separator");
            }
            int from = 0;
            while (maxSplit < 0 || pieces.size() < maxSplit) {
                int at = s.indexOf(sep, from);
                if (at < 0) {
                    break;
                }
                pieces.add(s.substring(from, at));
                from = at + sep.length();
            }
            pieces.add(s.substring(from));
            return pieces;
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {
        }

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return Collections.emptyIterator();
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    /**
     * {@code tojson} as {@code transformers} defines it: {@code json.dumps(x, ensure_ascii=False, indent=indent,
     * separators=separators, sort_keys=sort_keys)} (Jinja's own escapes HTML characters, and Jinjava's writes no
     * spaces).
     */
    static final class ToJson implements AdvancedFilter {

        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            Object separators = kwargs.get("separators");
            boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
            if (kwargs.containsKey("ensure_ascii") && Boolean.TRUE.equals(kwargs.get("ensure_ascii"))) {
                throw new IllegalArgumentException("tojson: ensure_ascii=True is not supported");
            }
            return PythonJson.dumps(var, indent == null ? null : ((Number) indent).intValue(), separators, sortKeys);
        }
    }
}
