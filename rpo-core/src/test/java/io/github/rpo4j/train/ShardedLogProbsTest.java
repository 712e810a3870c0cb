package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ShardedLogProbsTest {

    private static final int VOCAB = 23;
    private static final int CONTEXT = 40;

    /** A tied-embedding GPT-2 (its embedding gets two gradients per pass) and a Llama-style model. */
    private static List<TransformerLM> models(DataType type) {
        return List.of(TransformerLM.initialize(ModelConfig.gpt2(VOCAB, CONTEXT, 2, 16, 2), 3, type),
                TransformerLM.initialize(ModelConfig.llama(VOCAB, CONTEXT, 2, 16, 2, 1, 24), 4, type));
    }

    /** Sequences of varied prompt and completion lengths. */
    private static List<SequenceBatch.Sequence> sequences(int n, long seed) {
        Random r = new Random(seed);
        List<SequenceBatch.Sequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] prompt = r.ints(1 + r.nextInt(6), 1, VOCAB).toArray();
            int[] completion = r.ints(1 + r.nextInt(9), 1, VOCAB).toArray();
            out.add(new SequenceBatch.Sequence(prompt, completion));
        }
        return out;
    }

    private static double[] seedGradient(int n) {
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = (i % 3 == 0 ? -1 : 0.5) * (1 + i / 10.0);
        }
        return g;
    }

    /** Differentiates once (shards, threads) and returns the values and the parameters' gradients. */
    private static Map<String, INDArray> gradients(TransformerLM m, List<SequenceBatch.Sequence> seqs, int shards,
                                                   int threads, double[] valuesOut) {
        m.parameters().values().forEach(Tensor::zeroGrad);
        try (TrainingThreads t = TrainingThreads.start(threads)) {
            ShardedLogProbs lp = ShardedLogProbs.forward(m, seqs, CONTEXT, shards, t);
            System.arraycopy(lp.values(), 0, valuesOut, 0, seqs.size());
            lp.backward(seedGradient(seqs.size()));
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.parameters().forEach((name, p) -> out.put(name, p.grad().dup()));
        m.parameters().values().forEach(Tensor::zeroGrad);
        return out;
    }

    @Test
    void shardedGradientsEqualTheWholeBatchsInFloat64() {
        List<SequenceBatch.Sequence> seqs = sequences(7, 1);
        for (TransformerLM m : models(DataType.DOUBLE)) {
            // The unsharded computation, written out as before shards existed.
            SequenceBatch batch = SequenceBatch.of(seqs, CONTEXT);
            Tensor whole = PolicyLogProbs.of(m, batch);
            double[] wholeValues = whole.value().toDoubleVector();
            whole.backward(Nd4j.createFromArray(seedGradient(seqs.size())));
            Map<String, INDArray> expected = new LinkedHashMap<>();
            m.parameters().forEach((name, p) -> expected.put(name, p.grad().dup()));
            m.parameters().values().forEach(Tensor::zeroGrad);
            for (int shards : new int[] {2, 3, 7, 9}) {
                double[] values = new double[seqs.size()];
                Map<String, INDArray> got = gradients(m, seqs, shards, 2, values);
                assertArrayEquals(wholeValues, values, 1e-12, "values, shards " + shards);
                expected.forEach((name, e) -> {
                    double scale = Math.max(1e-3, e.amaxNumber().doubleValue());
                    double diff = e.sub(got.get(name)).amaxNumber().doubleValue();
                    assertTrue(diff <= 1e-12 * scale, name + " with " + shards + " shards differs by " + diff);
                });
            }
        }
    }

    @Test
    void oneShardIsTheUnshardedComputationBitForBit() {
        List<SequenceBatch.Sequence> seqs = sequences(6, 2);
        TransformerLM m = models(DataType.FLOAT).get(0);
        SequenceBatch batch = SequenceBatch.of(seqs, CONTEXT);
        Tensor whole = PolicyLogProbs.of(m, batch);
        whole.backward(Nd4j.createFromArray(seedGradient(seqs.size())).castTo(DataType.FLOAT));
        Map<String, INDArray> expected = new LinkedHashMap<>();
        m.parameters().forEach((name, p) -> expected.put(name, p.grad().dup()));
        double[] values = new double[seqs.size()];
        Map<String, INDArray> got = gradients(m, seqs, 1, 2, values);
        assertArrayEquals(whole.value().toDoubleVector(), values);
        expected.forEach((name, e) -> assertEquals(e, got.get(name), name));
    }

    @Test
    void theThreadCountDoesNotChangeAnyBit() {
        List<SequenceBatch.Sequence> seqs = sequences(9, 3);
        for (TransformerLM m : models(DataType.FLOAT)) {
            double[] one = new double[seqs.size()];
            Map<String, INDArray> onThread = gradients(m, seqs, 3, 1, one);
            for (int threads : new int[] {2, 3}) {
                double[] values = new double[seqs.size()];
                Map<String, INDArray> got = gradients(m, seqs, 3, threads, values);
                assertArrayEquals(one, values);
                onThread.forEach((name, e) -> assertEquals(e, got.get(name), name + " on " + threads + " threads"));
            }
        }
    }

    @Test
    void gradientsAddToThoseOfEarlierMicroBatches() {
        // A step of two micro-batches: the second's shards add to the first's gradients.
        List<SequenceBatch.Sequence> first = sequences(4, 4);
        List<SequenceBatch.Sequence> second = sequences(5, 5);
        TransformerLM m = models(DataType.DOUBLE).get(1);
        double[] v = new double[9];
        Map<String, INDArray> a = gradients(m, first, 2, 2, v);
        Map<String, INDArray> b = gradients(m, second, 2, 2, v);
        try (TrainingThreads t = TrainingThreads.start(2)) {
            for (List<SequenceBatch.Sequence> micro : List.of(first, second)) {
                ShardedLogProbs lp = ShardedLogProbs.forward(m, micro, CONTEXT, 2, t);
                lp.backward(seedGradient(micro.size()));
            }
        }
        m.parameters().forEach((name, p) -> {
            double diff = a.get(name).add(b.get(name)).sub(p.grad()).amaxNumber().doubleValue();
            assertTrue(diff < 1e-12, name + " differs by " + diff);
        });
    }

    @Test
    void nothingIsLeftOnTheCallersTapeAndBackwardRunsOnce() {
        List<SequenceBatch.Sequence> seqs = sequences(4, 6);
        TransformerLM m = models(DataType.FLOAT).get(0);
        Tape.clear();
        try (TrainingThreads t = TrainingThreads.start(2)) {
            ShardedLogProbs lp = ShardedLogProbs.forward(m, seqs, CONTEXT, 2, t);
            assertEquals(2, lp.shardCount());
            assertEquals(0, Tape.size(), "the shards record on tapes of their own");
            assertThrows(IllegalArgumentException.class, () -> lp.backward(new double[3]));
            lp.backward(seedGradient(4));
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> lp.backward(seedGradient(4)));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
        }
    }

    @Test
    void aFailingShardFailsTheStepWithItsOwnError() {
        TransformerLM m = models(DataType.FLOAT).get(0);
        m.parameters().values().iterator().next().value().assign(Float.NaN); // the token embedding
        try (TrainingThreads t = TrainingThreads.start(2)) {
            NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                    () -> ShardedLogProbs.forward(m, sequences(4, 7), CONTEXT, 2, t));
            assertTrue(e.getMessage().contains("non-finite log-probability"), e.getMessage());
        }
    }

    @Test
    void shardsAreNearEqualContiguousParts() {
        assertArrayEquals(new int[] {0, 4, 7, 10}, ShardedLogProbs.bounds(10, 3));
        assertArrayEquals(new int[] {0, 1, 2}, ShardedLogProbs.bounds(2, 5));
        assertArrayEquals(new int[] {0, 6}, ShardedLogProbs.bounds(6, 1));
    }

    @Test
    void referenceScoringIsTheSameOnAnyThreadCount() {
        List<SequenceBatch.Sequence> seqs = sequences(11, 8);
        TransformerLM m = models(DataType.FLOAT).get(1);
        double[] one = PolicyLogProbs.evaluate(m, seqs, 3);
        try (TrainingThreads t = TrainingThreads.start(2)) {
            assertArrayEquals(one, PolicyLogProbs.evaluate(m, seqs, 3, t));
        }
    }
}
