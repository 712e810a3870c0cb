package io.github.rpo4j.generate;

/**
 * A {@link SamplingRequest} of a {@link SamplingBackend#local(int)} call failed: names the request (its index in the
 * call, its size and seed) and carries the failure as its cause. The same failure gives the same exception whatever
 * the number of threads.
 */
public final class SamplingRequestException extends RuntimeException {

    private final int requestIndex;

    SamplingRequestException(int requestIndex, int requestCount, SamplingRequest request, Throwable cause) {
        super("sampling request " + requestIndex + " of " + requestCount + " (" + request.prompts().size()
                + " prompt(s), " + request.samplesPerPrompt() + " sample(s) each, seed " + request.settings().seed()
                + ") failed: " + cause, cause);
        this.requestIndex = requestIndex;
    }

    /** The failed request's index in the list the backend was given. */
    public int requestIndex() {
        return requestIndex;
    }
}
