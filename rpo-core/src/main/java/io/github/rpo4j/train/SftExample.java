package io.github.rpo4j.train;

/**
 * A supervised example: the completion is scored given the prompt, with a weight (1 for plain SFT,
 * e.g. exp(r / tau) for reward-weighted fine-tuning).
 */
public record SftExample(String prompt, String completion, double weight) {

    public SftExample {
        if (!(weight >= 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("example weight must be finite and >= 0, got " + weight);
        }
    }

    public SftExample(String prompt, String completion) {
        this(prompt, completion, 1.0);
    }
}
