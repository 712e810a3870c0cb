package io.github.rpo4j.iterate;

/**
 * The former name of {@link SCoRe}, kept so that existing code compiles.
 *
 * @deprecated "score" names log-probability scoring; the self-correction method is {@link SCoRe}
 */
@Deprecated
public final class Score {

    /** {@link SCoRe#DEFAULT_INSTRUCTION}. */
    public static final String DEFAULT_INSTRUCTION = SCoRe.DEFAULT_INSTRUCTION;

    private Score() {
    }

    /** {@link SCoRe#builder()}. */
    public static SCoRe.Builder builder() {
        return SCoRe.builder();
    }
}
