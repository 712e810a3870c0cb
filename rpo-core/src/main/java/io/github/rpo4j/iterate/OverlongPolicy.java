package io.github.rpo4j.iterate;

/** What a run does with a question whose prompt does not leave room for one new token in the model's context. */
public enum OverlongPolicy {
    /** Drop the question, log how many were dropped, and report the count in the metrics. */
    SKIP,
    /** Refuse to start, naming the first such question. */
    ERROR
}
