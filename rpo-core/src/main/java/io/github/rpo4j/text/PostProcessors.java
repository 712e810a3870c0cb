package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code post_processor} component of {@code tokenizer.json} for a single sequence: TemplateProcessing
 * (its {@code single} template, e.g. {@code <s> $A}), ByteLevel (which changes only offsets, so no ids) and a
 * Sequence of these. Applied only when special tokens are asked for.
 */
final class PostProcessors {

    static final String SUPPORTED = "TemplateProcessing, ByteLevel, Sequence";

    /** Wraps the ids of one encoded sequence. */
    interface PostProcessor {
        int[] process(int[] ids);

        /** @return the ids the template puts before the sequence (e.g. a BOS id), possibly none */
        int[] prefixIds();
    }

    private static final PostProcessor IDENTITY = new PostProcessor() {
        @Override
        public int[] process(int[] ids) {
            return ids;
        }

        @Override
        public int[] prefixIds() {
            return new int[0];
        }
    };

    private PostProcessors() {
    }

    /** @return the post-processor, or {@code null} for a null or absent component */
    static PostProcessor parse(Path file, JsonNode node, String path, Map<String, Integer> tokenIds)
            throws TokenizerFormatException {
        if (node == null || node.isNull()) {
            return null;
        }
        String type = TokenizerJson.typeOf(file, node, path);
        switch (type) {
            case "ByteLevel":
                return IDENTITY;
            case "TemplateProcessing":
                return template(file, node, path, tokenIds);
            case "Sequence": {
                List<PostProcessor> steps = TokenizerJson.components(file, node, "processors", path,
                        (f, n, p) -> parse(f, n, p, tokenIds));
                return new PostProcessor() {
                    @Override
                    public int[] process(int[] ids) {
                        int[] result = ids;
                        for (PostProcessor step : steps) {
                            result = step.process(result);
                        }
                        return result;
                    }

                    @Override
                    public int[] prefixIds() {
                        return steps.stream().map(PostProcessor::prefixIds).filter(p -> p.length > 0).findFirst()
                                .orElse(new int[0]);
                    }
                };
            }
            default:
                throw new TokenizerFormatException(file, path + ".type", "post-processor \"" + type
                        + "\" is not supported; supported: " + SUPPORTED);
        }
    }

    private static PostProcessor template(Path file, JsonNode node, String path, Map<String, Integer> tokenIds)
            throws TokenizerFormatException {
        JsonNode single = TokenizerJson.requireArray(file, node, "single", path + ".single");
        JsonNode specials = node.get("special_tokens");
        // Each template item: ids to emit, or null for the sequence itself.
        List<int[]> items = new ArrayList<>();
        int sequences = 0;
        for (int i = 0; i < single.size(); i++) {
            String itemPath = path + ".single[" + i + "]";
            JsonNode item = single.get(i);
            if (item.isObject() && item.has("Sequence")) {
                String id = TokenizerJson.requireText(file, item.get("Sequence"), "id", itemPath + ".Sequence.id");
                if (!id.equals("A")) {
                    throw new TokenizerFormatException(file, itemPath + ".Sequence.id", "expected \"A\" in the "
                            + "single-sequence template, got \"" + id + "\"");
                }
                items.add(null);
                sequences++;
            } else if (item.isObject() && item.has("SpecialToken")) {
                String id = TokenizerJson.requireText(file, item.get("SpecialToken"), "id",
                        itemPath + ".SpecialToken.id");
                items.add(specialIds(file, specials, id, path, tokenIds));
            } else {
                throw new TokenizerFormatException(file, itemPath, "expected {\"Sequence\": ...} or "
                        + "{\"SpecialToken\": ...}, got " + item);
            }
        }
        if (sequences != 1) {
            throw new TokenizerFormatException(file, path + ".single", "expected the sequence $A exactly once, got "
                    + sequences);
        }
        return new PostProcessor() {
            @Override
            public int[] process(int[] ids) {
                BpeTokenizer.IntBuffer out = new BpeTokenizer.IntBuffer(ids.length + 4);
                for (int[] item : items) {
                    out.addAll(item == null ? ids : item);
                }
                return out.toArray();
            }

            @Override
            public int[] prefixIds() {
                BpeTokenizer.IntBuffer out = new BpeTokenizer.IntBuffer(4);
                for (int[] item : items) {
                    if (item == null) {
                        break;
                    }
                    out.addAll(item);
                }
                return out.toArray();
            }
        };
    }

    private static int[] specialIds(Path file, JsonNode specials, String name, String path,
                                    Map<String, Integer> tokenIds) throws TokenizerFormatException {
        String entryPath = TokenizerJson.key(path + ".special_tokens", name);
        JsonNode entry = specials == null ? null : specials.get(name);
        if (entry == null || !entry.isObject()) {
            throw new TokenizerFormatException(file, entryPath, "missing: the template uses special token \""
                    + name + "\"");
        }
        JsonNode ids = TokenizerJson.requireArray(file, entry, "ids", entryPath + ".ids");
        int[] result = new int[ids.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = TokenizerJson.requireId(file, ids.get(i), entryPath + ".ids[" + i + "]", BpeModel.MAX_TOKEN_ID);
            if (!tokenIds.containsValue(result[i])) {
                throw new TokenizerFormatException(file, entryPath + ".ids[" + i + "]", "id " + result[i]
                        + " is not a token of this tokenizer");
            }
        }
        return result;
    }
}
