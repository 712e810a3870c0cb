package io.github.rpo4j.iterate;

import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Draws a list of requests through a loop's {@link SamplingBackend} and keeps every result, for the multi-turn loops,
 * whose next turn needs all of this turn's samples: each request's result is its samples per prompt, in request
 * order.
 */
final class Draws {

    private Draws() {
    }

    /**
     * @param what names the draw in the error that a failed one becomes
     */
    static List<List<List<Sample>>> all(SamplingBackend backend, TransformerLM model, Tokenizer tokenizer,
                                        List<SamplingRequest> requests, String what) {
        List<List<List<Sample>>> out = new ArrayList<>(Collections.nCopies(requests.size(), null));
        try {
            backend.generate(model, tokenizer, requests, (index, drawn) -> out.set(index, drawn));
        } catch (IOException e) {
            throw new UncheckedIOException(what + " failed: " + e.getMessage(), e);
        }
        return out;
    }
}
