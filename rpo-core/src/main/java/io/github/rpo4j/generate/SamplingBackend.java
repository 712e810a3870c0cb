package io.github.rpo4j.generate;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.util.List;

/**
 * Where the loop's sampling and evaluation draw their samples: {@link #local()} in this JVM (the default), or on a
 * cluster (rpo-spark's {@code SparkSampling}). Every backend must give each request exactly the samples that
 * {@code new Sampler(model, tokenizer).generate(prompts, samplesPerPrompt, settings)} gives it in this JVM, so that a
 * run's results do not depend on where it sampled.
 */
public interface SamplingBackend {

    /** Receives each request's samples: one list per prompt, in prompt order, each with its samples in order. */
    @FunctionalInterface
    interface ResultConsumer {
        void accept(int requestIndex, List<List<Sample>> samples) throws IOException;
    }

    /**
     * Draws the samples of every request from {@code model} and hands each request's result to {@code consumer},
     * in request order, as results become available (the loop writes and flushes each chunk as it comes, so a
     * stopped run keeps what was done).
     */
    void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests, ResultConsumer consumer)
            throws IOException;

    /** A short name for logs and run descriptions, e.g. "local" or "spark local[2]". */
    String describe();

    /** One {@link Sampler} in this JVM, requests one after another. */
    static SamplingBackend local() {
        return LocalSampling.INSTANCE;
    }
}
