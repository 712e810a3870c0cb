package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.FuzzInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Random, truncated and mutated tokenizer.json files: each loads or is rejected with a
 * {@link TokenizerFormatException} (an {@link IOException}) that has a message. A tokenizer that loads must
 * also encode and decode without failing in an undocumented way.
 */
class TokenizerJsonFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /**
     * A SentencePiece-style file over the small test vocabulary: byte-fallback tokens, a normalizer, pre-tokenizer
     * and decoder Sequence of several components each, and a template post-processor, so that mutations reach
     * every parser.
     */
    static ObjectNode sentencePieceStyle() throws IOException {
        ObjectNode json = BpeTokenizerTest.tokenizerJson(false, false);
        ObjectNode model = (ObjectNode) json.get("model");
        ObjectNode vocab = (ObjectNode) model.get("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format("<0x%02X>", b), 265 + b);
        }
        model.put("byte_fallback", true).put("fuse_unk", true).put("ignore_merges", true);
        json.set("normalizer", JSON.readTree("{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"NFKC\"},"
                + " {\"type\": \"Prepend\", \"prepend\": \"\u2581\"}, {\"type\": \"Replace\", \"pattern\":"
                + " {\"String\": \" \"}, \"content\": \"\u2581\"}, {\"type\": \"Lowercase\"},"
                + " {\"type\": \"Strip\", \"strip_left\": false, \"strip_right\": true}]}"));
        json.set("pre_tokenizer", JSON.readTree("{\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\p{N}+\"}, \"behavior\": \"Contiguous\","
                + " \"invert\": false}, {\"type\": \"Digits\", \"individual_digits\": true},"
                + " {\"type\": \"Punctuation\", \"behavior\": \"Isolated\"}, {\"type\": \"Metaspace\","
                + " \"replacement\": \"\u2581\", \"prepend_scheme\": \"first\", \"split\": true}]}"));
        json.set("decoder", JSON.readTree("{\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Replace\","
                + " \"pattern\": {\"String\": \"\u2581\"}, \"content\": \" \"}, {\"type\": \"ByteFallback\"},"
                + " {\"type\": \"Fuse\"}, {\"type\": \"Strip\", \"content\": \" \", \"start\": 1, \"stop\": 0}]}"));
        json.set("post_processor", JSON.readTree("{\"type\": \"TemplateProcessing\", \"single\": ["
                + "{\"SpecialToken\": {\"id\": \"<|endoftext|>\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\","
                + " \"type_id\": 0}}], \"special_tokens\": {\"<|endoftext|>\": {\"id\": \"<|endoftext|>\","
                + " \"ids\": [264], \"tokens\": [\"<|endoftext|>\"]}}}"));
        return json;
    }

    @Test
    void sentencePieceStyleSeedWorks() throws IOException {
        BpeTokenizer tokenizer = BpeTokenizer.fromJson(null, sentencePieceStyle());
        int[] ids = tokenizer.encode("Hello 12 €", true);
        assertEquals(264, ids[0], "the template's special token first");
        // "▁" is not in this vocabulary, so it is encoded as byte-fallback tokens, which the decoder turns back
        // into "▁" only after its Replace step has run: it stays, as upstream. Digits split "12" into "1", "2".
        assertEquals("▁hello▁12▁€", tokenizer.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length)));
        int one = java.util.Arrays.stream(ids).boxed().toList().indexOf((int) '1');
        assertEquals('2', ids[one + 1]);
    }

    @Test
    void loadingMutatedTokenizerFilesFailsOnlyWithDocumentedErrors() throws IOException {
        Path charDir = Files.createDirectories(dir.resolve("char"));
        CharTokenizer.ofAlphabet("0123456789+-=. abc").save(charDir);
        List<byte[]> seeds = List.of(Files.readAllBytes(charDir.resolve(Tokenizer.FILE_NAME)),
                JSON.writeValueAsBytes(BpeTokenizerTest.tokenizerJson(false, false)),
                JSON.writeValueAsBytes(BpeTokenizerTest.tokenizerJson(true, true)),
                JSON.writeValueAsBytes(sentencePieceStyle()));
        FuzzInputs fuzz = new FuzzInputs(7L);
        fuzz.run(FuzzInputs.cases(300), Duration.ofSeconds(60 + FuzzInputs.cases(300) / 20), seeds, (seed, f) -> f.mutatedJson(seed), input -> {
            Path file = dir.resolve("tokenizer.json");
            Files.write(file, input);
            Tokenizer tokenizer = Tokenizers.load(file);
            String text = "hello the 12+3=15 <|endoftext|>";
            int[] ids;
            try {
                ids = tokenizer.encode(text);
            } catch (IllegalArgumentException unknownCharacter) {
                // documented for characters outside a per-character vocabulary
                ids = tokenizer.encode("1");
            }
            tokenizer.decode(ids);
        }, TokenizerFormatException.class, IOException.class);
    }
}
