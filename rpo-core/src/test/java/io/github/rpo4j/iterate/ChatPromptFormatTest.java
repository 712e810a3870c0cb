package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.text.ChatTemplate;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The loop's prompts through the real chat templates and tokenizers of Qwen 2.5 and Llama 3.1. */
class ChatPromptFormatTest {

    private static final Question Q = new Question("q1", "What is 6 times 7?", "42", null);

    /** Qwen 2.5's tokenizer, loaded once (151,665 ids). */
    private static Tokenizer qwen;

    @BeforeAll
    static void loadQwen() throws IOException {
        qwen = Tokenizers.load(models("qwen2_5"));
    }

    /** The model directory of an npm {@code @lenml/tokenizer-FAMILY} package that fetch.sh installed. */
    static Path models(String family) {
        Path dir = Path.of(System.getProperty("rpo4j.tokenizer.packages", "src/test/tokenizers/node_modules"))
                .resolve("@lenml/tokenizer-" + family + "/models");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            fail("missing " + dir.toAbsolutePath() + ": install the reference tokenizer files with "
                    + "rpo-core/src/test/tokenizers/fetch.sh (needs npm)");
        }
        return dir;
    }

    @Test
    void qwenPromptsTheQuestionAsTheUsersTurnAndEndsCompletionsWithImEnd() throws IOException {
        Path dir = models("qwen2_5");
        Tokenizer tokenizer = qwen;
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        String prompt = format.prompt(Q);
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nWhat is 6 times 7?<|im_end|>\n<|im_start|>assistant\n", prompt);
        int[] ids = tokenizer.encode(prompt);
        assertEquals(151644, ids[0], "<|im_start|> written in the text is its special id");
        assertEquals(198, ids[ids.length - 1], "the prompt ends with the newline after 'assistant'");

        assertEquals(151643, tokenizer.eosId().getAsInt(), "tokenizer.json alone: <|endoftext|>");
        Tokenizer completions = format.completionTokenizer(tokenizer);
        assertEquals(151645, completions.eosId().getAsInt(), "the template's end of turn: <|im_end|>");
        assertTrue(Arrays.equals(ids, completions.encode(prompt)));
        assertEquals(prompt, completions.decode(ids));
        assertSame(completions, format.completionTokenizer(completions), "applying it twice changes nothing more");

        ChatPromptFormat withSystem = new ChatPromptFormat(ChatTemplate.load(dir), "Answer with a number.");
        assertTrue(withSystem.prompt(Q).startsWith("<|im_start|>system\nAnswer with a number.<|im_end|>\n"),
                withSystem.prompt(Q));
        Map<String, Object> described = withSystem.describe();
        assertEquals("<|im_end|>", described.get("end_of_turn"));
        assertEquals("Answer with a number.", described.get("system_prompt"));
    }

    @Test
    void llamaThreeOnePutsItsBosInTheTextAndEndsWithEotId() throws IOException {
        Path dir = models("llama3_1");
        Tokenizer tokenizer = Tokenizers.load(dir);
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        String prompt = format.prompt(Q);
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 6 times 7?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", prompt);
        int[] ids = tokenizer.encode(prompt);
        assertEquals(tokenizer.bosId().getAsInt(), ids[0], "one BOS, from the template");
        assertTrue(ids[1] != ids[0]);
        assertEquals(tokenizer.specialTokens().get("<|eot_id|>"), format.completionTokenizer(tokenizer).eosId().getAsInt());
    }

    @Test
    void anEndOfTurnTheTokenizerDoesNotKnowIsRefusedNamingTheTemplate(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"eos_token\": \"<|not_a_token|>\", \"chat_template\": \"{{ messages[0].content }}\"}");
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> format.completionTokenizer(qwen));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString())
                && e.getMessage().contains("<|not_a_token|>"), e.getMessage());
        assertEquals("What is 6 times 7?", format.prompt(Q));
    }

    @Test
    void theSeparatorFormatIsTheQuestionAndItsSeparator() {
        assertEquals("What is 6 times 7? ", PromptFormat.DEFAULT.prompt(Q));
        assertEquals(Map.of("prompt_separator", "\nA: "), PromptFormat.separator("\nA: ").describe());
    }
}
