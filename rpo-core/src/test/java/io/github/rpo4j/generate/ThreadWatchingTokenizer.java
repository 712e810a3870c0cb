package io.github.rpo4j.generate;

import io.github.rpo4j.tensor.NativeThreads;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Another tokenizer's encoding and decoding, noting on which threads samples were decoded (a sampler decodes on the
 * thread that draws) and the OpenMP thread count each of those threads had.
 */
public final class ThreadWatchingTokenizer implements Tokenizer {

    private final Tokenizer inner;
    private final Map<String, AtomicInteger> decodesByThread = new ConcurrentHashMap<>();
    private final Set<Integer> openMpThreadsSeen = ConcurrentHashMap.newKeySet();
    private final AtomicInteger decodes = new AtomicInteger();

    public ThreadWatchingTokenizer(Tokenizer inner) {
        this.inner = inner;
    }

    /** Decodes per thread name. */
    public Map<String, AtomicInteger> decodesByThread() {
        return decodesByThread;
    }

    /** The OpenMP thread counts of the threads that decoded. */
    public Set<Integer> openMpThreadsSeen() {
        return openMpThreadsSeen;
    }

    public int decodes() {
        return decodes.get();
    }

    @Override
    public int[] encode(String text) {
        return inner.encode(text);
    }

    @Override
    public String decode(int[] ids, int from, int to) {
        decodes.incrementAndGet();
        decodesByThread.computeIfAbsent(Thread.currentThread().getName(), k -> new AtomicInteger()).incrementAndGet();
        openMpThreadsSeen.add(NativeThreads.openMpThreadsOfCurrentThread());
        return inner.decode(ids, from, to);
    }

    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    @Override
    public OptionalInt eosId() {
        return inner.eosId();
    }

    @Override
    public OptionalInt bosId() {
        return inner.bosId();
    }

    @Override
    public String tokenText(int id) {
        return inner.tokenText(id);
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return inner.specialTokens();
    }

    @Override
    public void save(Path modelDir) throws IOException {
        inner.save(modelDir);
    }
}
