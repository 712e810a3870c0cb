package io.github.rpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Samplers on several threads of one JVM, as the task threads of a Spark executor run them: on one shared model
 * and on models of their own, with collections forced all the while (a collection while another thread is inside
 * a native call is what once freed a buffer ND4J was still reading). Every result must equal the one drawn alone.
 */
class ConcurrentSamplingTest {

    private static final int ROUNDS = 2; // each thread draws every request this many times
    private static final ModelConfig CONFIG = ModelConfig.gpt2(16, 48, 2, 32, 4); // GPT-2: every linear has a bias

    private static List<int[]> prompts(int request) {
        List<int[]> prompts = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int[] prompt = new int[2 + (request + p) % 4];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = (request * 5 + p * 3 + i) % 16;
            }
            prompts.add(prompt);
        }
        return prompts;
    }

    private static List<List<Sample>> draw(TransformerLM model, int request) {
        return new Sampler(model, ids -> "", -1).generate(prompts(request), 2, SamplingSettings.sampling(0.9, 12, 40 + request));
    }

    @Test
    void samplersOnFourThreadsDrawWhatEachDrawsAlone() throws InterruptedException {
        int requests = 4;
        TransformerLM shared = TransformerLM.initialize(CONFIG, 5, DataType.FLOAT);
        List<List<List<Sample>>> alone = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            alone.add(draw(shared, r));
        }

        AtomicBoolean running = new AtomicBoolean(true);
        Thread collector = new Thread(() -> {
            while (running.get()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        collector.setDaemon(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<List<List<List<Sample>>>> drawn = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            // threads 0 and 1 share a model; 2 and 3 each load their own copy (same seed, same weights)
            TransformerLM model = t < 2 ? shared : TransformerLM.initialize(CONFIG, 5, DataType.FLOAT);
            List<List<List<Sample>>> mine = new ArrayList<>();
            drawn.add(mine);
            int offset = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < ROUNDS * requests; i++) {
                        mine.add(draw(model, (i + offset) % requests)); // each thread in its own order
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        collector.start();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        running.set(false);
        assertNull(failure.get());
        for (int t = 0; t < threads.size(); t++) {
            assertEquals(ROUNDS * requests, drawn.get(t).size());
            for (int i = 0; i < ROUNDS * requests; i++) {
                int r = (i + t) % requests;
                LocalSamplingTest.assertSameSamples(alone.get(r), drawn.get(t).get(i),
                        "thread " + t + ", call " + i + ", request " + r);
            }
        }
    }
}
