package io.github.rpo4j.spark;

import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop's sampling and evaluation on Apache Spark: a {@link SamplingBackend} whose requests (chunks of questions,
 * each with its own seed) run as Spark tasks.
 *
 * <p>Per call, the driver saves the model as a model directory and broadcasts its bytes once; each executor writes
 * them to a local directory once, and each task loads its own model from there and samples its requests with one
 * native thread. Requests go out in waves of {@link #tasksPerWave(int)} tasks of {@link #requestsPerTask(int)}
 * requests; a wave's results come back to the driver, which hands them on in request order (the loop writes and
 * flushes each chunk), so a driver stopped mid-stage keeps every wave it received. Verification, pair building,
 * training and every file of the run directory stay on the driver.
 *
 * <p>A request's samples depend only on the model, the prompts and the settings with their seed, so the samples are
 * those of {@link SamplingBackend#local()} whatever the partitioning, the number of executors or the retries of failed
 * tasks.
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().appName("rpo4j").getOrCreate();
 * IterativeRpo.builder().sampler(SparkSampling.on(spark)) ... .build().run();
 * }</pre>
 */
public final class SparkSampling implements SamplingBackend {

    private static final Logger LOG = LoggerFactory.getLogger(SparkSampling.class);

    /** Called at the start of every task attempt, before it draws; for injecting faults in tests. */
    @FunctionalInterface
    interface TaskStartHook extends Serializable {
        void beforeDraw(int stageId, int partitionId, int attemptNumber);
    }

    private final JavaSparkContext spark;
    private final int tasksPerWave;
    private final int requestsPerTask;
    private final TaskStartHook hook;

    private SparkSampling(JavaSparkContext spark, int tasksPerWave, int requestsPerTask, TaskStartHook hook) {
        this.spark = Objects.requireNonNull(spark, "spark");
        if (tasksPerWave < 1) {
            throw new IllegalArgumentException("tasksPerWave must be >= 1, got " + tasksPerWave);
        }
        if (requestsPerTask < 1) {
            throw new IllegalArgumentException("requestsPerTask must be >= 1, got " + requestsPerTask);
        }
        this.tasksPerWave = tasksPerWave;
        this.requestsPerTask = requestsPerTask;
        this.hook = hook;
    }

    /**
     * Sampling on the cluster of {@code spark}: by default a wave has as many tasks as the context's default
     * parallelism (the executors' cores in total), and a task takes one request.
     */
    public static SparkSampling on(JavaSparkContext spark) {
        return new SparkSampling(spark, Math.max(1, spark.defaultParallelism()), 1, null);
    }

    /** Sampling on the cluster of {@code session}'s Spark context, as {@link #on(JavaSparkContext)}. */
    public static SparkSampling on(SparkSession session) {
        Objects.requireNonNull(session, "session");
        return on(JavaSparkContext.fromSparkContext(session.sparkContext()));
    }

    /** Tasks sent out together; their results come back, and are written, together. */
    public SparkSampling tasksPerWave(int tasks) {
        return new SparkSampling(spark, tasks, requestsPerTask, hook);
    }

    /**
     * Requests (chunks of questions) a task runs one after another with one loaded model. More than one saves model
     * loads when the model is large against a chunk's sampling time.
     */
    public SparkSampling requestsPerTask(int requests) {
        return new SparkSampling(spark, tasksPerWave, requests, hook);
    }

    SparkSampling withTaskStartHook(TaskStartHook h) {
        return new SparkSampling(spark, tasksPerWave, requestsPerTask, h);
    }

    @Override
    public void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests,
                         ResultConsumer consumer) throws IOException {
        if (requests.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        ModelBytes bytes = ModelBytes.of(model, tokenizer);
        Broadcast<ModelBytes> shared = spark.broadcast(bytes);
        try {
            int perWave = tasksPerWave * requestsPerTask;
            int waves = (requests.size() + perWave - 1) / perWave;
            for (int wave = 0; wave < waves; wave++) {
                int from = wave * perWave;
                int to = Math.min(requests.size(), from + perWave);
                List<RequestRow> rows = new ArrayList<>(to - from);
                for (int i = from; i < to; i++) {
                    rows.add(RequestRow.of(i, requests.get(i)));
                }
                int tasks = (rows.size() + requestsPerTask - 1) / requestsPerTask;
                spark.setJobDescription("rpo4j sampling: requests " + from + "-" + (to - 1) + " of " + requests.size());
                List<RequestResult> results = new ArrayList<>(spark.parallelize(rows, tasks)
                        .mapPartitions(new DrawPartition(shared, hook)).collect());
                results.sort(Comparator.comparingInt(RequestResult::index));
                if (results.size() != rows.size()) {
                    throw new IllegalStateException("a sampling wave returned " + results.size() + " results for "
                            + rows.size() + " requests");
                }
                for (RequestResult r : results) {
                    consumer.accept(r.index(), r.toSamples());
                }
            }
            LOG.info("{} sampling requests on {} in {} s ({} MB model broadcast)", requests.size(), describe(),
                    String.format("%.1f", (System.nanoTime() - start) / 1e9), bytes.size() >> 20);
        } finally {
            spark.setJobDescription(null);
            shared.destroy();
        }
    }

    @Override
    public String describe() {
        return "spark " + spark.master();
    }
}
