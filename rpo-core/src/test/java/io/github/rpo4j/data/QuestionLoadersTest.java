package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuestionLoadersTest {

    @TempDir
    Path dir;

    @Test
    void gsm8kRewritesTheAnswerIntoAChainAndNormalisesTheNumber() throws IOException {
        Path file = TestFiles.resource("gsm8k-sample.jsonl");
        List<Question> questions = QuestionLoaders.gsm8k(file);
        assertEquals(3, questions.size());

        Question first = questions.get(0);
        assertEquals("gsm8k-sample-1", first.id());
        assertTrue(first.prompt().startsWith("Natalia sold clips"));
        assertEquals("72", first.goldAnswer());
        assertEquals("Natalia sold 48/2 = 24 clips in May. Natalia sold 48+24 = 72 clips altogether in April and May."
                + " The answer is 72.", first.goldChain());

        Question second = questions.get(1);
        assertEquals("gsm8k-sample-3", second.id(), "a blank line still counts for the default id");
        assertEquals("2400", second.goldAnswer());
        assertEquals("1200*2 = 2400 dollars. The answer is 2400.", second.goldChain());

        Question third = questions.get(2);
        assertEquals("gsm-extra", third.id());
        assertEquals("-0.5", third.goldAnswer());
        assertEquals("The answer is -0.5.", third.goldChain());
    }

    @Test
    void gsm8kGoldChainsPassTheNumericVerifier() throws IOException {
        Verifier verifier = Verifiers.numericExactMatch();
        for (Question question : QuestionLoaders.gsm8k(TestFiles.resource("gsm8k-sample.jsonl"))) {
            assertTrue(verifier.isCorrect(question, question.goldChain()), question.id());
        }
    }

    @Test
    void gsm8kCanKeepCalculatorAnnotations() throws IOException {
        Question first = QuestionLoaders.gsm8k(TestFiles.resource("gsm8k-sample.jsonl"), true).get(0);
        assertTrue(first.goldChain().startsWith("Natalia sold 48/2 = <<48/2=24>>24 clips in May."), first.goldChain());
    }

    @Test
    void gsm8kNonNumericAnswerNamesFileLineAndField() throws IOException {
        Path file = TestFiles.write(dir, "g.jsonl",
                "{\"question\":\"q1\",\"answer\":\"#### 1\"}\n{\"question\":\"q2\",\"answer\":\"so\\n#### seven\"}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.gsm8k(file));
        assertEquals(file + ":2: field 'answer': final answer 'seven' after '####' is not a number", e.getMessage());
    }

    @Test
    void gsm8kWithoutFinalAnswerLineIsAnError() throws IOException {
        Path file = TestFiles.write(dir, "g.jsonl", "{\"question\":\"q1\",\"answer\":\"It is 4.\"}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.gsm8k(file));
        assertEquals("answer", e.field());
        assertEquals(1, e.lineNumber());
    }

    @Test
    void gsm8kMissingOrMistypedQuestionNamesTheField() throws IOException {
        Path missing = TestFiles.write(dir, "m.jsonl", "{\"answer\":\"#### 1\"}\n");
        assertEquals("question", assertThrows(DataFormatException.class, () -> QuestionLoaders.gsm8k(missing)).field());
        Path mistyped = TestFiles.write(dir, "t.jsonl", "{\"question\":[\"a\"],\"answer\":\"#### 1\"}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.gsm8k(mistyped));
        assertEquals(mistyped + ":1: field 'question': expected a string but found an array", e.getMessage());
    }

    @Test
    void arcRawFormatRendersStemAndChoices() throws IOException {
        List<Question> questions = QuestionLoaders.multipleChoice(TestFiles.resource("arc-raw.jsonl"));
        assertEquals(2, questions.size());
        Question first = questions.get(0);
        assertEquals("Mercury_7175875", first.id());
        assertEquals("C", first.goldAnswer());
        assertNull(first.goldChain());
        assertEquals(4, first.choices().size());
        assertTrue(first.prompt().endsWith("?\nA) Planetary density will decrease.\nB) Planetary years will become longer.\n"
                + "C) Planetary days will become shorter.\nD) Planetary gravity will become stronger."), first.prompt());

        Question second = questions.get(1);
        assertEquals("arc-raw-2", second.id());
        assertEquals("Which of these is a mammal?\n1) shark\n2) whale", second.prompt());
        assertEquals("2", second.goldAnswer());
    }

    @Test
    void arcFlatFormatMatchesRawFormat() throws IOException {
        Question question = QuestionLoaders.multipleChoice(TestFiles.resource("arc-hf.jsonl")).get(0);
        assertEquals("Mercury_SC_405487", question.id());
        assertEquals("B", question.goldAnswer());
        assertEquals(List.of(new Choice("A", "Shady areas increased."), new Choice("B", "Food sources increased."),
                new Choice("C", "Oxygen levels increased."), new Choice("D", "Available water increased.")), question.choices());
        assertTrue(question.prompt().endsWith("next year?\nA) Shady areas increased.\nB) Food sources increased.\n"
                + "C) Oxygen levels increased.\nD) Available water increased."));
        assertTrue(Verifiers.multipleChoice().isCorrect(question, "Acorns are food. The answer is (B)."));
    }

    @Test
    void arcAnswerKeyMustBeALabel() throws IOException {
        Path file = TestFiles.write(dir, "arc.jsonl",
                "{\"question\":\"Q?\",\"choices\":{\"label\":[\"A\",\"B\"],\"text\":[\"x\",\"y\"]},\"answerKey\":\"E\"}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(file));
        assertEquals(file + ":1: field 'answerKey': 'E' is not one of the choice labels [A, B]", e.getMessage());
    }

    @Test
    void arcStructuralErrorsNameTheNestedField() throws IOException {
        Path uneven = TestFiles.write(dir, "u.jsonl",
                "{\"question\":\"Q?\",\"choices\":{\"label\":[\"A\",\"B\"],\"text\":[\"x\"]},\"answerKey\":\"A\"}\n");
        assertEquals("choices", assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(uneven)).field());

        Path noStem = TestFiles.write(dir, "s.jsonl",
                "{\"question\":{\"choices\":[{\"label\":\"A\",\"text\":\"x\"}]},\"answerKey\":\"A\"}\n");
        assertEquals("question.stem", assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(noStem)).field());

        Path badChoice = TestFiles.write(dir, "c.jsonl",
                "{\"question\":{\"stem\":\"Q?\",\"choices\":[{\"label\":\"A\",\"text\":\"x\"},{\"label\":\"B\"}]},\"answerKey\":\"A\"}\n");
        assertEquals("question.choices[1].text",
                assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(badChoice)).field());

        Path numberQuestion = TestFiles.write(dir, "n.jsonl", "{\"question\":5,\"answerKey\":\"A\"}\n");
        assertEquals("question", assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(numberQuestion)).field());

        Path duplicateLabels = TestFiles.write(dir, "d.jsonl",
                "{\"question\":\"Q?\",\"choices\":{\"label\":[\"A\",\"A\"],\"text\":[\"x\",\"y\"]},\"answerKey\":\"A\"}\n");
        assertEquals("choices", assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(duplicateLabels)).field());
    }

    @Test
    void genericFormatUsesConfiguredFieldsAndAcceptsNumericAnswers() throws IOException {
        GenericJsonlFields fields = new GenericJsonlFields("q", "a", "why", "key");
        List<Question> questions = QuestionLoaders.generic(TestFiles.resource("generic.jsonl"), fields);
        assertEquals(List.of(
                new Question("generic-1", "What is 2+3?", "5", "2+3=5. The answer is 5."),
                new Question("sub-1", "What is 7-4?", "3", null)), questions);
    }

    @Test
    void genericFormatWithDefaultFieldNames() throws IOException {
        Path file = TestFiles.write(dir, "plain.data.jsonl", "{\"prompt\":\"p\",\"answer\":\"42\",\"id\":7}\n{\"prompt\":\"r\",\"answer\":\"1\"}\n");
        List<Question> questions = QuestionLoaders.generic(file);
        assertEquals("7", questions.get(0).id());
        assertEquals("plain.data-2", questions.get(1).id());
    }

    @Test
    void genericFormatErrorsNameTheConfiguredField() throws IOException {
        GenericJsonlFields fields = GenericJsonlFields.defaults().withAnswerField("solution").withChainField(null);
        Path file = TestFiles.write(dir, "g.jsonl", "{\"prompt\":\"p\",\"solution\":\"1\"}\n{\"prompt\":\"p\",\"solution\":{\"v\":1}}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.generic(file, fields));
        assertEquals(file + ":2: field 'solution': expected a string or a number but found an object", e.getMessage());

        Path chain = TestFiles.write(dir, "c.jsonl", "{\"prompt\":\"p\",\"answer\":\"1\",\"chain\":3}\n");
        assertEquals("chain", assertThrows(DataFormatException.class, () -> QuestionLoaders.generic(chain)).field());
    }

    @Test
    void duplicateIdsAreRejectedNamingBothLines() throws IOException {
        Path file = TestFiles.write(dir, "d.jsonl", "{\"prompt\":\"p\",\"answer\":\"1\",\"id\":\"x\"}\n\n{\"prompt\":\"q\",\"answer\":\"2\",\"id\":\"x\"}\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> QuestionLoaders.generic(file));
        assertEquals(file + ":3: field 'id': duplicate id 'x' (first used on line 1)", e.getMessage());
    }

    @Test
    void emptyFileIsAnErrorForEveryLoader() throws IOException {
        Path file = TestFiles.write(dir, "empty.jsonl", "");
        assertThrows(DataFormatException.class, () -> QuestionLoaders.gsm8k(file));
        assertThrows(DataFormatException.class, () -> QuestionLoaders.multipleChoice(file));
        assertThrows(DataFormatException.class, () -> QuestionLoaders.generic(file));
    }

    @Test
    void defaultIdUsesTheFileStem() {
        assertEquals("train-12", QuestionLoaders.defaultId(Path.of("/data/train.jsonl"), 12));
        assertEquals("noext-1", QuestionLoaders.defaultId(Path.of("noext"), 1));
    }
}
