package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Files as Hugging Face writes them, built without the project's writers, so that a test of loading does
 * not read back what the same code wrote.
 */
final class HandWrittenCheckpoints {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HandWrittenCheckpoints() {
    }

    /** One tensor of a hand-built safetensors file: F32 values, little-endian, row-major. */
    record RawTensor(String name, long[] shape, float[] values) {
    }

    /**
     * The safetensors layout built byte by byte: an 8-byte little-endian header length, the JSON header,
     * then each tensor's float32 data in header order.
     */
    static void writeSafetensors(Path file, List<RawTensor> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (RawTensor t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long bytes = 4L * t.values().length;
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
        out.write(json);
        for (RawTensor t : tensors) {
            ByteBuffer data = ByteBuffer.allocate(4 * t.values().length).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : t.values()) {
                data.putFloat(v);
            }
            out.write(data.array());
        }
        Files.write(file, out.toByteArray());
    }

    /** Writes a JSON tree as Hugging Face's save_pretrained does (indented). */
    static void writeJson(Path file, Object tree) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree));
    }

    static List<RawTensor> rawTensors(Map<String, float[]> values, Map<String, long[]> shapes) {
        return values.keySet().stream().map(n -> new RawTensor(n, shapes.get(n), values.get(n))).toList();
    }
}
