package io.github.rpo4j.examples;

import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.iterate.RunResult;
import io.github.rpo4j.iterate.SCoRe;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.tensor.NativeMemory;
import java.nio.file.Path;
import java.util.Map;

/**
 * SCoRe (self-correction by reinforcement learning) on the synthetic task from a starting model
 * directory: one iteration of stage I, two of stage II, then Acc@t1, Acc@t2 and the wrong-to-right and
 * right-to-wrong fractions. The model's context must hold a question, the first attempt, the
 * instruction and the second attempt (383 tokens on this task); the quickstart's M0 (224) is refused:
 *
 * <pre>
 * java -jar examples/target/rpo4j.jar starting-model --out runs/m0-512 --context 512
 * java -cp examples/target/rpo4j.jar io.github.rpo4j.examples.SCoReExample runs/m0-512/model runs/score
 * </pre>
 */
public final class SCoReExample {

    private SCoReExample() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SCoReExample M0_DIR [RUN_DIR]");
            System.exit(2);
        }
        NativeMemory.applyDefaults();
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        RunResult result = SCoRe.builder()
                .modelDirectory(Path.of(args[0]))
                .trainQuestions(QuickstartRecipe.pool(split, QuickstartRecipe.POOL))
                .evalQuestions(split.test())
                .verifier(task.verifier())
                .stages(1, 2)
                .samplesPerQuestion(4)
                .beta1(0.01).beta2(0.1).progressBonus(10)
                .temperature(0.8)
                .maxNewTokens(task.maxCompletionLength() + 8)
                .training(QuickstartRecipe.training())
                .majorityVote(QuickstartRecipe.MAJORITY_K, 0.8)
                .runDirectory(Path.of(args.length > 1 ? args[1] : "runs/score"))
                .build()
                .run();
        for (Map<String, Object> m : result.iterations()) {
            System.out.printf("iteration %s (stage %s): Acc@t1 %.3f Acc@t2 %.3f delta %.3f i->c %.3f c->i %.3f%n",
                    m.get("iteration"), m.getOrDefault("stage", "-"), num(m, "acc_t1"), num(m, "acc_t2"),
                    num(m, "delta_t1_t2"), num(m, "delta_i_to_c"), num(m, "delta_c_to_i"));
        }
    }

    private static double num(Map<String, Object> m, String key) {
        return ((Number) m.get(key)).doubleValue();
    }
}
