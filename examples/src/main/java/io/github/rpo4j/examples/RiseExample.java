package io.github.rpo4j.examples;

import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.iterate.Rise;
import io.github.rpo4j.iterate.RunResult;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.tensor.NativeMemory;
import java.nio.file.Path;
import java.util.Map;

/**
 * RISE on the synthetic task from a starting model directory: two iterations of five-turn episodes
 * with best-of-4 candidates, then the accuracy at each turn with and without an oracle. The model's
 * context must hold a question, an attempt, the feedback and the next attempt (330 tokens on this
 * task); the quickstart's M0 (224) is refused, so train one with a longer context first:
 *
 * <pre>
 * java -jar examples/target/rpo4j.jar starting-model --out runs/m0-512 --context 512
 * java -cp examples/target/rpo4j.jar io.github.rpo4j.examples.RiseExample runs/m0-512/model runs/rise
 * </pre>
 */
public final class RiseExample {

    private RiseExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: RiseExample M0_DIR [RUN_DIR]");
            System.exit(2);
        }
        NativeMemory.applyDefaults();
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        RunResult result = Rise.builder()
                .modelDirectory(Path.of(args[0]))
                .trainQuestions(QuickstartRecipe.pool(split, QuickstartRecipe.POOL))
                .evalQuestions(split.test())
                .verifier(task.verifier())
                .turns(5)
                .candidates(4)
                .iterations(2)
                .temperature(0.8)
                .weightTemperature(0.4)
                .maxNewTokens(task.maxCompletionLength() + 8)
                .training(QuickstartRecipe.training())
                .majorityVote(QuickstartRecipe.MAJORITY_K, 0.8)
                .runDirectory(Path.of(args.length > 1 ? args[1] : "runs/rise"))
                .build()
                .run();
        for (Map<String, Object> m : result.iterations()) {
            System.out.printf("iteration %s: accuracy per turn %s, with oracle %s, majority over turns %.3f%n",
                    m.get("iteration"), m.get("turn_accuracy"), m.get("oracle_turn_accuracy"),
                    ((Number) m.get("maj_over_turns_accuracy")).doubleValue());
        }
    }
}
