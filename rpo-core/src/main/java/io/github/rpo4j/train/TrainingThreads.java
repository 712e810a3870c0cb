package io.github.rpo4j.train;

import io.github.rpo4j.tensor.NativeThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Worker threads for a training stage's independent parts (a micro-batch's shards, the reference model's chunks
 * of sequences), each worker with one native thread. With one thread, or one part, the parts run on the calling
 * thread, one after another. Results come back in part order whatever the threads' timing, so what a part computes
 * may depend on the part alone, never on the thread that ran it. Closing stops the workers.
 */
public final class TrainingThreads implements AutoCloseable {

    /** The prefix of the worker threads' names. */
    static final String THREAD_NAME = "rpo4j-training-";

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private ExecutorService workers; // started at the first map over more than one part

    private TrainingThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("training threads must be >= 1, got " + threads);
        }
        this.threads = threads;
    }

    /** Up to {@code threads} threads at a time (1: the calling thread alone). */
    public static TrainingThreads start(int threads) {
        return new TrainingThreads(threads);
    }

    /** The cores this JVM may use, the default thread count. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /**
     * {@code part.apply(i)} for i = 0 .. parts - 1, in that order in the returned list. When a part throws, the
     * failure of the lowest-numbered failing part is rethrown (unchecked exceptions and errors as they are), after
     * every started part has ended.
     */
    public <R> List<R> map(int parts, IntFunction<R> part) {
        List<R> out = new ArrayList<>(parts);
        if (threads == 1 || parts <= 1) {
            for (int i = 0; i < parts; i++) {
                out.add(part.apply(i));
            }
            return out;
        }
        if (workers == null) {
            int pool = POOLS.incrementAndGet();
            AtomicInteger index = new AtomicInteger();
            workers = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(() -> {
                    NativeThreads.applyToCurrentThread(); // OpenMP's count is per thread: one native thread each
                    r.run();
                }, THREAD_NAME + pool + "-" + index.getAndIncrement());
                t.setDaemon(true);
                return t;
            });
        }
        List<Future<R>> futures = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            int p = i;
            futures.add(workers.submit(() -> part.apply(p)));
        }
        Throwable failure = null;
        boolean interrupted = false;
        for (Future<R> f : futures) {
            while (true) {
                try {
                    R r = f.get();
                    if (failure == null) {
                        out.add(r);
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // every part still ends before this returns: they hold the model's tapes
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause();
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
        return out;
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
            workers = null;
        }
    }
}
