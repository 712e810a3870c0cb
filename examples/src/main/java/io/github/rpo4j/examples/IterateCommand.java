package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifiers;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.RunResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs IterativeRpo on a model directory and question files. */
@Command(name = "iterate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Iterative reasoning preference optimisation: sample, verify, pair, train, evaluate; repeat.",
                "Every stage lands in --out; running the same command again resumes after the last completed stage."})
final class IterateCommand implements Callable<Integer> {

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

    @Override
    public Integer call() throws Exception {
        List<Question> train = questions.load();
        List<Question> eval = QuestionFileOptions.load(evalFile, questions.format, "--eval-questions");
        IterativeRpo loop;
        try {
            loop = options.apply(IterativeRpo.builder()).modelDirectory(modelDir).trainQuestions(train)
                    .evalQuestions(eval).verifier(Verifiers.byQuestionKind()).runDirectory(out).build();
        } catch (IllegalArgumentException e) {
            // The builder names trainQuestions / evalQuestions; say which file that is.
            String message = e.getMessage()
                    .replaceFirst("^trainQuestions: ", "--questions " + questions.file + ": ")
                    .replaceFirst("^evalQuestions: ", "--eval-questions " + evalFile + ": ");
            throw new IllegalArgumentException(message, e);
        }
        RunResult result = loop.run();
        QuickstartCommand.printTable(result);
        return 0;
    }
}
