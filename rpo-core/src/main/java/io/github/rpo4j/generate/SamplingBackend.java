package io.github.rpo4j.generate;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.util.List;

/**
 * Where the loop's sampling and evaluation draw their samples: {@link #local(int)} in this JVM (the default, on every
 * core), or on a cluster (rpo-spark's {@code SparkSampling}). Every backend must give each request exactly the samples that
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
     * on the calling thread, in request order, as results become available (the loop writes and flushes each chunk as it comes, so a
     * stopped run keeps what was done).
     */
    void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests, ResultConsumer consumer)
            throws IOException;

    /** A short name for logs and run descriptions, e.g. "local" or "spark local[2]". */
    String describe();

    /** One {@link Sampler} in this JVM, requests one after another on the calling thread. */
    static SamplingBackend local() {
        return LocalSampling.ONE_THREAD;
    }

    /**
     * One {@link Sampler} in this JVM, up to {@code threads} requests at once, each worker with one native thread;
     * the results are exactly those of {@link #local()}, handed to the consumer on the calling thread in request
     * order. {@code local(1)} is {@link #local()}.
     *
     * @throws IllegalArgumentException if {@code threads} is below 1
     */
    static SamplingBackend local(int threads) {
        return LocalSampling.withThreads(threads);
    }

    /** Whether {@code backend} samples in this JVM ({@link #local()} or {@link #local(int)}). */
    static boolean isLocal(SamplingBackend backend) {
        return backend instanceof LocalSampling;
    }

    /** The default number of local sampling threads: the cores this JVM may use. */
    static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }
}
