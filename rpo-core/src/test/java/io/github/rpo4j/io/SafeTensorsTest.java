package io.github.rpo4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {

    @TempDir
    Path dir;

    /** Assembles a file exactly as the format specification describes it, without the project's writer. */
    private static byte[] rawFile(String headerJson, byte[] data) {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).put(data).array();
    }

    private Path writeRaw(String name, String headerJson, byte[] data) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, rawFile(headerJson, data));
        return file;
    }

    private static byte[] littleEndian(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer buffer = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(buffer);
        assertEquals(0, buffer.remaining(), "test data size");
        return buffer.array();
    }

    @Test
    void readsHandAssembledFileOfEveryDtype() throws IOException {
        // Data layout: a (F32, 2x2) at [0,16), b (F16, 4) at [16,24), c (BF16 scalar) at [24,26), d (F64, 2) at [26,42).
        byte[] data = littleEndian(42, b -> {
            b.putFloat(1f).putFloat(2f).putFloat(-3.5f).putFloat(1e-3f);
            b.putShort((short) 0x3C00).putShort((short) 0xC100).putShort((short) 0x7BFF).putShort((short) 0x0001);
            b.putShort((short) 0x4049);
            b.putDouble(Math.PI).putDouble(-1e300);
        });
        // Header order deliberately differs from data order; trailing spaces pad the header as writers do.
        String header = "{\"__metadata__\":{\"format\":\"pt\",\"step\":\"7\"},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[24,26]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[26,42]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[16,24]}}     ";
        Path file = writeRaw("hand.safetensors", header, data);

        Map<String, INDArray> tensors = SafeTensors.read(file);
        assertEquals(List.of("c", "a", "d", "b"), List.copyOf(tensors.keySet()), "header order is preserved");

        INDArray a = tensors.get("a");
        assertEquals(DataType.FLOAT, a.dataType());
        assertArrayEquals(new long[]{2, 2}, a.shape());
        assertEquals(1f, a.getFloat(0, 0));
        assertEquals(2f, a.getFloat(0, 1));
        assertEquals(-3.5f, a.getFloat(1, 0));
        assertEquals(1e-3f, a.getFloat(1, 1));

        INDArray b = tensors.get("b");
        assertEquals(DataType.FLOAT, b.dataType());
        assertArrayEquals(new float[]{1f, -2.5f, 65504f, 0x1p-24f}, b.data().asFloat());

        INDArray c = tensors.get("c");
        assertEquals(0, c.rank());
        assertEquals(3.140625f, c.getFloat(0));

        INDArray d = tensors.get("d");
        assertEquals(DataType.DOUBLE, d.dataType());
        assertArrayEquals(new double[]{Math.PI, -1e300}, d.data().asDouble());

        assertEquals(Map.of("format", "pt", "step", "7"), SafeTensors.readMetadata(file));
        SafeTensors.Header parsed = SafeTensors.readHeader(file);
        assertEquals(8 + header.getBytes(StandardCharsets.UTF_8).length, parsed.dataOffset());
        assertEquals(SafeTensors.DType.F16, parsed.tensors().get("b").dtype());
    }

    @Test
    void emptyFileOfTensorsIsValid() throws IOException {
        Path file = writeRaw("empty.safetensors", "{}", new byte[0]);
        assertTrue(SafeTensors.read(file).isEmpty());
        assertTrue(SafeTensors.readMetadata(file).isEmpty());
    }

    @Test
    void writerRoundTripsShapesViewsAndMetadata() throws IOException {
        Random random = new Random(42);
        float[] matrix = new float[3 * 5];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) random.nextGaussian();
        }
        INDArray weights = Nd4j.create(matrix, new long[]{3, 5}, DataType.FLOAT);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("layers.0.weight", weights);
        tensors.put("transposed_view", weights.transpose());
        tensors.put("bias", Nd4j.create(new float[]{0.5f, -0.25f, 7f}, new long[]{3}, DataType.FLOAT));
        tensors.put("cube", Nd4j.linspace(DataType.FLOAT, 1, 24, 24).reshape(2, 3, 4));
        tensors.put("scale", Nd4j.scalar(2.75f));
        tensors.put("empty", Nd4j.create(DataType.FLOAT, 0, 4));
        tensors.put("precise", Nd4j.create(new double[]{Math.E, 1e-300}, new long[]{2}, DataType.DOUBLE));
        Map<String, String> metadata = Map.of("format", "pt", "note", "päd ✓");

        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, tensors, metadata);
        Map<String, INDArray> read = SafeTensors.read(file);

        assertEquals(List.copyOf(tensors.keySet()), List.copyOf(read.keySet()));
        for (Map.Entry<String, INDArray> entry : tensors.entrySet()) {
            INDArray expected = entry.getValue();
            INDArray actual = read.get(entry.getKey());
            assertArrayEquals(expected.shape(), actual.shape(), entry.getKey());
            assertEquals(expected.dataType(), actual.dataType(), entry.getKey());
            assertEquals(expected, actual, entry.getKey());
        }
        assertEquals(metadata, SafeTensors.readMetadata(file));

        // The header is padded to a multiple of 8 with spaces so that the data section is aligned.
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
        String headerText = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(headerText.stripTrailing().endsWith("}"), headerText);
        // F32 data for the first tensor starts right after the header, little-endian.
        assertEquals(matrix[0], ByteBuffer.wrap(bytes, 8 + (int) headerLength, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
        // The transposed view is stored in logical (row-major) order, not in its backing buffer's order.
        assertEquals(weights.getFloat(1, 0), read.get("transposed_view").getFloat(0, 1));
    }

    @Test
    void writerNarrowsToHalfAndBfloat16() throws IOException {
        INDArray values = Nd4j.create(new float[]{1f, -2.5f, 65504f, (float) Math.PI}, new long[]{2, 2}, DataType.FLOAT);
        Path half = dir.resolve("half.safetensors");
        SafeTensors.write(half, Map.of("w", values), Map.of(), SafeTensors.DType.F16);
        assertEquals(SafeTensors.DType.F16, SafeTensors.readHeader(half).tensors().get("w").dtype());
        assertArrayEquals(new float[]{1f, -2.5f, 65504f, 3.140625f}, SafeTensors.read(half).get("w").data().asFloat());

        Path bf16 = dir.resolve("bf16.safetensors");
        SafeTensors.write(bf16, Map.of("w", values), Map.of(), SafeTensors.DType.BF16);
        assertArrayEquals(new float[]{1f, -2.5f, 65536f, 3.140625f}, SafeTensors.read(bf16).get("w").data().asFloat());
        assertEquals(SafeTensors.readHeader(bf16).dataOffset() + 4 * 2, Files.size(bf16), "two bytes per element");
    }

    @Test
    void tensorsLargerThanTheReadBufferArriveWholeInEveryDtype() throws IOException {
        // 600,000 elements span several 1 MiB read chunks in every dtype; the values (integers below 256, exact
        // in bfloat16 and half) differ between neighbours, so a chunk written at the wrong offset shows.
        int n = 600_000;
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i * 7L) % 251 - 125;
        }
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            expected[i] = (float) values[i];
        }
        INDArray doubles = Nd4j.create(values, new long[]{3, n / 3}, 'c');
        for (SafeTensors.DType dtype : SafeTensors.DType.values()) {
            Path file = dir.resolve(dtype + ".safetensors");
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            tensors.put("head", Nd4j.create(new float[]{0.5f, 1.5f}, new long[]{2}, DataType.FLOAT));
            tensors.put("w", doubles);
            tensors.put("tail", Nd4j.scalar(3f));
            SafeTensors.write(file, tensors, Map.of(), dtype);
            Map<String, INDArray> read = SafeTensors.read(file);
            INDArray w = read.get("w");
            assertArrayEquals(new long[]{3, n / 3}, w.shape(), dtype.name());
            if (dtype == SafeTensors.DType.F64) {
                assertArrayEquals(values, w.data().asDouble(), dtype.name());
            } else {
                assertArrayEquals(expected, w.data().asFloat(), dtype.name());
            }
            assertArrayEquals(new double[]{0.5, 1.5}, read.get("head").castTo(DataType.DOUBLE).data().asDouble(), dtype.name());
            assertEquals(3.0, read.get("tail").getDouble(0), dtype.name());
            assertEquals(0, read.get("tail").rank(), dtype.name());
        }
    }

    @Test
    void rejectedWriteLeavesExistingFileIntact() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("w", Nd4j.scalar(1f)), Map.of());
        byte[] before = Files.readAllBytes(file);

        Map<String, INDArray> bad = new LinkedHashMap<>();
        bad.put("w", Nd4j.scalar(2f));
        bad.put("ids", Nd4j.createFromArray(1, 2, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, bad, Map.of()));
        assertTrue(e.getMessage().contains("'ids'"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("__metadata__", Nd4j.scalar(1f)), Map.of()));

        assertArrayEquals(before, Files.readAllBytes(file));
        try (var listing = Files.list(dir)) {
            assertEquals(List.of(file), listing.toList(), "no temporary files are left behind");
        }
    }

    // ---------------------------------------------------------------- validation

    private CheckpointFormatException rejects(String name, byte[] fileBytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, fileBytes);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(name), () -> "message names the file: " + e.getMessage());
        assertEquals(file, e.file());
        return e;
    }

    private CheckpointFormatException rejects(String name, String header, int dataBytes) throws IOException {
        return rejects(name, rawFile(header, new byte[dataBytes]));
    }

    private static void assertNames(CheckpointFormatException e, String tensor, String fragment) {
        assertEquals(tensor, e.tensor().orElse(null), e.getMessage());
        assertTrue(e.getMessage().contains("'" + tensor + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void rejectsHeaderLengthBeyondFileWithoutAllocating() throws IOException {
        byte[] lying = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).put("{}      ".getBytes(StandardCharsets.US_ASCII)).array();
        CheckpointFormatException e = rejects("lying.safetensors", lying);
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());

        byte[] unsignedHuge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).put("{}      ".getBytes(StandardCharsets.US_ASCII)).array();
        CheckpointFormatException huge = rejects("huge.safetensors", unsignedHuge);
        assertTrue(huge.getMessage().contains("18446744073709551615"), huge.getMessage());

        rejects("short.safetensors", new byte[]{1, 0, 0});
    }

    @Test
    void rejectsMalformedHeaderJson() throws IOException {
        assertTrue(rejects("notjson.safetensors", "{\"a\": ", 0).getMessage().contains("JSON"));
        assertTrue(rejects("array.safetensors", "[1, 2]", 0).getMessage().contains("'{'"));
        assertTrue(rejects("dup.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4)
                .getMessage().contains("JSON"));
        assertTrue(rejects("meta.safetensors", "{\"__metadata__\":{\"step\":7}}", 0)
                .getMessage().contains("__metadata__.step"));
    }

    @Test
    void rejectsUnknownAndUnsupportedDtypes() throws IOException {
        assertNames(rejects("unknown.safetensors", "{\"w\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4),
                "w", "unknown dtype 'F17'");
        assertNames(rejects("int.safetensors", "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8),
                "ids", "unsupported dtype 'I64'");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        assertNames(rejects("range.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12),
                "w", "exceed the data section of 12 bytes");
        assertNames(rejects("reversed.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8),
                "w", "end before they begin");
        assertNames(rejects("negative.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4),
                "w", "data_offsets[0]");
        assertNames(rejects("arity.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "w", "data_offsets");
    }

    @Test
    void rejectsOverlapsAndHoles() throws IOException {
        assertNames(rejects("overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "b", "overlap those of tensor 'a'");
        assertNames(rejects("hole.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12),
                "b", "belong to no tensor");
        CheckpointFormatException trailing = rejects("trailing.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 10);
        assertTrue(trailing.getMessage().contains("cover only 4"), trailing.getMessage());
    }

    @Test
    void rejectsByteSizeNotMatchingShape() throws IOException {
        assertNames(rejects("size.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20),
                "w", "needs 24");
        assertNames(rejects("halfsize.safetensors", "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12),
                "w", "needs 6");
        assertNames(rejects("overflow.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4), "w", "overflows");
        assertNames(rejects("dim.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}}", 4),
                "w", "shape[1]");
        assertNames(rejects("fraction.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4),
                "w", "shape[0]");
        assertNames(rejects("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                "w", "'shape'");
    }
}
