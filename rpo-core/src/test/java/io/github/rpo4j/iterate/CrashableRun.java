package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs {@link TinyRuns#preference} (or, with a second argument {@code rise} or {@code score}, {@link TinyRuns#rise}
 * or {@link TinyRuns#score}) in the directory given as the first argument, in a JVM of its own so that a
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
 *   <li>{@code sampling}: the first sample of the second sampling chunk, after the first chunk was flushed (RPO);
 *       RISE and SCoRe, which publish their episodes or rollouts at the end of the stage: the third verdict;</li>
 *   <li>{@code pairs-written}: the training stage starts, pairs.jsonl is written;</li>
 *   <li>{@code trained-one-step}: the first optimiser step is done, in memory only (RPO and RISE);</li>
 *   <li>{@code reference}: SCoRe's reference log-probs are being computed, the rollouts are on disk;</li>
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
    private static int sampleVerdicts;

    private CrashableRun() {
    }

    public static void main(String[] args) throws Exception {
        String stopAt = System.getenv().getOrDefault(STOP_AT, "");
        String method = args.length > 1 ? args[1] : "rpo";
        Question secondChunkFirst = TinyRuns.train().get(TinyRuns.SAMPLE_CHUNK);
        Verifier verifier = (q, completion) -> {
            if (stage.equals("sample")) {
                OUT.println("SAMPLED " + iteration + " " + q.id());
                if (method.equals("rpo") ? q.id().equals(secondChunkFirst.id()) : ++sampleVerdicts == 3) {
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
                sampleVerdicts = 0;
                OUT.println("STAGE " + t + " " + name);
                if (name.equals("train")) {
                    stopIf(stopAt, "pairs-written");
                } else if (name.equals("evaluate") && t > 0) {
                    stopIf(stopAt, "checkpointed");
                } else if (name.equals("reference")) {
                    stopIf(stopAt, "reference");
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
        Path dir = Path.of(args[0]);
        switch (method) {
            case "rpo" -> TinyRuns.preference(dir, verifier).listener(reporter).build().run();
            case "rise" -> TinyRuns.rise(dir, verifier).listener(reporter).build().run();
            case "score" -> TinyRuns.score(dir, verifier).listener(reporter).build().run();
            default -> throw new IllegalArgumentException("method: rpo, rise or score, got " + method);
        }
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
