package io.github.rpo4j.optim;

/**
 * Linear warm-up from 0 to the peak over {@code warmupSteps}, then cosine decay to
 * {@code peak * minRatio} at {@code totalSteps}; constant at the floor afterwards.
 */
public record LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double minRatio) {

    public LearningRateSchedule {
        if (peak <= 0 || !Double.isFinite(peak)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1 || minRatio < 0 || minRatio > 1) {
            throw new IllegalArgumentException("invalid schedule: warmup " + warmupSteps + ", total " + totalSteps
                    + ", min ratio " + minRatio);
        }
    }

    /** A constant learning rate. */
    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule(lr, 0, 1, 1.0);
    }

    /** The learning rate for step {@code step} (0-based). */
    public double at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return peak * (minRatio + (1 - minRatio) * cosine);
    }
}
