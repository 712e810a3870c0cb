package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs {@link TinyRuns#preference} in the directory given as the only argument, in a JVM of its own so that a
 * test can kill it with SIGKILL. It reports its progress on stdout, one line per event:
 * <pre>
 * STAGE t stage            a stage starts
 * SKIPPED t stage          a stage was found complete on disk
 * SAMPLED t questionId     a sample of that question is being verified during sampling
 * STOPPED point            the stop point was reached; the process now waits to be killed
 * FINISHED                 run() returned
 * </pre>
 * The environment variable {@value #STOP_AT} names where to stop, as "iteration point", so that the command
 * line of every attempt is the same. Stopping there and waiting makes the kill deterministic: the process is
 * always killed exactly at that point, never a little earlier or later. Points:
 * <ul>
 *   <li>{@code sampling}: the first sample of the second sampling chunk, after the first chunk was flushed;</li>
 *   <li>{@code pairs-written}: the training stage starts, pairs.jsonl is written;</li>
 *   <li>{@code trained-one-step}: the first optimiser step is done, in memory only;</li>
 *   <li>{@code checkpointed}: the evaluation stage starts, the iteration's model directory is published;</li>
 *   <li>{@code evaluating}: the second verified answer of the evaluation.</li>
 * </ul>
 */
public final class CrashableRun {

    static final String STOP_AT = "RPO4J_STOP_AT";

    private static final PrintStream OUT = System.out;
    private static volatile int iteration = -1;
    private static volatile String stage = "";
    private static int evaluationVerdicts;

    private CrashableRun() {
    }

    public static void main(String[] args) throws Exception {
        String stopAt = System.getenv().getOrDefault(STOP_AT, "");
        Question secondChunkFirst = TinyRuns.train().get(TinyRuns.SAMPLE_CHUNK);
        Verifier verifier = (q, completion) -> {
            if (stage.equals("sample")) {
                OUT.println("SAMPLED " + iteration + " " + q.id());
                if (q.id().equals(secondChunkFirst.id())) {
                    stopIf(stopAt, "sampling");
                }
            } else if (stage.equals("evaluate") && ++evaluationVerdicts == 2) {
                stopIf(stopAt, "evaluating");
            }
            return TinyRuns.PARITY.isCorrect(q, completion);
        };
        IterationListener reporter = new IterationListener() {
            @Override
            public void onStage(int t, String name) {
                iteration = t;
                stage = name;
                evaluationVerdicts = 0;
                OUT.println("STAGE " + t + " " + name);
                if (name.equals("train")) {
                    stopIf(stopAt, "pairs-written");
                } else if (name.equals("evaluate") && t > 0) {
                    stopIf(stopAt, "checkpointed");
                }
            }

            @Override
            public void onStageSkipped(int t, String name) {
                OUT.println("SKIPPED " + t + " " + name);
            }

            @Override
            public void onTrainingStep(int t, int step, Map<String, Double> metrics) {
                if (step == 1) {
                    stopIf(stopAt, "trained-one-step");
                }
            }
        };
        TinyRuns.preference(Path.of(args[0]), verifier).listener(reporter).build().run();
        OUT.println("FINISHED");
        OUT.flush();
    }

    private static void stopIf(String stopAt, String point) {
        if (!stopAt.equals(iteration + " " + point)) {
            return;
        }
        OUT.println("STOPPED " + stopAt);
        OUT.flush();
        try {
            Thread.sleep(Long.MAX_VALUE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("woke up at stop point " + stopAt + " instead of being killed");
    }
}
