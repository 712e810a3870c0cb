package io.github.rpo4j.generate;

import io.github.rpo4j.model.KvCache;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batched generation with a key/value cache.
 *
 * <p>Prompts of different lengths are left-padded to the longest; padded keys are masked and
 * positions count from each prompt's first real token, so a padded prompt decodes exactly as it
 * would alone. Each distinct prompt is run once and its cache is shared by its samples. Finished
 * samples are dropped from the batch as they end.
 *
 * <p>Two things that silently cost accuracy are logged as warnings, each once per sampler: a prompt so long
 * that {@code maxNewTokens} no longer fits the context (its samples are cut at the context's end), and more
 * than {@link #TRUNCATION_WARNING_FRACTION} of the samples drawn so far ending at the token limit rather than
 * at the end token (a completion cut short is usually counted as wrong).
 *
 * <p>One sampler may draw on several threads at once (the local sampling backend's workers share one): a call
 * only reads the model's parameters, has its own key/value cache, scratch arrays and random generator, and shares
 * with other calls only constants the ops build once under a lock (causal masks, rows of ones); the warnings' counts
 * are the sampler's one shared state, kept under its lock.
 */
public final class Sampler {

    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    /** Above this fraction of samples ending at the token limit (with at least {@value #TRUNCATION_MIN_SAMPLES} drawn), a warning is logged. */
    public static final double TRUNCATION_WARNING_FRACTION = 0.2;
    static final int TRUNCATION_MIN_SAMPLES = 8;

    private final TransformerLM model;
    private final Function<int[], String> decoder;
    private final Set<Integer> endTokenIds;
    private boolean warnedContext;
    private boolean warnedTruncation;
    private long drawn;
    private long endedAtLimit;

    /**
     * A sampler that decodes with {@code tokenizer} and ends a sample at its end token, if it has one, and at
     * every end id of the model's configuration.
     */
    public Sampler(TransformerLM model, Tokenizer tokenizer) {
        this(model, tokenizer::decode, tokenizer.eosId().orElse(-1));
    }

    /**
     * A sampler that ends a sample at {@code endTokenId} and at every end id of the model's configuration
     * (config.json's and generation_config.json's eos_token_id, which may list several).
     *
     * @param decoder    turns generated ids into text (for stop strings and {@link Sample#text()})
     * @param endTokenId an id that ends a sample (usually the tokenizer's end of text), or -1 for none
     */
    public Sampler(TransformerLM model, Function<int[], String> decoder, int endTokenId) {
        this(model, decoder, withConfiguredEnds(model, endTokenId));
    }

    /**
     * A sampler that ends a sample at exactly the given ids.
     *
     * @param decoder     turns generated ids into text (for stop strings and {@link Sample#text()})
     * @param endTokenIds the ids that end a sample; empty for none
     */
    public Sampler(TransformerLM model, Function<int[], String> decoder, Collection<Integer> endTokenIds) {
        this.model = model;
        this.decoder = decoder;
        this.endTokenIds = Set.copyOf(endTokenIds);
    }

    private static Set<Integer> withConfiguredEnds(TransformerLM model, int endTokenId) {
        Set<Integer> ids = new LinkedHashSet<>(model.config().endTokenIds());
        if (endTokenId >= 0) {
            ids.add(endTokenId);
        }
        return ids;
    }

    /** The ids that end a sample. */
    public Set<Integer> endTokenIds() {
        return endTokenIds;
    }

    /**
     * Draws {@code samplesPerPrompt} continuations of each prompt.
     *
     * @return one list per prompt, in prompt order, each with its samples in order
     */
    public List<List<Sample>> generate(List<int[]> prompts, int samplesPerPrompt, SamplingSettings settings) {
        if (prompts.isEmpty()) {
            return List.of();
        }
        if (samplesPerPrompt < 1) {
            throw new IllegalArgumentException("samplesPerPrompt must be >= 1, got " + samplesPerPrompt);
        }
        int promptCount = prompts.size();
        int longest = 0;
        for (int i = 0; i < promptCount; i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " is empty");
            }
            longest = Math.max(longest, prompts.get(i).length);
        }
        int context = model.config().contextLength();
        if (longest >= context) {
            throw new IllegalArgumentException("a prompt of " + longest + " tokens leaves no room in the context of " + context);
        }
        int maxNew = Math.min(settings.maxNewTokens(), context - longest);
        if (maxNew < settings.maxNewTokens() && firstContextWarning()) {
            LOG.warn("maxNewTokens {} plus a prompt of {} tokens exceeds the model's context of {}: samples of that "
                    + "prompt stop after {} tokens; shorten the prompt, lower maxNewTokens or use a model with a longer "
                    + "context", settings.maxNewTokens(), longest, context, maxNew);
        }
        int vocab = model.config().vocabSize();

        try (Tape.Scope ignored = Tape.noGrad()) {
            // Prefill every distinct prompt once: (P, Lp), left-padded.
            int[] ids = new int[promptCount * longest];
            int[] positions = new int[promptCount * longest];
            double[] padMask = new double[promptCount * longest];
            int[] pad = new int[promptCount];
            for (int p = 0; p < promptCount; p++) {
                int[] prompt = prompts.get(p);
                pad[p] = longest - prompt.length;
                for (int t = 0; t < longest; t++) {
                    int i = p * longest + t;
                    boolean real = t >= pad[p];
                    ids[i] = real ? prompt[t - pad[p]] : prompt[0];
                    positions[i] = Math.max(0, t - pad[p]);
                    padMask[i] = real ? 1 : 0;
                }
            }
            // With prompts of one length nothing is padded: no mask to build, widen and apply each step.
            boolean anyPadding = Arrays.stream(pad).anyMatch(n -> n > 0);
            INDArray keyPadding = anyPadding
                    ? Nd4j.create(padMask, new long[] {promptCount, longest}, 'c').castTo(model.dataType()) : null;
            KvCache cache = new KvCache(model.config(), promptCount, longest + maxNew, model.dataType());
            Tensor hidden = model.hidden(ids, promptCount, longest, positions, keyPadding, cache); // (P*Lp, C)
            int[] lastRows = new int[promptCount];
            for (int p = 0; p < promptCount; p++) {
                lastRows[p] = p * longest + longest - 1;
            }
            INDArray promptLogits = model.logits(Tensor.constant(hidden.value().getRows(lastRows))).value(); // (P, V)

            // Expand to one row per sample; row r continues prompt r / samplesPerPrompt.
            int rows = promptCount * samplesPerPrompt;
            int[] expand = new int[rows];
            for (int r = 0; r < rows; r++) {
                expand[r] = r / samplesPerPrompt;
            }
            cache = cache.selectRows(expand);
            keyPadding = keyPadding == null ? null : keyPadding.getRows(expand);
            INDArray logits = promptLogits.getRows(expand);

            SplittableRandom random = new SplittableRandom(settings.seed());
            List<List<Integer>> generated = new ArrayList<>();
            List<List<Double>> logProbs = new ArrayList<>();
            Sample.Finish[] finish = new Sample.Finish[rows];
            String[] texts = new String[rows];
            for (int r = 0; r < rows; r++) {
                generated.add(new ArrayList<>());
                logProbs.add(new ArrayList<>());
            }
            int[] active = new int[rows]; // batch row -> sample index
            for (int r = 0; r < rows; r++) {
                active[r] = r;
            }
            double[] scratch = new double[vocab];
            for (int step = 0; step < maxNew && active.length > 0; step++) {
                float[] flat = logits.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
                int[] next = new int[active.length];
                boolean anyFinished = false;
                for (int b = 0; b < active.length; b++) {
                    int sample = active[b];
                    int token = TokenChooser.choose(flat, b * vocab, vocab, settings, random, scratch);
                    next[b] = token;
                    generated.get(sample).add(token);
                    logProbs.get(sample).add(TokenChooser.logProb(flat, b * vocab, vocab, token));
                    if (endTokenIds.contains(token)) {
                        finish[sample] = Sample.Finish.END_TOKEN;
                    } else if (!settings.stopStrings().isEmpty()) {
                        String text = decoder.apply(toArray(generated.get(sample)));
                        for (String stop : settings.stopStrings()) {
                            int at = text.indexOf(stop);
                            if (at >= 0) {
                                finish[sample] = Sample.Finish.STOP_STRING;
                                texts[sample] = text.substring(0, at);
                                break;
                            }
                        }
                    }
                    anyFinished |= finish[sample] != null;
                }
                if (step == maxNew - 1) {
                    break;
                }
                if (anyFinished) {
                    // Drop finished rows from the batch: their cache rows, padding and next tokens.
                    int[] current = active;
                    int[] keep = Arrays.stream(range(current.length)).filter(b -> finish[current[b]] == null).toArray();
                    if (keep.length == 0) {
                        break;
                    }
                    int[] stillActive = new int[keep.length];
                    int[] keptNext = new int[keep.length];
                    for (int i = 0; i < keep.length; i++) {
                        stillActive[i] = active[keep[i]];
                        keptNext[i] = next[keep[i]];
                    }
                    cache = cache.selectRows(keep);
                    keyPadding = keyPadding == null ? null : keyPadding.getRows(keep);
                    active = stillActive;
                    next = keptNext;
                }
                int[] pos = new int[active.length];
                for (int b = 0; b < active.length; b++) {
                    pos[b] = longest + step - pad[active[b] / samplesPerPrompt];
                }
                if (keyPadding != null) {
                    keyPadding = Nd4j.concat(1, keyPadding, Nd4j.ones(keyPadding.dataType(), active.length, 1));
                }
                logits = model.forward(next, active.length, 1, pos, keyPadding, cache).value(); // (R, V)
            }

            List<List<Sample>> out = new ArrayList<>();
            for (int p = 0; p < promptCount; p++) {
                List<Sample> forPrompt = new ArrayList<>();
                for (int s = 0; s < samplesPerPrompt; s++) {
                    int r = p * samplesPerPrompt + s;
                    int[] tokens = toArray(generated.get(r));
                    Sample.Finish f = finish[r] == null ? Sample.Finish.MAX_TOKENS : finish[r];
                    String text = texts[r];
                    if (text == null) {
                        int end = f == Sample.Finish.END_TOKEN ? tokens.length - 1 : tokens.length;
                        text = decoder.apply(Arrays.copyOf(tokens, end));
                    }
                    double[] lp = logProbs.get(r).stream().mapToDouble(Double::doubleValue).toArray();
                    forPrompt.add(new Sample(p, tokens, text, lp, f));
                }
                out.add(forPrompt);
            }
            noteTruncation(out, maxNew);
            return out;
        }
    }

    /** Whether the context warning is still to be given; true once. */
    private synchronized boolean firstContextWarning() {
        boolean first = !warnedContext;
        warnedContext = true;
        return first;
    }

    /** Counts samples that ended at the token limit and warns once when they become too many. */
    private synchronized void noteTruncation(List<List<Sample>> out, int limit) {
        for (List<Sample> forPrompt : out) {
            for (Sample sample : forPrompt) {
                drawn++;
                if (sample.finish() == Sample.Finish.MAX_TOKENS) {
                    endedAtLimit++;
                }
            }
        }
        if (!warnedTruncation && drawn >= TRUNCATION_MIN_SAMPLES
                && endedAtLimit > TRUNCATION_WARNING_FRACTION * drawn) {
            warnedTruncation = true;
            LOG.warn("{} of {} samples so far ended at the token limit ({} new tokens) without an end token; such "
                    + "completions are cut short and usually judged wrong: raise maxNewTokens if the context allows",
                    endedAtLimit, drawn, limit);
        }
    }

    private static int[] toArray(List<Integer> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = list.get(i);
        }
        return a;
    }

    private static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
