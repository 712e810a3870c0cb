package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How rotary frequencies are rescaled for a longer context: Hugging Face's {@code rope_scaling}
 * (transformers 4.x) or the scaling part of {@code rope_parameters} (5.x). Only the types rpo4j
 * implements exist here; {@link ModelConfig#fromJson} refuses the others by name.
 *
 * @param type                  which rule, by its {@code rope_type}
 * @param factor                how much longer the context is (LINEAR, LLAMA3); 1 for NONE
 * @param lowFreqFactor         LLAMA3: wavelengths above original / lowFreqFactor are divided by factor
 * @param highFreqFactor        LLAMA3: wavelengths below original / highFreqFactor are kept
 * @param originalContextLength LLAMA3: {@code original_max_position_embeddings}, the pre-training context
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalContextLength) {

    /** A rescaling rule, named as Hugging Face's {@code rope_type}. */
    public enum Type {
        /** Plain rotary frequencies theta^(-2i/D). */
        NONE("default"),
        /** Every frequency divided by factor (position interpolation). */
        LINEAR("linear"),
        /** Llama 3.1's rule: low frequencies divided by factor, high ones kept, a smooth ramp between. */
        LLAMA3("llama3");

        private final String ropeType;

        Type(String ropeType) {
            this.ropeType = ropeType;
        }

        public String ropeType() {
            return ropeType;
        }
    }

    /** No rescaling. */
    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 0, 0, 0);

    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("invalid rope scaling: type is null");
        }
        if (type != Type.NONE && !(factor > 0 && Double.isFinite(factor))) {
            throw new IllegalArgumentException("invalid rope scaling: factor = " + factor + " (must be > 0)");
        }
        if (type == Type.LLAMA3) {
            if (!(highFreqFactor > lowFreqFactor) || !(lowFreqFactor > 0)) {
                throw new IllegalArgumentException("invalid rope scaling: high_freq_factor = " + highFreqFactor
                        + " must be greater than low_freq_factor = " + lowFreqFactor + " > 0");
            }
            if (originalContextLength <= 0) {
                throw new IllegalArgumentException("invalid rope scaling: original_max_position_embeddings = "
                        + originalContextLength + " (must be > 0)");
            }
        }
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(Type.LINEAR, factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor,
                                     int originalContextLength) {
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalContextLength);
    }

    /**
     * Rescales inverse frequencies (radians per position) in place and returns them.
     *
     * <p>LLAMA3 works on wavelengths 2 pi / f against the original context: a wavelength shorter than
     * original / highFreqFactor keeps its frequency, one longer than original / lowFreqFactor gets f / factor,
     * and one in between gets (1 - s) f / factor + s f with s = (original / wavelength - lowFreqFactor) /
     * (highFreqFactor - lowFreqFactor).
     */
    double[] rescale(double[] inverseFrequencies) {
        for (int i = 0; i < inverseFrequencies.length; i++) {
            double f = inverseFrequencies[i];
            inverseFrequencies[i] = switch (type) {
                case NONE -> f;
                case LINEAR -> f / factor;
                case LLAMA3 -> {
                    double wavelength = 2 * Math.PI / f;
                    if (wavelength < originalContextLength / highFreqFactor) {
                        yield f;
                    }
                    if (wavelength > originalContextLength / lowFreqFactor) {
                        yield f / factor;
                    }
                    double smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    yield (1 - smooth) * f / factor + smooth * f;
                }
            };
        }
        return inverseFrequencies;
    }

    /** As config.json names it: {@code default}, {@code linear(factor=4.0)}, {@code llama3(factor=8.0, ...)}. */
    @Override
    public String toString() {
        return switch (type) {
            case NONE -> type.ropeType();
            case LINEAR -> type.ropeType() + "(factor=" + factor + ")";
            case LLAMA3 -> type.ropeType() + "(factor=" + factor + ", low_freq_factor=" + lowFreqFactor
                    + ", high_freq_factor=" + highFreqFactor + ", original_max_position_embeddings="
                    + originalContextLength + ")";
        };
    }

    /** The {@code rope_scaling} object of config.json, or null for NONE. */
    ObjectNode toJson() {
        if (type == Type.NONE) {
            return null;
        }
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("rope_type", type.ropeType());
        n.put("factor", factor);
        if (type == Type.LLAMA3) {
            n.put("low_freq_factor", lowFreqFactor);
            n.put("high_freq_factor", highFreqFactor);
            n.put("original_max_position_embeddings", originalContextLength);
        }
        return n;
    }
}
