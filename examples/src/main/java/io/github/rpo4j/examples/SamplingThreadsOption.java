package io.github.rpo4j.examples;

import io.github.rpo4j.generate.SamplingBackend;
import picocli.CommandLine.Option;

/** --sampling-threads, shared by the commands that sample and evaluate in this process. */
final class SamplingThreadsOption {

    static final String FLAG = "--sampling-threads";

    @Option(names = FLAG, paramLabel = "N", description = "Sampling and evaluation requests (chunks of questions) "
            + "drawn at a time in this process, each on its own thread with one native thread (default: the number "
            + "of cores). Every count gives the same samples and results; 1 draws one request after another.")
    Integer threads;

    /** The count given, or the cores this JVM may use; names the flag when the count is below 1. */
    int threads() {
        Flags.require(threads == null || threads >= 1, FLAG, ">= 1", threads);
        return threads != null ? threads : SamplingBackend.defaultThreads();
    }
}
