package io.github.rpo4j.data;

import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recomputes every arithmetic step "a+b=c", "a-b=c" or "a*b=c" (non-negative integers, as the synthetic task's
 * chains write them) in a completion. It checks the arithmetic of each step, not whether the step uses the right
 * numbers from the question: "23+4=27." is sound even if the question asked for 23+5.
 */
public final class ArithmeticStepChecker implements StepChecker {

    /** One step: operand, operator, operand, "=", result. Digits only, so "-5" is never read as an operand. */
    private static final Pattern STEP = Pattern.compile("(\\d+)\\s*([+*-])\\s*(\\d+)\\s*=\\s*(\\d+)");

    @Override
    public boolean allStepsCorrect(Question question, String completion) {
        return allStepsCorrect(completion);
    }

    /** Whether {@code completion} has at least one step and every step's result is right. */
    public static boolean allStepsCorrect(String completion) {
        Matcher m = STEP.matcher(completion);
        int steps = 0;
        while (m.find()) {
            steps++;
            BigInteger a = new BigInteger(m.group(1));
            BigInteger b = new BigInteger(m.group(3));
            BigInteger stated = new BigInteger(m.group(4));
            BigInteger actual = switch (m.group(2)) {
                case "+" -> a.add(b);
                case "-" -> a.subtract(b);
                default -> a.multiply(b);
            };
            if (!actual.equals(stated)) {
                return false;
            }
        }
        return steps > 0;
    }
}
