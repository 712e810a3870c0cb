package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.tensor.GradCheck;
import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class TransformerLMTest {

    static ModelConfig tinyGpt2() {
        return ModelConfig.gpt2(11, 16, 2, 8, 2);
    }

    static ModelConfig tinyLlama() {
        return ModelConfig.llama(11, 16, 2, 8, 4, 2, 12); // grouped-query: 4 query heads over 2 key/value heads
    }

    /**
     * Every Llama option at once: head width 6 (not 8 / 4), biases on every projection, llama3 rope scaling
     * (wavelengths 6, 29 and 136 positions against an original context of 8: one on the ramp, two divided by
     * the factor), and a tied head.
     */
    static ModelConfig tinyLlamaWithEveryOption() {
        return tinyLlama().withHeadWidth(6).withBiases(true, true).withRope(100, RopeScaling.llama3(8, 1, 4, 8))
                .withTieEmbeddings(true);
    }

    /** Qwen2's q/k/v biases, and a window of 3 positions in layer 1 (layer 0 attends fully). */
    static ModelConfig tinyQwen2() {
        return new ModelConfig(Family.QWEN2, 11, 16, 2, 8, 4, 2, 12, 1e-6, 10000, true, -1).withSlidingWindow(3, 1);
    }

    /** Mistral: a window of 3 positions in every layer. */
    static ModelConfig tinyMistral() {
        return new ModelConfig(Family.MISTRAL, 11, 16, 2, 8, 4, 2, 12, 1e-6, 10000, false, -1).withSlidingWindow(3, 0);
    }

    /** Qwen3: per-head q/k RMSNorm, head width 6 (not 8 / 4), attention biases, a window of 2 in layer 1. */
    static ModelConfig tinyQwen3() {
        return new ModelConfig(Family.QWEN3, 11, 16, 2, 8, 4, 2, 12, 1e-6, 10000, false, -1).withHeadWidth(6)
                .withBiases(true, false).withSlidingWindow(2, 1);
    }

    static int[] randomIds(Random r, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.nextInt(vocab);
        }
        return ids;
    }

    /** Larger init than 0.02 so the gradient check sees non-trivial attention patterns. */
    static TransformerLM scaledInit(ModelConfig config, long seed) {
        Random r = new Random(seed);
        Map<String, INDArray> w = new HashMap<>();
        for (var e : TransformerLM.expectedShapes(config).entrySet()) {
            w.put(e.getKey(), GradCheck.randomDouble(r, e.getValue()).muli(0.5).addi(e.getValue().length == 1 ? 1.0 : 0.0));
        }
        return new TransformerLM(config, w);
    }

    @Test
    void wholeModelGradientMatchesFiniteDifferencesForEveryFamily() {
        for (ModelConfig config : List.of(tinyGpt2(), tinyLlama(), tinyLlamaWithEveryOption(), tinyQwen2(),
                tinyMistral(), tinyQwen3())) {
            TransformerLM model = scaledInit(config, 1);
            int[] ids = randomIds(new Random(2), 2 * 5, config.vocabSize());
            List<Tensor> params = new ArrayList<>(model.parameters().values());
            GradCheck.Result r = GradCheck.check(ps -> Ops.crossEntropy(model.forward(ids, 2, 5),
                    shiftTargets(ids, 2, 5), -1), params, 3, 6);
            assertTrue(r.passes(1e-5), config.family() + ": " + r);
        }
    }

    /** Next-token targets: the id one step later in the same row, -1 at each row's last position. */
    static int[] shiftTargets(int[] ids, int batch, int time) {
        int[] t = new int[ids.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < time; i++) {
                t[b * time + i] = i + 1 < time ? ids[b * time + i + 1] : -1;
            }
        }
        return t;
    }

    @Test
    void cachedDecodingEqualsTheFullForward() {
        for (ModelConfig config : List.of(tinyGpt2(), tinyLlama(), tinyLlamaWithEveryOption(),
                tinyGpt2().withTieEmbeddings(false), tinyQwen2(), tinyMistral(), tinyQwen3())) {
            TransformerLM model = scaledInit(config, 5);
            int batch = 3;
            int time = 9;
            int prompt = 4;
            int[] ids = randomIds(new Random(6), batch * time, config.vocabSize());
            try (Tape.Scope ignored = Tape.noGrad()) {
                INDArray full = model.forward(ids, batch, time).value().reshape(batch, time, config.vocabSize());
                KvCache cache = new KvCache(config, batch, time, DataType.DOUBLE);
                int[] head = new int[batch * prompt];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(ids, b * time, head, b * prompt, prompt);
                }
                INDArray pre = model.forward(head, batch, prompt, null, null, cache).value().reshape(batch, prompt, config.vocabSize());
                assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.interval(0, prompt), NDArrayIndex.all()), pre,
                        config.family() + " prefill");
                for (int t = prompt; t < time; t++) {
                    int[] step = new int[batch];
                    for (int b = 0; b < batch; b++) {
                        step[b] = ids[b * time + t];
                    }
                    INDArray logits = model.forward(step, batch, 1, null, null, cache).value();
                    assertClose(full.get(NDArrayIndex.all(), NDArrayIndex.point(t), NDArrayIndex.all()), logits,
                            config.family() + " step " + t);
                }
                assertEquals(time, cache.length());
            }
        }
    }

    @Test
    void float32CachedDecodingWithPaddingEqualsTheFullForward() {
        // The float32 cache (Java arrays of floats) against the uncached ND4J path, one row left-padded.
        ModelConfig config = tinyGpt2();
        Map<String, INDArray> w = new HashMap<>();
        scaledInit(config, 9).weights().forEach((k, v) -> w.put(k, v.castTo(DataType.FLOAT)));
        TransformerLM model = new TransformerLM(config, w);
        int[] row = {3, 1, 4, 1, 5, 9, 2};
        int[] padded = {0, 0, 3, 1, 4}; // the first 3 tokens of row, left-padded by 2
        try (Tape.Scope ignored = Tape.noGrad()) {
            INDArray alone = model.forward(row, 1, row.length).value(); // (7, V)
            KvCache cache = new KvCache(config, 1, 9, DataType.FLOAT);
            INDArray pad = Nd4j.create(new float[] {0, 0, 1, 1, 1}, new long[] {1, 5}, 'c');
            INDArray pre = model.forward(padded, 1, 5, new int[] {0, 0, 0, 1, 2}, pad, cache).value();
            assertCloseFloat(alone.get(NDArrayIndex.interval(0, 3), NDArrayIndex.all()),
                    pre.get(NDArrayIndex.interval(2, 5), NDArrayIndex.all()), "prefill");
            for (int t = 3; t < row.length; t++) {
                pad = Nd4j.concat(1, pad, Nd4j.ones(DataType.FLOAT, 1, 1));
                INDArray logits = model.forward(new int[] {row[t]}, 1, 1, new int[] {t}, pad, cache).value();
                assertCloseFloat(alone.get(NDArrayIndex.interval(t, t + 1), NDArrayIndex.all()), logits, "step " + t);
            }
        }
    }

    private static void assertCloseFloat(INDArray expected, INDArray actual, String what) {
        double diff = expected.reshape(actual.shape()).sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-4, what + " differs by " + diff);
    }

    @Test
    void leftPaddedRowsMatchUnpaddedRows() {
        // A row left-padded by 2 with shifted positions and masked keys must give the logits of the row alone.
        for (ModelConfig config : List.of(tinyGpt2(), tinyLlama())) {
            TransformerLM model = scaledInit(config, 8);
            int[] row = {3, 1, 4, 1, 5};
            int[] padded = {0, 0, 3, 1, 4, 1, 5};
            int[] positions = {0, 0, 0, 1, 2, 3, 4};
            INDArray keyPadding = Nd4j.create(new double[][] {{0, 0, 1, 1, 1, 1, 1}});
            try (Tape.Scope ignored = Tape.noGrad()) {
                INDArray alone = model.forward(row, 1, 5).value();
                INDArray withPad = model.forward(padded, 1, 7, positions, keyPadding, null).value();
                assertClose(alone, withPad.get(NDArrayIndex.interval(2, 7), NDArrayIndex.all()), config.family() + " padded");
            }
        }
    }

    @Test
    void aTinyModelOverfitsAFewSequences() {
        ModelConfig config = ModelConfig.gpt2(12, 16, 2, 32, 4);
        TransformerLM model = TransformerLM.initialize(config, 0, DataType.FLOAT);
        int[] ids = randomIds(new Random(1), 4 * 12, 12);
        int[] targets = shiftTargets(ids, 4, 12);
        AdamW opt = new AdamW(model.parameters(), AdamW.Settings.defaults().withWeightDecay(0));
        double first = 0;
        double last = 0;
        for (int step = 0; step < 150; step++) {
            Tensor loss = Ops.crossEntropy(model.forward(ids, 4, 12), targets, -1);
            if (step == 0) {
                first = loss.value().getDouble(0);
            }
            last = loss.value().getDouble(0);
            loss.backward();
            opt.step(1e-2);
        }
        assertTrue(first > 2.0, "initial loss near log 12: " + first);
        assertTrue(last < 0.1, "the model should memorise 4 random sequences; loss " + first + " -> " + last);
    }

    @Test
    void aCacheMadeForGpt2sLayoutIsRefusedByARotaryModel() {
        // GPT-2's float caches live in Java arrays that only GPT-2's decode path reads.
        TransformerLM llama = TransformerLM.initialize(tinyLlama(), 0, DataType.FLOAT);
        KvCache gpt2Cache = new KvCache(tinyGpt2(), 1, 4, DataType.FLOAT);
        try (Tape.Scope ignored = Tape.noGrad()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> llama.forward(new int[] {1, 2}, 1, 2, null, null, gpt2Cache));
            assertTrue(e.getMessage().contains("GPT-2") && e.getMessage().contains("llama"), e.getMessage());
        }
    }

    @Test
    void missingOrMisshapenTensorsAreNamed() {
        ModelConfig config = tinyGpt2();
        Map<String, INDArray> w = new HashMap<>(TransformerLM.initialize(config, 0, DataType.FLOAT).weights());
        w.remove("h.1.mlp.c_fc.bias");
        var e = assertThrows(IllegalArgumentException.class, () -> new TransformerLM(config, w));
        assertTrue(e.getMessage().contains("h.1.mlp.c_fc.bias"), e.getMessage());
        w.put("h.1.mlp.c_fc.bias", Nd4j.zeros(DataType.FLOAT, 5));
        e = assertThrows(IllegalArgumentException.class, () -> new TransformerLM(config, w));
        assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[32]"), e.getMessage());
    }

    @Test
    void configRoundTripsThroughHuggingFaceJson() {
        for (ModelConfig c : List.of(tinyGpt2(), tinyLlama(), tinyLlama().withEosTokenId(3).withTieEmbeddings(true),
                tinyLlamaWithEveryOption().withEndTokenIds(List.of(3, 1, 4)), tinyGpt2().withTieEmbeddings(false),
                tinyLlama().withRope(500000, RopeScaling.linear(2)))) {
            assertEquals(c, ModelConfig.fromJson(c.toJson()));
        }
        assertEquals(List.of(3, 1, 4), ModelConfig.fromJson(tinyLlama().withEndTokenIds(List.of(3, 1, 4)).toJson())
                .endTokenIds());
        assertEquals(8, tinyGpt2().toJson().get("n_embd").asInt());
        assertEquals(2, tinyLlama().toJson().get("num_key_value_heads").asInt());
    }

    static void assertClose(INDArray expected, INDArray actual, String what) {
        INDArray e = expected.reshape(actual.shape());
        double diff = e.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-9, what + " differs by " + diff);
    }
}
