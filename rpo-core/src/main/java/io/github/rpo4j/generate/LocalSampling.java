package io.github.rpo4j.generate;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link SamplingBackend#local(int)}: one {@link Sampler} in this JVM, its requests drawn on {@code threads} worker
 * threads at once (one native thread each) or, with one thread, one after another on the calling thread.
 *
 * <p>A request's samples depend on the model, the tokenizer and the request alone (its prompts, count and seed), so
 * the workers give exactly the samples of the one-thread path whatever their number and timing. Workers take the
 * requests in list order, at most {@link #AHEAD_PER_THREAD} per thread beyond the oldest one not yet handed on (the
 * results waiting in memory stay few); the consumer runs on the calling thread, in request order. A failed request
 * stops the workers from taking new ones; the requests before it are handed on, as in the one-thread path, and then
 * its failure is thrown as a {@link SamplingRequestException}. Every worker has ended when {@code generate} returns
 * or throws.
 */
final class LocalSampling implements SamplingBackend {

    static final LocalSampling ONE_THREAD = new LocalSampling(1);

    /** Requests a worker may run beyond the oldest one not yet handed to the consumer, per thread. */
    static final int AHEAD_PER_THREAD = 4;

    /** The prefix of the worker threads' names. */
    static final String THREAD_NAME = "rpo4j-sampling-";

    private final int threads;

    private LocalSampling(int threads) {
        this.threads = threads;
    }

    static LocalSampling withThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("sampling threads must be >= 1, got " + threads);
        }
        return threads == 1 ? ONE_THREAD : new LocalSampling(threads);
    }

    int threads() {
        return threads;
    }

    @Override
    public void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests,
                         ResultConsumer consumer) throws IOException {
        Sampler sampler = new Sampler(model, tokenizer);
        int workers = Math.min(threads, requests.size());
        if (workers <= 1) {
            for (int i = 0; i < requests.size(); i++) {
                consumer.accept(i, draw(sampler, requests, i));
            }
        } else {
            generateOnWorkers(sampler, requests, consumer, workers);
        }
    }

    /** Request i's samples; a failure comes out naming the request. */
    private static List<List<Sample>> draw(Sampler sampler, List<SamplingRequest> requests, int i) {
        SamplingRequest r = requests.get(i);
        try {
            return sampler.generate(r.prompts(), r.samplesPerPrompt(), r.settings());
        } catch (RuntimeException e) {
            throw new SamplingRequestException(i, requests.size(), r, e);
        }
    }

    private static void generateOnWorkers(Sampler sampler, List<SamplingRequest> requests, ResultConsumer consumer,
                                          int workers) throws IOException {
        int n = requests.size();
        List<CompletableFuture<List<List<Sample>>>> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            results.add(new CompletableFuture<>());
        }
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Semaphore ahead = new Semaphore(AHEAD_PER_THREAD * workers);
        Runnable work = () -> {
            NativeThreads.applyToCurrentThread(); // OpenMP's count is per thread: one native thread per worker
            while (!stop.get()) {
                ahead.acquireUninterruptibly();
                int i = next.getAndIncrement();
                if (stop.get() || i >= n) {
                    return;
                }
                try {
                    results.get(i).complete(draw(sampler, requests, i));
                } catch (Throwable e) {
                    stop.set(true); // requests after i are not started; those before it were, and finish
                    results.get(i).completeExceptionally(e);
                }
            }
        };
        List<Thread> started = new ArrayList<>();
        try {
            for (int w = 0; w < workers; w++) {
                Thread t = new Thread(work, THREAD_NAME + w);
                t.setDaemon(true);
                t.start();
                started.add(t);
            }
            for (int i = 0; i < n; i++) {
                List<List<Sample>> drawn;
                try {
                    drawn = results.get(i).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for sampling request " + i);
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
                results.set(i, null); // handed on: not kept
                consumer.accept(i, drawn);
                ahead.release();
            }
        } finally {
            stop.set(true);
            ahead.release(n + workers); // wakes every worker waiting for a permit, to see the stop
            joinAll(started);
        }
    }

    private static RuntimeException rethrow(Throwable failure) {
        if (failure instanceof RuntimeException r) {
            return r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(failure);
    }

    /** Waits for every worker, including one finishing a request, before the caller may change the model. */
    private static void joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String describe() {
        return threads == 1 ? "local" : "local, " + threads + " threads";
    }
}
