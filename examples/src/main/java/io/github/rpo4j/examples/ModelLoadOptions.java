package io.github.rpo4j.examples;

import io.github.rpo4j.model.ModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * --ignore-tensor and --ignore-config-field, shared by the commands that load a model directory. Loading is
 * strict (see docs/checkpoints.md); these name what the user vouches does not change the model's function.
 */
final class ModelLoadOptions {

    @Option(names = "--ignore-tensor", paramLabel = "NAME", description = "A tensor in model.safetensors that the "
            + "model does not use and that does not change what it computes; repeatable, * matches any characters "
            + "(e.g. 'model.layers.*.self_attn.rotary_emb.cos_cached'). Loading fails on any other unused tensor.")
    List<String> tensors = new ArrayList<>();

    @Option(names = "--ignore-config-field", paramLabel = "FIELD", description = "A config.json field unknown to "
            + "rpo4j that does not change what the model computes; repeatable. Fields rpo4j knows to change the "
            + "function and does not implement are refused whatever this says.")
    List<String> configFields = new ArrayList<>();

    ModelDirectory.LoadOptions options() {
        return new ModelDirectory.LoadOptions(Set.copyOf(tensors), Set.copyOf(configFields));
    }

    ModelDirectory.Loaded load(Path dir) throws IOException {
        return ModelDirectory.load(dir, options());
    }
}
