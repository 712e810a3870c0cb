package io.github.rpo4j.losses;

import static io.github.rpo4j.losses.GradientCheck.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Compares every objective with values and autograd gradients computed by PyTorch in float64
 * ({@code src/test/python/make_golden.py} → {@code golden/losses.json}).
 */
class GoldenValuesTest {

    private static final double RTOL = 1e-12;
    private static final double ATOL = 1e-13;
    private static JsonNode golden;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = GoldenValuesTest.class.getResourceAsStream("/golden/losses.json")) {
            assertNotNull(in, "golden/losses.json is missing from the test resources");
            golden = new ObjectMapper().readTree(in);
        }
    }

    @Test
    void preferenceObjectives() {
        JsonNode cases = golden.get("preference");
        assertFalse(cases.isEmpty());
        for (JsonNode c : cases) {
            String name = c.get("name").asText();
            PreferenceLoss loss = new PreferenceLoss(PreferenceLossType.valueOf(c.get("type").asText()),
                    c.get("beta").asDouble(), c.get("label_smoothing").asDouble(), c.get("simpo_gamma").asDouble(),
                    c.get("nll_alpha").asDouble(), NllNormalization.valueOf(c.get("nll_normalization").asText()));
            PreferenceBatch batch = new PreferenceBatch(doubles(c.get("policy_chosen")),
                    doubles(c.get("policy_rejected")), doubles(c.get("reference_chosen")),
                    doubles(c.get("reference_rejected")), ints(c.get("chosen_lengths")), ints(c.get("rejected_lengths")));
            ObjectiveResult r = loss.compute(batch);
            assertEquals(c.get("loss").asDouble(), r.value(), ATOL + RTOL * Math.abs(r.value()), name + " loss");
            assertClose(doubles(c.get("grad_chosen")), r.chosenGradient(), RTOL, ATOL, name + " grad chosen");
            assertClose(doubles(c.get("grad_rejected")), r.rejectedGradient(), RTOL, ATOL, name + " grad rejected");
            Iterator<Map.Entry<String, JsonNode>> metrics = c.get("metrics").fields();
            while (metrics.hasNext()) {
                Map.Entry<String, JsonNode> m = metrics.next();
                double expected = m.getValue().asDouble();
                assertEquals(expected, r.metric(m.getKey()), ATOL + RTOL * Math.abs(expected), name + " " + m.getKey());
            }
        }
    }

    @Test
    void nllObjectives() {
        for (JsonNode c : golden.get("nll")) {
            String name = c.get("name").asText();
            ObjectiveResult r = NllLoss.rewardWeightedNll(doubles(c.get("logps")), ints(c.get("lengths")),
                    doubles(c.get("weights")), NllNormalization.valueOf(c.get("normalization").asText()),
                    NllWeighting.valueOf(c.get("weighting").asText()));
            assertEquals(c.get("loss").asDouble(), r.value(), ATOL + RTOL * Math.abs(r.value()), name + " loss");
            assertClose(doubles(c.get("grad")), r.gradient(), RTOL, ATOL, name + " grad");
        }
    }

    @Test
    void reinforceObjectives() {
        for (JsonNode c : golden.get("reinforce")) {
            String name = c.get("name").asText();
            ReinforceLoss loss = new ReinforceLoss(c.get("kl_coefficient").asDouble(),
                    ReinforceLoss.Baseline.valueOf(c.get("baseline").asText()), c.get("score_alpha").asDouble(),
                    ReinforceLoss.KlMode.valueOf(c.get("kl_mode").asText()));
            JsonNode groups = c.get("groups");
            ObjectiveResult r = loss.compute(doubles(c.get("logps")), doubles(c.get("reference_logps")),
                    doubles(c.get("rewards")), doubles(c.get("first_attempt_rewards")), ints(c.get("lengths")),
                    groups == null || groups.isNull() ? null : ints(groups));
            assertEquals(c.get("loss").asDouble(), r.value(), ATOL + RTOL * Math.abs(r.value()), name + " loss");
            assertClose(doubles(c.get("grad")), r.gradient(), RTOL, ATOL, name + " grad");
            assertEquals(c.get("kl").asDouble(), r.metric("kl"), 1e-13, name + " kl");
        }
    }

    @Test
    void tokenLogProbsInBothPrecisions() {
        for (JsonNode c : golden.get("token_logprobs")) {
            String name = c.get("name").asText();
            int b = c.get("B").asInt();
            int t = c.get("T").asInt();
            int v = c.get("V").asInt();
            INDArray targets = Nd4j.createFromArray(ints(flatten(c.get("targets")))).reshape(b, t);
            INDArray mask = Nd4j.createFromArray(ints(flatten(c.get("mask")))).reshape(b, t);
            for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                // float32 logits carry ~1e-7 relative rounding; double must agree to round-off.
                double tol = type == DataType.DOUBLE ? 1e-12 : 2e-5;
                INDArray logits = Nd4j.createFromArray(doubles(c.get("logits"))).reshape(b * t, v).castTo(type);
                TokenLogProbsResult fwd = TokenLogProbs.forward(logits, targets, mask);
                assertClose(doubles(c.get("token_logps")), fwd.tokenLogProbs().castTo(DataType.DOUBLE)
                        .reshape(b * t).toDoubleVector(), tol, tol, name + " " + type + " token logps");
                assertClose(doubles(c.get("sequence_logps")), fwd.sequenceLogProbs(), tol, tol, name + " sequence logps");
                int[] lengths = ints(c.get("lengths"));
                for (int i = 0; i < b; i++) {
                    assertEquals(lengths[i], fwd.completionLengths()[i], name + " length " + i);
                }
                INDArray grad = TokenLogProbs.backwardFromSequenceWeights(logits, targets, mask,
                        doubles(c.get("sequence_weights")));
                assertEquals(type, grad.dataType());
                assertClose(doubles(c.get("grad_logits")), grad.castTo(DataType.DOUBLE).reshape(b * t * v)
                        .toDoubleVector(), tol, tol, name + " " + type + " grad logits");
            }
        }
    }

    private static JsonNode flatten(JsonNode nested) {
        com.fasterxml.jackson.databind.node.ArrayNode flat = new ObjectMapper().createArrayNode();
        for (JsonNode row : nested) {
            if (row.isArray()) {
                row.forEach(flat::add);
            } else {
                flat.add(row);
            }
        }
        return flat;
    }

    private static double[] doubles(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        double[] out = new double[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asDouble();
        }
        return out;
    }

    private static int[] ints(JsonNode node) {
        int[] out = new int[node.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = node.get(i).asInt();
        }
        return out;
    }
}
