package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model directory in Hugging Face's layout: {@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json} and optionally {@code generation_config.json}. A saved directory is published
 * atomically (written aside, then renamed into place).
 *
 * <p>Loading is strict, so that a checkpoint never silently computes another function than its
 * config.json defines: config fields are read as {@link ModelConfig#read(Path, Set)} describes, and every
 * tensor of model.safetensors must be used by the model. The only tensors that may be left over are
 * buffers whose content is checked against what rpo4j computes anyway (GPT-2's causal {@code attn.bias}
 * masks and {@code attn.masked_bias} fill values, Llama's {@code rotary_emb.inv_freq}), a tied
 * {@code lm_head.weight} equal to the embedding, and tensors the caller names in {@link LoadOptions}.
 */
public final class ModelDirectory {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String GENERATION_CONFIG = "generation_config.json";

    /** Relative tolerance for a stored inv_freq buffer: bfloat16 rounding (2^-9) passes, another theta does not. */
    static final double INV_FREQ_TOLERANCE = 1e-2;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);

    /** A loaded model with its tokenizer. */
    public record Loaded(TransformerLM model, Tokenizer tokenizer) {
    }

    /**
     * What a caller vouches may be ignored when loading.
     *
     * @param ignorableTensors      names of tensors in model.safetensors that the model may leave unused; {@code *}
     *                              matches any characters (e.g. {@code model.layers.*.self_attn.rotary_emb.cos_cached})
     * @param ignorableConfigFields top-level config.json fields unknown to rpo4j that do not change the function
     */
    public record LoadOptions(Set<String> ignorableTensors, Set<String> ignorableConfigFields) {
        /** Nothing ignored beyond the checked buffers. */
        public static final LoadOptions STRICT = new LoadOptions(Set.of(), Set.of());

        public LoadOptions {
            ignorableTensors = Set.copyOf(ignorableTensors);
            ignorableConfigFields = Set.copyOf(ignorableConfigFields);
        }

        boolean ignoresTensor(String name) {
            for (String pattern : ignorableTensors) {
                String regex = Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*"));
                if (Pattern.matches(regex, name)) {
                    return true;
                }
            }
            return false;
        }
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

    /** Loads the model and tokenizer of a directory strictly; errors name the file, field or tensor at fault. */
    public static Loaded load(Path dir) throws IOException {
        return load(dir, LoadOptions.STRICT);
    }

    /**
     * Loads the model and tokenizer of a directory; errors name the file, field or tensor at fault. The end
     * ids of generation_config.json, when the file is there, are added to config.json's.
     */
    public static Loaded load(Path dir, LoadOptions options) throws IOException {
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
        ModelConfig config = ModelConfig.read(configFile, options.ignorableConfigFields());
        config = withGenerationEndIds(config, dir.resolve(GENERATION_CONFIG));
        Map<String, INDArray> raw = SafeTensors.read(weightsFile);
        Map<String, INDArray> weights;
        try {
            weights = usedTensors(config, raw, options);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(weightsFile, e.getMessage());
        }
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
     * The eos_token_id of generation_config.json (one id or a list), which Hugging Face's generate stops at,
     * added to the config's end ids. Other generation settings are not read: rpo4j's sampler takes them
     * from its caller.
     */
    static ModelConfig withGenerationEndIds(ModelConfig config, Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return config;
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(file + ": not a JSON object");
        }
        try {
            List<Integer> ids = new ArrayList<>(config.endTokenIds());
            ids.addAll(ModelConfig.endTokenIds(n.get("eos_token_id"), "eos_token_id"));
            return config.withEndTokenIds(ids);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tensors the model uses, under rpo4j's names: GPT2LMHeadModel's {@code transformer.} prefix is
     * dropped; checked buffers and a tied copy of the embedding are left out. Any other tensor the model
     * would not use fails the load with every such name, unless the options name it as ignorable.
     */
    static Map<String, INDArray> usedTensors(ModelConfig config, Map<String, INDArray> raw, LoadOptions options) {
        Map<String, long[]> expected = TransformerLM.expectedShapes(config);
        Map<String, INDArray> out = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        double[] invFreq = null;
        for (Map.Entry<String, INDArray> e : raw.entrySet()) {
            String name = e.getKey();
            INDArray value = e.getValue();
            if (config.family() == Family.GPT2 && name.startsWith("transformer.")) {
                name = name.substring("transformer.".length());
            }
            if (expected.containsKey(name)) {
                out.put(name, value);
            } else if (config.family() == Family.GPT2 && name.matches("h\\.\\d+\\.attn\\.bias")) {
                requireCausalMask(e.getKey(), value);
            } else if (config.family() == Family.GPT2 && name.matches("h\\.\\d+\\.attn\\.masked_bias")) {
                // The fill value older versions used for masked scores; rpo4j masks with -infinity, as current
                // versions do, and both give future positions zero weight.
                require(value.length() == 1, e.getKey(), "a masked_bias buffer must hold one value, got shape "
                        + Arrays.toString(value.shape()));
            } else if (!config.family().gpt2Layout() && name.matches("model\\.(layers\\.\\d+\\.self_attn\\.)?rotary_emb\\.inv_freq")) {
                invFreq = invFreq == null ? Rope.inverseFrequencies(config) : invFreq;
                requireFrequencies(e.getKey(), value, invFreq, config);
            } else if (name.equals("lm_head.weight") && config.tieEmbeddings()) {
                INDArray embedding = raw.get(config.family() == Family.GPT2
                        ? (raw.containsKey("wte.weight") ? "wte.weight" : "transformer.wte.weight")
                        : "model.embed_tokens.weight");
                require(embedding != null && embedding.equalShapes(value) && sameValues(embedding, value), name,
                        "differs from the token embedding, but tie_word_embeddings is true: the output head would be "
                                + "the embedding and this tensor unused");
            } else if (!options.ignoresTensor(e.getKey())) {
                unexpected.add(e.getKey());
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("tensors " + unexpected + " are not used by a " + config.family().modelType()
                    + " model with this config.json; the checkpoint may define another function (if they are harmless, "
                    + "name them as ignorable: --ignore-tensor NAME)");
        }
        return out;
    }

    /**
     * Whether two arrays of one shape hold exactly the same values, compared without a double-precision copy of
     * either when their types agree (an output head is as large as the embedding: 0.5 GB at 0.5B parameters).
     */
    private static boolean sameValues(INDArray a, INDArray b) {
        if (a.dataType() != b.dataType()) {
            return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue() == 0;
        }
        return !a.neq(b).any();
    }

    private static void require(boolean ok, String tensor, String detail) {
        if (!ok) {
            throw new IllegalArgumentException("tensor \"" + tensor + "\" " + detail);
        }
    }

    /** GPT-2's attn.bias buffer (1, 1, N, N): ones on and below the diagonal, zeros above, the causal mask. */
    private static void requireCausalMask(String tensor, INDArray mask) {
        long[] shape = mask.shape();
        require(shape.length == 4 && shape[0] == 1 && shape[1] == 1 && shape[2] == shape[3], tensor,
                "is not a causal mask of shape [1, 1, N, N]: " + Arrays.toString(shape));
        int n = (int) shape[2];
        float[] values = mask.castTo(DataType.FLOAT).dup('c').data().asFloat();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                float want = j <= i ? 1f : 0f;
                require(values[i * n + j] == want, tensor, "is not the causal mask rpo4j applies: entry [" + i + ", "
                        + j + "] is " + values[i * n + j] + ", not " + want);
            }
        }
    }

    /** A stored inv_freq buffer must be the frequencies config.json defines, to bfloat16 rounding. */
    private static void requireFrequencies(String tensor, INDArray stored, double[] invFreq, ModelConfig config) {
        require(stored.rank() == 1 && stored.length() == invFreq.length, tensor, "has shape "
                + Arrays.toString(stored.shape()) + " but the head width " + config.headWidth() + " gives ["
                + invFreq.length + "]");
        for (int i = 0; i < invFreq.length; i++) {
            double v = stored.getDouble(i);
            require(Math.abs(v - invFreq[i]) <= INV_FREQ_TOLERANCE * invFreq[i], tensor, "entry " + i + " is " + v
                    + " but config.json (rope_theta = " + config.ropeTheta() + ", rope scaling " + config.ropeScaling()
                    + ") gives " + invFreq[i] + ": the checkpoint was made with other rotary frequencies");
        }
    }
}
