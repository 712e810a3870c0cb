package io.github.rpo4j.benchmarks;

import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.train.SequenceBatch;
import io.github.rpo4j.train.TrainingThreads;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A soak of sampling and training in one JVM, for native crashes and silent corruption: several threads run
 * {@link Sampler#generate} at once (as the task threads of one Spark executor do), optionally with training
 * threads beside them, for a given time. Not a unit test: it runs for minutes to an hour.
 *
 * <p>Every sampling thread cycles through {@value #SEEDS} fixed requests (8 prompts x 4 samples x 64 new tokens
 * at temperature 0.8, SamplingThroughput's chunk on its M-shaped model) and compares each result, token ids and
 * log-probabilities bit for bit, with the first result of the same request in the same thread: a buffer freed
 * or overwritten under a running native call shows up as a crash or as a mismatch. Threads sample on one shared
 * model, on a model of their own each, or half and half; every model has the same weights (seed 1).
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.rpo4j.benchmarks.NativeSoak} with system properties
 * {@code -Dsoak.seconds=600} (run time), {@code -Dsoak.samplers=2} (sampling threads), {@code -Dsoak.models=separate}
 * ({@code shared}, {@code separate} or {@code mixed}), {@code -Dsoak.trainers=0} (threads training an S-shaped
 * model with AdamW, each its own, in {@code -Dsoak.trainShards=2} gradient shards on as many threads of its own), and {@code -Dsoak.gcMillis=0} (a thread that calls {@code System.gc()} every
 * so many milliseconds, 0 for none: collections while other threads are inside native calls make any premature
 * free of a native buffer far likelier). Prints a progress line a minute and one JSON line at the end; exits
 * with status 1 on a mismatch or an exception.
 */
public final class NativeSoak {

    static final int SEEDS = 4;

    private NativeSoak() {
    }

    public static void main(String[] args) throws InterruptedException {
        NativeThreads.applyDefaults();
        long seconds = Long.getLong("soak.seconds", 600);
        int samplers = Integer.getInteger("soak.samplers", 2);
        String models = System.getProperty("soak.models", "separate");
        int trainers = Integer.getInteger("soak.trainers", 0);
        long gcMillis = Long.getLong("soak.gcMillis", 0);
        if (!List.of("shared", "separate", "mixed").contains(models)) {
            throw new IllegalArgumentException("soak.models must be shared, separate or mixed, got " + models);
        }

        ModelConfig config = ModelConfig.gpt2(64, 256, 6, 256, 8);
        TransformerLM shared = TransformerLM.initialize(config, 1, DataType.FLOAT);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong sampled = new AtomicLong();
        AtomicLong trained = new AtomicLong();
        AtomicLong mismatches = new AtomicLong();
        AtomicLong gcs = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < samplers; s++) {
            boolean own = models.equals("separate") || (models.equals("mixed") && s % 2 == 1);
            TransformerLM model = own ? TransformerLM.initialize(config, 1, DataType.FLOAT) : shared;
            threads.add(new Thread(() -> sampleUntil(model, deadline, sampled, mismatches, failure), "sampler-" + s));
        }
        for (int t = 0; t < trainers; t++) {
            int seed = t;
            threads.add(new Thread(() -> trainUntil(seed, deadline, trained, failure), "trainer-" + t));
        }
        if (gcMillis > 0) {
            Thread gc = new Thread(() -> {
                while (System.nanoTime() < deadline && failure.get() == null) {
                    System.gc();
                    gcs.incrementAndGet();
                    sleep(gcMillis);
                }
            }, "gc");
            gc.setDaemon(true);
            threads.add(gc);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long until = System.nanoTime() + 60_000_000_000L;
            for (Thread t : threads) {
                t.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
            }
            System.out.printf("%.0f s: %d generate calls, %d training steps, %d mismatches, %d System.gc()%n",
                    (System.nanoTime() - start) / 1e9, sampled.get(), trained.get(), mismatches.get(), gcs.get());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seconds", Math.round((System.nanoTime() - start) / 1e9));
        out.put("samplers", samplers);
        out.put("models", models);
        out.put("trainers", trainers);
        out.put("gc_millis", gcMillis);
        out.put("generate_calls", sampled.get());
        out.put("training_steps", trained.get());
        out.put("mismatches", mismatches.get());
        out.put("explicit_gcs", gcs.get());
        out.put("failure", failure.get() == null ? "none" : failure.get().toString());
        out.putAll(ThreadSettings.describe());
        System.out.println(Json.line(out));
        if (failure.get() != null || mismatches.get() > 0) {
            System.exit(1);
        }
    }

    /** Cycles through the fixed requests, comparing each result with this thread's first one for it. */
    private static void sampleUntil(TransformerLM model, long deadline, AtomicLong calls, AtomicLong mismatches,
                                    AtomicReference<Throwable> failure) {
        try {
            Sampler sampler = new Sampler(model, ids -> "", -1);
            List<List<int[]>> prompts = new ArrayList<>();
            Random random = new Random(7);
            for (int r = 0; r < SEEDS; r++) {
                List<int[]> chunk = new ArrayList<>();
                for (int q = 0; q < 8; q++) {
                    int[] prompt = new int[24];
                    for (int i = 0; i < prompt.length; i++) {
                        prompt[i] = random.nextInt(64);
                    }
                    chunk.add(prompt);
                }
                prompts.add(chunk);
            }
            List<List<List<Sample>>> first = new ArrayList<>();
            for (long call = 0; System.nanoTime() < deadline && failure.get() == null; call++) {
                int r = (int) (call % SEEDS);
                List<List<Sample>> result = sampler.generate(prompts.get(r), 4, SamplingSettings.sampling(0.8, 64, 100 + r));
                if (first.size() <= r) {
                    first.add(result);
                } else if (!same(first.get(r), result)) {
                    mismatches.incrementAndGet();
                    System.out.println(Thread.currentThread().getName() + ": call " + call + " differs from the first result of request " + r);
                }
                calls.incrementAndGet();
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            t.printStackTrace();
        }
    }

    /**
     * AdamW steps of an S-shaped model (Throughput's S) on fixed random tokens, as the trainers take them: the
     * batch in {@code soak.trainShards} gradient shards (default 2) on as many threads of its own.
     */
    private static void trainUntil(int seed, long deadline, AtomicLong steps, AtomicReference<Throwable> failure) {
        int shards = Integer.getInteger("soak.trainShards", 2);
        try (TrainingThreads threads = TrainingThreads.start(shards)) {
            Throughput.Size size = Throughput.Size.S;
            TransformerLM model = TransformerLM.initialize(size.config(), seed, DataType.FLOAT);
            AdamW opt = new AdamW(model.parameters(), AdamW.Settings.defaults());
            Random random = new Random(seed);
            List<SequenceBatch.Sequence> sequences = new ArrayList<>();
            for (int b = 0; b < size.batch; b++) {
                sequences.add(new SequenceBatch.Sequence(random.ints(1, 0, size.vocab).toArray(),
                        random.ints(size.context, 0, size.vocab).toArray()));
            }
            while (System.nanoTime() < deadline && failure.get() == null) {
                Throughput.trainStep(model, opt, sequences, size, shards, threads);
                steps.incrementAndGet();
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            t.printStackTrace();
        }
    }

    /** Whether two results hold the same samples: token ids and log-probabilities bit for bit, and finish reasons. */
    static boolean same(List<List<Sample>> a, List<List<Sample>> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int p = 0; p < a.size(); p++) {
            if (a.get(p).size() != b.get(p).size()) {
                return false;
            }
            for (int s = 0; s < a.get(p).size(); s++) {
                Sample x = a.get(p).get(s);
                Sample y = b.get(p).get(s);
                if (!Arrays.equals(x.tokenIds(), y.tokenIds()) || !Arrays.equals(x.logProbs(), y.logProbs())
                        || x.finish() != y.finish()) {
                    return false;
                }
            }
        }
        return true;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
