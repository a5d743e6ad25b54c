package io.clip4j.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors file, memory-mapped and validated before any tensor is read.
 *
 * <p>Format: 8-byte little-endian header length n, then n bytes of UTF-8 JSON
 * {@code {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}},
 * then the data section; offsets are relative to the data section's start, data is little-endian C order.
 *
 * <p>Every check happens in {@link #open}: header length within the file and under {@link #MAX_HEADER_BYTES},
 * well-formed JSON, known dtype, non-negative shape, offsets inside the data section, byte size equal to
 * numel × dtype size, no two tensors overlapping. A hostile file gives a {@link Clip4jException} naming the file.
 * The mapping is shared and read-only; this object may be read from several threads.
 */
public final class SafeTensors implements TensorSource {
    /** Largest header accepted (real checkpoints have headers well under 1 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    /** Whether the mapping outlives close() (released by the garbage collector once no segment of it is reachable). */
    private final boolean keepMapped;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, Arena arena, boolean keepMapped, MemorySegment data, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.keepMapped = keepMapped;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens, maps and validates a safetensors file; close() unmaps it. */
    public static SafeTensors open(Path file) { return open(file, false); }

    /**
     * As {@link #open(Path)}; with keepMapped the segments of {@link #mapped} stay valid after close(): the mapping
     * is released when the garbage collector finds none of them reachable (the weights of a model use it in place).
     */
    public static SafeTensors open(Path file, boolean keepMapped) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new Clip4jException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
        if (size < 8) throw bad(file, "file is " + size + " bytes, shorter than the 8-byte header length");
        Arena arena = keepMapped ? Arena.ofAuto() : Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(I64_LE, 0);
            if (headerLen <= 0 || headerLen > size - 8) {
                throw bad(file, "header length " + Long.toUnsignedString(headerLen) + " does not fit in the file (" + size + " bytes)");
            }
            if (headerLen > MAX_HEADER_BYTES) throw bad(file, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + headerLen);
            Map<String, String> meta = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(file, header, data.byteSize(), meta);
            return new SafeTensors(file, arena, keepMapped, data, tensors, meta);
        } catch (IOException e) {
            if (!keepMapped) arena.close();
            throw new Clip4jException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (!keepMapped) arena.close();
            throw e;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(16).maxStringLength(1 << 20).maxNumberLength(40).build());
        JSON.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    private static Map<String, TensorInfo> parseHeader(Path file, byte[] header, long dataSize, Map<String, String> meta) {
        JsonNode root;
        try {
            root = JSON.readTree(new String(header, StandardCharsets.UTF_8).stripTrailing());
        } catch (IOException e) {
            throw bad(file, "header is not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (!(root instanceof ObjectNode obj)) throw bad(file, "header is not a JSON object");
        Map<String, TensorInfo> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw bad(file, "__metadata__ is not an object");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    var me = m.next();
                    if (!me.getValue().isTextual()) throw bad(file, "__metadata__." + me.getKey() + " is not a string");
                    meta.put(me.getKey(), me.getValue().asText());
                }
                continue;
            }
            out.put(name, parseEntry(file, name, v, dataSize));
        }
        // No two tensors may share bytes: sort by start and compare neighbours.
        List<TensorInfo> sorted = new ArrayList<>(out.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end() && b.end() > b.begin()) {
                throw bad(file, "tensors " + a.name() + " " + range(a) + " and " + b.name() + " " + range(b) + " overlap");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode v, long dataSize) {
        if (!v.isObject()) throw bad(file, "entry " + name + " is not an object");
        JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw bad(file, "tensor " + name + " has no dtype");
        DType dtype = DType.byName(dt.asText());
        if (dtype == null) throw bad(file, "tensor " + name + " has unknown dtype " + dt.asText());
        if (sh == null || !sh.isArray()) throw bad(file, "tensor " + name + " has no shape array");
        if (sh.size() > 8) throw bad(file, "tensor " + name + " has " + sh.size() + " dimensions");
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) throw bad(file, "tensor " + name + " has an invalid shape " + sh);
            shape[i] = d.asLong();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException ex) {
                throw bad(file, "tensor " + name + " shape " + sh + " is too large");
            }
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw bad(file, "tensor " + name + " has invalid data_offsets " + off);
        }
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin) throw bad(file, "tensor " + name + " has invalid data_offsets [" + begin + ", " + end + "]");
        if (end > dataSize) {
            throw bad(file, "tensor " + name + " data_offsets [" + begin + ", " + end + "] run past the end of the data (" + dataSize + " bytes)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, (long) dtype.bytes);
        } catch (ArithmeticException ex) {
            throw bad(file, "tensor " + name + " is too large");
        }
        if (end - begin != expected) {
            throw bad(file, "tensor " + name + " holds " + (end - begin) + " bytes but " + dtype + " " + java.util.Arrays.toString(shape)
                    + " needs " + expected);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static String range(TensorInfo t) { return "[" + t.begin() + ", " + t.end() + ")"; }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private static Clip4jException bad(Path file, String what) {
        return new Clip4jException("invalid safetensors file " + file + ": " + what);
    }

    public Path file() { return file; }

    @Override public Set<String> names() { return tensors.keySet(); }

    @Override public boolean has(String name) { return tensors.containsKey(name); }

    @Override public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new Clip4jException("tensor " + name + " not found in " + file);
        return t;
    }

    @Override public Map<String, String> metadata() { return Collections.unmodifiableMap(metadata); }

    /** The tensor's raw little-endian bytes, as a read-only view of the mapping. */
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.end() - t.begin());
    }

    @Override public float[] floats(String name) {
        TensorInfo t = info(name);
        float[] out = new float[checkedLength(t)];
        readFloats(t, out, 0);
        return out;
    }

    @Override public void readFloats(String name, float[] dst, int offset) { readFloats(info(name), dst, offset); }

    /** Widens the tensor into dst[offset .. offset + numel). */
    public void readFloats(TensorInfo t, float[] dst, int offset) {
        MemorySegment s = data.asSlice(t.begin(), t.end() - t.begin());
        int n = checkedLength(t);
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, F32_LE, 0, dst, offset, n);
            case F16 -> { for (int i = 0; i < n; i++) dst[offset + i] = Float.float16ToFloat(s.getAtIndex(I16_LE, i)); }
            case BF16 -> { for (int i = 0; i < n; i++) dst[offset + i] = Float.intBitsToFloat((s.getAtIndex(I16_LE, i) & 0xffff) << 16); }
            case F64 -> { for (int i = 0; i < n; i++) dst[offset + i] = (float) s.getAtIndex(F64_LE, i); }
            default -> throw new Clip4jException("tensor " + t.name() + " in " + file + " has dtype " + t.dtype() + ", expected a float type");
        }
        // the values now live on the heap: drop the mapped pages, so a loaded model is not resident twice
        if (s.isMapped()) s.unload();
    }

    @Override public int[] ints(String name) {
        TensorInfo t = info(name);
        MemorySegment s = segment(name);
        int n = checkedLength(t);
        int[] out = new int[n];
        switch (t.dtype()) {
            case I32, U32 -> MemorySegment.copy(s, I32_LE, 0, out, 0, n);
            case I64, U64 -> {
                for (int i = 0; i < n; i++) {
                    long v = s.getAtIndex(I64_LE, i);
                    if (v != (int) v) throw new Clip4jException("tensor " + name + " in " + file + " holds " + v + ", too large for an int");
                    out[i] = (int) v;
                }
            }
            case I16 -> { for (int i = 0; i < n; i++) out[i] = s.getAtIndex(I16_LE, i); }
            case U16 -> { for (int i = 0; i < n; i++) out[i] = s.getAtIndex(I16_LE, i) & 0xffff; }
            case I8 -> { for (int i = 0; i < n; i++) out[i] = s.get(ValueLayout.JAVA_BYTE, i); }
            case U8, BOOL -> { for (int i = 0; i < n; i++) out[i] = s.get(ValueLayout.JAVA_BYTE, i) & 0xff; }
            default -> throw new Clip4jException("tensor " + name + " in " + file + " has dtype " + t.dtype() + ", expected an integer type");
        }
        return out;
    }

    private int checkedLength(TensorInfo t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 16) throw new Clip4jException("tensor " + t.name() + " in " + file + " has " + n + " elements, more than a Java array holds");
        return (int) n;
    }

    /** The tensor's bytes in the mapping (bounds checked when the header was read), if it outlives close(); else null. */
    @Override public MemorySegment mapped(String name) {
        if (!keepMapped) return null;
        TensorInfo t = info(name);
        return data.asSlice(t.begin(), t.end() - t.begin());
    }

    @Override public void close() {
        if (!keepMapped) arena.close();
    }

    // ---------------------------------------------------------------- writing

    /** A tensor to write: values as floats stored with the given float dtype, or as longs/ints for integer types. */
    public record Entry(DType dtype, long[] shape, float[] floats, long[] longs) {
        public static Entry f32(float[] v, long... shape) { return new Entry(DType.F32, shape, v, null); }
        public static Entry ofFloats(DType dtype, float[] v, long... shape) { return new Entry(dtype, shape, v, null); }
        public static Entry i64(long[] v, long... shape) { return new Entry(DType.I64, shape, null, v); }
        public static Entry i32(long[] v, long... shape) { return new Entry(DType.I32, shape, null, v); }
    }

    /**
     * Writes tensors (in the map's order) to {@code file} atomically: a temporary file in the same folder,
     * forced to disk, then renamed over the target. A crash during the write leaves the old file intact.
     */
    public static void write(Path file, Map<String, Entry> entries, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (var e : entries.entrySet()) {
            Entry t = e.getValue();
            long numel = 1;
            for (long d : t.shape()) numel *= d;
            long have = t.floats() != null ? t.floats().length : t.longs().length;
            if (have != numel) throw new IllegalArgumentException("tensor " + e.getKey() + ": " + have + " values for shape " + java.util.Arrays.toString(t.shape()));
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", t.dtype().name());
            var shape = n.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            var offs = n.putArray("data_offsets");
            offs.add(offset);
            offset += numel * t.dtype().bytes;
            offs.add(offset);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // data section starts 8-byte aligned; pad the JSON with spaces
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry t : entries.values()) {
                int n = t.floats() != null ? t.floats().length : t.longs().length;
                for (int i = 0; i < n; i++) {
                    if (buf.remaining() < 8) { buf.flip(); while (buf.hasRemaining()) ch.write(buf); buf.clear(); }
                    switch (t.dtype()) {
                        case F32 -> buf.putFloat(t.floats()[i]);
                        case F16 -> buf.putShort(Float.floatToFloat16(t.floats()[i]));
                        case BF16 -> buf.putShort(toBf16(t.floats()[i]));
                        case F64 -> buf.putDouble(t.floats()[i]);
                        case I64 -> buf.putLong(t.longs()[i]);
                        case I32 -> buf.putInt((int) t.longs()[i]);
                        default -> throw new IllegalArgumentException("writing " + t.dtype() + " is not supported");
                    }
                }
            }
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        readableByAll(tmp);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Temporary files are created owner-only (0600); a written model is an ordinary file (0644). */
    public static void readableByAll(Path p) {
        try {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: keep the default permissions
        }
    }

    /** float32 → bfloat16 bits, round to nearest even (NaN kept quiet). */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
