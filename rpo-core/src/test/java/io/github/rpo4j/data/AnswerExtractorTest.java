package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnswerExtractorTest {

    private final NumericAnswerExtractor numeric = new NumericAnswerExtractor();
    private final MultipleChoiceExtractor choice = new MultipleChoiceExtractor();

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NONE", value = {
        "23+14=37. 37-9=28. The answer is 28.          | 28",
        "the answer is 28                              | 28",
        "THE ANSWER IS: 28                             | 28",
        "The answer is 1,234.                          | 1234",
        "The answer is $1,234.50.                      | 1234.5",
        "The answer is +7.                             | 7",
        "The answer is -0.                             | 0",
        "The answer is -0.00                           | 0",
        "The answer is 28.00.                          | 28",
        "The answer is 2.50                            | 2.5",
        "The answer is -12 apples.                     | -12",
        "The answer is 1000.                           | 1000",
        "work\\n#### 72                                 | 72",
        "The answer is 5. Wait, no. The answer is 6.   | 6",
        "The answer is 5. #### 9                       | 9",
        "#### 9. Actually the answer is 8.             | 8",
        "The answer is 5. The answer is twelve.        | NONE",
        "The answer is.                                | NONE",
        "I think it is 28.                             | NONE",
        "''                                            | NONE",
    })
    void numericExtraction(String completion, String expected) {
        String text = completion.replace("\\n", "\n");
        assertEquals(Optional.ofNullable(expected), numeric.extract(text));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NONE", value = {
        "1,234    | 1234",
        "+5       | 5",
        "-0       | 0",
        "28.00    | 28",
        "2.50     | 2.5",
        "$12      | 12",
        "28.      | 28",
        "007      | 7",
        ".5       | 0.5",
        "-3.10    | -3.1",
        "100      | 100",
        "abc      | NONE",
        "1.2.3    | NONE",
        "--1      | NONE",
    })
    void numberNormalisation(String raw, String expected) {
        assertEquals(Optional.ofNullable(expected), NumericAnswerExtractor.normalizeNumber(raw));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NONE", value = {
        "So the answer is (B).                    | B",
        "The answer is B                          | B",
        "The answer is b)                         | NONE",
        "The answer is (c)                        | C",
        "Answer: D                                | D",
        "answer: (A)                              | A",
        "The answer is: 3                         | 3",
        "The answer is A. No wait, Answer: C      | C",
        "The answer is a magnet.                  | NONE",
        "The answer is Because of gravity         | NONE",
        "Answer: AB                               | NONE",
        "Probably B.                              | NONE",
    })
    void multipleChoiceExtraction(String completion, String expected) {
        assertEquals(Optional.ofNullable(expected), choice.extract(completion));
    }

    @Test
    void nullCompletionHasNoAnswer() {
        assertEquals(Optional.empty(), numeric.extract(null));
        assertEquals(Optional.empty(), choice.extract(null));
    }

    @Test
    void normaliseGoldAnswers() {
        assertEquals("1234", numeric.normalize(" 1,234.0 "));
        assertEquals("seven", numeric.normalize(" seven "));
        assertEquals("B", choice.normalize(" b "));
    }
}
