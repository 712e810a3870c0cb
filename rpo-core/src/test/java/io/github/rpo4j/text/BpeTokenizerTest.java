package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTokenizerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Merges in rank order; the merged tokens get ids 256.. in the same order. */
    private static final String[] MERGES = {
            "h e",     // 256 "he"
            "he l",    // 257 "hel"
            "hel l",   // 258 "hell"
            "hell o",  // 259 "hello"
            "Ġ t",     // 260 "Ġt"
            "Ġt h",    // 261 "Ġth"
            "Ġth e",   // 262 "Ġthe" (never reached from " the": "h e" has a better rank)
            "l l",     // 263 "ll"
    };
    private static final int END_OF_TEXT = 264;

    @TempDir
    Path dir;

    /**
     * GPT-2's bytes_to_unicode, written out independently of the class under test: printable Latin-1 bytes
     * stand for themselves, the others get U+0100 onwards in byte order.
     */
    private static String[] byteSymbols() {
        List<Integer> printable = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) printable.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.add(b);
        String[] symbols = new String[256];
        int next = 0;
        for (int b = 0; b < 256; b++) {
            symbols[b] = String.valueOf((char) (printable.contains(b) ? b : 256 + next++));
        }
        return symbols;
    }

    /** A GPT-2 style tokenizer.json: byte symbols as ids 0..255 (byte order), the merges, one special token. */
    static ObjectNode tokenizerJson(boolean mergesAsPairs, boolean addPrefixSpace) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", END_OF_TEXT).put("content", "<|endoftext|>").put("single_word", false)
                .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("trim_offsets", false);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("continuing_subword_prefix");
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        String[] symbols = byteSymbols();
        for (int b = 0; b < 256; b++) {
            vocab.put(symbols[b], b);
        }
        ArrayNode merges = model.putArray("merges");
        for (int i = 0; i < MERGES.length; i++) {
            String[] pair = MERGES[i].split(" ");
            vocab.put(pair[0] + pair[1], 256 + i);
            if (mergesAsPairs) {
                merges.addArray().add(pair[0]).add(pair[1]);
            } else {
                merges.add(MERGES[i]);
            }
        }
        vocab.put("<|endoftext|>", END_OF_TEXT);
        return root;
    }

    private static BpeTokenizer tokenizer() throws IOException {
        return BpeTokenizer.fromJson(null, tokenizerJson(false, false));
    }

    @Test
    void byteMappingMatchesGpt2() {
        assertEquals('Ġ', ByteLevel.charOf(' '));
        assertEquals('Ċ', ByteLevel.charOf('\n'));
        assertEquals('Ā', ByteLevel.charOf(0));
        assertEquals('Ń', ByteLevel.charOf(0xAD));
        assertEquals('ÿ', ByteLevel.charOf(0xFF));
        assertEquals('!', ByteLevel.charOf('!'));
        String[] expected = byteSymbols();
        for (int b = 0; b < 256; b++) {
            assertEquals(expected[b].charAt(0), ByteLevel.charOf(b));
            assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        }
        assertEquals(-1, ByteLevel.byteOf('€'));
    }

    @Test
    void encodesHandWorkedExamples() throws IOException {
        BpeTokenizer tokenizer = tokenizer();
        assertArrayEquals(new int[]{259}, tokenizer.encode("hello"));
        assertArrayEquals(new int[]{32, 259}, tokenizer.encode(" hello"), "'Ġ' is not merged with 'h'");
        // " the": "h e" (rank 0) beats "Ġ t" (rank 4), and no merge joins "Ġt" with "he".
        assertArrayEquals(new int[]{259, 260, 256, 32, 'w', 'o', 'r', 'l', 'd'}, tokenizer.encode("hello the world"));
        assertArrayEquals(new int[]{'a', 261}, tokenizer.encode("a th"));
        assertArrayEquals(new int[]{263, 'a', 'm', 'a'}, tokenizer.encode("llama"));
        assertArrayEquals(new int[]{'h', 'i', END_OF_TEXT, 't', 256}, tokenizer.encode("hi<|endoftext|>the"));
        // Contractions split off; the first of two spaces stays alone; the newline is its own chunk.
        assertArrayEquals(new int[]{'i', 't', '\'', 's', ' ', ' ', 'o', 'k', '\n'}, tokenizer.encode("it's  ok\n"));
        assertArrayEquals(new int[]{0xF0, 0x9F, 0x99, 0x82}, tokenizer.encode("🙂"));
        assertArrayEquals(new int[0], tokenizer.encode(""));
    }

    @Test
    void mergesAsPairsBehaveLikeMergesAsStrings() throws IOException {
        BpeTokenizer pairs = BpeTokenizer.fromJson(null, tokenizerJson(true, false));
        BpeTokenizer strings = tokenizer();
        for (String text : List.of("hello the world", "a th llama", "shell hello")) {
            assertArrayEquals(strings.encode(text), pairs.encode(text), text);
        }
    }

    @Test
    void roundTripsArbitraryUtf8() throws IOException {
        BpeTokenizer tokenizer = tokenizer();
        List<String> texts = new ArrayList<>(List.of(
                "hello the world",
                "héllo wörld — “quotes”",
                "日本語のテキストと中文",
                "e\u0301 combining a\u0308\u0323 marks",
                "emoji 🙂👍🏽 family 👨‍👩‍👧 flag 🇫🇷",
                "tabs\tand\r\nnewlines\n\n\nend",
                "   multiple   spaces   ",
                "it's they're we've I'm you'll he'd",
                "numbers 3.14159 and ١٢٣",
                "nul \u0000 and bell \u0007 and nbsp\u00a0and ideographic space\u3000",
                "text <|endoftext|> more text<|endoftext|>"));
        Random random = new Random(7);
        for (int n = 0; n < 20; n++) {
            StringBuilder text = new StringBuilder();
            while (text.length() < 40) {
                int codePoint = random.nextInt(0x30000);
                if (Character.isDefined(codePoint) && Character.getType(codePoint) != Character.SURROGATE) {
                    text.appendCodePoint(codePoint);
                }
            }
            texts.add(text.toString());
        }
        for (String text : texts) {
            int[] ids = tokenizer.encode(text);
            assertEquals(text, tokenizer.decode(ids), () -> "round trip of " + text);
            StringBuilder pieces = new StringBuilder();
            for (int id : ids) {
                assertTrue(id >= 0 && id < tokenizer.vocabSize());
            }
            pieces.append(tokenizer.decode(ids, 0, ids.length / 2)).append(tokenizer.decode(ids, ids.length / 2, ids.length));
            if (pieces.indexOf("\uFFFD") < 0) {
                assertEquals(text, pieces.toString(), "slices that do not split a character concatenate");
            }
        }
    }

    @Test
    void decodingASliceThatSplitsACharacterShowsReplacement() throws IOException {
        BpeTokenizer tokenizer = tokenizer();
        int[] ids = tokenizer.encode("a🙂");
        assertEquals(5, ids.length);
        assertEquals("a\uFFFD", tokenizer.decode(ids, 0, 3));
        assertEquals("🙂", tokenizer.decode(ids, 1, 5));
        assertEquals("a🙂", tokenizer.decode(List.of(97, 0xF0, 0x9F, 0x99, 0x82)));
    }

    @Test
    void describesVocabulary() throws IOException {
        BpeTokenizer tokenizer = tokenizer();
        assertEquals(265, tokenizer.vocabSize());
        assertEquals(OptionalInt.of(END_OF_TEXT), tokenizer.eosId());
        assertEquals(OptionalInt.empty(), tokenizer.bosId());
        assertEquals(Map.of("<|endoftext|>", END_OF_TEXT), tokenizer.specialTokens());
        assertEquals("hello", tokenizer.tokenText(259));
        assertEquals(" t", tokenizer.tokenText(260));
        assertEquals("Ġt", tokenizer.vocabToken(260));
        assertEquals("<|endoftext|>", tokenizer.tokenText(END_OF_TEXT));
        assertEquals(OptionalInt.of(262), tokenizer.idOf("Ġthe"));
        assertEquals(OptionalInt.empty(), tokenizer.idOf("the"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decode(new int[]{1, 2, 265}));
        assertTrue(e.getMessage().contains("265") && e.getMessage().contains("position 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[]{-1}));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenText(999));
    }

    @Test
    void addPrefixSpaceAppliesToEachPieceBetweenSpecialTokens() throws IOException {
        BpeTokenizer tokenizer = BpeTokenizer.fromJson(null, tokenizerJson(false, true));
        assertArrayEquals(new int[]{32, 259}, tokenizer.encode("hello"));
        assertArrayEquals(new int[]{32, 259}, tokenizer.encode(" hello"), "no second space is added");
        assertArrayEquals(new int[]{32, 259, END_OF_TEXT, 32, 259}, tokenizer.encode("hello<|endoftext|>hello"));
        assertEquals(" hello", tokenizer.decode(tokenizer.encode("hello")), "the added space decodes, as upstream");
    }

    @Test
    void addedTokenFlagsControlMatching() throws IOException {
        ObjectNode json = tokenizerJson(false, false);
        ArrayNode added = (ArrayNode) json.get("added_tokens");
        added.addObject().put("id", 265).put("content", "<sep>").put("lstrip", true).put("rstrip", true).put("special", true);
        added.addObject().put("id", 266).put("content", "END").put("single_word", true).put("special", false);
        BpeTokenizer tokenizer = BpeTokenizer.fromJson(null, json);
        assertArrayEquals(new int[]{'a', 265, 'b'}, tokenizer.encode("a  <sep>\n b"), "surrounding whitespace absorbed");
        assertArrayEquals(new int[]{266, ' ', 'x'}, tokenizer.encode("END x"));
        assertArrayEquals(new int[]{'E', 'N', 'D', 'S'}, tokenizer.encode("ENDS"), "not a whole word");
        assertEquals(Map.of("<|endoftext|>", END_OF_TEXT, "<sep>", 265), tokenizer.specialTokens());
    }

    @Test
    void savesAndLoadsThroughModelDirectory() throws IOException {
        BpeTokenizer tokenizer = tokenizer();
        Path modelDir = dir.resolve("model");
        tokenizer.save(modelDir);
        assertTrue(Files.isRegularFile(modelDir.resolve("tokenizer.json")));
        Tokenizer loaded = Tokenizers.load(modelDir);
        assertInstanceOf(BpeTokenizer.class, loaded);
        assertEquals(tokenizerJson(false, false), JSON.readTree(modelDir.resolve("tokenizer.json").toFile()));
        for (String text : List.of("hello the world", "a th", "🙂 <|endoftext|>")) {
            assertArrayEquals(tokenizer.encode(text), loaded.encode(text));
        }
        assertEquals(tokenizer.vocabSize(), Tokenizers.load(modelDir.resolve("tokenizer.json")).vocabSize());
    }

    // ---------------------------------------------------------------- format errors

    private TokenizerFormatException rejects(Consumer<ObjectNode> corruption, String field, String fragment)
            throws IOException {
        ObjectNode json = tokenizerJson(false, false);
        corruption.accept(json);
        Path modelDir = Files.createTempDirectory(dir, "bad");
        Path file = modelDir.resolve("tokenizer.json");
        Files.writeString(file, json.toString());
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(modelDir));
        assertEquals(field, e.field(), e.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(field), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
        return e;
    }

    private static ObjectNode model(JsonNode root) {
        return (ObjectNode) root.get("model");
    }

    @Test
    void rejectsMissingOrUnknownModel() throws IOException {
        rejects(json -> json.remove("model"), "model", "missing");
        rejects(json -> model(json).put("type", "Unigram"), "model.type", "unsupported model type \"Unigram\"");
        rejects(json -> model(json).remove("type"), "model.type", "missing");
        rejects(json -> model(json).remove("vocab"), "model.vocab", "missing");
    }

    @Test
    void rejectsMalformedMerges() throws IOException {
        rejects(json -> ((ArrayNode) model(json).get("merges")).set(2, "hell"), "model.merges[2]", "\"left right\"");
        rejects(json -> ((ArrayNode) model(json).get("merges")).set(1, "he  l"), "model.merges[1]", "one space");
        rejects(json -> ((ArrayNode) model(json).get("merges")).addArray().add("h"), "model.merges[8]", "[\"left\", \"right\"]");
        rejects(json -> ((ArrayNode) model(json).get("merges")).add("x zz"), "model.merges[8]", "\"zz\" is not in model.vocab");
        rejects(json -> ((ArrayNode) model(json).get("merges")).add("o w"), "model.merges[8]", "\"ow\" is not in model.vocab");
        rejects(json -> model(json).put("merges", "h e"), "model.merges", "expected an array");
    }

    @Test
    void rejectsBadIds() throws IOException {
        rejects(json -> ((ObjectNode) model(json).get("vocab")).put("Ġthe", -1), "model.vocab[\"Ġthe\"]", "out of range");
        rejects(json -> ((ObjectNode) model(json).get("vocab")).put("Ġthe", 1 << 30), "model.vocab[\"Ġthe\"]", "out of range");
        rejects(json -> ((ObjectNode) model(json).get("vocab")).put("Ġthe", "262"), "model.vocab[\"Ġthe\"]", "integer");
        rejects(json -> ((ObjectNode) model(json).get("vocab")).put("Ġthe", 5), "model.vocab[\"Ġthe\"]", "also used by");
        rejects(json -> ((ObjectNode) json.get("added_tokens").get(0)).put("id", 7), "added_tokens[0].id", "in model.vocab");
        rejects(json -> ((ObjectNode) model(json).get("vocab")).remove("Ā"), "model.vocab", "byte 0x00");
        rejects(json -> ((ObjectNode) model(json).get("vocab")).remove("Ġ"), "model.merges[4]", "\"Ġ\" is not in model.vocab");
        rejects(json -> model(json).put("unk_token", "<unk>"), "model.unk_token", "not in model.vocab");
    }

    @Test
    void rejectsUnsupportedComponentsNamingTheField() throws IOException {
        rejects(json -> json.putObject("normalizer").put("type", "BertNormalizer"), "normalizer.type",
                "normalizer \"BertNormalizer\" is not supported; supported: NFC");
        rejects(json -> json.putObject("normalizer").put("type", "Sequence").putArray("normalizers").addObject()
                .put("type", "Precompiled"), "normalizer.normalizers[0].type", "\"Precompiled\" is not supported");
        rejects(json -> json.putObject("pre_tokenizer").put("type", "UnicodeScripts"), "pre_tokenizer.type",
                "pre-tokenizer \"UnicodeScripts\" is not supported");
        rejects(json -> {
            ArrayNode steps = json.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
            steps.addObject().put("type", "ByteLevel");
            steps.addObject().put("type", "CharDelimiterSplit").put("delimiter", " ");
        }, "pre_tokenizer.pretokenizers[1].type", "\"CharDelimiterSplit\" is not supported");
        rejects(json -> json.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "(unclosed"), "pre_tokenizer.pattern.Regex", "invalid regular expression");
        rejects(json -> json.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Sideways")
                .putObject("pattern").put("String", " "), "pre_tokenizer.behavior", "Sideways");
        rejects(json -> json.putObject("pre_tokenizer").put("type", "Split").put("behavior", "Isolated")
                .putObject("pattern").put("Regex", "[[:alpha:]]"), "pre_tokenizer.pattern.Regex", "POSIX");
        rejects(json -> json.putObject("decoder").put("type", "WordPiece"), "decoder.type",
                "decoder \"WordPiece\" is not supported");
        rejects(json -> json.putObject("post_processor").put("type", "RobertaProcessing"), "post_processor.type",
                "post-processor \"RobertaProcessing\" is not supported");
        rejects(json -> json.putObject("post_processor").put("type", "TemplateProcessing").putArray("single")
                .addObject().putObject("SpecialToken").put("id", "<s>"), "post_processor.special_tokens[\"<s>\"]",
                "missing");
        rejects(json -> model(json).put("dropout", 0.1), "model.dropout", "not supported");
        rejects(json -> json.putObject("truncation").put("max_length", 8), "truncation", "not supported");
        rejects(json -> json.putObject("padding").put("strategy", "BatchLongest"), "padding", "not supported");
        rejects(json -> model(json).put("continuing_subword_prefix", "##"), "model.merges[0]",
                "does not start with the continuing_subword_prefix");
    }

    @Test
    void rejectsInvalidJsonAndMissingFile() throws IOException {
        Path modelDir = Files.createDirectory(dir.resolve("broken"));
        Files.writeString(modelDir.resolve("tokenizer.json"), "{\"model\": ");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(modelDir));
        assertTrue(e.getMessage().contains("tokenizer.json") && e.getMessage().contains("JSON"), e.getMessage());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Tokenizers.load(empty));
    }
}
