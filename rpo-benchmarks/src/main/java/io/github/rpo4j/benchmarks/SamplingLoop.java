package io.github.rpo4j.benchmarks;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.NativeThreads;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link Throughput}'s sampling work (32 prompts x 96 new tokens, one {@code Sampler} on one thread) repeated, to
 * profile decoding: one call lasts about a second, too short for a sampling profiler on its own.
 *
 * <p>Usage: {@code java -XX:StartFlightRecording=filename=s.jfr,settings=profile
 * -XX:FlightRecorderOptions:stackdepth=512 -cp benchmarks.jar io.github.rpo4j.benchmarks.SamplingLoop S 15}: the
 * configuration and the number of calls; prints each call's tokens per second of wall time and of the calling
 * thread's CPU time.
 */
public final class SamplingLoop {

    private SamplingLoop() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: SamplingLoop S|M|L|G CALLS");
            System.exit(2);
        }
        NativeThreads.applyDefaults();
        Throughput.Size size = Throughput.Size.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
        int calls = Integer.parseInt(args[1]);
        TransformerLM model = TransformerLM.initialize(size.config(), 0, DataType.FLOAT);
        Random random = new Random(0);
        for (int i = 0; i < calls; i++) {
            double[] rates = Throughput.sampleTokensPerSecond(model, size, random);
            System.out.printf("%d %d%n", Math.round(rates[0]), Math.round(rates[1]));
        }
    }
}
