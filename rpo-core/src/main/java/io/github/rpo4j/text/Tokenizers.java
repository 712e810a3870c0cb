package io.github.rpo4j.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Loads the tokenizer stored with a model. */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * Loads the {@value Tokenizer#FILE_NAME} of a model directory (or the given file itself, if
     * {@code modelDirOrFile} is a regular file) and picks the implementation from {@code model.type}:
     * {@code "BPE"} gives a {@link BpeTokenizer}, {@code "WordLevel"} a {@link CharTokenizer}
     * (which accepts only the per-character layout it writes itself).
     *
     * @param modelDirOrFile a model directory containing {@value Tokenizer#FILE_NAME}, or the file
     * @return the tokenizer
     * @throws NoSuchFileException      if there is no tokenizer file
     * @throws TokenizerFormatException if the file is malformed or describes an unsupported tokenizer
     * @throws IOException              if the file cannot be read
     */
    public static Tokenizer load(Path modelDirOrFile) throws IOException {
        Path file = Files.isDirectory(modelDirOrFile) ? modelDirOrFile.resolve(Tokenizer.FILE_NAME) : modelDirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no " + Tokenizer.FILE_NAME + " found");
        }
        JsonNode root = TokenizerJson.read(file);
        JsonNode model = TokenizerJson.requireObject(file, root, "model", "model");
        String type = TokenizerJson.requireText(file, model, "type", "model.type");
        return switch (type) {
            case "BPE" -> BpeTokenizer.fromJson(file, root);
            case "WordLevel" -> CharTokenizer.fromJson(file, root);
            default -> throw new TokenizerFormatException(file, "model.type", "unsupported model type \"" + type
                    + "\"; supported: \"BPE\" and \"WordLevel\" (per-character)");
        };
    }

    /**
     * {@code tokenizer} with {@code endId} as its {@link Tokenizer#eosId()} (the id completions end with), or
     * {@code tokenizer} itself when that is already its end token.
     *
     * @throws IllegalArgumentException if {@code endId} is not one of its special tokens
     */
    public static Tokenizer withEndToken(Tokenizer tokenizer, int endId) {
        if (!tokenizer.specialTokens().containsValue(endId)) {
            throw new IllegalArgumentException("end token id " + endId + " is not a special token of the tokenizer");
        }
        if (tokenizer.eosId().isPresent() && tokenizer.eosId().getAsInt() == endId) {
            return tokenizer;
        }
        Tokenizer inner = tokenizer instanceof WithEndToken w ? w.tokenizer() : tokenizer;
        return new WithEndToken(inner, endId);
    }
}
