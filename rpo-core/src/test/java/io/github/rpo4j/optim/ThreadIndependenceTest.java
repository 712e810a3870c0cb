package io.github.rpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A training step gives the same bits whatever OMP_NUM_THREADS says. ND4J reads the variable once, at
 * start-up, to size its whole-array reductions (rpo4j cannot change that count afterwards), so the check
 * runs the same step in two fresh JVMs, one with {@code OMP_NUM_THREADS=1} and one without. On a machine
 * with one core both JVMs use one thread and the check cannot tell; on two or more it can.
 */
class ThreadIndependenceTest {

    /** Runs one forward, backward, clip and AdamW step of a small GPT-2; prints the weights' checksum. */
    public static void main(String[] args) {
        ModelConfig config = ModelConfig.gpt2(40, 32, 2, 64, 4);
        TransformerLM model = TransformerLM.initialize(config, 7, DataType.FLOAT);
        int batch = 4;
        int length = 32;
        Random random = new Random(11);
        int[] ids = new int[batch * length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(config.vocabSize());
        }
        Tensor logits = model.forward(ids, batch, length); // (B, T, V)
        double[] weights = new double[(int) logits.value().length()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = random.nextGaussian();
        }
        logits.mul(Tensor.constant(Nd4j.create(weights, logits.shape(), 'c').castTo(DataType.FLOAT))).sum().backward();
        Map<String, Tensor> params = model.parameters();
        double norm = GradientClipping.clip(params.values(), 1e-3); // small, so the clipping scale matters
        new AdamW(params, AdamW.Settings.defaults()).step(1e-2);
        long checksum = Double.doubleToLongBits(norm);
        for (Tensor p : params.values()) {
            for (float v : p.value().ravel().toFloatVector()) {
                checksum = 31 * checksum + Float.floatToIntBits(v);
            }
        }
        System.out.println("checksum " + checksum);
    }

    private static String runIsolated(boolean oneThread) throws IOException, InterruptedException {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                ThreadIndependenceTest.class.getName());
        pb.environment().remove("OMP_NUM_THREADS");
        if (oneThread) {
            pb.environment().put("OMP_NUM_THREADS", "1");
        }
        pb.redirectErrorStream(true);
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
        return output.lines().filter(l -> l.startsWith("checksum ")).findFirst()
                .orElseThrow(() -> new AssertionError("no checksum in: " + output));
    }

    @Test
    void aTrainingStepDoesNotDependOnOmpNumThreads() throws Exception {
        assertEquals(runIsolated(true), runIsolated(false));
    }
}
