package io.github.rpo4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link SamplingBackend#local(int)}: its workers draw exactly what one thread draws, hand the results on in request
 * order on the calling thread, stop on a failure that names its request, and leave no thread behind. (That each
 * worker runs one native thread is checked in a JVM without OMP_NUM_THREADS, by {@code ThreadIndependenceTest}.)
 */
class LocalSamplingTest {

    private static final CharTokenizer CHARACTERS = CharTokenizer.ofAlphabet("0123456789+-=. abcdefghij");
    private static final TransformerLM MODEL = TransformerLM.initialize(
            ModelConfig.gpt2(CHARACTERS.vocabSize(), 40, 1, 16, 2), 3, DataType.FLOAT);

    /**
     * Requests of every kind the loop makes: chunks of prompts of mixed lengths (left padding), sampling with and
     * without top-k and top-p, greedy, stop strings, one and several samples per prompt.
     */
    private static List<SamplingRequest> requests(int count) {
        List<SamplingRequest> list = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            List<int[]> prompts = new ArrayList<>();
            for (int p = 0; p < 1 + r % 3; p++) {
                prompts.add(CHARACTERS.encode("12+" + (r * 7 + p) + "=".repeat(1 + (r + p) % 4)));
            }
            SamplingSettings settings = switch (r % 4) {
                case 0 -> SamplingSettings.sampling(1.2, 10, 100 + r);
                case 1 -> SamplingSettings.greedy(8);
                case 2 -> SamplingSettings.sampling(0.9, 12, 100 + r).withTopK(5).withStopStrings(List.of("."));
                default -> SamplingSettings.sampling(1.5, 9, 100 + r).withTopP(0.8);
            };
            list.add(new SamplingRequest(prompts, r % 4 == 1 ? 1 : 1 + r % 3, settings));
        }
        return list;
    }

    /** Every result, by request, with the order and the thread in which the consumer got them. */
    private record Drawn(List<List<List<Sample>>> results, List<Integer> order, Set<String> consumerThreads) {
    }

    private static Drawn draw(SamplingBackend backend, Tokenizer tokenizer, List<SamplingRequest> requests)
            throws IOException {
        List<List<List<Sample>>> results = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        backend.generate(MODEL, tokenizer, requests, (index, samples) -> {
            order.add(index);
            results.add(samples);
            threads.add(Thread.currentThread().getName());
        });
        return new Drawn(results, order, threads);
    }

    private static List<Thread> workersAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(LocalSampling.THREAD_NAME) && t.isAlive()).toList();
    }

    @AfterEach
    void noWorkerOutlivesItsCall() {
        assertEquals(List.of(), workersAlive());
    }

    @Test
    void twoAndThreeThreadsDrawBitForBitWhatOneThreadDraws() throws IOException {
        List<SamplingRequest> requests = requests(11);
        Drawn one = draw(SamplingBackend.local(), new ThreadWatchingTokenizer(CHARACTERS), requests);
        assertSame(SamplingBackend.local(), SamplingBackend.local(1));
        for (int threads : new int[] {2, 3}) {
            ThreadWatchingTokenizer watching = new ThreadWatchingTokenizer(CHARACTERS);
            Drawn many = draw(SamplingBackend.local(threads), watching, requests);
            assertEquals(one.results().size(), many.results().size());
            for (int r = 0; r < requests.size(); r++) {
                assertSameSamples(one.results().get(r), many.results().get(r), threads + " threads, request " + r);
            }
            // Drawn on the workers (how many of them got work depends on timing), none on the calling thread.
            Set<String> workers = watching.decodesByThread().keySet();
            assertTrue(workers.stream().allMatch(n -> n.startsWith(LocalSampling.THREAD_NAME)), workers.toString());
        }
        // The samples are not all alike, so equality above says something.
        assertFalse(one.results().get(0).get(0).get(0).text().equals(one.results().get(4).get(0).get(0).text())
                && one.results().get(0).get(0).get(0).text().equals(one.results().get(8).get(0).get(0).text()));
    }

    @Test
    void theConsumerGetsEveryRequestInOrderOnTheCallingThread() throws IOException {
        List<SamplingRequest> requests = requests(13);
        Drawn drawn = draw(SamplingBackend.local(3), new ThreadWatchingTokenizer(CHARACTERS), requests);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            expected.add(i);
        }
        assertEquals(expected, drawn.order());
        assertEquals(Set.of(Thread.currentThread().getName()), drawn.consumerThreads());
    }

    @Test
    void aFailedRequestIsNamedAndStopsTheWorkers() {
        int failing = 2;
        int count = 40;
        // One prompt and one sample each, no stop strings: a request that finishes decodes exactly once.
        List<SamplingRequest> requests = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            requests.add(new SamplingRequest(List.of(CHARACTERS.encode("3+" + r + "=")), 1,
                    SamplingSettings.sampling(1.0, 6, r)));
        }
        requests.set(failing, new SamplingRequest(List.of(new int[0]), 2, SamplingSettings.sampling(1, 4, 1)));
        for (int threads : new int[] {1, 3}) {
            ThreadWatchingTokenizer watching = new ThreadWatchingTokenizer(CHARACTERS);
            List<Integer> order = Collections.synchronizedList(new ArrayList<>());
            SamplingRequestException e = assertThrows(SamplingRequestException.class, () -> SamplingBackend
                    .local(threads).generate(MODEL, watching, requests, (index, samples) -> order.add(index)));
            assertEquals(failing, e.requestIndex());
            assertTrue(e.getMessage().startsWith("sampling request 2 of 40 (1 prompt(s), 2 sample(s) each, seed 1) "
                    + "failed: java.lang.IllegalArgumentException: prompt 0 is empty"), e.getMessage());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertEquals(List.of(0, 1), order, threads + " threads: the requests before the failed one are handed on");
            // After the failure no worker starts a request, and none ever runs further ahead of the consumer (still
            // at request 2) than its window: far fewer than the 39 requests that could be drawn.
            int mostFinished = threads == 1 ? failing : failing + LocalSampling.AHEAD_PER_THREAD * threads;
            assertTrue(watching.decodes() >= failing && watching.decodes() <= mostFinished,
                    threads + " threads: " + watching.decodes() + " requests drawn");
            assertEquals(List.of(), workersAlive());
        }
    }

    @Test
    void aFailingConsumerStopsTheWorkersAndItsExceptionComesOut() {
        List<SamplingRequest> requests = requests(30);
        IOException thrown = new IOException("disk full");
        ThreadWatchingTokenizer watching = new ThreadWatchingTokenizer(CHARACTERS);
        IOException e = assertThrows(IOException.class, () -> SamplingBackend.local(2).generate(MODEL, watching,
                requests, (index, samples) -> {
                    if (index == 1) {
                        throw thrown;
                    }
                }));
        assertSame(thrown, e);
        assertEquals(List.of(), workersAlive());
    }

    @Test
    void aThreadCountBelowOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SamplingBackend.local(0));
        assertEquals("sampling threads must be >= 1, got 0", e.getMessage());
        assertEquals("local", SamplingBackend.local(1).describe());
        assertEquals("local, 2 threads", SamplingBackend.local(2).describe());
        assertTrue(SamplingBackend.isLocal(SamplingBackend.local(2)));
    }

    static void assertSameSamples(List<List<Sample>> expected, List<List<Sample>> actual, String where) {
        assertEquals(expected.size(), actual.size(), where);
        for (int p = 0; p < expected.size(); p++) {
            assertEquals(expected.get(p).size(), actual.get(p).size(), where);
            for (int s = 0; s < expected.get(p).size(); s++) {
                Sample e = expected.get(p).get(s);
                Sample a = actual.get(p).get(s);
                String at = where + ", prompt " + p + ", sample " + s;
                assertEquals(e.promptIndex(), a.promptIndex(), at);
                assertArrayEquals(e.tokenIds(), a.tokenIds(), at);
                assertArrayEquals(e.logProbs(), a.logProbs(), 0.0, at);
                assertEquals(e.text(), a.text(), at);
                assertEquals(e.finish(), a.finish(), at);
            }
        }
    }
}
