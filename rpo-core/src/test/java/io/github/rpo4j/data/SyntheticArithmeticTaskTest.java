package io.github.rpo4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.SyntheticArithmeticConfig.Operation;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SyntheticArithmeticTaskTest {

    private static final Pattern EQUATION = Pattern.compile("(\\d+)([-+*])(\\d+)=(-?\\d+)\\.");
    private static final Pattern STEP_SENTENCE = Pattern.compile(" [A-Za-z]+ (buys|finds|gives away|loses) ");

    private final SyntheticArithmeticTask task = new SyntheticArithmeticTask();

    @Test
    void sameSeedSameProblemsDifferentSeedDifferentProblems() {
        List<Question> first = task.generate(200, 42);
        assertEquals(first, new SyntheticArithmeticTask().generate(200, 42));
        assertNotEquals(first, task.generate(200, 43));
        assertEquals("arith-42-0", first.get(0).id());
    }

    @Test
    void everyChainIsArithmeticallyRightAndEndsWithTheGoldAnswer() {
        Verifier verifier = task.verifier();
        for (Question question : task.generate(2000, 7)) {
            String chain = question.goldChain();
            assertTrue(chain.endsWith("The answer is " + question.goldAnswer() + "."), chain);
            assertTrue(verifier.isCorrect(question, chain), chain);
            Matcher equation = EQUATION.matcher(chain);
            long last = -1;
            while (equation.find()) {
                long a = Long.parseLong(equation.group(1));
                long b = Long.parseLong(equation.group(3));
                long result = Long.parseLong(equation.group(4));
                long expected = switch (equation.group(2)) {
                    case "+" -> a + b;
                    case "-" -> a - b;
                    default -> a * b;
                };
                assertEquals(expected, result, chain);
                assertTrue(result >= 0, "negative intermediate in " + chain);
                last = result;
            }
            assertEquals(Long.parseLong(question.goldAnswer()), last, chain);
        }
    }

    @Test
    void theExampleShapeIsWhatTheGeneratorWrites() {
        Question question = task.generate(1, 1).get(0);
        assertTrue(question.prompt().matches(
                "[A-Z][a-z]+ has \\d+ [a-z]+\\.( [A-Z][a-z]+ (buys \\d+ more|finds \\d+ more|gives away \\d+|loses \\d+"
                        + "|buys \\d+ bags of \\d+)\\.)+ How many [a-z]+ does [A-Z][a-z]+ have\\?"), question.prompt());
    }

    @Test
    void stepCountStaysInRange() {
        SyntheticArithmeticTask fourToFive = new SyntheticArithmeticTask(SyntheticArithmeticConfig.builder()
                .steps(4, 5).start(50, 99).build());
        Set<Integer> seen = new HashSet<>();
        for (Question question : fourToFive.generate(300, 3)) {
            int steps = (int) STEP_SENTENCE.matcher(question.prompt()).results().count();
            assertTrue(steps >= 4 && steps <= 5, question.prompt());
            seen.add(steps);
        }
        assertEquals(Set.of(4, 5), seen);
    }

    @Test
    void subtractionNeverGoesBelowZeroEvenWhenItCouldEasily() {
        SyntheticArithmeticConfig tight = SyntheticArithmeticConfig.builder()
                .steps(3, 3).start(0, 5).subtract(1, 9).add(1, 2).operations(Operation.ADD, Operation.SUBTRACT).build();
        for (Question question : new SyntheticArithmeticTask(tight).generate(300, 11)) {
            Matcher equation = EQUATION.matcher(question.goldChain());
            while (equation.find()) {
                assertTrue(Long.parseLong(equation.group(4)) >= 0, question.goldChain());
            }
        }
    }

    @Test
    void onlyEnabledOperationsAppear() {
        SyntheticArithmeticTask groupsOnly = new SyntheticArithmeticTask(SyntheticArithmeticConfig.builder()
                .operations(Operation.ADD_GROUPS).build());
        for (Question question : groupsOnly.generate(100, 5)) {
            assertTrue(question.goldChain().contains("*"), question.goldChain());
            assertTrue(!question.goldChain().contains("-"), question.goldChain());
            assertTrue(question.prompt().contains("bags of"), question.prompt());
        }
        SyntheticArithmeticTask subtractOnly = new SyntheticArithmeticTask(SyntheticArithmeticConfig.builder()
                .operations(List.of(Operation.SUBTRACT)).start(30, 99).build());
        for (Question question : subtractOnly.generate(100, 5)) {
            assertTrue(!question.goldChain().contains("+") && !question.goldChain().contains("*"), question.goldChain());
        }
    }

    @Test
    void everyEmittedCharacterIsInTheAlphabet() {
        String alphabet = task.alphabet();
        assertTrue(alphabet.matches("[A-Za-z0-9 .,?+\\-*=]+"), alphabet);
        Set<Character> used = new HashSet<>();
        for (Question question : task.generate(3000, 99)) {
            for (char c : (question.prompt() + question.goldChain()).toCharArray()) {
                assertTrue(alphabet.indexOf(c) >= 0, "'" + c + "' missing from alphabet " + alphabet);
                used.add(c);
            }
        }
        // The alphabet is not padded with characters that never occur.
        assertEquals(alphabet.length(), used.size(), "alphabet " + alphabet + " but used " + used);
        assertEquals(alphabet.chars().sorted().distinct().count(), alphabet.length());
    }

    @Test
    void defaultProblemsFitTheContextOfASmallCharacterModel() {
        // One separator character between prompt and completion.
        assertTrue(task.maxPromptLength() + 1 + task.maxCompletionLength() <= 200,
                task.maxPromptLength() + " + 1 + " + task.maxCompletionLength());
        int longest = 0;
        for (Question question : task.generate(5000, 2024)) {
            assertTrue(question.prompt().length() <= task.maxPromptLength(), question.prompt());
            assertTrue(question.goldChain().length() <= task.maxCompletionLength(), question.goldChain());
            longest = Math.max(longest, question.prompt().length() + 1 + question.goldChain().length());
        }
        assertTrue(longest <= 200, "longest was " + longest);
    }

    @Test
    void lengthBoundsHoldForOtherSettingsToo() {
        SyntheticArithmeticTask wide = new SyntheticArithmeticTask(SyntheticArithmeticConfig.builder()
                .steps(1, 6).start(100, 9999).add(10, 500).groupCount(2, 30).groupSize(10, 99)
                .names(List.of("Alexandra", "Bo")).objects(List.of("marbles", "x")).build());
        for (Question question : wide.generate(2000, 8)) {
            assertTrue(question.prompt().length() <= wide.maxPromptLength(), question.prompt());
            assertTrue(question.goldChain().length() <= wide.maxCompletionLength(), question.goldChain());
        }
    }

    @Test
    void splitsNeverShareAPromptAcrossManySeeds() {
        for (long seed = 0; seed < 200; seed++) {
            SyntheticArithmeticTask.Split split = task.splits(300, 100, seed);
            assertEquals(300, split.train().size());
            assertEquals(100, split.test().size());
            Set<String> trainPrompts = new HashSet<>();
            split.train().forEach(q -> trainPrompts.add(q.prompt()));
            assertEquals(300, trainPrompts.size(), "duplicate prompt within train, seed " + seed);
            Set<String> testPrompts = new HashSet<>();
            for (Question question : split.test()) {
                assertTrue(!trainPrompts.contains(question.prompt()), "seed " + seed + " leaks " + question.prompt());
                testPrompts.add(question.prompt());
            }
            assertEquals(100, testPrompts.size(), "duplicate prompt within test, seed " + seed);
        }
    }

    @Test
    void splitsStayDisjointWhenTheProblemSpaceIsSmall() {
        // 2 names x 1 object x 3 starts x 2 verbs x 2 amounts = 24 distinct one-step prompts.
        SyntheticArithmeticTask small = new SyntheticArithmeticTask(SyntheticArithmeticConfig.builder()
                .steps(1, 1).start(10, 12).add(1, 2).operations(Operation.ADD)
                .names(List.of("Ann", "Bob")).objects(List.of("pens")).build());
        SyntheticArithmeticTask.Split split = small.splits(16, 8, 1);
        Set<String> all = new HashSet<>();
        split.train().forEach(q -> all.add(q.prompt()));
        split.test().forEach(q -> all.add(q.prompt()));
        assertEquals(24, all.size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> small.splits(20, 5, 1));
        assertTrue(e.getMessage().contains("distinct"), e.getMessage());
    }

    @Test
    void testSetDoesNotDependOnTrainSize() {
        List<Question> testA = task.splits(100, 50, 9).test();
        List<Question> testB = task.splits(1000, 50, 9).test();
        assertEquals(testA, testB);
        assertEquals("arith-9-test-0", testA.get(0).id());
        assertEquals("arith-9-train-0", task.splits(1, 1, 9).train().get(0).id());
    }

    @Test
    void configRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().steps(3, 2).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().steps(0, 2).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().add(0, 3).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().operations(List.of()).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().names(List.of("Jo Ann")).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().objects(List.of("Pens")).build());
        assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder().objects(List.of()).build());
        IllegalArgumentException dry = assertThrows(IllegalArgumentException.class, () -> SyntheticArithmeticConfig.builder()
                .operations(Operation.SUBTRACT).start(10, 20).subtract(1, 9).steps(2, 3).build());
        assertTrue(dry.getMessage().contains("startMin"), dry.getMessage());
        assertThrows(IllegalArgumentException.class, () -> task.generate(-1, 0));
    }

    @Test
    void toBuilderRoundTripsAndDefaultsAreAsDocumented() {
        SyntheticArithmeticConfig defaults = SyntheticArithmeticConfig.defaults();
        assertEquals(defaults, defaults.toBuilder().build());
        assertEquals(2, defaults.minSteps());
        assertEquals(3, defaults.maxSteps());
        assertEquals(10, defaults.startMin());
        assertEquals(99, defaults.startMax());
        assertEquals(9, defaults.subtractMax());
        assertEquals(Set.of(Operation.values()), defaults.operations());
    }
}
