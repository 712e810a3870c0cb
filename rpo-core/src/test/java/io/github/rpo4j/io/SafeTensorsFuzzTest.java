package io.github.rpo4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.FuzzInputs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Random, truncated and mutated safetensors files, including lying header lengths, shapes and offsets: each
 * reads or is rejected with a {@link CheckpointFormatException} (an {@link IOException}); none hangs or
 * allocates what a length field claims before checking it against the file.
 */
class SafeTensorsFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void readingMutatedFilesFailsOnlyWithDocumentedErrors() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("wte.weight", Nd4j.rand(DataType.FLOAT, 5, 3));
        tensors.put("ln.bias", Nd4j.rand(DataType.DOUBLE, 4));
        tensors.put("scalar", Nd4j.scalar(2.5f));
        Path f32 = dir.resolve("seed32.safetensors");
        Path bf16 = dir.resolve("seed16.safetensors");
        SafeTensors.write(f32, tensors, Map.of("format", "pt"));
        SafeTensors.write(bf16, tensors, Map.of(), SafeTensors.DType.BF16);
        List<byte[]> seeds = List.of(Files.readAllBytes(f32), Files.readAllBytes(bf16));

        FuzzInputs fuzz = new FuzzInputs(424242L);
        fuzz.run(FuzzInputs.cases(400), Duration.ofSeconds(60 + FuzzInputs.cases(400) / 20), seeds, SafeTensorsFuzzTest::mutateHeader, input -> {
            Path file = dir.resolve("case.safetensors");
            Files.write(file, input);
            SafeTensors.read(file);
        }, CheckpointFormatException.class, IOException.class);
    }

    /** Rewrites the header: a lying length field, or one mutated value (shape, offsets, dtype, metadata). */
    private static byte[] mutateHeader(byte[] seed, FuzzInputs fuzz) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) in.getLong(0);
        byte[] data = java.util.Arrays.copyOfRange(seed, 8 + headerLength, seed.length);
        byte[] header;
        long claimedLength;
        if (fuzz.random().nextInt(4) == 0) {
            header = java.util.Arrays.copyOfRange(seed, 8, 8 + headerLength);
            long[] lies = {fuzz.random().nextLong(), Long.MAX_VALUE, -1L, 0L, 1L, SafeTensors.MAX_HEADER_BYTES + 1,
                    headerLength + 1 + fuzz.random().nextInt(64), Math.max(0, headerLength - 1 - fuzz.random().nextInt(8))};
            claimedLength = lies[fuzz.random().nextInt(lies.length)];
        } else {
            JsonNode root = JSON.readTree(new String(seed, 8, headerLength, StandardCharsets.UTF_8));
            header = JSON.writeValueAsBytes(fuzz.mutateTree(root));
            claimedLength = header.length;
        }
        ByteBuffer out = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(claimedLength).put(header).put(data);
        return out.array();
    }
}
