package io.github.rpo4j;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

/**
 * Seeded random, truncated and mutated inputs for parser fuzz tests, and the loop that feeds them to a parser:
 * every input must be accepted or rejected with one of the parser's documented exceptions, within a time
 * limit. Any other outcome fails with the input as base64, so that it can be replayed.
 */
public final class FuzzInputs {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** A case slower than this is reported, so that a slow path shows up before it becomes a hang. */
    private static final long SLOW_CASE_MILLIS = 500;
    private static final byte[][] TOKENS = bytes("\"", "{", "}", "[", "]", ",", ":", "\n", "\\", "\\u", "-1", "0",
            "1e309", "-0.0", "99999999999999999999999", "9223372036854775807", "18446744073709551615", "null", "true",
            "\u0000", "\u00e9", "\ud83d\ude00", " ", "NaN");

    /** Parses one input; throws whatever the parser throws. */
    @FunctionalInterface
    public interface Parser {
        void parse(byte[] input) throws Throwable;
    }

    private final Random random;

    /** Uses {@code -Drpo4j.fuzz.seed=N} instead of the test's seed when given, to explore other inputs. */
    public FuzzInputs(long seed) {
        this.random = new Random(Long.getLong("rpo4j.fuzz.seed", seed));
    }

    /** {@code -Drpo4j.fuzz.cases=N} runs longer campaigns than the quick default of the build. */
    public static int cases(int quickDefault) {
        return Integer.getInteger("rpo4j.fuzz.cases", quickDefault);
    }

    public Random random() {
        return random;
    }

    /**
     * Feeds {@code cases} inputs derived from the seeds to {@code parser}; each either parses or throws an
     * instance of one of {@code allowed}.
     */
    @SafeVarargs
    public final void run(int cases, Duration limit, List<byte[]> seeds, JsonMutator jsonMutator, Parser parser,
                          Class<? extends Throwable>... allowed) {
        byte[][] current = new byte[1][];
        assertTimeoutPreemptively(limit, () -> {
            for (int i = 0; i < cases; i++) {
                byte[] input = next(seeds, jsonMutator);
                current[0] = input;
                long start = System.nanoTime();
                try {
                    parser.parse(input);
                } catch (Throwable t) {
                    if (Arrays.stream(allowed).noneMatch(c -> c.isInstance(t))) {
                        AssertionError e = new AssertionError("case " + i + ": undocumented " + t
                                + " for the input (base64) " + Base64.getEncoder().encodeToString(input), t);
                        throw e;
                    }
                    if (t.getMessage() == null || t.getMessage().isBlank()) {
                        fail("case " + i + ": " + t.getClass().getName() + " without a message for the input (base64) "
                                + Base64.getEncoder().encodeToString(input));
                    }
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                if (millis > SLOW_CASE_MILLIS) {
                    System.err.println("case " + i + " took " + millis + " ms; input (base64) "
                            + Base64.getEncoder().encodeToString(input));
                }
            }
        }, () -> "a parser did not finish in time; the input in progress (base64): "
                + (current[0] == null ? "none" : Base64.getEncoder().encodeToString(current[0])));
    }

    /** Rewrites a JSON tree in place (the seed's own structure), or null for byte-level mutations only. */
    @FunctionalInterface
    public interface JsonMutator {
        byte[] mutate(byte[] seed, FuzzInputs fuzz) throws Exception;
    }

    private byte[] next(List<byte[]> seeds, JsonMutator jsonMutator) throws Exception {
        byte[] seed = seeds.get(random.nextInt(seeds.size()));
        switch (random.nextInt(jsonMutator == null ? 5 : 7)) {
            case 0:
                return randomBytes(random.nextInt(256));
            case 1:
                return Arrays.copyOf(seed, random.nextInt(seed.length + 1)); // truncated
            case 2:
                return flipBytes(seed, 1 + random.nextInt(4));
            case 3:
                return insertToken(seed);
            case 4:
                return spliceRange(seed);
            default:
                return jsonMutator.mutate(seed, this);
        }
    }

    public byte[] randomBytes(int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    public byte[] flipBytes(byte[] seed, int count) {
        byte[] b = seed.clone();
        for (int i = 0; i < count && b.length > 0; i++) {
            b[random.nextInt(b.length)] = (byte) random.nextInt(256);
        }
        return b;
    }

    private byte[] insertToken(byte[] seed) {
        byte[] token = TOKENS[random.nextInt(TOKENS.length)];
        int at = random.nextInt(seed.length + 1);
        byte[] b = new byte[seed.length + token.length];
        System.arraycopy(seed, 0, b, 0, at);
        System.arraycopy(token, 0, b, at, token.length);
        System.arraycopy(seed, at, b, at + token.length, seed.length - at);
        return b;
    }

    /** Deletes a random range, or duplicates it in place. */
    private byte[] spliceRange(byte[] seed) {
        if (seed.length == 0) {
            return seed;
        }
        int from = random.nextInt(seed.length);
        int to = from + random.nextInt(Math.min(64, seed.length - from) + 1);
        byte[] range = Arrays.copyOfRange(seed, from, to);
        byte[] head = Arrays.copyOf(seed, from);
        byte[] tail = Arrays.copyOfRange(seed, random.nextBoolean() ? to : from, seed.length);
        byte[] b = new byte[head.length + (random.nextBoolean() ? range.length : 0) + tail.length];
        int middle = b.length - head.length - tail.length;
        System.arraycopy(head, 0, b, 0, head.length);
        System.arraycopy(range, 0, b, head.length, middle);
        System.arraycopy(tail, 0, b, head.length + middle, tail.length);
        return b;
    }

    /** Replaces one randomly chosen value anywhere in the tree with a random JSON value. */
    public JsonNode mutateTree(JsonNode root) {
        List<JsonNode> containers = new ArrayList<>();
        collectContainers(root, containers);
        JsonNode parent = containers.get(random.nextInt(containers.size()));
        if (parent instanceof ObjectNode object) {
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            if (names.isEmpty() || random.nextInt(8) == 0) {
                object.set("extra" + random.nextInt(3), randomValue(2));
            } else if (random.nextInt(6) == 0) {
                object.remove(names.get(random.nextInt(names.size())));
            } else {
                object.set(names.get(random.nextInt(names.size())), randomValue(2));
            }
        } else if (parent instanceof ArrayNode array) {
            if (array.isEmpty() || random.nextInt(6) == 0) {
                array.add(randomValue(2));
            } else if (random.nextInt(6) == 0) {
                array.remove(random.nextInt(array.size()));
            } else {
                array.set(random.nextInt(array.size()), randomValue(2));
            }
        }
        return root;
    }

    private static void collectContainers(JsonNode node, List<JsonNode> out) {
        if (node.isContainerNode()) {
            out.add(node);
            Iterator<JsonNode> children = node.elements();
            while (children.hasNext()) {
                collectContainers(children.next(), out);
            }
        }
    }

    public JsonNode randomValue(int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        switch (random.nextInt(depth > 0 ? 12 : 10)) {
            case 0: return f.nullNode();
            case 1: return f.booleanNode(random.nextBoolean());
            case 2: return f.numberNode(random.nextInt(20) - 5);
            case 3: return f.numberNode(random.nextLong());
            case 4: return f.numberNode(random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
            case 5: return f.numberNode(random.nextDouble() * 1e6 - 5e5);
            case 6: return f.numberNode(new java.math.BigInteger(80, random));
            case 7: return f.textNode("");
            case 8: return f.textNode(randomText());
            case 9: return f.textNode(String.valueOf(random.nextInt(1000)));
            case 10: {
                ArrayNode a = f.arrayNode();
                int n = random.nextInt(4);
                for (int i = 0; i < n; i++) {
                    a.add(randomValue(depth - 1));
                }
                return a;
            }
            default: {
                ObjectNode o = f.objectNode();
                int n = random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    o.set(randomText(), randomValue(depth - 1));
                }
                return o;
            }
        }
    }

    private String randomText() {
        String alphabet = "ab #Ġ\u00e9\u4e2d\ud83d\ude00\u0000\n\"\\1-.";
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            sb.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                    random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
        }
        return sb.toString();
    }

    /** A JSON document's tree with one value replaced, serialised again. */
    public byte[] mutatedJson(byte[] seed) throws Exception {
        return JSON.writeValueAsBytes(mutateTree(JSON.readTree(seed)));
    }

    private static byte[][] bytes(String... tokens) {
        byte[][] out = new byte[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = tokens[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
