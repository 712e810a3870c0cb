package io.github.rpo4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Trains a tiny model by SFT in the directory given as the first argument, with in-stage checkpoints every
 * {@link #CHECKPOINT_STEPS} steps in {@code <dir>/checkpoint}, in a JVM of its own so that a test can kill it
 * with SIGKILL. The second argument is the step after which to stop and wait to be killed (0: never). It
 * prints {@code STEP n} after each optimiser step, {@code STOPPED n} at the stop point and {@code FINISHED}
 * at the end, after writing the final parameters to {@code <dir>/final.safetensors} and the per-step
 * metrics to {@code <dir>/history.json}.
 */
public final class CrashableTraining {

    static final int CHECKPOINT_STEPS = 3;
    static final int TOTAL_STEPS = 12; // 24 examples, batches of 4, 2 epochs

    private CrashableTraining() {
    }

    static TransformerLM model(CharTokenizer tokenizer) {
        return TransformerLM.initialize(ModelConfig.gpt2(tokenizer.vocabSize(), 32, 2, 16, 2)
                .withEosTokenId(tokenizer.eosId().getAsInt()), 5, DataType.FLOAT);
    }

    static CharTokenizer tokenizer() {
        return CharTokenizer.ofAlphabet("0123456789+=. ");
    }

    static List<SftExample> examples(long seed) {
        Random r = new Random(seed);
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            int a = r.nextInt(5);
            int b = r.nextInt(5);
            out.add(new SftExample(a + "+" + b + "=", (a + b) + ".", 1 + (i % 3)));
        }
        return out;
    }

    static TrainingSettings settings() {
        return TrainingSettings.defaults(1e-2).withEpochs(2).withBatch(4, 2).withSchedule(2, 0.1).withSeed(11)
                .withProgressBar(false).withCheckpointEvery(new TrainingSettings.CheckpointInterval(0, CHECKPOINT_STEPS));
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        Path dir = Path.of(args[0]);
        int stopAfter = Integer.parseInt(args[1]);
        CharTokenizer tokenizer = tokenizer();
        TransformerLM model = model(tokenizer);
        TrainingReport report = new SftTrainer(model, tokenizer, settings(),
                io.github.rpo4j.losses.NllNormalization.BATCH_TOKEN_MEAN)
                .withCheckpoints(dir.resolve("checkpoint"))
                .train(examples(3), "crashable", (step, metrics) -> {
                    out.println("STEP " + step);
                    if (step == stopAfter) {
                        out.println("STOPPED " + step);
                        out.flush();
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        throw new IllegalStateException("woke up at step " + step + " instead of being killed");
                    }
                });
        Map<String, INDArray> params = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> params.put(name, p.value()));
        SafeTensors.write(dir.resolve("final.safetensors"), params, Map.of());
        Files.writeString(dir.resolve("history.json"), new ObjectMapper().writeValueAsString(report.history()));
        out.println("FINISHED");
        out.flush();
    }
}
