package io.github.rpo4j.text;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}, byte for byte, for
 * the values a chat template passes to {@code tojson}: maps, lists, strings, numbers, booleans and null. Chat
 * templates write tool descriptions this way, and the model was trained on exactly that text.
 */
final class PythonJson {

    private PythonJson() {
    }

    /**
     * @param indent     null for one line; else newlines and this many spaces per level
     * @param separators null for Python's defaults ({@code ", "} and {@code ": "}; {@code ","} between items when
     *                   indenting), or a two-element list {@code [item, key]}
     */
    static String dumps(Object value, Integer indent, Object separators, boolean sortKeys) {
        String item = indent == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            if (!(separators instanceof List<?> pair) || pair.size() != 2) {
                throw new IllegalArgumentException("tojson: separators must be a pair (item, key), got " + separators);
            }
            item = String.valueOf(pair.get(0));
            key = String.valueOf(pair.get(1));
        }
        StringBuilder out = new StringBuilder();
        write(out, value, indent, item, key, sortKeys, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, Integer indent, String item, String key,
                              boolean sortKeys, int level) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(out, s);
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            out.append(pythonFloat(((Number) value).doubleValue()));
        } else if (value instanceof Number n) {
            out.append(n instanceof BigDecimal d ? d.toPlainString() : n.toString());
        } else if (value instanceof Map<?, ?> map) {
            List<Map.Entry<String, Object>> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                entries.add(Map.entry(keyText(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
            }
            if (sortKeys) {
                entries.sort(Map.Entry.comparingByKey());
            }
            if (entries.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            for (int i = 0; i < entries.size(); i++) {
                if (i > 0) {
                    out.append(item);
                }
                newline(out, indent, level + 1);
                string(out, entries.get(i).getKey());
                out.append(key);
                Object v = entries.get(i).getValue();
                write(out, v == NULL ? null : v, indent, item, key, sortKeys, level + 1);
            }
            newline(out, indent, level);
            out.append('}');
        } else if (value instanceof Iterable<?> list) {
            List<Object> items = new ArrayList<>();
            list.forEach(items::add);
            if (items.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) {
                    out.append(item);
                }
                newline(out, indent, level + 1);
                write(out, items.get(i), indent, item, key, sortKeys, level + 1);
            }
            newline(out, indent, level);
            out.append(']');
        } else {
            throw new IllegalArgumentException("tojson: Object of type " + value.getClass().getSimpleName()
                    + " is not JSON serializable");
        }
    }

    /** A marker for null map values (Map.entry refuses null). */
    private static final Object NULL = new Object();

    private static String keyText(Object k) {
        if (k instanceof String s) {
            return s;
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Double || k instanceof Float) {
            return pythonFloat(((Number) k).doubleValue());
        }
        if (k instanceof Number) {
            return k.toString();
        }
        throw new IllegalArgumentException("tojson: keys must be str, int, float, bool or None, not "
                + k.getClass().getSimpleName());
    }

    private static void newline(StringBuilder out, Integer indent, int level) {
        if (indent != null) {
            out.append('\n').append(" ".repeat(indent * level));
        }
    }

    /** A JSON string as Python writes it with ensure_ascii=False: only '"', '\\' and control characters escaped. */
    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Python's repr of a float: 1.0, 0.1, 1e-05, 1e+16, NaN, Infinity. */
    static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        // The shortest digits that read back as d, as Python's repr; its notation switches at 1e16 and 1e-4.
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        int exponent = shortest.precision() - shortest.scale() - 1;
        if (d != 0 && (exponent >= 16 || exponent < -4)) {
            String digits = shortest.unscaledValue().abs().toString();
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                    + String.format("%02d", Math.abs(exponent));
        }
        String plain = shortest.toPlainString();
        return plain.contains(".") ? plain : plain + ".0";
    }
}
