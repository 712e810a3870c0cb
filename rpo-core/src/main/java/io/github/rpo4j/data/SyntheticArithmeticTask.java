package io.github.rpo4j.data;

import io.github.rpo4j.data.SyntheticArithmeticConfig.Operation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeSet;

/**
 * GSM8K-like multi-step arithmetic word problems with gold chains of thought, generated from a seed.
 *
 * <p>Example (default settings):
 * <pre>
 * prompt:     Ann has 23 pens. Ann buys 4 bags of 6. Ann gives away 9. How many pens does Ann have?
 * gold chain: 4*6=24. 23+24=47. 47-9=38. The answer is 38.
 * gold answer: 38
 * </pre>
 *
 * <p>Each problem starts with an amount and applies {@code minSteps..maxSteps} operations
 * ({@link Operation}), chosen uniformly among the enabled ones. A subtraction amount is drawn only from
 * amounts not larger than the current total, so no intermediate value is ever negative; when not even
 * the smallest subtraction fits, that step uses another enabled operation. The name is repeated instead
 * of a pronoun: the default names have three letters, as long as "She", and no grammatical gender needs
 * to be known.
 *
 * <p>Text uses only ASCII letters, digits, space and {@code . ? + - * =}; {@link #alphabet()} lists every
 * character the generator can emit so that a character tokenizer can be built beforehand.
 *
 * <p>The same configuration and seed always give the same problems, in the same order, on any JVM: the
 * generator uses {@link Random}, whose algorithm is fixed by its specification.
 */
public final class SyntheticArithmeticTask {

    /** Train and test questions; no prompt appears in both. */
    public record Split(List<Question> train, List<Question> test) {
        /** Copies the lists, so that the value is immutable. */
        public Split {
            train = List.copyOf(train);
            test = List.copyOf(test);
        }
    }

    /** The generated text of one problem, before it gets an id. */
    private record Problem(String prompt, String goldChain, String goldAnswer) {
    }

    private static final String ADD_VERB_BUY = "buys";
    private static final String ADD_VERB_FIND = "finds";
    private static final String SUBTRACT_VERB_GIVE = "gives away";
    private static final String SUBTRACT_VERB_LOSE = "loses";
    /** Every fixed piece of text the templates below can emit, for {@link #alphabet()}. */
    private static final List<String> TEMPLATE_TEXT = List.of(
            " has ", ". ", " " + ADD_VERB_BUY + " ", " " + ADD_VERB_FIND + " ", " more.",
            " " + SUBTRACT_VERB_GIVE + " ", " " + SUBTRACT_VERB_LOSE + " ", " bags of ",
            "How many ", " does ", " have?", "+", "-", "*", "=", QuestionLoaders.ANSWER_STATEMENT_PREFIX, "0123456789");

    /** Enough attempts per requested problem that only a genuinely too-small problem space runs out. */
    private static final int ATTEMPTS_PER_PROBLEM = 100;

    private final SyntheticArithmeticConfig config;

    /** A task with the given settings. */
    public SyntheticArithmeticTask(SyntheticArithmeticConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** A task with {@link SyntheticArithmeticConfig#defaults()}. */
    public SyntheticArithmeticTask() {
        this(SyntheticArithmeticConfig.defaults());
    }

    /** The settings. */
    public SyntheticArithmeticConfig config() {
        return config;
    }

    /** The verifier for these problems: numeric exact match. */
    public Verifier verifier() {
        return Verifiers.numericExactMatch();
    }

    /** The process verifier for these problems' chains: every "a+b=c." step recomputed. */
    public StepChecker stepChecker() {
        return new ArithmeticStepChecker();
    }

    /**
     * {@code count} problems with pairwise distinct prompts, ids {@code arith-<seed>-<index>}.
     *
     * @throws IllegalStateException if the configuration allows too few distinct prompts
     */
    public List<Question> generate(int count, long seed) {
        requireNonNegative(count, "count");
        List<Problem> problems = distinctProblems(count, seed);
        List<Question> questions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            questions.add(toQuestion("arith-" + seed + "-" + i, problems.get(i)));
        }
        return questions;
    }

    /**
     * Disjoint train and test sets: all {@code trainCount + testCount} prompts are distinct. The test
     * problems are drawn first, so for a given seed and test size the test set does not change when the
     * train size does. Ids are {@code arith-<seed>-test-<index>} and {@code arith-<seed>-train-<index>}.
     *
     * @throws IllegalStateException if the configuration allows too few distinct prompts
     */
    public Split splits(int trainCount, int testCount, long seed) {
        requireNonNegative(trainCount, "trainCount");
        requireNonNegative(testCount, "testCount");
        List<Problem> problems = distinctProblems(Math.addExact(trainCount, testCount), seed);
        List<Question> test = new ArrayList<>(testCount);
        for (int i = 0; i < testCount; i++) {
            test.add(toQuestion("arith-" + seed + "-test-" + i, problems.get(i)));
        }
        List<Question> train = new ArrayList<>(trainCount);
        for (int i = 0; i < trainCount; i++) {
            train.add(toQuestion("arith-" + seed + "-train-" + i, problems.get(testCount + i)));
        }
        return new Split(train, test);
    }

    /**
     * Every character a prompt or gold chain of this configuration can contain, sorted and without
     * repetition.
     */
    public String alphabet() {
        TreeSet<Character> characters = new TreeSet<>();
        List<String> sources = new ArrayList<>(TEMPLATE_TEXT);
        sources.addAll(config.names());
        sources.addAll(config.objects());
        for (String source : sources) {
            for (char c : source.toCharArray()) {
                characters.add(c);
            }
        }
        StringBuilder alphabet = new StringBuilder(characters.size());
        characters.forEach(alphabet::append);
        return alphabet.toString();
    }

    /** An upper bound on the length of any prompt this configuration can produce. */
    public int maxPromptLength() {
        int name = longest(config.names());
        int object = longest(config.objects());
        int start = digits(config.startMax());
        int opening = name + " has ".length() + start + 1 + object + ".".length();
        int add = " ".length() + name + 1 + Math.max(ADD_VERB_BUY.length(), ADD_VERB_FIND.length()) + 1
                + digits(config.addMax()) + " more.".length();
        int subtract = " ".length() + name + 1 + Math.max(SUBTRACT_VERB_GIVE.length(), SUBTRACT_VERB_LOSE.length())
                + 1 + digits(config.subtractMax()) + ".".length();
        int groups = " ".length() + name + 1 + ADD_VERB_BUY.length() + 1 + digits(config.groupCountMax())
                + " bags of ".length() + digits(config.groupSizeMax()) + ".".length();
        int step = Math.max(add, Math.max(subtract, groups));
        int question = " How many ".length() + object + " does ".length() + name + " have?".length();
        return opening + config.maxSteps() * step + question;
    }

    /** An upper bound on the length of any gold chain this configuration can produce. */
    public int maxCompletionLength() {
        int total = digits(largestPossibleTotal());
        int add = total + 1 + digits(config.addMax()) + 1 + total + ".".length();
        int subtract = total + 1 + digits(config.subtractMax()) + 1 + total + ".".length();
        int product = digits((long) config.groupCountMax() * config.groupSizeMax());
        int groups = digits(config.groupCountMax()) + 1 + digits(config.groupSizeMax()) + 1 + product + ". ".length()
                + total + 1 + product + 1 + total + ".".length();
        int step = Math.max(add, Math.max(subtract, groups)) + " ".length();
        return config.maxSteps() * step + QuestionLoaders.ANSWER_STATEMENT_PREFIX.length() + total + ".".length();
    }

    private long largestPossibleTotal() {
        long perStep = 0;
        if (config.operations().contains(Operation.ADD)) {
            perStep = config.addMax();
        }
        if (config.operations().contains(Operation.ADD_GROUPS)) {
            perStep = Math.max(perStep, (long) config.groupCountMax() * config.groupSizeMax());
        }
        return config.startMax() + config.maxSteps() * perStep;
    }

    private List<Problem> distinctProblems(int count, long seed) {
        Random random = new Random(seed);
        Map<String, Problem> byPrompt = new LinkedHashMap<>();
        long attempts = 0;
        long maxAttempts = (long) ATTEMPTS_PER_PROBLEM * count + 1000;
        while (byPrompt.size() < count) {
            if (attempts++ >= maxAttempts) {
                throw new IllegalStateException("only " + byPrompt.size() + " distinct problems after " + maxAttempts
                        + " attempts, " + count + " requested; widen the ranges or add names, objects or operations");
            }
            Problem problem = generateOne(random);
            byPrompt.putIfAbsent(problem.prompt(), problem);
        }
        return new ArrayList<>(byPrompt.values());
    }

    private Problem generateOne(Random random) {
        String name = pick(random, config.names());
        String object = pick(random, config.objects());
        int steps = between(random, config.minSteps(), config.maxSteps());
        long total = between(random, config.startMin(), config.startMax());
        StringBuilder prompt = new StringBuilder()
                .append(name).append(" has ").append(total).append(' ').append(object).append('.');
        List<String> chain = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            List<Operation> feasible = new ArrayList<>();
            for (Operation operation : Operation.values()) {
                boolean enabled = config.operations().contains(operation);
                boolean fits = operation != Operation.SUBTRACT || total >= config.subtractMin();
                if (enabled && fits) {
                    feasible.add(operation);
                }
            }
            // The config forbids subtraction-only settings that could run dry, so something always fits.
            Operation operation = pick(random, feasible);
            prompt.append(' ').append(name).append(' ');
            switch (operation) {
                case ADD -> {
                    int amount = between(random, config.addMin(), config.addMax());
                    prompt.append(random.nextBoolean() ? ADD_VERB_BUY : ADD_VERB_FIND)
                            .append(' ').append(amount).append(" more.");
                    chain.add(total + "+" + amount + "=" + (total + amount) + ".");
                    total += amount;
                }
                case SUBTRACT -> {
                    // Drawing only from amounts that fit equals resampling until one fits, without the loop.
                    int amount = between(random, config.subtractMin(), (int) Math.min(config.subtractMax(), total));
                    prompt.append(random.nextBoolean() ? SUBTRACT_VERB_GIVE : SUBTRACT_VERB_LOSE)
                            .append(' ').append(amount).append('.');
                    chain.add(total + "-" + amount + "=" + (total - amount) + ".");
                    total -= amount;
                }
                case ADD_GROUPS -> {
                    int bags = between(random, config.groupCountMin(), config.groupCountMax());
                    int perBag = between(random, config.groupSizeMin(), config.groupSizeMax());
                    int added = bags * perBag;
                    prompt.append(ADD_VERB_BUY).append(' ').append(bags).append(" bags of ").append(perBag).append('.');
                    chain.add(bags + "*" + perBag + "=" + added + ".");
                    chain.add(total + "+" + added + "=" + (total + added) + ".");
                    total += added;
                }
                default -> throw new AssertionError(operation);
            }
        }
        prompt.append(" How many ").append(object).append(" does ").append(name).append(" have?");
        String answer = Long.toString(total);
        chain.add(QuestionLoaders.ANSWER_STATEMENT_PREFIX + answer + ".");
        return new Problem(prompt.toString(), String.join(" ", chain), answer);
    }

    private static Question toQuestion(String id, Problem problem) {
        return new Question(id, problem.prompt(), problem.goldAnswer(), problem.goldChain());
    }

    private static <T> T pick(Random random, List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    private static int between(Random random, int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    private static int longest(List<String> words) {
        return words.stream().mapToInt(String::length).max().orElse(0);
    }

    private static int digits(long value) {
        return Long.toString(value).length();
    }

    private static void requireNonNegative(int value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0, was " + value);
        }
    }
}
