package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code decoder} component of {@code tokenizer.json}: ByteLevel, Metaspace, ByteFallback, Fuse, Strip,
 * Replace and Sequence. As upstream, each decoder maps the list of token strings to a new list, and the final
 * list is concatenated.
 */
final class Decoders {

    static final String SUPPORTED = "ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence";

    /** One decoding step over token strings. */
    interface Decoder {
        List<String> decodeChain(List<String> tokens);
    }

    private Decoders() {
    }

    /** @return the decoder, or {@code null} for a null or absent component */
    static Decoder parse(Path file, JsonNode node, String path) throws TokenizerFormatException {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = TokenizerJson.typeOf(file, node, path);
        switch (type) {
            case "ByteLevel":
                return Decoders::byteLevel;
            case "Metaspace": {
                String replacement = TokenizerJson.requireText(file, node, "replacement", path + ".replacement");
                if (replacement.codePointCount(0, replacement.length()) != 1) {
                    throw new TokenizerFormatException(file, path + ".replacement", "expected one character, got \""
                            + replacement + "\"");
                }
                boolean prepends = !PreTokenizers.metaspaceScheme(file, node, path).equals("never");
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (int i = 0; i < tokens.size(); i++) {
                        // The first token's leading replacement is the prepended one: dropped, not a space.
                        String token = tokens.get(i);
                        if (i == 0 && prepends) {
                            out.add(token.replace(replacement, ""));
                        } else {
                            out.add(token.replace(replacement, " "));
                        }
                    }
                    return out;
                };
            }
            case "ByteFallback":
                return Decoders::byteFallback;
            case "Fuse":
                return tokens -> List.of(String.join("", tokens));
            case "Strip": {
                String content = TokenizerJson.requireText(file, node, "content", path + ".content");
                if (content.codePointCount(0, content.length()) != 1) {
                    throw new TokenizerFormatException(file, path + ".content", "expected one character, got \""
                            + content + "\"");
                }
                int start = TokenizerJson.optionalCount(file, node, "start", path + ".start", 0);
                int stop = TokenizerJson.optionalCount(file, node, "stop", path + ".stop", 0);
                int cp = content.codePointAt(0);
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (String token : tokens) {
                        out.add(strip(token, cp, start, stop));
                    }
                    return out;
                };
            }
            case "Replace": {
                Pattern pattern = TokenizerJson.stringOrRegex(file, node, "pattern", path + ".pattern");
                String content = TokenizerJson.requireText(file, node, "content", path + ".content");
                return tokens -> {
                    List<String> out = new ArrayList<>(tokens.size());
                    for (String token : tokens) {
                        out.add(Normalizers.replaceAll(pattern, token, content));
                    }
                    return out;
                };
            }
            case "Sequence": {
                List<Decoder> steps = TokenizerJson.components(file, node, "decoders", path, Decoders::parse);
                return tokens -> {
                    List<String> current = tokens;
                    for (Decoder step : steps) {
                        current = step.decodeChain(current);
                    }
                    return current;
                };
            }
            default:
                throw new TokenizerFormatException(file, path + ".type", "decoder \"" + type
                        + "\" is not supported; supported: " + SUPPORTED);
        }
    }

    /**
     * Tokens made only of byte-level characters become their bytes, others their UTF-8; all bytes are then read
     * as UTF-8 with malformed sequences replaced by U+FFFD.
     */
    static List<String> byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String token : tokens) {
            boolean allByteLevel = true;
            for (int i = 0; i < token.length() && allByteLevel; i++) {
                allByteLevel = ByteLevel.byteOf(token.charAt(i)) >= 0;
            }
            if (allByteLevel) {
                for (int i = 0; i < token.length(); i++) {
                    bytes.write(ByteLevel.byteOf(token.charAt(i)));
                }
            } else {
                bytes.writeBytes(token.getBytes(StandardCharsets.UTF_8));
            }
        }
        return List.of(bytes.toString(StandardCharsets.UTF_8));
    }

    /**
     * Runs of {@code <0xNN>} tokens become the text they encode, or one U+FFFD per byte when the run is not valid
     * UTF-8.
     */
    static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        for (String token : tokens) {
            int value = byteTokenValue(token);
            if (value >= 0) {
                pending.write(value);
                continue;
            }
            flushBytes(pending, out);
            out.add(token);
        }
        flushBytes(pending, out);
        return out;
    }

    private static int byteTokenValue(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
            return -1;
        }
        int high = Character.digit(token.charAt(3), 16);
        int low = Character.digit(token.charAt(4), 16);
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }

    private static void flushBytes(ByteArrayOutputStream pending, List<String> out) {
        if (pending.size() == 0) {
            return;
        }
        byte[] bytes = pending.toByteArray();
        pending.reset();
        try {
            out.add(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException invalid) {
            for (int i = 0; i < bytes.length; i++) {
                out.add("\uFFFD");
            }
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing occurrences of one character. */
    static String strip(String token, int content, int start, int stop) {
        int[] cps = token.codePoints().toArray();
        int startCut = 0;
        for (int i = 0; i < Math.min(start, cps.length); i++) {
            if (cps[i] != content) {
                break;
            }
            startCut = i + 1;
        }
        int stopCut = cps.length;
        for (int i = 0; i < Math.min(stop, cps.length); i++) {
            int index = cps.length - i - 1;
            if (cps[index] != content) {
                break;
            }
            stopCut = index;
        }
        if (stopCut < startCut) {
            stopCut = startCut;
        }
        return new String(cps, startCut, stopCut - startCut);
    }
}
