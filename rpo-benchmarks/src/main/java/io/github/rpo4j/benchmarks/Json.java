package io.github.rpo4j.benchmarks;

import java.util.Map;
import java.util.stream.Collectors;

/** One-line JSON for flat maps of numbers and strings, so the benchmark mains need no JSON library. */
final class Json {

    private Json() {
    }

    static String line(Map<String, ?> fields) {
        return fields.entrySet().stream()
                .map(e -> quote(e.getKey()) + ": " + value(e.getValue()))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    private static String value(Object v) {
        if (v instanceof Double d) {
            return Double.isFinite(d) ? String.format(java.util.Locale.ROOT, "%.4g", d) : "null";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return quote(String.valueOf(v));
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
