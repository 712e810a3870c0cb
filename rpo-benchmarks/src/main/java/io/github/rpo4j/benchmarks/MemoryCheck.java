package io.github.rpo4j.benchmarks;

import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Peak resident memory of a Qwen2.5-0.5B-shaped model (hidden 896, 24 layers, 14 heads, 2 key/value heads, MLP
 * 4864, vocabulary 151,936, tied embeddings; rope theta 1e6), randomly initialised in float32: after
 * initialisation, after one AdamW training step on B x T random tokens, and after sampling a few tokens with the
 * key/value cache. The layout is plain Llama: Qwen 2's q/k/v biases are left out (a few thousand parameters per
 * layer, no difference to memory).
 *
 * <p>Usage: {@code java -Dorg.bytedeco.javacpp.maxbytes=20G -Dorg.bytedeco.javacpp.maxphysicalbytes=22G -cp
 * benchmarks.jar io.github.rpo4j.benchmarks.MemoryCheck [B] [T] [NEW_TOKENS]} (defaults 1, 64, 8). Prints one JSON
 * line. JavaCPP's default limits (and the command line's 6G) are far below what such a model needs.
 */
public final class MemoryCheck {

    private MemoryCheck() {
    }

    static ModelConfig qwen25HalfBillionShape(int context) {
        return ModelConfig.llama(151936, context, 24, 896, 14, 2, 4864).withTieEmbeddings(true)
                .withRope(1_000_000, io.github.rpo4j.model.RopeScaling.NONE);
    }

    public static void main(String[] args) {
        NativeThreads.applyDefaults();
        ThreadSettings.applyFromSystemProperties();
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        ModelConfig config = qwen25HalfBillionShape(Math.max(tokens, 16 + newTokens));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("shape", "Qwen2.5-0.5B (plain Llama layout, no qkv bias), float32");
        out.put("B", batch);
        out.put("T", tokens);
        out.put("peak_rss_mib_at_start", Throughput.peakResidentMib());

        long t0 = System.nanoTime();
        TransformerLM model = TransformerLM.initialize(config, 0, DataType.FLOAT);
        out.put("params", model.parameterCount());
        out.put("init_s", (System.nanoTime() - t0) / 1e9);
        out.put("peak_rss_mib_after_init", Throughput.peakResidentMib());

        Random random = new Random(0);
        int[] ids = new int[batch * tokens];
        int[] targets = new int[batch * tokens];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(config.vocabSize());
            targets[i] = random.nextInt(config.vocabSize());
        }
        AdamW opt = new AdamW(model.parameters(), AdamW.Settings.defaults());
        t0 = System.nanoTime();
        Tensor logits = model.forward(ids, batch, tokens);         // (B*T, V)
        Tensor loss = Ops.crossEntropy(logits, targets, -1);
        loss.backward();
        opt.step(1e-5);
        out.put("train_step_s", (System.nanoTime() - t0) / 1e9);
        out.put("loss", loss.value().getDouble(0));
        out.put("peak_rss_mib_after_train_step", Throughput.peakResidentMib());

        List<int[]> prompts = new ArrayList<>();
        int[] prompt = new int[16];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = random.nextInt(config.vocabSize());
        }
        prompts.add(prompt);
        t0 = System.nanoTime();
        var samples = new Sampler(model, generated -> "", -1)
                .generate(prompts, 2, SamplingSettings.sampling(0.8, newTokens, 1));
        out.put("sample_s", (System.nanoTime() - t0) / 1e9);
        out.put("sampled_tokens", samples.get(0).get(0).tokenIds().length);
        out.put("peak_rss_mib_after_sampling", Throughput.peakResidentMib());
        out.put("max_heap_mib", Runtime.getRuntime().maxMemory() / (1024 * 1024));
        out.putAll(ThreadSettings.describe());
        System.out.println(Json.line(out));
    }
}
