package io.github.rpo4j.model;

import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model directory in Hugging Face's layout: {@code config.json}, {@code model.safetensors} and
 * {@code tokenizer.json}. A real GPT-2 or Llama checkpoint directory loads as it is; a saved
 * directory is published atomically (written aside, then renamed into place).
 */
public final class ModelDirectory {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";

    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);

    /** A loaded model with its tokenizer. */
    public record Loaded(TransformerLM model, Tokenizer tokenizer) {
    }

    private ModelDirectory() {
    }

    /** Writes config.json, model.safetensors and tokenizer.json into {@code dir}, replacing it atomically. */
    public static void save(Path dir, TransformerLM model, Tokenizer tokenizer) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        AtomicFiles.publishDirectory(dir, tmp -> {
            model.config().write(tmp.resolve(CONFIG));
            SafeTensors.write(tmp.resolve(WEIGHTS), model.weights(), Map.of("format", "pt"));
            tokenizer.save(tmp);
        });
    }

    /**
     * Whether {@code dir} holds a complete model directory: all three files exist, config.json parses, and
     * the weights file's header is valid and accounts for exactly the file's size. A directory whose weights
     * were truncated or whose config is damaged is not complete, so a run never resumes from it.
     */
    public static boolean isComplete(Path dir) {
        if (!Files.isRegularFile(dir.resolve(CONFIG)) || !Files.isRegularFile(dir.resolve(WEIGHTS))
                || !Files.isRegularFile(dir.resolve(Tokenizer.FILE_NAME))) {
            return false;
        }
        try {
            ModelConfig.read(dir.resolve(CONFIG));
            SafeTensors.readHeader(dir.resolve(WEIGHTS));
            return true;
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("{} is not a usable model directory: {}", dir, e.getMessage());
            return false;
        }
    }

    /** Loads the model and tokenizer of a directory; errors name the file, field or tensor at fault. */
    public static Loaded load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "not a model directory");
        }
        Path configFile = dir.resolve(CONFIG);
        Path weightsFile = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(configFile)) {
            throw new NoSuchFileException(configFile.toString(), null, "a model directory needs config.json");
        }
        if (!Files.isRegularFile(weightsFile)) {
            String hint = Files.exists(dir.resolve("model.safetensors.index.json"))
                    ? "sharded checkpoints are not supported; merge the shards into one model.safetensors"
                    : "a model directory needs model.safetensors";
            throw new NoSuchFileException(weightsFile.toString(), null, hint);
        }
        ModelConfig config = ModelConfig.read(configFile);
        Map<String, INDArray> raw = SafeTensors.read(weightsFile);
        Map<String, INDArray> weights = canonicalNames(config, raw);
        TransformerLM model;
        try {
            model = new TransformerLM(config, weights);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(weightsFile, e.getMessage());
        }
        Tokenizer tokenizer = Tokenizers.load(dir);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new CheckpointFormatException(dir.resolve(Tokenizer.FILE_NAME), "the tokenizer has "
                    + tokenizer.vocabSize() + " ids but config.json's vocab_size is " + config.vocabSize());
        }
        return new Loaded(model, tokenizer);
    }

    /**
     * Maps the names a checkpoint may use to rpo4j's: GPT2LMHeadModel's {@code transformer.} prefix is
     * dropped, attention-mask buffers and a tied {@code lm_head.weight} are ignored; other unknown
     * tensors are reported and ignored, as Hugging Face does.
     */
    static Map<String, INDArray> canonicalNames(ModelConfig config, Map<String, INDArray> raw) {
        Map<String, long[]> expected = TransformerLM.expectedShapes(config);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : raw.entrySet()) {
            String name = e.getKey();
            if (config.family() == Family.GPT2 && name.startsWith("transformer.")) {
                name = name.substring("transformer.".length());
            }
            if (expected.containsKey(name)) {
                out.put(name, e.getValue());
            } else if (name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")
                    || name.endsWith("rotary_emb.inv_freq") || (name.equals("lm_head.weight") && config.tieEmbeddings())) {
                continue; // buffers and tied copies carry nothing to load
            } else {
                LOG.warn("ignoring unexpected tensor {} in the checkpoint", name);
            }
        }
        return out;
    }
}
