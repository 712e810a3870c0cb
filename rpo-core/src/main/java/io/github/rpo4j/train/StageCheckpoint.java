package io.github.rpo4j.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The in-stage checkpoint of a training run: one safetensors file, written atomically, holding the model's
 * parameters ({@code model.<name>}), AdamW's moments ({@code adamw.m.<name>}, {@code adamw.v.<name>}) in the
 * parameters' own precision, and in its metadata the optimiser's step count, the steps done (the schedule
 * position), the data position (epoch and batch within it) and the fingerprint of the batch plan, which the
 * seed fixes: the shuffled batches are drawn again from the seed on resume, so the plan and the position
 * in it are the whole state of the shuffling. The per-step metrics done so far come along, so the resumed
 * stage reports every step.
 */
final class StageCheckpoint {

    /** The checkpoint's file name inside the directory a stage is given. */
    static final String FILE_NAME = "training-checkpoint.safetensors";

    private static final String FORMAT = "rpo4j-training-checkpoint/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What a checkpoint restores.
     *
     * @param stepsDone optimiser steps taken (the next step is {@code stepsDone + 1})
     * @param history   the metrics of those steps
     */
    record Restored(int stepsDone, List<Map<String, Double>> history) {
    }

    private StageCheckpoint() {
    }

    static Path file(Path directory) {
        return directory.resolve(FILE_NAME);
    }

    /** Writes the state after {@code stepsDone} steps, replacing the previous checkpoint atomically. */
    static void write(Path directory, TransformerLM model, AdamW optimizer, int stepsDone, int totalSteps,
                      int epoch, int batchInEpoch, String plan, List<Map<String, Double>> history) throws IOException {
        Files.createDirectories(directory);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> tensors.put("model." + name, p.value()));
        optimizer.firstMoments().forEach((name, m) -> tensors.put("adamw.m." + name, m));
        optimizer.secondMoments().forEach((name, v) -> tensors.put("adamw.v." + name, v));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("steps_done", Integer.toString(stepsDone));
        meta.put("total_steps", Integer.toString(totalSteps));
        meta.put("epoch", Integer.toString(epoch));
        meta.put("batch_in_epoch", Integer.toString(batchInEpoch));
        meta.put("adamw_step", Long.toString(optimizer.step()));
        meta.put("plan", plan);
        meta.put("history", JSON.writeValueAsString(history));
        SafeTensors.write(file(directory), tensors, meta);
    }

    /**
     * Restores the model and optimiser from the checkpoint in {@code directory}, or returns null when there
     * is none. A checkpoint of another plan (other data, settings or model) is refused, naming the file and
     * leaving it in place.
     */
    static Restored restore(Path directory, TransformerLM model, AdamW optimizer, int totalSteps, String plan)
            throws IOException {
        Path file = file(directory);
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, String> meta = SafeTensors.readMetadata(file);
        if (!FORMAT.equals(meta.get("format"))) {
            throw new CheckpointFormatException(file, "not an in-stage training checkpoint (format "
                    + meta.get("format") + ", expected " + FORMAT + ")");
        }
        if (!plan.equals(meta.get("plan")) || !Integer.toString(totalSteps).equals(meta.get("total_steps"))) {
            throw new IllegalStateException(file + ": this checkpoint was written for another training stage (its "
                    + meta.get("total_steps") + " steps and batch plan " + meta.get("plan") + " against this stage's "
                    + totalSteps + " steps and plan " + plan + ": other data, settings or model); remove it to "
                    + "train this stage from its start");
        }
        int stepsDone = integer(file, meta, "steps_done");
        long adamSteps = Long.parseLong(required(file, meta, "adamw_step"));
        List<Map<String, Double>> history = JSON.readValue(required(file, meta, "history"),
                new TypeReference<List<LinkedHashMap<String, Double>>>() { }).stream()
                .map(m -> (Map<String, Double>) m).toList();
        if (history.size() != stepsDone) {
            throw new CheckpointFormatException(file, history.size() + " steps of metrics for " + stepsDone
                    + " steps done");
        }
        Map<String, INDArray> tensors = SafeTensors.read(file);
        Map<String, INDArray> first = new LinkedHashMap<>();
        Map<String, INDArray> second = new LinkedHashMap<>();
        Map<String, Tensor> params = model.parameters();
        for (Map.Entry<String, Tensor> p : params.entrySet()) {
            INDArray saved = tensors.get("model." + p.getKey());
            if (saved == null) {
                throw new CheckpointFormatException(file, "no tensor model." + p.getKey());
            }
            if (!java.util.Arrays.equals(saved.shape(), p.getValue().value().shape())) {
                throw new CheckpointFormatException(file, "model." + p.getKey() + " has shape "
                        + java.util.Arrays.toString(saved.shape()) + ", the model's "
                        + java.util.Arrays.toString(p.getValue().value().shape()));
            }
        }
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("adamw.m.")) {
                first.put(key.substring("adamw.m.".length()), e.getValue());
            } else if (key.startsWith("adamw.v.")) {
                second.put(key.substring("adamw.v.".length()), e.getValue());
            } else if (!key.startsWith("model.") || !params.containsKey(key.substring("model.".length()))) {
                throw new CheckpointFormatException(file, "tensor " + key + " is neither a parameter of this model "
                        + "nor an optimiser moment");
            }
        }
        try {
            optimizer.restore(adamSteps, first, second);
        } catch (IllegalArgumentException e) {
            throw new CheckpointFormatException(file, e.getMessage());
        }
        // Every check is done: nothing below can fail half-way and leave the model part restored.
        for (Map.Entry<String, Tensor> p : params.entrySet()) {
            p.getValue().value().assign(tensors.get("model." + p.getKey()));
        }
        return new Restored(stepsDone, history);
    }

    private static String required(Path file, Map<String, String> meta, String key) throws CheckpointFormatException {
        String v = meta.get(key);
        if (v == null) {
            throw new CheckpointFormatException(file, "metadata has no \"" + key + "\"");
        }
        return v;
    }

    private static int integer(Path file, Map<String, String> meta, String key) throws CheckpointFormatException {
        try {
            return Integer.parseInt(required(file, meta, key));
        } catch (NumberFormatException e) {
            throw new CheckpointFormatException(file, "metadata \"" + key + "\" is not an integer: " + meta.get(key));
        }
    }
}
