package io.github.rpo4j.examples;

import io.github.rpo4j.train.TrainingThreads;
import picocli.CommandLine.Option;

/** --training-threads, shared by the commands that train in this process. */
final class TrainingThreadsOption {

    static final String FLAG = "--training-threads";

    @Option(names = FLAG, paramLabel = "N", description = "Threads each training stage runs its gradient shards "
            + "(and its reference scoring) on, each with one native thread (default: the number of cores). Every "
            + "count gives the same models and results; the number of shards decides the arithmetic.")
    Integer threads;

    /** The count given, or the cores this JVM may use; names the flag when the count is below 1. */
    int threads() {
        Flags.require(threads == null || threads >= 1, FLAG, ">= 1", threads);
        return threads != null ? threads : TrainingThreads.defaultThreads();
    }
}
