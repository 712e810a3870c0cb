package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifiers;
import io.github.rpo4j.iterate.ChatPromptFormat;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.IterationMetrics;
import io.github.rpo4j.iterate.RunResult;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Runs IterativeRpo on a model directory and question files. */
@Command(name = "iterate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Iterative reasoning preference optimisation: sample, verify, pair, train, evaluate; repeat.",
                "Every stage lands in --out; running the same command again resumes after the last completed stage."})
final class IterateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Starting model directory.")
    Path modelDir;

    @Mixin
    QuestionFileOptions questions;

    @Option(names = "--eval-questions", required = true, paramLabel = "FILE", description = "Held-out evaluation "
            + "questions (same --format). Required: accuracy on the training questions overstates what the model "
            + "learned; to measure it anyway, give the training file here too.")
    Path evalFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.")
    Path out;

    @Mixin
    IterateOptions options;

    @Mixin
    ChatTemplateOptions chat;

    @Mixin
    SamplingThreadsOption sampling;

    @Mixin
    TrainingThreadsOption trainingThreadsOption;

    @Option(names = "--spark-master", paramLabel = "URL", description = {"Sample and evaluate as Apache Spark tasks "
            + "on this master (local[N], spark://HOST:PORT, yarn, k8s://...); training stays in this process. Same "
            + "results as without it. Needs Spark 3.5 (Scala 2.12) on the classpath, which the rpo4j jar does not "
            + "bundle: run through spark-submit (docs/distributed.md)."})
    String sparkMaster;

    @Override
    public Integer call() throws Exception {
        if (sparkMaster != null && sampling.threads != null) {
            throw new ParameterException(spec.commandLine(), "give " + SamplingThreadsOption.FLAG
                    + " or --spark-master, not both: Spark draws on its executors' cores");
        }
        int samplingThreads = sampling.threads();
        int trainingThreads = trainingThreadsOption.threads(); // checked before anything is read or written
        List<Question> train = questions.load();
        List<Question> eval = QuestionFileOptions.load(evalFile, questions.format, "--eval-questions");
        IterativeRpo.Builder builder = options.apply(IterativeRpo.builder());
        ChatPromptFormat chatFormat = chat.format(modelDir, spec.commandLine());
        if (chatFormat != null) {
            builder.promptFormat(chatFormat);
        }
        builder.modelDirectory(modelDir).trainQuestions(train).evalQuestions(eval)
                .verifier(Verifiers.byQuestionKind()).runDirectory(out).samplingThreads(samplingThreads)
                .trainingThreads(trainingThreads);
        RunResult result;
        if (sparkMaster == null) {
            result = build(builder).run();
        } else {
            SparkMasterSession.requireSpark(sparkMaster); // before any Spark class is loaded
            try (SparkMasterSession spark = SparkMasterSession.start(sparkMaster)) {
                result = build(builder.sampler(spark.sampler())).run();
            }
        }
        printTable(result.metrics(), spec.commandLine().getOut());
        return 0;
    }

    private IterativeRpo build(IterativeRpo.Builder builder) throws java.io.IOException {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // The builder names trainQuestions / evalQuestions; say which file that is.
            String message = e.getMessage()
                    .replaceFirst("^trainQuestions: ", "--questions " + questions.file + ": ")
                    .replaceFirst("^evalQuestions: ", "--eval-questions " + evalFile + ": ");
            throw new IllegalArgumentException(message, e);
        }
    }

    /** One row per evaluated model, M0 first; a column that does not apply (maj@k when the vote is off) shows "-". */
    static void printTable(List<IterationMetrics> metrics, java.io.PrintWriter out) {
        out.println();
        out.println("iteration  greedy   95% CI          maj@k    sample acc  pairs   loss     seconds");
        for (IterationMetrics m : metrics) {
            out.printf("%-10d %-8.3f %-15s %-8s %-11s %-7s %-8s %.0f%n", m.iteration(), m.testAccuracy(),
                    m.testAccuracyCi95() == null ? "" : m.testAccuracyCi95().toString(),
                    format(m.majorityAccuracy()), format(m.sampleAccuracy()),
                    m.trainPairs().isPresent() ? String.valueOf(m.trainPairs().getAsInt()) : "-",
                    format(m.trainingLoss()), m.seconds());
        }
        out.flush();
    }

    private static String format(OptionalDouble value) {
        return value.isPresent() ? String.format("%.3f", value.getAsDouble()) : "-";
    }
}
