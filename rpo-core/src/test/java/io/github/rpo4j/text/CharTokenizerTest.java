package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CharTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void corpusAlphabetIsSortedDistinctCodePoints() {
        CharTokenizer tokenizer = CharTokenizer.fromCorpus(List.of("ba", "c\nab"));
        assertEquals("\nabc", tokenizer.alphabet());
        assertEquals(5, tokenizer.vocabSize());
        assertArrayEquals(new int[]{2, 3, 4, 1}, tokenizer.encode("abc\n"));
        assertEquals("abc\n", tokenizer.decode(new int[]{2, 3, 4, 1}));
        assertEquals("bc", tokenizer.decode(new int[]{2, 3, 4, 1}, 1, 3));
    }

    @Test
    void endOfTextIsIdZeroAndRecognisedInText() {
        CharTokenizer tokenizer = CharTokenizer.ofAlphabet("xy<");
        assertEquals(OptionalInt.of(0), tokenizer.eosId());
        assertEquals(OptionalInt.empty(), tokenizer.bosId());
        assertEquals(Map.of("<|endoftext|>", 0), tokenizer.specialTokens());
        assertArrayEquals(new int[]{1, 0, 3, 2}, tokenizer.encode("x<|endoftext|><y"));
        assertEquals("x<|endoftext|><y", tokenizer.decode(tokenizer.encode("x<|endoftext|><y")));
        assertEquals("<|endoftext|>", tokenizer.tokenText(0));
        assertEquals("y", tokenizer.tokenText(2));
    }

    @Test
    void supplementaryCharactersAreSingleTokens() {
        CharTokenizer tokenizer = CharTokenizer.ofAlphabet("a🙂a");
        assertEquals("a🙂", tokenizer.alphabet(), "duplicates are dropped, first appearance kept");
        assertArrayEquals(new int[]{2, 1, 2}, tokenizer.encode("🙂a🙂"));
        assertEquals("🙂a🙂", tokenizer.decode(new int[]{2, 1, 2}));
    }

    @Test
    void unknownCharacterAndIdAreNamed() {
        CharTokenizer tokenizer = CharTokenizer.ofAlphabet("abc");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("abcz"));
        assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("U+007A") && e.getMessage().contains("index 3"),
                e.getMessage());
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[]{1, 4}));
        assertTrue(id.getMessage().contains("token id 4") && id.getMessage().contains("position 1"), id.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(-1));
    }

    @Test
    void savesHuggingFaceStyleJsonAndLoadsBack() throws IOException {
        CharTokenizer tokenizer = CharTokenizer.fromCorpus(List.of("1+2=3\n", "hé 🙂"));
        Path modelDir = dir.resolve("model");
        tokenizer.save(modelDir);

        JsonNode json = JSON.readTree(modelDir.resolve("tokenizer.json").toFile());
        assertEquals("WordLevel", json.at("/model/type").asText());
        assertEquals(0, json.at("/model/vocab").get("<|endoftext|>").asInt());
        assertEquals(tokenizer.encode("é")[0], json.at("/model/vocab").get("é").asInt());
        assertEquals("Split", json.at("/pre_tokenizer/type").asText());
        assertEquals("Isolated", json.at("/pre_tokenizer/behavior").asText());
        assertEquals("Fuse", json.at("/decoder/type").asText());
        assertTrue(json.at("/added_tokens/0/special").asBoolean());

        Tokenizer loaded = Tokenizers.load(modelDir);
        assertInstanceOf(CharTokenizer.class, loaded);
        assertEquals(tokenizer, loaded);
        assertArrayEquals(tokenizer.encode("3=2+1\n🙂"), loaded.encode("3=2+1\n🙂"));
    }

    private TokenizerFormatException rejects(java.util.function.Consumer<ObjectNode> corruption, String field)
            throws IOException {
        ObjectNode json = CharTokenizer.ofAlphabet("abc").toJson();
        corruption.accept(json);
        Path file = Files.createTempDirectory(dir, "bad").resolve("tokenizer.json");
        Files.writeString(file, json.toString());
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(file));
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        return e;
    }

    @Test
    void rejectsWordLevelFilesThatAreNotPerCharacter() throws IOException {
        rejects(json -> ((ObjectNode) json.at("/model/vocab")).put("ab", 4), "model.vocab[\"ab\"]");
        rejects(json -> ((ObjectNode) json.at("/model/vocab")).put("d", 9), "model.vocab[\"d\"]");
        rejects(json -> ((ObjectNode) json.at("/model/vocab")).put("c", 1), "model.vocab[\"c\"]");
        rejects(json -> json.putObject("pre_tokenizer").put("type", "Whitespace"), "pre_tokenizer");
        rejects(json -> json.putArray("added_tokens"), "added_tokens");
        rejects(json -> json.putObject("normalizer").put("type", "Lowercase"), "normalizer.type");
    }
}
