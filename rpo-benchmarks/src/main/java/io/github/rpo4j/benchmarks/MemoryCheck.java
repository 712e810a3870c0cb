package io.github.rpo4j.benchmarks;

import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.model.Family;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.RopeScaling;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 *
 * <p>{@code MemoryCheck checkpoint bf16|f32} measures loading instead: it writes a Qwen2.5-0.5B-shaped checkpoint
 * (the real Qwen2 layout, q/k/v biases included, randomly initialised) in Hugging Face's layout (config.json,
 * model.safetensors in the given dtype, a small tokenizer.json) to a temporary directory, then loads it with
 * {@link ModelDirectory#load} in a fresh JVM of the same command line, so that the peak resident memory of the
 * load is not that of the writing, and deletes the directory. Prints two JSON lines: the writing's, then the
 * loading's, with the peak resident memory after loading beside the size of the loaded weights.
 */
public final class MemoryCheck {

    private MemoryCheck() {
    }

    static ModelConfig qwen25HalfBillionShape(int context) {
        return ModelConfig.llama(151936, context, 24, 896, 14, 2, 4864).withTieEmbeddings(true)
                .withRope(1_000_000, io.github.rpo4j.model.RopeScaling.NONE);
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        NativeThreads.applyDefaults();
        ThreadSettings.applyFromSystemProperties();
        if (args.length == 2 && args[0].equals("checkpoint")) {
            writeAndLoadCheckpoint(storedType(args[1]));
            return;
        }
        if (args.length == 2 && args[0].equals("load")) {
            load(Path.of(args[1]));
            return;
        }
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

    /** Qwen2.5-0.5B's configuration (config.json of the release): Qwen2 layout, tied embeddings, end id 151643. */
    static ModelConfig qwen25HalfBillion() {
        return new ModelConfig(Family.QWEN2, 151936, 32768, 24, 896, 14, 2, 64, 4864, 1e-6, 1_000_000,
                RopeScaling.NONE, false, false, 0, 0, true, List.of(151643));
    }

    private static SafeTensors.DType storedType(String name) {
        return switch (name) {
            case "bf16" -> SafeTensors.DType.BF16;
            case "f32" -> SafeTensors.DType.F32;
            default -> throw new IllegalArgumentException("checkpoint dtype \"" + name + "\": bf16 or f32");
        };
    }

    /** Writes the checkpoint, loads it in a child JVM and deletes it. */
    private static void writeAndLoadCheckpoint(SafeTensors.DType dtype) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("rpo4j-memory-check");
        try {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("phase", "write");
            out.put("shape", "Qwen2.5-0.5B (qwen2 layout with q/k/v biases), random weights, seed 0");
            out.put("stored_dtype", dtype.name());
            long t0 = System.nanoTime();
            ModelConfig config = qwen25HalfBillion();
            TransformerLM model = TransformerLM.initialize(config, 0, DataType.FLOAT);
            config.write(dir.resolve(ModelDirectory.CONFIG));
            SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), model.weights(), Map.of("format", "pt"), dtype);
            CharTokenizer.ofAlphabet("0123456789 +-*/=").save(dir);
            out.put("params", model.parameterCount());
            out.put("write_s", (System.nanoTime() - t0) / 1e9);
            out.put("file_mib", Files.size(dir.resolve(ModelDirectory.WEIGHTS)) / (1024 * 1024));
            out.put("writer_peak_rss_mib", Throughput.peakResidentMib());
            System.out.println(Json.line(out));
            model = null; // the child's load must not compete with this JVM's copy for memory
            System.gc();

            List<String> command = new ArrayList<>();
            command.add(ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(MemoryCheck.class.getName());
            command.add("load");
            command.add(dir.toString());
            int status = new ProcessBuilder(command).inheritIO().start().waitFor();
            if (status != 0) {
                throw new IllegalStateException("the loading JVM exited with status " + status);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    /** Loads a model directory through the real loader and reports peak resident memory against the weights. */
    private static void load(Path dir) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("phase", "load");
        out.put("stored_dtype", SafeTensors.readHeader(dir.resolve(ModelDirectory.WEIGHTS)).tensors().values()
                .iterator().next().dtype().name());
        out.put("file_mib", Files.size(dir.resolve(ModelDirectory.WEIGHTS)) / (1024 * 1024));
        out.put("peak_rss_mib_before_load", Throughput.peakResidentMib());
        long t0 = System.nanoTime();
        TransformerLM model = ModelDirectory.load(dir).model();
        out.put("load_s", (System.nanoTime() - t0) / 1e9);
        long weightBytes = model.parameters().values().stream()
                .mapToLong(t -> t.value().length() * t.value().dataType().width()).sum();
        out.put("params", model.parameterCount());
        out.put("loaded_dtype", model.dataType().name());
        out.put("weights_mib", weightBytes / (1024 * 1024));
        out.put("peak_rss_mib_after_load", Throughput.peakResidentMib());
        Runtime runtime = Runtime.getRuntime();
        out.put("heap_used_mib_after_load", (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024));
        out.put("max_heap_mib", runtime.maxMemory() / (1024 * 1024));
        int[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
        try (Tape.Scope ignored = Tape.noGrad()) {
            INDArray logits = model.forward(ids, 1, ids.length).value(); // (8, V)
            out.put("logits_finite", logits.isInfinite().any() || logits.isNaN().any() ? "no" : "yes");
        }
        out.put("peak_rss_mib_after_forward", Throughput.peakResidentMib());
        out.putAll(ThreadSettings.describe());
        System.out.println(Json.line(out));
    }
}
