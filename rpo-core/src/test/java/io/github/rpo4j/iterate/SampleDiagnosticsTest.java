package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.rpo4j.data.ArithmeticStepChecker;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.VerifiedSample;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SampleDiagnosticsTest {

    @Test
    void countsAgainstHandComputedValues() {
        Question a = new Question("a", "Ann has 2 pens. She buys 3 more.", "5", "2+3=5. The answer is 5.");
        Question b = new Question("b", "Bob has 9 cups. He loses 4.", "5", "9-4=5. The answer is 5.");
        List<VerifiedSample> samples = List.of(
                new VerifiedSample("a", "2+3=5. The answer is 5.", "5", true),   // the gold chain
                new VerifiedSample("a", "2+3=6. The answer is 5.", "5", true),   // right answer, wrong step
                new VerifiedSample("a", "2+3=5. The answer is 5.", "5", true),   // the gold chain again
                new VerifiedSample("a", "2+3=6. The answer is 6.", "6", false),
                new VerifiedSample("b", "9-4=6. The answer is 6.", "6", false),
                new VerifiedSample("b", "9-4=6. The answer is 6.", "6", false),
                new VerifiedSample("b", "9-3=6. The answer is 6.", "6", false),
                new VerifiedSample("b", "9-4=7. The answer is 7.", "7", false));
        Map<String, Object> m = SampleDiagnostics.of(List.of(a, b), samples, new ArithmeticStepChecker());
        assertEquals(3 / 8.0, m.get("sample_accuracy"));
        assertEquals(8, m.get("samples"));
        assertEquals(1 / 2.0, m.get("pass_at_n"), "only a has a correct sample");
        assertEquals((3 + 3) / 2.0, m.get("distinct_samples_per_question"));
        assertEquals(2 / 3.0, (double) m.get("winners_equal_gold_chain"), 1e-12);
        assertEquals(2 / 3.0, (double) m.get("winners_all_steps_correct"), 1e-12);

        Map<String, Object> without = SampleDiagnostics.of(List.of(b), samples.subList(4, 8), null);
        assertNull(without.get("winners_all_steps_correct"));
        assertNull(without.get("winners_equal_gold_chain"), "no correct sample");
        assertEquals(0.0, without.get("pass_at_n"));
    }
}
