package io.github.rpo4j.data;

import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Knobs of {@link SyntheticArithmeticTask}. All ranges are inclusive. Build with {@link #builder()};
 * {@link #defaults()} gives the settings below, under which a prompt plus its gold completion never
 * exceeds 200 characters.
 *
 * @param minSteps       fewest operations after the starting amount (default 2)
 * @param maxSteps       most operations (default 3)
 * @param startMin       smallest starting amount (default 10)
 * @param startMax       largest starting amount (default 99)
 * @param addMin         smallest amount bought or found, operation {@link Operation#ADD} (default 1)
 * @param addMax         largest amount bought or found (default 9)
 * @param subtractMin    smallest amount given away or lost, operation {@link Operation#SUBTRACT} (default 1)
 * @param subtractMax    largest amount given away or lost (default 9)
 * @param groupCountMin  fewest bags bought, operation {@link Operation#ADD_GROUPS} (default 2)
 * @param groupCountMax  most bags bought (default 5)
 * @param groupSizeMin   fewest items per bag (default 2)
 * @param groupSizeMax   most items per bag (default 12)
 * @param operations     the operations that may appear; non-empty (default all three)
 * @param names          the people problems are about: ASCII letters only, non-empty list
 * @param objects        what they count, in the plural: lower-case ASCII letters only, non-empty list
 */
public record SyntheticArithmeticConfig(
        int minSteps, int maxSteps,
        int startMin, int startMax,
        int addMin, int addMax,
        int subtractMin, int subtractMax,
        int groupCountMin, int groupCountMax,
        int groupSizeMin, int groupSizeMax,
        Set<Operation> operations,
        List<String> names,
        List<String> objects) {

    /** The operations a step can perform. */
    public enum Operation {
        /** "Ann buys 4 more." or "Ann finds 4 more." : adds an amount. */
        ADD,
        /** "Ann gives away 9." or "Ann loses 9." : subtracts an amount, never going below zero. */
        SUBTRACT,
        /** "Ann buys 4 bags of 6." : adds a product, written in the chain as "4*6=24. 37+24=61.". */
        ADD_GROUPS
    }

    /** Default people; three letters each so that repeating the name costs no more than a pronoun. */
    public static final List<String> DEFAULT_NAMES = List.of(
            "Ann", "Bob", "Eve", "Tom", "Sam", "Max", "Lea", "Kim", "Joe", "Amy", "Ben", "Zoe", "Ian", "Mia", "Leo", "Ada");

    /** Default objects; at most five letters each to keep prompts short. */
    public static final List<String> DEFAULT_OBJECTS = List.of(
            "pens", "cards", "coins", "books", "eggs", "cups", "keys", "hats", "toys", "rocks", "beads", "nuts",
            "dolls", "kites", "shoes", "plums");

    private static final Pattern NAME = Pattern.compile("[A-Za-z]+");
    private static final Pattern OBJECT = Pattern.compile("[a-z]+");

    /** Validates the components; see the record description for the rules. */
    public SyntheticArithmeticConfig {
        requireRange("steps", minSteps, maxSteps, 1);
        requireRange("start", startMin, startMax, 0);
        requireRange("add", addMin, addMax, 1);
        requireRange("subtract", subtractMin, subtractMax, 1);
        requireRange("groupCount", groupCountMin, groupCountMax, 1);
        requireRange("groupSize", groupSizeMin, groupSizeMax, 1);
        Objects.requireNonNull(operations, "operations");
        if (operations.isEmpty()) {
            throw new IllegalArgumentException("at least one operation must be enabled");
        }
        // An EnumSet view keeps enum order on iteration, which generation relies on for reproducibility.
        operations = Collections.unmodifiableSet(EnumSet.copyOf(operations));
        names = checkWords("names", names, NAME);
        objects = checkWords("objects", objects, OBJECT);
        if (operations.equals(Set.of(Operation.SUBTRACT)) && (long) startMin < (long) maxSteps * subtractMax) {
            // With subtraction alone a problem could run out of amount to take away; the start must cover
            // maxSteps of the largest subtractions so that every step still has something to subtract.
            throw new IllegalArgumentException("with SUBTRACT as the only operation, startMin (" + startMin
                    + ") must be at least maxSteps * subtractMax (" + (long) maxSteps * subtractMax + ")");
        }
        long largest = (long) startMax + (long) maxSteps * Math.max(addMax, (long) groupCountMax * groupSizeMax);
        if (largest > 1_000_000_000L) {
            throw new IllegalArgumentException("ranges allow amounts up to " + largest + "; keep them below 10^9");
        }
    }

    /** The default settings. */
    public static SyntheticArithmeticConfig defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.minSteps = minSteps;
        builder.maxSteps = maxSteps;
        builder.startMin = startMin;
        builder.startMax = startMax;
        builder.addMin = addMin;
        builder.addMax = addMax;
        builder.subtractMin = subtractMin;
        builder.subtractMax = subtractMax;
        builder.groupCountMin = groupCountMin;
        builder.groupCountMax = groupCountMax;
        builder.groupSizeMin = groupSizeMin;
        builder.groupSizeMax = groupSizeMax;
        builder.operations = EnumSet.copyOf(operations);
        builder.names = names;
        builder.objects = objects;
        return builder;
    }

    private static void requireRange(String what, int min, int max, int lowest) {
        if (min < lowest) {
            throw new IllegalArgumentException(what + " minimum must be >= " + lowest + ", was " + min);
        }
        if (max < min) {
            throw new IllegalArgumentException(what + " range is empty: " + min + ".." + max);
        }
    }

    private static List<String> checkWords(String what, List<String> words, Pattern allowed) {
        Objects.requireNonNull(words, what);
        if (words.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        for (String word : words) {
            if (word == null || !allowed.matcher(word).matches()) {
                throw new IllegalArgumentException(what + " may only contain words matching " + allowed
                        + ", found '" + word + "'");
            }
        }
        return List.copyOf(words);
    }

    /** Mutable builder for {@link SyntheticArithmeticConfig}; every setter returns the builder. */
    public static final class Builder {
        private int minSteps = 2;
        private int maxSteps = 3;
        private int startMin = 10;
        private int startMax = 99;
        private int addMin = 1;
        private int addMax = 9;
        private int subtractMin = 1;
        private int subtractMax = 9;
        private int groupCountMin = 2;
        private int groupCountMax = 5;
        private int groupSizeMin = 2;
        private int groupSizeMax = 12;
        private Set<Operation> operations = EnumSet.allOf(Operation.class);
        private List<String> names = DEFAULT_NAMES;
        private List<String> objects = DEFAULT_OBJECTS;

        private Builder() {
        }

        /** Number of operations per problem, inclusive range. */
        public Builder steps(int min, int max) {
            minSteps = min;
            maxSteps = max;
            return this;
        }

        /** Starting amount, inclusive range. */
        public Builder start(int min, int max) {
            startMin = min;
            startMax = max;
            return this;
        }

        /** Amount bought or found, inclusive range. */
        public Builder add(int min, int max) {
            addMin = min;
            addMax = max;
            return this;
        }

        /** Amount given away or lost, inclusive range. */
        public Builder subtract(int min, int max) {
            subtractMin = min;
            subtractMax = max;
            return this;
        }

        /** Number of bags bought, inclusive range. */
        public Builder groupCount(int min, int max) {
            groupCountMin = min;
            groupCountMax = max;
            return this;
        }

        /** Items per bag, inclusive range. */
        public Builder groupSize(int min, int max) {
            groupSizeMin = min;
            groupSizeMax = max;
            return this;
        }

        /** The enabled operations. */
        public Builder operations(Collection<Operation> enabled) {
            Objects.requireNonNull(enabled, "operations");
            operations = enabled.isEmpty() ? EnumSet.noneOf(Operation.class) : EnumSet.copyOf(enabled);
            return this;
        }

        /** The enabled operations. */
        public Builder operations(Operation first, Operation... rest) {
            operations = EnumSet.of(first, rest);
            return this;
        }

        /** The people problems are about. */
        public Builder names(List<String> value) {
            names = value;
            return this;
        }

        /** The objects counted, in the plural. */
        public Builder objects(List<String> value) {
            objects = value;
            return this;
        }

        /** Validates and builds. */
        public SyntheticArithmeticConfig build() {
            return new SyntheticArithmeticConfig(minSteps, maxSteps, startMin, startMax, addMin, addMax,
                    subtractMin, subtractMax, groupCountMin, groupCountMax, groupSizeMin, groupSizeMax,
                    operations, names, objects);
        }
    }
}
