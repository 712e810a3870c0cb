package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.data.JsonlReader;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.ChatTemplate;
import io.github.rpo4j.text.ChatTemplateException;
import io.github.rpo4j.text.ChatTemplateReferenceTest;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * RISE's and SCoRe's later prompts through real chat templates: the conversation's turns rendered as Python's
 * jinja2 renders the same messages (expected.json, written by chat_template_reference.py), the context budget on
 * real tokenizers (the oldest attempt dropped first, the latest never, and the check at build() exactly as tight
 * as the prompts it guards), and both loops run end to end over Qwen 2.5's tokenizer and template.
 */
class SelfCorrectionChatTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The question of expected.json's cases. */
    private static final String QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half "
            + "as many clips in May. How many clips did Natalia sell altogether in April and May?";

    @TempDir
    Path tmp;

    static Stream<Arguments> fixtures() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (JsonNode fixture : ChatTemplateReferenceTest.expected().get("fixtures")) {
            all.add(Arguments.of(fixture.get("fixture").asText(), fixture));
        }
        return all.stream();
    }

    /** The case of expected.json named {@code name}: its input and this fixture's result. */
    private static JsonNode[] caseOf(JsonNode fixture, String name) throws IOException {
        JsonNode input = null;
        for (JsonNode c : ChatTemplateReferenceTest.expected().get("cases")) {
            if (c.get("name").asText().equals(name)) {
                input = c;
            }
        }
        for (JsonNode result : fixture.get("cases")) {
            if (result.get("name").asText().equals(name)) {
                return new JsonNode[] {input, result};
            }
        }
        throw new AssertionError("expected.json has no case " + name + " for " + fixture.get("fixture"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theConversationIsRenderedAsJinja2RendersItsTurns(String name, JsonNode fixture) throws Exception {
        ChatTemplate template = ChatTemplate.load(ChatTemplateReferenceTest.fixtureFile(fixture));
        Question q = new Question("q", QUESTION, "72", null);
        // No attempt yet: the loop's first prompt.
        assertEquals(caseOf(fixture, "question")[1].get("expected").asText(),
                new ChatPromptFormat(template).conversation(q, List.of(), Rise.DEFAULT_FEEDBACK));
        for (String caseName : List.of("self_correction", "self_correction_system")) {
            JsonNode[] c = caseOf(fixture, caseName);
            // The case's messages: [system], user question, then (assistant attempt, user feedback) per attempt.
            String system = null;
            List<String> attempts = new ArrayList<>();
            for (JsonNode m : c[0].get("messages")) {
                String role = m.get("role").asText();
                if (role.equals("system")) {
                    system = m.get("content").asText();
                } else if (role.equals("assistant")) {
                    attempts.add(m.get("content").asText());
                } else if (!m.get("content").asText().equals(QUESTION)) {
                    assertEquals(Rise.DEFAULT_FEEDBACK.strip(), m.get("content").asText(), "the feedback turn");
                }
            }
            ChatPromptFormat format = new ChatPromptFormat(template, system);
            if (c[1].has("error")) {
                ChatTemplateException e = assertThrows(ChatTemplateException.class,
                        () -> format.conversation(q, attempts, Rise.DEFAULT_FEEDBACK));
                assertEquals(c[1].get("error").asText(), e.detail());
            } else {
                assertEquals(c[1].get("expected").asText(), format.conversation(q, attempts, Rise.DEFAULT_FEEDBACK),
                        caseName);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"qwen2_5", "llama3_1", "gemma3"})
    void theOldestAttemptIsDroppedFirstTheLatestNeverAndBuildRefusesExactlyWhereItWouldBe(String family)
            throws IOException {
        Path dir = ChatPromptFormatTest.models(family);
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        Tokenizer tokenizer = format.completionTokenizer(Tokenizers.load(dir));
        Question q = new Question("q", QUESTION, "72", null);
        String feedback = SCoRe.DEFAULT_INSTRUCTION;
        int maxNew = 8;
        String longest = "x" + " x".repeat(maxNew - 1); // an attempt of exactly maxNewTokens tokens
        assertEquals(maxNew, tokenizer.encode(longest).length);
        String older = "48 + 24 = 62";

        int both = tokenizer.encode(format.conversation(q, List.of(older, longest), feedback)).length;
        int latestOnly = tokenizer.encode(format.conversation(q, List.of(longest), feedback)).length;
        assertTrue(latestOnly < both);
        MultiTurnPrompt wide = new MultiTurnPrompt(format, feedback, tokenizer, both + maxNew, maxNew);
        assertEquals(format.prompt(q), wide.prompt(q, List.of()));
        assertEquals(format.conversation(q, List.of(older, longest), feedback), wide.prompt(q, List.of(older, longest)));
        MultiTurnPrompt narrower = new MultiTurnPrompt(format, feedback, tokenizer, both + maxNew - 1, maxNew);
        assertEquals(format.conversation(q, List.of(longest), feedback), narrower.prompt(q, List.of(older, longest)),
                "one token short: the older attempt is left out, the question and the latest stay");

        // build()'s check: the question, an attempt of maxNewTokens, the feedback turn and the next attempt.
        int needed = latestOnly + maxNew;
        new MultiTurnPrompt(format, feedback, tokenizer, needed, maxNew).requireRoomForOneAttempt(List.of(q), "evalQuestions");
        assertEquals(format.conversation(q, List.of(longest), feedback),
                new MultiTurnPrompt(format, feedback, tokenizer, needed, maxNew).prompt(q, List.of(longest)));
        MultiTurnPrompt tooSmall = new MultiTurnPrompt(format, feedback, tokenizer, needed - 1, maxNew);
        var refused = assertThrows(IllegalArgumentException.class,
                () -> tooSmall.requireRoomForOneAttempt(List.of(q), "evalQuestions"));
        assertTrue(refused.getMessage().contains("need " + needed + " tokens")
                && refused.getMessage().contains("evalQuestions"), refused.getMessage());
        var dropped = assertThrows(IllegalStateException.class, () -> tooSmall.prompt(q, List.of(longest)));
        assertTrue(dropped.getMessage().contains("latest attempt"), dropped.getMessage());
    }

    @Test
    void aBlankFeedbackIsRefusedForAChatTemplateNamingTheSetting() throws IOException {
        Path dir = ChatPromptFormatTest.models("qwen2_5");
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        Tokenizer tokenizer = Tokenizers.load(dir);
        List<Question> one = List.of(new Question("q", "What is 2+3?", "5", null));
        TransformerLM model = qwenShapedModel(tokenizer);
        var rise = assertThrows(IllegalArgumentException.class, () -> Rise.builder().model(model, tokenizer)
                .promptFormat(format).trainQuestions(one).evalQuestions(one).verifier((x, c) -> false)
                .feedback(" \n ").runDirectory(tmp.resolve("rise")).build());
        assertTrue(rise.getMessage().contains("feedback") && rise.getMessage().contains("blank"), rise.getMessage());
        var score = assertThrows(IllegalArgumentException.class, () -> SCoRe.builder().model(model, tokenizer)
                .promptFormat(format).trainQuestions(one).evalQuestions(one).verifier((x, c) -> false)
                .instruction("  ").runDirectory(tmp.resolve("score")).build());
        assertTrue(score.getMessage().contains("instruction") && score.getMessage().contains("blank"),
                score.getMessage());
        assertFalse(Files.exists(tmp.resolve("rise")) || Files.exists(tmp.resolve("score")), "nothing written");
    }

    /** A tiny random model of Llama's layout over Qwen 2.5's 151,665 ids, ending samples at <|endoftext|>. */
    private static TransformerLM qwenShapedModel(Tokenizer tokenizer) {
        ModelConfig config = ModelConfig.llama(tokenizer.vocabSize(), 160, 1, 8, 2, 1, 16).withTieEmbeddings(true)
                .withEosTokenId(tokenizer.eosId().getAsInt());
        return TransformerLM.initialize(config, 5, DataType.FLOAT);
    }

    /** Qwen 2.5's template around a conversation, read by hand: its default system turn, then the turns. */
    private static String qwenTurns(String question, List<String> attemptsAndFeedback) {
        StringBuilder s = new StringBuilder("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a "
                + "helpful assistant.<|im_end|>\n<|im_start|>user\n" + question + "<|im_end|>\n");
        for (int i = 0; i < attemptsAndFeedback.size(); i += 2) {
            s.append("<|im_start|>assistant\n").append(attemptsAndFeedback.get(i)).append("<|im_end|>\n")
                    .append("<|im_start|>user\n").append(attemptsAndFeedback.get(i + 1)).append("<|im_end|>\n");
        }
        return s.append("<|im_start|>assistant\n").toString();
    }

    @Test
    void riseAndScoreRunWithQwensChatTemplate() throws IOException {
        Path dir = ChatPromptFormatTest.models("qwen2_5");
        ChatPromptFormat format = new ChatPromptFormat(ChatTemplate.load(dir));
        Tokenizer tokenizer = Tokenizers.load(dir);
        List<Question> questions = List.of(
                new Question("ann", "Ann has 2 pens. She buys 3 more. How many pens does she have?", "5", null),
                new Question("bob", "Bob has 9 cards. He loses 4. How many are left?", "5", null));
        Verifier neverRight = (q, completion) -> false; // every episode goes on to its next turn
        TrainingSettings training = TrainingSettings.defaults(1e-3).withBatch(2, 2);

        Path riseDir = tmp.resolve("rise");
        RunResult rise = Rise.builder().model(qwenShapedModel(tokenizer), tokenizer).promptFormat(format)
                .trainQuestions(questions).evalQuestions(questions).verifier(neverRight).iterations(1).turns(2)
                .candidates(1).includeUnimprovedTurns(true).maxNewTokens(6).majorityVote(0, 1.0).training(training)
                .progressBar(false).runDirectory(riseDir).build().run();
        RunDirectory riseRun = new RunDirectory(riseDir);
        List<RiseTurn> turns = JsonlReader.readAll(riseRun.samples(1), RiseTurn.class);
        assertEquals(4, turns.size(), "two questions, two turns each");
        for (RiseTurn first : turns) {
            if (first.turn() != 1) {
                continue;
            }
            String question = first.questionId().equals("ann") ? questions.get(0).prompt() : questions.get(1).prompt();
            assertEquals(qwenTurns(question, List.of()), first.prompt());
            RiseTurn second = turns.stream().filter(x -> x.turn() == 2 && x.questionId().equals(first.questionId()))
                    .findFirst().orElseThrow();
            assertEquals(qwenTurns(question, List.of(first.onPolicy(), "The answer is incorrect. Try again.")),
                    second.prompt());
        }
        Map<String, Object> riseMetrics = rise.iterations().get(1);
        assertEquals(2, ((List<?>) riseMetrics.get("turn_accuracy")).size());
        JsonNode config = JSON.readTree(riseDir.resolve("config.json").toFile()).get("settings");
        assertEquals("<|im_end|>", config.get("end_of_turn").asText());
        assertEquals("RISE", config.get("method").asText());

        Path scoreDir = tmp.resolve("score");
        RunResult score = SCoRe.builder().model(qwenShapedModel(tokenizer), tokenizer).promptFormat(format)
                .trainQuestions(questions).evalQuestions(questions).verifier(neverRight).stages(1, 0)
                .samplesPerQuestion(2).maxNewTokens(6).majorityVote(0, 1.0).training(training).progressBar(false)
                .runDirectory(scoreDir).build().run();
        List<SCoReRollout> rollouts = JsonlReader.readAll(new RunDirectory(scoreDir).samples(1), SCoReRollout.class);
        assertEquals(4, rollouts.size());
        for (SCoReRollout r : rollouts) {
            String question = r.questionId().equals("ann") ? questions.get(0).prompt() : questions.get(1).prompt();
            assertEquals(qwenTurns(question, List.of()), r.firstPrompt());
            assertEquals(qwenTurns(question, List.of(r.first(), SCoRe.DEFAULT_INSTRUCTION.strip())), r.secondPrompt());
        }
        assertTrue(score.iterations().get(1).containsKey("acc_t2"), score.iterations().get(1).toString());
    }
}
