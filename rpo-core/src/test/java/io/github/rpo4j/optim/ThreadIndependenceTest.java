package io.github.rpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.generate.ThreadWatchingTokenizer;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A training step, and sampling on two worker threads after it, give the same bits whatever OMP_NUM_THREADS says.
 * ND4J reads the variable once, at start-up, to size its whole-array reductions (rpo4j cannot change that count
 * afterwards), and OpenMP starts every new thread with its count (or one per core without it), so the check runs
 * the same work in two fresh JVMs, one with {@code OMP_NUM_THREADS=1} and one without; in the one without, each
 * sampling worker must still run one native thread (rpo4j's default). On a machine with one core both JVMs use one
 * thread and the check cannot tell; on two or more it can.
 */
class ThreadIndependenceTest {

    /** 39 characters and the end token: the model's 40 ids. */
    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz+-=";

    /**
     * Runs one forward, backward, clip and AdamW step of a small GPT-2, then samples from it on two worker threads;
     * prints the checksum of the weights and the samples, and the OpenMP thread counts the workers ran.
     */
    public static void main(String[] args) throws IOException {
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
        long[] sampled = {checksum};
        ThreadWatchingTokenizer tokenizer = new ThreadWatchingTokenizer(CharTokenizer.ofAlphabet(ALPHABET));
        if (tokenizer.vocabSize() != config.vocabSize()) {
            throw new IllegalStateException("tokenizer of " + tokenizer.vocabSize() + " ids for a model of "
                    + config.vocabSize());
        }
        List<SamplingRequest> requests = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            requests.add(new SamplingRequest(List.of(tokenizer.encode("12+" + r + "="), tokenizer.encode("ab" + r)),
                    3, SamplingSettings.sampling(1.0, 12, r)));
        }
        SamplingBackend.local(2).generate(model, tokenizer, requests, (index, drawn) -> {
            for (List<Sample> forPrompt : drawn) {
                for (Sample sample : forPrompt) {
                    sampled[0] = 31 * sampled[0] + Arrays.hashCode(sample.tokenIds());
                    for (double lp : sample.logProbs()) {
                        sampled[0] = 31 * sampled[0] + Double.doubleToLongBits(lp);
                    }
                }
            }
        });
        System.out.println("checksum " + sampled[0]);
        System.out.println("sampling workers' OpenMP threads " + tokenizer.openMpThreadsSeen());
    }

    /** The child's output lines that start with each of {@code prefixes}, in that order. */
    private static List<String> runIsolated(boolean oneThread, String... prefixes) throws IOException, InterruptedException {
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
        List<String> lines = new ArrayList<>();
        for (String prefix : prefixes) {
            lines.add(output.lines().filter(l -> l.startsWith(prefix)).findFirst()
                    .orElseThrow(() -> new AssertionError("no line " + prefix + "... in: " + output)));
        }
        return lines;
    }

    @Test
    void trainingAndSamplingDoNotDependOnOmpNumThreads() throws Exception {
        String workers = "sampling workers' OpenMP threads ";
        List<String> oneThread = runIsolated(true, "checksum ", workers);
        List<String> unset = runIsolated(false, "checksum ", workers);
        assertEquals(oneThread.get(0), unset.get(0));
        assertEquals(workers + "[1]", unset.get(1), "each sampling worker runs one native thread by default");
    }
}
