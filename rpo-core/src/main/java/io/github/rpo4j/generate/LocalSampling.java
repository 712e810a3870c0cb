package io.github.rpo4j.generate;

import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.util.List;

/** {@link SamplingBackend#local()}: one {@link Sampler} in this JVM, requests one after another. */
final class LocalSampling implements SamplingBackend {

    static final LocalSampling INSTANCE = new LocalSampling();

    private LocalSampling() {
    }

    @Override
    public void generate(TransformerLM model, Tokenizer tokenizer, List<SamplingRequest> requests,
                         ResultConsumer consumer) throws IOException {
        Sampler sampler = new Sampler(model, tokenizer);
        for (int i = 0; i < requests.size(); i++) {
            SamplingRequest r = requests.get(i);
            consumer.accept(i, sampler.generate(r.prompts(), r.samplesPerPrompt(), r.settings()));
        }
    }

    @Override
    public String describe() {
        return "local";
    }
}
