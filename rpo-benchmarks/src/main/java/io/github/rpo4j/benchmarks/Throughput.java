package io.github.rpo4j.benchmarks;

import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.SequenceBatch;
import io.github.rpo4j.train.ShardedLogProbs;
import io.github.rpo4j.train.TrainingSettings;
import io.github.rpo4j.train.TrainingThreads;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * End-to-end tokens per second of a GPT-2 family model on the same work as the PyTorch peer
 * (rpo-benchmarks/src/main/python/torch_peer.py): an AdamW training step over batch x context random
 * tokens, and batched sampling of 32 prompts x 96 new tokens with a KV cache.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.github.rpo4j.benchmarks.Throughput [S] [M] [L] [G]}
 * (S, M and L when none are named). Prints one JSON line per configuration. System properties:
 * {@code -Dtrain.steps=N} timed training steps (default 10, as the peer), {@code -Dsampling=false} to time
 * training only, {@code -Dsgemm.peak=false} to skip the sgemm-peak measurement, {@code -Dtrain.shards=N} and
 * {@code -Dtrain.threads=N} the gradient shards and threads of a training step (the trainers' defaults:
 * {@link TrainingSettings#DEFAULT_GRADIENT_SHARDS} shards, every core), and the thread limits of {@link ThreadSettings}.
 *
 * <p>A training step runs as the trainers run one: the summed log-probs of the batch's sequences through
 * {@link ShardedLogProbs}, differentiated with the gradient of their mean token NLL, then AdamW. Each sequence is
 * one prompt token and {@code context} completion tokens, so that every one of the batch x context positions is
 * predicted, as in the peer's cross-entropy.
 */
public final class Throughput {

    /** The peer's configurations: vocabulary, context, layers, width, heads, training batch. */
    enum Size {
        S(64, 128, 4, 128, 4, 16),
        M(64, 256, 6, 256, 8, 8),
        L(512, 256, 8, 512, 8, 8),
        /** GPT-2 small's shape (124M parameters) with the context cut to 256. */
        G(50257, 256, 12, 768, 12, 4);

        final int vocab;
        final int context;
        final int layers;
        final int width;
        final int heads;
        final int batch;

        Size(int vocab, int context, int layers, int width, int heads, int batch) {
            this.vocab = vocab;
            this.context = context;
            this.layers = layers;
            this.width = width;
            this.heads = heads;
            this.batch = batch;
        }

        ModelConfig config() {
            return ModelConfig.gpt2(vocab, context, layers, width, heads);
        }
    }

    static final int WARMUP_STEPS = 3;
    static final int SAMPLE_PROMPTS = 32;
    static final int PROMPT_TOKENS = 16;
    static final int NEW_TOKENS = 96;
    static final double TEMPERATURE = 0.8;
    static final double LEARNING_RATE = 1e-3;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean PROCESS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private Throughput() {
    }

    public static void main(String[] args) {
        // rpo-core's default of one native thread (NativeThreads), or -Drpo.threads / OMP_NUM_THREADS
        NativeThreads.applyDefaults();
        ThreadSettings.applyFromSystemProperties();
        int steps = Integer.getInteger("train.steps", 10);
        List<Size> sizes = new ArrayList<>();
        for (String a : args) {
            sizes.add(Size.valueOf(a.toUpperCase(java.util.Locale.ROOT)));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(Size.S, Size.M, Size.L);
        }
        Double peak = null;
        if (Boolean.parseBoolean(System.getProperty("sgemm.peak", "true")) && (sizes.contains(Size.L) || sizes.contains(Size.G))) {
            peak = SgemmPeak.peak();
        }
        for (Size size : sizes) {
            System.out.println(Json.line(measure(size, steps, peak)));
        }
    }

    static Map<String, Object> measure(Size size, int steps, Double sgemmPeakGflops) {
        ModelConfig config = size.config();
        TransformerLM model = TransformerLM.initialize(config, 0, DataType.FLOAT);
        long params = model.parameterCount();
        Random random = new Random(0);

        int tokens = size.batch * size.context;
        List<SequenceBatch.Sequence> sequences = new ArrayList<>();
        for (int b = 0; b < size.batch; b++) {
            sequences.add(new SequenceBatch.Sequence(randomIds(random, 1, size.vocab),
                    randomIds(random, size.context, size.vocab)));
        }
        int shards = Integer.getInteger("train.shards", TrainingSettings.DEFAULT_GRADIENT_SHARDS);
        int trainThreads = Integer.getInteger("train.threads", TrainingThreads.defaultThreads());
        AdamW opt = new AdamW(model.parameters(), AdamW.Settings.defaults());
        double trainCpuMs;
        double trainProcessCpuMs;
        double trainSeconds;
        try (TrainingThreads threads = TrainingThreads.start(trainThreads)) {
            for (int i = 0; i < WARMUP_STEPS; i++) {
                trainStep(model, opt, sequences, size, shards, threads);
            }
            long t0 = System.nanoTime();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long p0 = PROCESS.getProcessCpuTime();
            for (int i = 0; i < steps; i++) {
                trainStep(model, opt, sequences, size, shards, threads);
            }
            trainCpuMs = (THREADS.getCurrentThreadCpuTime() - c0) / 1e6 / steps;
            trainProcessCpuMs = (PROCESS.getProcessCpuTime() - p0) / 1e6 / steps;
            trainSeconds = (System.nanoTime() - t0) / 1e9;
        }
        double trainTokensPerSecond = (double) tokens * steps / trainSeconds;

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("config", size.name());
        out.put("V", size.vocab);
        out.put("T", size.context);
        out.put("L", size.layers);
        out.put("d", size.width);
        out.put("h", size.heads);
        out.put("B", size.batch);
        out.put("params", params);
        out.put("train_steps", steps);
        out.put("train_shards", shards);
        out.put("train_threads", trainThreads);
        out.put("train_tokens_per_s", Math.round(trainTokensPerSecond));
        out.put("train_ms_per_step", trainSeconds * 1000 / steps);
        // CPU time of the calling thread (user + system), which with one training thread and one OpenMP thread
        // does all the work: on a shared machine it moves far less with other jobs' load than wall time does.
        // With several training threads the workers do it, and the process's CPU time (JIT and GC included)
        // is the figure to read.
        out.put("train_cpu_ms_per_step", trainCpuMs);
        out.put("train_process_cpu_ms_per_step", trainProcessCpuMs);
        if (Boolean.parseBoolean(System.getProperty("sampling", "true"))) {
            double[] sample = sampleTokensPerSecond(model, size, random);
            out.put("sample_tokens_per_s", Math.round(sample[0]));
            out.put("sample_cpu_tokens_per_s", Math.round(sample[1]));
            int sampleThreads = Integer.getInteger("sample.threads", SamplingBackend.defaultThreads());
            out.put("sample_threads", sampleThreads);
            out.put("sample_threads_tokens_per_s", Math.round(sampleOnThreadsTokensPerSecond(model, size, random,
                    sampleThreads)));
        }
        // The usual 6 N D estimate: forward 2 N D, backward 4 N D (attention scores not counted).
        double trainGflops = 6.0 * params * trainTokensPerSecond / 1e9;
        out.put("train_model_gflops", trainGflops);
        if (sgemmPeakGflops != null) {
            out.put("sgemm_peak_gflops", sgemmPeakGflops);
            out.put("train_fraction_of_sgemm_peak", trainGflops / sgemmPeakGflops);
        }
        out.put("peak_rss_mib", peakResidentMib());
        out.putAll(ThreadSettings.describe());
        return out;
    }

    /**
     * One warm-up call, then one timed call: 32 prompts x 96 new tokens at temperature 0.8, no end token.
     *
     * @return tokens per second of wall time, and per second of the calling thread's CPU time
     */
    static double[] sampleTokensPerSecond(TransformerLM model, Size size, Random random) {
        Sampler sampler = new Sampler(model, generated -> "", -1);
        SamplingSettings settings = SamplingSettings.sampling(TEMPERATURE, NEW_TOKENS, 1);
        sampler.generate(randomPrompts(random, size.vocab), 1, settings);
        List<int[]> prompts = randomPrompts(random, size.vocab);
        long s0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        sampler.generate(prompts, 1, settings);
        double cpuSeconds = (THREADS.getCurrentThreadCpuTime() - c0) / 1e9;
        double sampleSeconds = (System.nanoTime() - s0) / 1e9;
        double tokens = (double) SAMPLE_PROMPTS * NEW_TOKENS;
        return new double[] {tokens / sampleSeconds, tokens / cpuSeconds};
    }

    /**
     * The same work as {@link #sampleTokensPerSecond} drawn as the loops draw it: the 32 prompts in {@code threads}
     * requests (chunks) through {@link SamplingBackend#local(int)}, one worker thread per request. One warm-up call,
     * then one timed call.
     *
     * @return tokens per second of wall time
     */
    static double sampleOnThreadsTokensPerSecond(TransformerLM model, Size size, Random random, int threads) {
        SamplingBackend backend = SamplingBackend.local(threads);
        SamplingSettings settings = SamplingSettings.sampling(TEMPERATURE, NEW_TOKENS, 1);
        drawInChunks(backend, model, randomPrompts(random, size.vocab), threads, settings);
        List<int[]> prompts = randomPrompts(random, size.vocab);
        long s0 = System.nanoTime();
        drawInChunks(backend, model, prompts, threads, settings);
        double seconds = (System.nanoTime() - s0) / 1e9;
        return (double) SAMPLE_PROMPTS * NEW_TOKENS / seconds;
    }

    private static void drawInChunks(SamplingBackend backend, TransformerLM model, List<int[]> prompts, int chunks,
                                     SamplingSettings settings) {
        List<SamplingRequest> requests = new ArrayList<>();
        int per = (prompts.size() + chunks - 1) / chunks;
        for (int from = 0; from < prompts.size(); from += per) {
            requests.add(new SamplingRequest(prompts.subList(from, Math.min(prompts.size(), from + per)), 1, settings));
        }
        try {
            backend.generate(model, NO_END_TOKENIZER, requests, (i, samples) -> { });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Decodes nothing and has no end token, so that every sample runs its full length, as in the peer. */
    private static final Tokenizer NO_END_TOKENIZER = new Tokenizer() {
        @Override
        public int[] encode(String text) {
            throw new UnsupportedOperationException("the benchmark samples from token ids");
        }

        @Override
        public String decode(int[] ids, int from, int to) {
            return "";
        }

        @Override
        public int vocabSize() {
            return Integer.MAX_VALUE;
        }

        @Override
        public java.util.OptionalInt eosId() {
            return java.util.OptionalInt.empty();
        }

        @Override
        public java.util.OptionalInt bosId() {
            return java.util.OptionalInt.empty();
        }

        @Override
        public String tokenText(int id) {
            return "";
        }

        @Override
        public Map<String, Integer> specialTokens() {
            return Map.of();
        }

        @Override
        public void save(java.nio.file.Path directory) {
            throw new UnsupportedOperationException("the benchmark's tokenizer is never saved");
        }
    };

    /** The process's peak resident memory so far (VmHWM of /proc/self/status), in MiB; -1 where unavailable. */
    static long peakResidentMib() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    static void trainStep(TransformerLM model, AdamW opt, List<SequenceBatch.Sequence> sequences, Size size,
                          int shards, TrainingThreads threads) {
        ShardedLogProbs logProbs = ShardedLogProbs.forward(model, sequences, size.context, shards, threads);
        double[] gradient = new double[sequences.size()];
        java.util.Arrays.fill(gradient, -1.0 / ((double) size.batch * size.context)); // d mean NLL / d log p
        logProbs.backward(gradient);
        opt.step(LEARNING_RATE);
    }

    private static int[] randomIds(Random random, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }

    private static List<int[]> randomPrompts(Random random, int vocab) {
        List<int[]> prompts = new ArrayList<>();
        for (int p = 0; p < SAMPLE_PROMPTS; p++) {
            prompts.add(randomIds(random, PROMPT_TOKENS, vocab));
        }
        return prompts;
    }
}
