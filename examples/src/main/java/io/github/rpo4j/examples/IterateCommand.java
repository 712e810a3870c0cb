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

    @Option(names = "--eval-questions", paramLabel = "FILE", description = "Evaluation questions (same format); "
            + "default: the training questions.")
    Path evalFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Run directory.")
    Path out;

    @Mixin
    IterateOptions options;

    @Override
    public Integer call() throws Exception {
        List<Question> train = questions.load();
        List<Question> eval = evalFile == null ? train : QuestionFileOptions.load(evalFile, questions.format);
        IterativeRpo loop = options.apply(IterativeRpo.builder()).modelDirectory(modelDir).trainQuestions(train)
                .evalQuestions(eval).verifier(Verifiers.byQuestionKind()).runDirectory(out).build();
        RunResult result = loop.run();
        QuickstartCommand.printTable(result);
        return 0;
    }
}
