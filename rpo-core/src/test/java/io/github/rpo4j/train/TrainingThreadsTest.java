package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.tensor.NativeThreads;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TrainingThreadsTest {

    @Test
    void resultsComeInPartOrderFromSeveralThreads() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        try (TrainingThreads threads = TrainingThreads.start(3)) {
            List<Integer> out = threads.map(12, i -> {
                names.add(Thread.currentThread().getName());
                sleep((12 - i) % 4 * 5L); // later parts often finish first
                return i * i;
            });
            assertEquals(IntStream.range(0, 12).map(i -> i * i).boxed().toList(), out);
        }
        assertTrue(names.stream().allMatch(n -> n.startsWith(TrainingThreads.THREAD_NAME)), names.toString());
        assertTrue(names.size() > 1, "more than one worker ran parts: " + names);
    }

    @Test
    void oneThreadRunsThePartsOnTheCallingThread() {
        String caller = Thread.currentThread().getName();
        try (TrainingThreads threads = TrainingThreads.start(1)) {
            assertEquals(List.of(caller, caller), threads.map(2, i -> Thread.currentThread().getName()));
        }
    }

    @Test
    void theLowestFailingPartsErrorIsThrownAfterEveryPartEnded() {
        Set<Integer> ended = ConcurrentHashMap.newKeySet();
        try (TrainingThreads threads = TrainingThreads.start(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.map(6, i -> {
                sleep(i == 2 ? 30 : 1);
                ended.add(i);
                if (i == 2 || i == 4) {
                    throw new IllegalStateException("part " + i);
                }
                return i;
            }));
            assertEquals("part 2", e.getMessage());
            assertEquals(Set.of(0, 1, 2, 3, 4, 5), ended);
        }
    }

    @Test
    void workersRunOneNativeThreadEach() {
        org.nd4j.linalg.factory.Nd4j.scalar(0f); // ND4J's backend loads first, as it has when a model exists
        try (TrainingThreads threads = TrainingThreads.start(2)) {
            Integer applied = NativeThreads.applyDefaults(); // null: OMP_NUM_THREADS governs, as OpenMP reads it
            int expected = applied != null ? applied : Integer.parseInt(System.getenv("OMP_NUM_THREADS").trim());
            List<Integer> counts = threads.map(4, i -> NativeThreads.openMpThreadsOfCurrentThread());
            assertEquals(List.of(expected, expected, expected, expected), counts);
        }
    }

    @Test
    void aCountBelowOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingThreads.start(0));
        assertEquals("training threads must be >= 1, got 0", e.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
