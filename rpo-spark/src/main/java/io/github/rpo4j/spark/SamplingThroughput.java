package io.github.rpo4j.spark;

import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The sampling stage's throughput through {@link SamplingBackend#local()} (one thread in this JVM) and through
 * {@link SparkSampling} on the master given, on the same requests: tokens per second, each local request's time (the
 * per-chunk time that predicts a cluster's), the Spark call's overhead over its tasks' share of that time, and
 * whether both gave the same samples.
 *
 * <p>Usage (the Spark master from {@code spark.master}, default {@code local[2]}):
 * <pre>{@code java <Spark's --add-opens> -cp <rpo-spark, rpo-core and Spark> -Dspark.master=local[2] \
 *     io.github.rpo4j.spark.SamplingThroughput [chunks] [questions per chunk] [samples per question] [new tokens]}</pre>
 * The model is Throughput's M shape (6 layers, width 256, 8 heads, context 256) at random weights over a 64-symbol
 * alphabet; prompts are 24 random symbols. Prints one JSON line.
 */
public final class SamplingThroughput {

    private SamplingThroughput() {
    }

    public static void main(String[] args) throws IOException {
        int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int perChunk = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        String master = System.getProperty("spark.master", "local[2]");

        StringBuilder alphabet = new StringBuilder();
        for (char c = '!'; alphabet.length() < 63; c++) {
            alphabet.append(c);
        }
        Tokenizer tokenizer = CharTokenizer.ofAlphabet(alphabet.toString());
        ModelConfig config = ModelConfig.gpt2(tokenizer.vocabSize(), 256, 6, 256, 8);
        TransformerLM model = TransformerLM.initialize(config, 1, DataType.FLOAT);

        Random random = new Random(7);
        List<SamplingRequest> requests = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            List<int[]> prompts = new ArrayList<>();
            for (int q = 0; q < perChunk; q++) {
                int[] prompt = new int[24];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = random.nextInt(tokenizer.vocabSize());
                }
                prompts.add(prompt);
            }
            requests.add(new SamplingRequest(prompts, samples, SamplingSettings.sampling(0.8, newTokens, 100 + c)));
        }

        // Warm-up: JIT and native libraries of this JVM, outside the timings.
        SamplingBackend.local().generate(model, tokenizer, requests.subList(0, 1), (i, s) -> { });

        List<List<List<Sample>>> local = new ArrayList<>();
        double[] requestSeconds = new double[chunks];
        long[] mark = {System.nanoTime()};
        long localStart = mark[0];
        SamplingBackend.local().generate(model, tokenizer, requests, (i, s) -> {
            long now = System.nanoTime();
            requestSeconds[i] = (now - mark[0]) / 1e9;
            mark[0] = now;
            local.add(s);
        });
        double localSeconds = (System.nanoTime() - localStart) / 1e9;
        long tokens = 0; // generated tokens: a sample may end early at the tokenizer's end token
        for (List<List<Sample>> request : local) {
            for (List<Sample> forPrompt : request) {
                for (Sample sample : forPrompt) {
                    tokens += sample.tokenIds().length;
                }
            }
        }

        SparkConf conf = new SparkConf().setMaster(master).setAppName("rpo4j sampling throughput")
                .set("spark.ui.enabled", "false");
        try (JavaSparkContext spark = new JavaSparkContext(conf)) {
            SparkSampling backend = SparkSampling.on(spark);
            // Warm-up: the executors' JIT and native libraries, outside the timings.
            backend.generate(model, tokenizer, requests.subList(0, Math.min(chunks, spark.defaultParallelism())),
                    (i, s) -> { });
            List<List<List<Sample>>> distributed = new ArrayList<>();
            long sparkStart = System.nanoTime();
            backend.generate(model, tokenizer, requests, (i, s) -> distributed.add(s));
            double sparkSeconds = (System.nanoTime() - sparkStart) / 1e9;

            int slots = spark.defaultParallelism();
            double computeShare = Arrays.stream(requestSeconds).sum() / slots;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("master", master);
            out.put("task_slots", slots);
            out.put("chunks", chunks);
            out.put("questions_per_chunk", perChunk);
            out.put("samples_per_question", samples);
            out.put("max_new_tokens", newTokens);
            out.put("generated_tokens", tokens);
            out.put("model", "M: 6 layers, width 256, context 256, vocab " + tokenizer.vocabSize());
            out.put("local_seconds", round(localSeconds));
            out.put("local_tokens_per_second", round(tokens / localSeconds));
            out.put("local_chunk_seconds_mean", round(Arrays.stream(requestSeconds).average().orElse(0)));
            out.put("local_chunk_seconds_max", round(Arrays.stream(requestSeconds).max().orElse(0)));
            out.put("spark_seconds", round(sparkSeconds));
            out.put("spark_tokens_per_second", round(tokens / sparkSeconds));
            out.put("speedup", round(localSeconds / sparkSeconds));
            // What the Spark call took beyond its slots' share of the local compute: broadcast, task start-up, model
            // loads, result transfer, waves waiting for their slowest task, and any contention between slots.
            out.put("spark_overhead_seconds", round(sparkSeconds - computeShare));
            out.put("same_samples", sameSamples(local, distributed));
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(out));
        }
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    private static boolean sameSamples(List<List<List<Sample>>> a, List<List<List<Sample>>> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int r = 0; r < a.size(); r++) {
            for (int p = 0; p < a.get(r).size(); p++) {
                for (int s = 0; s < a.get(r).get(p).size(); s++) {
                    Sample x = a.get(r).get(p).get(s);
                    Sample y = b.get(r).get(p).get(s);
                    if (!Arrays.equals(x.tokenIds(), y.tokenIds()) || !Arrays.equals(x.logProbs(), y.logProbs())) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
}
