package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.StartingModel;
import java.util.List;

/**
 * The quickstart split's two evaluation sets, by the names {@code --eval-split} takes: settings are chosen on the
 * validation problems and reported on the test problems.
 */
final class EvalSplit {

    static final String TEST = "test";
    static final String VALIDATION = "validation";

    private EvalSplit() {
    }

    /** Names the flag when {@code name} is neither set. */
    static void check(String name) {
        Flags.require(TEST.equals(name) || VALIDATION.equals(name), "--eval-split", "test or validation", name);
    }

    /** The problems of the set named (checked first with {@link #check(String)}). */
    static List<Question> questions(String name, SyntheticArithmeticTask.Split split) {
        return VALIDATION.equals(name) ? StartingModel.quickstartValidation(split) : split.test();
    }
}
