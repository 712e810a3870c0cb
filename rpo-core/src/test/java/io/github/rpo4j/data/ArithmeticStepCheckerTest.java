package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArithmeticStepCheckerTest {

    @Test
    void acceptsOnlyChainsWhoseEveryStepIsRight() {
        assertTrue(ArithmeticStepChecker.allStepsCorrect("23+4=27. 27-9=18. 3*5=15. 18+15=33. The answer is 33."));
        assertFalse(ArithmeticStepChecker.allStepsCorrect("23+4=27. 27-9=19. 19+1=20. The answer is 20."),
                "the second step is wrong even though later steps follow from it");
        assertFalse(ArithmeticStepChecker.allStepsCorrect("4*6=25. The answer is 25."));
        assertFalse(ArithmeticStepChecker.allStepsCorrect("The answer is 27."), "no step to check");
        assertTrue(ArithmeticStepChecker.allStepsCorrect("999*999=998001."), "no overflow");
        assertTrue(ArithmeticStepChecker.allStepsCorrect("5 - 5 = 0."), "spaces around operators");
    }

    @Test
    void theSyntheticTasksGoldChainsAllPass() {
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        StepChecker checker = task.stepChecker();
        List<Question> questions = task.generate(300, 11);
        for (Question q : questions) {
            assertTrue(checker.allStepsCorrect(q, q.goldChain()), q.goldChain());
        }
    }
}
