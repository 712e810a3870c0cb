package io.github.rpo4j.spark;

import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.tensor.NativeThreads;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;

/**
 * A task: loads its own model from the broadcast, builds one {@link Sampler} and runs its partition's requests with
 * it. Native code uses one thread ({@code NativeThreads}' default, applied to the task's thread), so an executor with
 * c cores runs c such tasks side by side. A task returns its results only when all its requests are done: a failed
 * attempt returns nothing, and Spark's retry draws the same samples, as each request carries its own seed.
 */
final class DrawPartition implements FlatMapFunction<Iterator<RequestRow>, RequestResult> {

    private static final long serialVersionUID = 1L;

    private final Broadcast<ModelBytes> model;
    private final SparkSampling.TaskStartHook hook;

    DrawPartition(Broadcast<ModelBytes> model, SparkSampling.TaskStartHook hook) {
        this.model = model;
        this.hook = hook;
    }

    @Override
    public Iterator<RequestResult> call(Iterator<RequestRow> rows) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        TaskContext task = TaskContext.get();
        if (hook != null && task != null) {
            hook.beforeDraw(task.stageId(), task.partitionId(), task.attemptNumber());
        }
        // OpenMP keeps its thread count per thread, and Spark's task threads start with OpenMP's process default.
        NativeThreads.applyToCurrentThread();
        ModelDirectory.Loaded loaded = ExecutorModels.load(model);
        Sampler sampler = new Sampler(loaded.model(), loaded.tokenizer());
        List<RequestResult> results = new ArrayList<>();
        while (rows.hasNext()) {
            RequestRow r = rows.next();
            results.add(RequestResult.of(r.index(), sampler.generate(r.promptList(), r.samplesPerPrompt(), r.settings())));
        }
        return results.iterator();
    }
}
