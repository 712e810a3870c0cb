package io.github.rpo4j.text;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading of {@code tokenizer.json} trees with errors that name the file and the field. */
final class TokenizerJson {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private TokenizerJson() {
    }

    static JsonNode read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(file, "(root)", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(file, "(root)", "not a JSON object");
        }
        return root;
    }

    static JsonNode requireObject(Path file, JsonNode parent, String name, String path) throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            throw new TokenizerFormatException(file, path, "missing");
        }
        if (!node.isObject()) {
            throw new TokenizerFormatException(file, path, "expected a JSON object, got " + node.getNodeType());
        }
        return node;
    }

    static String requireText(Path file, JsonNode parent, String name, String path) throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            throw new TokenizerFormatException(file, path, "missing");
        }
        if (!node.isTextual()) {
            throw new TokenizerFormatException(file, path, "expected a string, got " + node);
        }
        return node.asText();
    }

    static boolean optionalBoolean(Path file, JsonNode parent, String name, String path, boolean fallback)
            throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw new TokenizerFormatException(file, path, "expected true or false, got " + node);
        }
        return node.asBoolean();
    }

    /** Ids are bounded well below {@code Integer.MAX_VALUE} so that id tables can be allocated safely. */
    static int requireId(Path file, JsonNode node, String path, int maxId) throws TokenizerFormatException {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new TokenizerFormatException(file, path, "expected an integer token id, got " + node);
        }
        int id = node.asInt();
        if (id < 0 || id > maxId) {
            throw new TokenizerFormatException(file, path, "token id " + id + " is out of range [0, " + maxId + "]");
        }
        return id;
    }

    /** A JSON path segment for an object key, quoted so that keys with dots or spaces stay readable. */
    static String key(String parentPath, String key) {
        return parentPath + "[" + MAPPER.getNodeFactory().textNode(key) + "]";
    }

    /** A null, absent or {@code {"type": ...}} component, returning its type or {@code null}. */
    static String componentType(Path file, JsonNode root, String name) throws TokenizerFormatException {
        JsonNode node = root.get(name);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new TokenizerFormatException(file, name, "expected a JSON object or null, got " + node.getNodeType());
        }
        return requireText(file, node, "type", name + ".type");
    }
    static JsonNode requireArray(Path file, JsonNode parent, String name, String path) throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            throw new TokenizerFormatException(file, path, "missing");
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(file, path, "expected an array, got " + node.getNodeType());
        }
        return node;
    }

    static String optionalText(Path file, JsonNode parent, String name, String path, String fallback)
            throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw new TokenizerFormatException(file, path, "expected a string, got " + node);
        }
        return node.asText();
    }

    static int optionalCount(Path file, JsonNode parent, String name, String path, int fallback)
            throws TokenizerFormatException {
        JsonNode node = parent.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 0) {
            throw new TokenizerFormatException(file, path, "expected a non-negative integer, got " + node);
        }
        return node.asInt();
    }

    /** A pattern written as {@code {"String": "..."}} (taken literally) or {@code {"Regex": "..."}}. */
    static java.util.regex.Pattern stringOrRegex(Path file, JsonNode parent, String name, String path)
            throws TokenizerFormatException {
        JsonNode node = requireObject(file, parent, name, path);
        if (node.size() != 1) {
            throw new TokenizerFormatException(file, path, "expected {\"String\": ...} or {\"Regex\": ...}, got " + node);
        }
        if (node.has("String")) {
            return UnicodePatterns.literal(requireText(file, node, "String", path + ".String"));
        }
        if (node.has("Regex")) {
            String regex = requireText(file, node, "Regex", path + ".Regex");
            try {
                return UnicodePatterns.compile(regex);
            } catch (IllegalArgumentException e) {
                throw new TokenizerFormatException(file, path + ".Regex", e.getMessage(), e);
            }
        }
        throw new TokenizerFormatException(file, path, "expected {\"String\": ...} or {\"Regex\": ...}, got " + node);
    }

    /** A component's {@code type}, for a node that must be an object. */
    static String typeOf(Path file, JsonNode node, String path) throws TokenizerFormatException {
        if (node == null || !node.isObject()) {
            throw new TokenizerFormatException(file, path, "expected a JSON object, got " + node);
        }
        return requireText(file, node, "type", path + ".type");
    }

    /** Parses one component of a pipeline; {@code null} for a null component. */
    interface ComponentParser<T> {
        T parse(Path file, JsonNode node, String path) throws TokenizerFormatException;
    }

    /** The non-null components of a Sequence's list field (e.g. {@code normalizers}), each parsed with its path. */
    static <T> java.util.List<T> components(Path file, JsonNode sequence, String name, String path,
                                            ComponentParser<T> parser) throws TokenizerFormatException {
        JsonNode list = requireArray(file, sequence, name, path + "." + name);
        java.util.List<T> steps = new java.util.ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            T step = parser.parse(file, list.get(i), path + "." + name + "[" + i + "]");
            if (step != null) {
                steps.add(step);
            }
        }
        return steps;
    }
}
