package io.github.rpo4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reader and writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a> format:
 * an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8 JSON describing each
 * tensor ({@code dtype}, {@code shape}, {@code data_offsets} relative to the data section) plus an optional
 * {@code __metadata__} string map, then the tensors' little-endian bytes.
 *
 * <p><b>Reading</b> accepts {@code F32}, {@code F16} and {@code BF16} tensors, returned as {@link DataType#FLOAT}
 * arrays, and {@code F64} tensors, returned as {@link DataType#DOUBLE} arrays. The whole header is validated
 * before any tensor data is read, and every violation is reported as a {@link CheckpointFormatException} naming
 * the file and, where one is to blame, the tensor: a header length beyond the file (checked before anything
 * is allocated, so a lying length cannot exhaust memory), malformed JSON or duplicate keys, an unknown or
 * unsupported dtype, a negative or non-integral dimension, offsets that are reversed, out of range, overlapping
 * or leave holes in the data section, and a byte range whose size is not {@code product(shape) * dtypeSize}.
 * Data are read with positional reads through a small reusable buffer rather than memory mapping, so the file
 * is never kept open or mapped after the call returns (which on some platforms would block replacing it), and
 * are decoded chunk by chunk straight into each array's native memory, so reading a checkpoint holds its
 * weights once (no whole-tensor Java array beside them).
 *
 * <p><b>Writing</b> stores {@link DataType#DOUBLE} arrays as {@code F64} and every other floating point array as
 * {@code F32} (or, with {@link #write(Path, Map, Map, DType)}, converts all tensors to one chosen dtype). The
 * file is written atomically through {@link AtomicFiles}: an existing file is replaced only once the new one
 * is complete and synced. Tensors are laid out in the map's iteration order, and the header is padded with
 * spaces to a multiple of 8 bytes so that the data section is aligned, as the reference implementation does.
 */
public final class SafeTensors {

    /** Headers larger than this are rejected outright, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final String METADATA_KEY = "__metadata__";
    private static final int IO_BUFFER_BYTES = 1 << 20;
    private static final int MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;
    private static final Set<String> KNOWN_UNSUPPORTED_DTYPES = Set.of(
            "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private SafeTensors() {
    }

    /** The element types this class reads; writing supports the same set. */
    public enum DType {
        /** IEEE binary64; read into {@link DataType#DOUBLE} arrays. */
        F64(8),
        /** IEEE binary32. */
        F32(4),
        /** IEEE binary16 (half precision); widened to float32 on reading. */
        F16(2),
        /** bfloat16 (upper half of a binary32); widened to float32 on reading. */
        BF16(2);

        private final int byteSize;

        DType(int byteSize) {
            this.byteSize = byteSize;
        }

        /** @return bytes per element */
        public int byteSize() {
            return byteSize;
        }
    }

    /**
     * One validated header entry.
     *
     * @param name  the tensor's name
     * @param dtype its element type
     * @param shape its shape ({@code []} for a scalar)
     * @param begin offset of its first byte, relative to the start of the data section
     * @param end   offset one past its last byte, relative to the start of the data section
     */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        /** @return the number of elements, the product of the shape (1 for a scalar) */
        public long elementCount() {
            long count = 1;
            for (long dimension : shape) {
                count *= dimension;
            }
            return count;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
        }
    }

    /**
     * A validated header.
     *
     * @param tensors    the tensor entries by name, in header order
     * @param metadata   the {@code __metadata__} map (empty when absent), in header order
     * @param dataOffset absolute file offset of the data section ({@code 8 + N})
     */
    public record Header(Map<String, TensorInfo> tensors, Map<String, String> metadata, long dataOffset) {
    }

    /**
     * Reads and validates a file's header without reading any tensor data.
     *
     * @param file a safetensors file
     * @return the validated header
     * @throws CheckpointFormatException if the header violates the format
     * @throws IOException               if the file cannot be read
     */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, channel);
        }
    }

    /**
     * Reads a file's {@code __metadata__} map.
     *
     * @param file a safetensors file
     * @return the metadata in header order; empty if the file has none
     * @throws CheckpointFormatException if the header violates the format
     * @throws IOException               if the file cannot be read
     */
    public static Map<String, String> readMetadata(Path file) throws IOException {
        return readHeader(file).metadata();
    }

    /**
     * Reads every tensor of a file.
     *
     * @param file a safetensors file
     * @return the tensors by name, in header order: {@code F64} as DOUBLE arrays, all others as FLOAT arrays
     * @throws CheckpointFormatException if the file violates the format or holds an unsupported dtype
     * @throws IOException               if the file cannot be read
     */
    public static Map<String, INDArray> read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, channel);
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            ByteBuffer buffer = ByteBuffer.allocate(IO_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (TensorInfo info : header.tensors().values()) {
                tensors.put(info.name(), readTensor(file, channel, header.dataOffset(), info, buffer));
            }
            return tensors;
        }
    }

    /**
     * Atomically writes tensors in their natural dtype: DOUBLE arrays as {@code F64}, every other floating
     * point array as {@code F32}.
     *
     * @param file     the file to create or replace
     * @param tensors  the tensors by name, written in iteration order; names must be non-empty and must not
     *                 be {@code __metadata__}
     * @param metadata string metadata stored under {@code __metadata__}; may be empty
     * @throws IllegalArgumentException if a name is invalid or a tensor is not floating point
     * @throws IOException              if writing fails; an existing file is then unchanged
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, null);
    }

    /**
     * Atomically writes tensors, converting every tensor to {@code dtype} (for example {@link DType#BF16} to
     * halve a checkpoint, or {@link DType#F32} to drop double precision). Narrowing rounds to nearest even.
     *
     * @param file     the file to create or replace
     * @param tensors  the tensors by name, written in iteration order
     * @param metadata string metadata stored under {@code __metadata__}; may be empty
     * @param dtype    the stored element type, or {@code null} for each tensor's natural type
     * @throws IllegalArgumentException if a name is invalid or a tensor is not floating point
     * @throws IOException              if writing fails; an existing file is then unchanged
     */
    public static void write(Path file, Map<String, INDArray> tensors, Map<String, String> metadata, DType dtype)
            throws IOException {
        Objects.requireNonNull(tensors, "tensors");
        Map<String, String> meta = metadata == null ? Map.of() : metadata;
        List<String> names = new ArrayList<>();
        List<DType> dtypes = new ArrayList<>();
        ObjectNode header = JsonNodeFactory.instance.objectNode();
        if (!meta.isEmpty()) {
            ObjectNode metaNode = header.putObject(METADATA_KEY);
            meta.forEach((key, value) -> metaNode.put(
                    Objects.requireNonNull(key, "metadata key"),
                    Objects.requireNonNull(value, () -> "metadata value for '" + key + "'")));
        }
        long offset = 0;
        for (Map.Entry<String, INDArray> entry : tensors.entrySet()) {
            String name = entry.getKey();
            INDArray array = entry.getValue();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(file + ": invalid tensor name '" + name + "'");
            }
            if (array == null) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' is null");
            }
            if (!array.dataType().isFPType()) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has data type " + array.dataType()
                        + "; only floating point tensors can be written");
            }
            if (array.length() > MAX_ARRAY_ELEMENTS) {
                throw new IllegalArgumentException(file + ": tensor '" + name + "' has " + array.length()
                        + " elements, more than fit in one Java array");
            }
            DType stored = dtype != null ? dtype : (array.dataType() == DataType.DOUBLE ? DType.F64 : DType.F32);
            long size = array.length() * stored.byteSize();
            ObjectNode tensorNode = header.putObject(name);
            tensorNode.put("dtype", stored.name());
            ArrayNode shapeNode = tensorNode.putArray("shape");
            for (long dimension : array.shape()) {
                shapeNode.add(dimension);
            }
            tensorNode.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
            names.add(name);
            dtypes.add(stored);
        }
        byte[] headerJson = JSON.writeValueAsBytes(header);
        int paddedLength = (headerJson.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(headerJson, paddedLength);
        Arrays.fill(headerBytes, headerJson.length, paddedLength, (byte) ' ');

        AtomicFiles.write(file, out -> {
            ByteBuffer buffer = ByteBuffer.allocate(IO_BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(headerBytes.length);
            flush(buffer, out);
            out.write(headerBytes);
            for (int i = 0; i < names.size(); i++) {
                writeTensor(tensors.get(names.get(i)), dtypes.get(i), buffer, out);
            }
        });
    }

    // ---------------------------------------------------------------- reading

    private static Header readHeader(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new CheckpointFormatException(file, "file has " + fileSize
                    + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, null, channel, lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        // Unsigned comparison: a length with the top bit set is a huge u64, not a negative number.
        if (Long.compareUnsigned(headerLength, fileSize - 8) > 0) {
            throw new CheckpointFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the " + (fileSize - 8) + " bytes that follow the length field");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointFormatException(file, "header length " + headerLength
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength < 2) {
            throw new CheckpointFormatException(file, "header length " + headerLength + " is too small for a JSON object");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(file, null, channel, headerBytes, 8);
        if (headerBytes.get(0) != '{') {
            throw new CheckpointFormatException(file, "header does not start with '{'");
        }
        JsonNode root;
        try {
            root = JSON.readTree(StandardCharsets.UTF_8.newDecoder()
                    .decode(headerBytes.flip()).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CheckpointFormatException(file, null, "header is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(file, null, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(file, "header is not a JSON object");
        }
        long dataOffset = 8 + headerLength;
        long dataLength = fileSize - dataOffset;

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals(METADATA_KEY)) {
                parseMetadata(file, field.getValue(), metadata);
            } else {
                TensorInfo info = parseTensor(file, field.getKey(), field.getValue(), dataLength);
                tensors.put(info.name(), info);
            }
        }
        checkLayout(file, tensors, dataLength);
        return new Header(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata), dataOffset);
    }

    private static void parseMetadata(Path file, JsonNode node, Map<String, String> metadata)
            throws CheckpointFormatException {
        if (!node.isObject()) {
            throw new CheckpointFormatException(file, METADATA_KEY + " is not a JSON object");
        }
        Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
        while (entries.hasNext()) {
            Map.Entry<String, JsonNode> entry = entries.next();
            if (!entry.getValue().isTextual()) {
                throw new CheckpointFormatException(file, METADATA_KEY + "." + entry.getKey()
                        + " is not a string");
            }
            metadata.put(entry.getKey(), entry.getValue().asText());
        }
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataLength)
            throws CheckpointFormatException {
        if (!node.isObject()) {
            throw new CheckpointFormatException(file, name, "header entry is not a JSON object", null);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new CheckpointFormatException(file, name, "missing or non-string 'dtype'", null);
        }
        DType dtype = parseDType(file, name, dtypeNode.asText());

        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointFormatException(file, name, "missing or non-array 'shape'", null);
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeInteger(file, name, "shape[" + i + "]", shapeNode.get(i));
        }

        JsonNode offsetsNode = node.get("data_offsets");
        if (offsetsNode == null || !offsetsNode.isArray() || offsetsNode.size() != 2) {
            throw new CheckpointFormatException(file, name, "'data_offsets' must be an array [begin, end]", null);
        }
        long begin = nonNegativeInteger(file, name, "data_offsets[0]", offsetsNode.get(0));
        long end = nonNegativeInteger(file, name, "data_offsets[1]", offsetsNode.get(1));
        if (begin > end) {
            throw new CheckpointFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] end before they begin", null);
        }
        if (end > dataLength) {
            throw new CheckpointFormatException(file, name, "data_offsets [" + begin + ", " + end
                    + "] exceed the data section of " + dataLength + " bytes", null);
        }
        long expectedBytes;
        try {
            long elements = 1;
            for (long dimension : shape) {
                elements = Math.multiplyExact(elements, dimension);
            }
            expectedBytes = Math.multiplyExact(elements, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new CheckpointFormatException(file, name, "shape " + Arrays.toString(shape)
                    + " overflows a 64-bit byte count", null);
        }
        if (end - begin != expectedBytes) {
            throw new CheckpointFormatException(file, name, "data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + expectedBytes, null);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static DType parseDType(Path file, String name, String dtype) throws CheckpointFormatException {
        for (DType candidate : DType.values()) {
            if (candidate.name().equals(dtype)) {
                return candidate;
            }
        }
        String why = KNOWN_UNSUPPORTED_DTYPES.contains(dtype) ? "unsupported dtype '" : "unknown dtype '";
        throw new CheckpointFormatException(file, name, why + dtype + "' (supported: "
                + Arrays.toString(DType.values()) + ")", null);
    }

    private static long nonNegativeInteger(Path file, String tensor, String field, JsonNode node)
            throws CheckpointFormatException {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw new CheckpointFormatException(file, tensor, "'" + field + "' must be a non-negative integer, got "
                    + node, null);
        }
        return node.asLong();
    }

    /** The data section must be tiled exactly: no overlaps (aliasing) and no holes (hidden payloads). */
    private static void checkLayout(Path file, Map<String, TensorInfo> tensors, long dataLength)
            throws CheckpointFormatException {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo info : byOffset) {
            if (info.begin() < covered) {
                throw new CheckpointFormatException(file, info.name(), "data_offsets [" + info.begin() + ", "
                        + info.end() + ") overlap those of tensor '" + previous.name() + "' [" + previous.begin()
                        + ", " + previous.end() + ")", null);
            }
            if (info.begin() > covered) {
                throw new CheckpointFormatException(file, info.name(), "data section bytes [" + covered + ", "
                        + info.begin() + ") before this tensor belong to no tensor", null);
            }
            covered = info.end();
            previous = info;
        }
        if (covered != dataLength) {
            throw new CheckpointFormatException(file, "data section has " + dataLength
                    + " bytes but the tensors cover only " + covered);
        }
    }

    private static INDArray readTensor(Path file, FileChannel channel, long dataOffset, TensorInfo info,
                                       ByteBuffer buffer) throws IOException {
        long count = info.elementCount();
        if (count > MAX_ARRAY_ELEMENTS) {
            throw new CheckpointFormatException(file, info.name(), count
                    + " elements do not fit in one Java array", null);
        }
        int elements = (int) count;
        long[] shape = info.shape();
        long position = dataOffset + info.begin();
        DataType type = info.dtype() == DType.F64 ? DataType.DOUBLE : DataType.FLOAT;
        if (elements == 0) {
            return Nd4j.create(type, shape);
        }
        // Decoded chunk by chunk straight into the array's native memory: a checkpoint's weights are held
        // once, never also as a whole Java array per tensor.
        INDArray array = shape.length == 0 ? Nd4j.scalar(type, 0) : Nd4j.createUninitializedDetached(type, shape);
        int elementSize = info.dtype().byteSize();
        int done = 0;
        if (type == DataType.DOUBLE) {
            DoublePointer target = new DoublePointer(array.data().addressPointer());
            double[] scratch = new double[buffer.capacity() / elementSize];
            while (done < elements) {
                int chunk = Math.min(elements - done, scratch.length);
                readChunk(file, info, channel, buffer, position + (long) done * elementSize, chunk * elementSize);
                buffer.asDoubleBuffer().get(scratch, 0, chunk);
                target.position(done).put(scratch, 0, chunk);
                done += chunk;
            }
            return array;
        }
        FloatPointer target = new FloatPointer(array.data().addressPointer());
        float[] scratch = new float[buffer.capacity() / elementSize];
        while (done < elements) {
            int chunk = Math.min(elements - done, scratch.length);
            readChunk(file, info, channel, buffer, position + (long) done * elementSize, chunk * elementSize);
            switch (info.dtype()) {
                case F32 -> buffer.asFloatBuffer().get(scratch, 0, chunk);
                case F16 -> {
                    for (int i = 0; i < chunk; i++) {
                        scratch[i] = FloatFormats.halfToFloat(buffer.getShort(i * 2));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < chunk; i++) {
                        scratch[i] = FloatFormats.bfloat16ToFloat(buffer.getShort(i * 2));
                    }
                }
                default -> throw new IllegalStateException("unhandled dtype " + info.dtype());
            }
            target.position(done).put(scratch, 0, chunk);
            done += chunk;
        }
        return array;
    }

    private static void readChunk(Path file, TensorInfo info, FileChannel channel, ByteBuffer buffer,
                                  long position, int length) throws IOException {
        buffer.clear().limit(length);
        readFully(file, info, channel, buffer, position);
        buffer.flip();
    }

    private static void readFully(Path file, TensorInfo info, FileChannel channel, ByteBuffer buffer, long position)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                // Only possible if the file shrank after its size was checked.
                throw new CheckpointFormatException(file, info == null ? null : info.name(),
                        "unexpected end of file at byte " + at, null);
            }
            at += read;
        }
    }

    // ---------------------------------------------------------------- writing

    private static void writeTensor(INDArray array, DType dtype, ByteBuffer buffer, OutputStream out)
            throws IOException {
        if (array.length() == 0) {
            return;
        }
        INDArray contiguous = array.dup('c');
        buffer.clear();
        if (dtype == DType.F64) {
            double[] values = contiguous.castTo(DataType.DOUBLE).data().asDouble();
            for (int i = 0; i < array.length(); i++) {
                if (buffer.remaining() < 8) {
                    flush(buffer, out);
                }
                buffer.putDouble(values[i]);
            }
        } else {
            float[] values = contiguous.castTo(DataType.FLOAT).data().asFloat();
            for (int i = 0; i < array.length(); i++) {
                if (buffer.remaining() < 4) {
                    flush(buffer, out);
                }
                switch (dtype) {
                    case F32 -> buffer.putFloat(values[i]);
                    case F16 -> buffer.putShort(FloatFormats.floatToHalf(values[i]));
                    case BF16 -> buffer.putShort(FloatFormats.floatToBfloat16(values[i]));
                    default -> throw new IllegalStateException("unhandled dtype " + dtype);
                }
            }
        }
        flush(buffer, out);
    }

    private static void flush(ByteBuffer buffer, OutputStream out) throws IOException {
        out.write(buffer.array(), 0, buffer.position());
        buffer.clear();
    }
}
