package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.Rise;
import io.github.rpo4j.iterate.RiseTurn;
import io.github.rpo4j.iterate.RunDirectory;
import io.github.rpo4j.iterate.SCoRe;
import io.github.rpo4j.iterate.SCoReRollout;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code ablate --chat-template} on an instruct model directory (a tiny random model over Qwen 2.5's real tokenizer,
 * with Qwen 2.5's real tokenizer_config.json): every method, in its child process, prompts through the template,
 * RISE's and SCoRe's later attempts as further turns of the conversation; bad input is refused before anything is
 * written.
 */
class ChatTemplateAblateTest {

    private static final String SYSTEM = "Answer with a number.";

    @TempDir
    static Path temp;

    private static Path instructModel;

    @BeforeAll
    static void writeInstructModel() throws IOException {
        // Room for RISE's two turns: the question, an attempt, the feedback turn and the next attempt.
        instructModel = ChatTemplateIterateTest.writeInstructModel(temp.resolve("instruct"), 256);
    }

    /** Qwen 2.5's template around a conversation, read by hand: the system turn, the question, then the turns. */
    private static String qwenTurns(String question, List<String> attemptsAndFeedback) {
        StringBuilder s = new StringBuilder("<|im_start|>system\n" + SYSTEM + "<|im_end|>\n<|im_start|>user\n")
                .append(question).append("<|im_end|>\n");
        for (int i = 0; i < attemptsAndFeedback.size(); i += 2) {
            s.append("<|im_start|>assistant\n").append(attemptsAndFeedback.get(i)).append("<|im_end|>\n")
                    .append("<|im_start|>user\n").append(attemptsAndFeedback.get(i + 1)).append("<|im_end|>\n");
        }
        return s.append("<|im_start|>assistant\n").toString();
    }

    @Test
    void everyMethodPromptsThroughTheModelsChatTemplateInItsChildProcess() throws IOException {
        Path out = temp.resolve("ablate");
        Rpo4jCliTest.Run run = Rpo4jCliTest.run("ablate", "--quick", "--seeds", "1", "--model", instructModel.toString(),
                "--out", out.toString(), "--no-progress", "--jobs", "2", "--methods", "RPO,RISE,SCORE",
                "--majority-k", "0", "--chat-template", "--system-prompt", SYSTEM);
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(out.resolve("seed-0").resolve("rise.log")), "the runs went to child processes");

        // The --quick pool: 4 training-side problems from the quickstart's pool start.
        List<Question> pool = StartingModel.quickstartSplit(new SyntheticArithmeticTask()).train()
                .subList(StartingModel.QUICKSTART_POOL_FROM, StartingModel.QUICKSTART_POOL_FROM + 4);
        Map<String, String> questionText = pool.stream().collect(Collectors.toMap(Question::id, Question::prompt));

        for (String method : List.of("rpo", "rise", "score")) {
            JsonNode settings = Rpo4jCli.JSON.readTree(out.resolve("seed-0").resolve(method).resolve("config.json")
                    .toFile()).get("settings");
            assertEquals(instructModel.resolve("tokenizer_config.json") + ": field 'chat_template'",
                    settings.path("chat_template").asText(), method);
            assertEquals("<|im_end|>", settings.path("end_of_turn").asText(), method);
            assertEquals(SYSTEM, settings.path("system_prompt").asText(), method);
        }

        List<String> pairs = Files.readAllLines(new RunDirectory(out.resolve("seed-0").resolve("rpo")).pairs(1));
        assertFalse(pairs.isEmpty(), "--quick's gold chains won against the random model's samples");
        for (String line : pairs) {
            JsonNode pair = Rpo4jCli.JSON.readTree(line);
            String prompt = pair.get("prompt").asText();
            assertTrue(pool.stream().anyMatch(q -> prompt.equals(qwenTurns(q.prompt(), List.of()))), prompt);
        }

        List<RiseTurn> turns = JsonlReader.readAll(new RunDirectory(out.resolve("seed-0").resolve("rise")).samples(1),
                RiseTurn.class);
        int laterTurns = 0;
        for (RiseTurn turn : turns) {
            String question = questionText.get(turn.questionId());
            if (turn.turn() == 1) {
                assertEquals(qwenTurns(question, List.of()), turn.prompt());
                continue;
            }
            RiseTurn previous = turns.stream().filter(t -> t.turn() == turn.turn() - 1
                    && t.questionId().equals(turn.questionId())).findFirst().orElseThrow();
            assertEquals(qwenTurns(question, List.of(previous.onPolicy(), Rise.DEFAULT_FEEDBACK.strip())),
                    turn.prompt(), "the latest attempt and the feedback as further turns");
            laterTurns++;
        }
        assertTrue(laterTurns > 0, "the random model got a question wrong at its first turn: " + turns);

        List<SCoReRollout> rollouts = JsonlReader.readAll(
                new RunDirectory(out.resolve("seed-0").resolve("score")).samples(1), SCoReRollout.class);
        assertFalse(rollouts.isEmpty());
        for (SCoReRollout r : rollouts) {
            String question = questionText.get(r.questionId());
            assertEquals(qwenTurns(question, List.of()), r.firstPrompt());
            assertEquals(qwenTurns(question, List.of(r.first(), SCoRe.DEFAULT_INSTRUCTION.strip())), r.secondPrompt());
        }
        String md = Files.readString(out.resolve("results.md"));
        for (String method : List.of("RPO", "RISE", "SCORE")) {
            assertTrue(md.contains("| " + method + " | 0.001 | 1 |"), "results.md lacks iteration 1 of " + method);
        }

        // Resuming the runs without the template is refused as any other changed setting.
        Rpo4jCliTest.Run plain = Rpo4jCliTest.run("ablate", "--quick", "--seeds", "1", "--model",
                instructModel.toString(), "--out", out.toString(), "--no-progress", "--jobs", "1", "--methods",
                "RPO,RISE,SCORE", "--majority-k", "0");
        assertEquals(1, plain.exitCode(), plain.err());
        assertTrue(plain.err().contains("Differing: ") && plain.err().contains("chat_template: was"), plain.err());
    }

    @Test
    void badChatTemplateInputIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path out = temp.resolve("refused");

        Rpo4jCliTest.Run shipped = Rpo4jCliTest.run("ablate", "--quick", "--out", out.toString(), "--chat-template");
        assertEquals(2, shipped.exitCode(), shipped.err());
        assertTrue(shipped.err().contains("--chat-template needs --model DIR"), shipped.err());

        Rpo4jCliTest.Run systemAlone = Rpo4jCliTest.run("ablate", "--quick", "--model", instructModel.toString(),
                "--out", out.toString(), "--system-prompt", SYSTEM);
        assertEquals(2, systemAlone.exitCode(), systemAlone.err());
        assertTrue(systemAlone.err().contains("--system-prompt needs --chat-template"), systemAlone.err());

        Rpo4jCliTest.Run blankFeedback = Rpo4jCliTest.run("ablate", "--quick", "--model", instructModel.toString(),
                "--out", out.toString(), "--methods", "RISE", "--chat-template", "--feedback", " ");
        assertEquals(1, blankFeedback.exitCode(), blankFeedback.err());
        assertTrue(blankFeedback.err().contains("--feedback must be text with --chat-template (a user turn of its "
                + "own), got \" \""), blankFeedback.err());

        // A model directory without tokenizer_config.json: the error names the file.
        Path base = temp.resolve("base");
        Files.createDirectories(base);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(instructModel.resolve(f), base.resolve(f));
        }
        Rpo4jCliTest.Run noTemplate = Rpo4jCliTest.run("ablate", "--quick", "--model", base.toString(),
                "--out", out.toString(), "--chat-template");
        assertEquals(1, noTemplate.exitCode(), noTemplate.err());
        assertTrue(noTemplate.err().contains(base.resolve("tokenizer_config.json").toString()), noTemplate.err());

        // Qwen's template over a character tokenizer, which has no <|im_end|>: named before any run starts.
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        CharTokenizer chars = CharTokenizer.ofAlphabet(task.alphabet());
        Path charModel = temp.resolve("char-m0");
        ModelDirectory.save(charModel, TransformerLM.initialize(ModelConfig.gpt2(chars.vocabSize(), 224, 1, 16, 2)
                .withEosTokenId(CharTokenizer.END_OF_TEXT_ID), 5, DataType.FLOAT), chars);
        Path template = ChatTemplateIterateTest.qwenFiles().resolve("tokenizer_config.json");
        Rpo4jCliTest.Run foreign = Rpo4jCliTest.run("ablate", "--quick", "--model", charModel.toString(),
                "--out", out.toString(), "--chat-template", template.toString());
        assertEquals(1, foreign.exitCode(), foreign.err());
        assertTrue(foreign.err().contains("chat template " + template) && foreign.err().contains(
                "eos_token \"<|im_end|>\" is not a special token of the model's tokenizer"), foreign.err());

        assertFalse(Files.exists(out), "nothing written");
    }
}
