package io.github.rpo4j.benchmarks;

import io.github.rpo4j.text.BpeTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Encoding speed of {@link BpeTokenizer}: ordinary text, and one long word (the case a quadratic merge makes
 * slow). Prints one JSON object per tokenizer; {@code tokenizer-speed.js} measures Hugging Face's Rust
 * tokenizer on the same inputs the same way, and {@code tokenizer-speed.sh} runs both and prints the ratios.
 *
 * <p>Usage: {@code TokenizerSpeed TEXT_FILE SECONDS WORD_LETTERS TOKENIZER_JSON...}. Ordinary text: the file
 * is encoded whole, repeatedly for about SECONDS after a warm-up (so both sides' caches are warm), and the
 * median time of one encode is reported. Long word: WORD_LETTERS pseudo-random lowercase letters, encoded
 * 21 times on a freshly loaded tokenizer after that warm-up; the first, the median and the best time are reported.
 */
public final class TokenizerSpeed {

    private static final int WORD_RUNS = 21;

    private TokenizerSpeed() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: TokenizerSpeed TEXT_FILE SECONDS WORD_LETTERS TOKENIZER_JSON...");
            System.exit(2);
        }
        String text = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        double seconds = Double.parseDouble(args[1]);
        String word = randomWord(Integer.parseInt(args[2]));
        for (int t = 3; t < args.length; t++) {
            Path file = Path.of(args[t]);
            BpeTokenizer tokenizer = BpeTokenizer.load(file);
            int tokens = 0;
            long warmEnd = System.nanoTime() + (long) (Math.min(2.0, seconds / 2) * 1e9);
            do {
                tokens = tokenizer.encode(text).length;
            } while (System.nanoTime() < warmEnd);
            double[] times = new double[100_000];
            int runs = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            do {
                long start = System.nanoTime();
                tokenizer.encode(text);
                times[runs++] = (System.nanoTime() - start) / 1e6;
            } while (System.nanoTime() < end && runs < times.length);
            Arrays.sort(times, 0, runs);
            double medianMs = times[runs / 2];
            // The long word after the warm-up: a piece this long is cached by neither side, so each encode merges.
            BpeTokenizer fresh = BpeTokenizer.load(file);
            int wordTokens = 0;
            double[] wordTimes = new double[WORD_RUNS];
            for (int r = 0; r < WORD_RUNS; r++) {
                long start = System.nanoTime();
                wordTokens = fresh.encode(word).length;
                wordTimes[r] = (System.nanoTime() - start) / 1e6;
            }
            double wordFirstMs = wordTimes[0];
            Arrays.sort(wordTimes);
            double wordMedianMs = wordTimes[WORD_RUNS / 2];
            double wordBestMs = wordTimes[0];
            int bytes = text.getBytes(StandardCharsets.UTF_8).length;
            System.out.printf(java.util.Locale.ROOT,
                    "{\"impl\":\"rpo4j\",\"tokenizer\":\"%s\",\"text_bytes\":%d,\"tokens\":%d,\"runs\":%d,"
                            + "\"median_ms\":%.3f,\"mb_per_s\":%.2f,\"word_letters\":%d,\"word_tokens\":%d,"
                            + "\"word_first_ms\":%.1f,\"word_median_ms\":%.1f,\"word_best_ms\":%.1f}%n",
                    file, bytes, tokens, runs, medianMs, bytes / 1e6 / (medianMs / 1e3), word.length(), wordTokens,
                    wordFirstMs, wordMedianMs, wordBestMs);
        }
    }

    /**
     * Lowercase ASCII letters from a 31-bit linear congruential generator seeded with 0, written so that
     * tokenizer-speed.js computes the same word with 32-bit integer arithmetic.
     */
    static String randomWord(int letters) {
        int state = 0;
        char[] chars = new char[letters];
        for (int i = 0; i < letters; i++) {
            state = (state * 1103515245 + 12345) & 0x7fffffff;
            chars[i] = (char) ('a' + (state >>> 16) % 26);
        }
        return new String(chars);
    }
}
