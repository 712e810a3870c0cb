package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The priority-queue merge of {@link BpeModel} against a plain reference written here: repeatedly apply the
 * applicable adjacent pair with the lowest merge rank, the leftmost among equals, rescanning the whole word
 * each time (quadratic, obviously right).
 */
class BpeMergeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Random merge tables over the alphabet "abcd" (each merge makes a new token) and random words. */
    @Test
    void mergesAsThePlainReference() throws IOException {
        Random random = new Random(11);
        for (int table = 0; table < 30; table++) {
            List<String> vocab = new ArrayList<>(List.of("a", "b", "c", "d"));
            List<String[]> merges = new ArrayList<>();
            Map<String, Boolean> seenPairs = new HashMap<>();
            int mergeCount = 5 + random.nextInt(40);
            while (merges.size() < mergeCount) {
                String left = vocab.get(random.nextInt(vocab.size()));
                String right = vocab.get(random.nextInt(vocab.size()));
                String merged = left + right;
                if (merged.length() > 8 || vocab.contains(merged) || seenPairs.containsKey(left + " " + right)) {
                    continue;
                }
                seenPairs.put(left + " " + right, true);
                merges.add(new String[]{left, right});
                vocab.add(merged);
            }
            BpeModel model = model(vocab, merges);
            for (int w = 0; w < 40; w++) {
                StringBuilder word = new StringBuilder();
                int length = 1 + random.nextInt(w < 35 ? 30 : 400);
                for (int i = 0; i < length; i++) {
                    word.append("abcd".charAt(random.nextInt(4)));
                }
                String text = word.toString();
                int[] actual = model.tokenize(new PreTokenizers.Piece(text, true, false));
                assertArrayEquals(reference(text, vocab, merges), actual, "table " + table + ", word " + text);
            }
        }
    }

    @Test
    void longWordsMergeCompletely() throws IOException {
        // "a a" -> "aa", "aa aa" -> "aaaa", ...: a word of 2^16 a's becomes one token of 2^k letters repeated.
        List<String> vocab = new ArrayList<>(List.of("a", "b", "c", "d"));
        List<String[]> merges = new ArrayList<>();
        String token = "a";
        for (int k = 0; k < 6; k++) {
            merges.add(new String[]{token, token});
            token = token + token;
            vocab.add(token);
        }
        BpeModel model = model(vocab, merges);
        int[] ids = model.tokenize(new PreTokenizers.Piece("a".repeat(1 << 16), true, false));
        assertEquals((1 << 16) / 64, ids.length);
        for (int id : ids) {
            assertEquals(vocab.indexOf(token), id);
        }
    }

    private static BpeModel model(List<String> vocab, List<String[]> merges) throws IOException {
        ObjectNode model = JSON.createObjectNode().put("type", "BPE");
        ObjectNode vocabNode = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            vocabNode.put(vocab.get(i), i);
        }
        ArrayNode mergesNode = model.putArray("merges");
        for (String[] merge : merges) {
            mergesNode.addArray().add(merge[0]).add(merge[1]);
        }
        return BpeModel.parse(null, model);
    }

    private static int[] reference(String text, List<String> vocab, List<String[]> merges) {
        List<String> symbols = new ArrayList<>();
        for (char c : text.toCharArray()) {
            symbols.add(String.valueOf(c));
        }
        while (true) {
            int bestRank = Integer.MAX_VALUE;
            int bestPosition = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                for (int rank = 0; rank < merges.size() && rank < bestRank; rank++) {
                    if (merges.get(rank)[0].equals(symbols.get(i)) && merges.get(rank)[1].equals(symbols.get(i + 1))) {
                        bestRank = rank;
                        bestPosition = i;
                    }
                }
            }
            if (bestPosition < 0) {
                break;
            }
            symbols.set(bestPosition, symbols.get(bestPosition) + symbols.get(bestPosition + 1));
            symbols.remove(bestPosition + 1);
        }
        return symbols.stream().mapToInt(vocab::indexOf).toArray();
    }
}
