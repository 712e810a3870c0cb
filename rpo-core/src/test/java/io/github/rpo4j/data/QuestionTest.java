package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuestionTest {

    @Test
    void rejectsMissingOrBlankRequiredParts() {
        assertThrows(NullPointerException.class, () -> new Question(null, "p", "1", null));
        assertThrows(NullPointerException.class, () -> new Question("q", null, "1", null));
        assertThrows(NullPointerException.class, () -> new Question("q", "p", null, null));
        assertThrows(IllegalArgumentException.class, () -> new Question(" ", "p", "1", null));
        assertThrows(IllegalArgumentException.class, () -> new Question("q", "", "1", null));
        assertThrows(IllegalArgumentException.class, () -> new Question("q", "p", "  ", null));
    }

    @Test
    void choicesAreCopiedAndNullMeansNone() {
        List<Choice> choices = new ArrayList<>(List.of(new Choice("A", "x"), new Choice("B", "y")));
        Question question = new Question("q", "p", "A", null, choices);
        choices.clear();
        assertEquals(2, question.choices().size());
        assertTrue(question.hasChoices());

        Question free = new Question("q", "p", "1", null, null);
        assertEquals(List.of(), free.choices());
        assertFalse(free.hasChoices());
        assertTrue(free.goldChainIfPresent().isEmpty());
    }

    @Test
    void rejectsDuplicateChoiceLabels() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Question("q", "p", "A", null, List.of(new Choice("A", "x"), new Choice("A", "y"))));
        assertTrue(e.getMessage().contains("duplicate choice label 'A'"), e.getMessage());
    }

    @Test
    void choiceLabelMustBeTrimmedAndNonBlank() {
        assertThrows(IllegalArgumentException.class, () -> new Choice(" A", "x"));
        assertThrows(IllegalArgumentException.class, () -> new Choice("", "x"));
        assertEquals("B) a magnet", new Choice("B", "a magnet").render());
    }
}
