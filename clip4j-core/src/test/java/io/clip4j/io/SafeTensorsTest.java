package io.clip4j.io;

import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir Path tmp;

    /** Builds a file: 8-byte length + header JSON + data bytes. */
    private Path file(String name, long headerLen, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(h);
        Path p = tmp.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    private Path file(String name, String json, int dataBytes) throws IOException {
        return file(name, json.getBytes(StandardCharsets.UTF_8).length, json, dataBytes);
    }

    private static String error(Path p) {
        Clip4jException e = assertThrows(Clip4jException.class, () -> SafeTensors.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test void readsFixtureTensorsOfEveryKind() {
        try (SafeTensors st = SafeTensors.open(Fixtures.path("models/tiny/hf/model.safetensors"))) {
            TensorInfo ls = st.info("logit_scale");
            assertEquals(0, ls.shape().length, "logit_scale is a scalar");
            assertEquals(2.6592600f, st.floats("logit_scale")[0], 1e-6f);
            int[] pos = st.ints("vision_model.embeddings.position_ids");
            assertEquals(17, pos.length);
            for (int i = 0; i < 17; i++) assertEquals(i, pos[i]);
        }
    }

    @Test void f16AndBf16WidenToTheSameValuesAsTheFloat32Reference() {
        try (SafeTensors f16 = SafeTensors.open(Fixtures.path("models/tiny/hf_f16/model.safetensors"));
             SafeTensors f32 = SafeTensors.open(Fixtures.path("models/tiny/hf/model.safetensors"))) {
            assertEquals(DType.BF16, f16.info("vision_model.embeddings.patch_embedding.weight").dtype());
            assertEquals(DType.F16, f16.info("text_model.embeddings.token_embedding.weight").dtype());
            for (String name : new String[]{"vision_model.embeddings.patch_embedding.weight", "text_model.embeddings.token_embedding.weight"}) {
                float[] a = f16.floats(name), b = f32.floats(name);
                assertEquals(a.length, b.length);
                for (int i = 0; i < a.length; i++) {
                    // rounding to 8 (bf16) or 11 (f16) significant bits: relative error below 2^-8
                    assertEquals(b[i], a[i], Math.abs(b[i]) * 0.0040f + 1e-7f, name + "[" + i + "]");
                }
            }
        }
    }

    @Test void writeThenReadRoundTrips() throws IOException {
        Map<String, SafeTensors.Entry> m = new LinkedHashMap<>();
        m.put("a", SafeTensors.Entry.f32(new float[]{1.5f, -2f, 3.25f, 0f, 1e-8f, 7f}, 2, 3));
        m.put("s", SafeTensors.Entry.f32(new float[]{4.6051702f}));
        m.put("h", SafeTensors.Entry.ofFloats(DType.F16, new float[]{1f, 0.333f}, 2));
        m.put("b", SafeTensors.Entry.ofFloats(DType.BF16, new float[]{1f, 3.14159f}, 2));
        m.put("ids", SafeTensors.Entry.i64(new long[]{0, 1, 2}, 1, 3));
        Path p = tmp.resolve("rt.safetensors");
        SafeTensors.write(p, m, Map.of("format", "pt"));
        try (SafeTensors st = SafeTensors.open(p)) {
            assertArrayEquals(new float[]{1.5f, -2f, 3.25f, 0f, 1e-8f, 7f}, st.floats("a"));
            assertArrayEquals(new long[]{2, 3}, st.info("a").shape());
            assertEquals(0, st.info("s").shape().length);
            assertEquals(4.6051702f, st.floats("s")[0]);
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.333f)), st.floats("h")[1]);
            assertEquals(3.140625f, st.floats("b")[1]); // bf16 nearest of pi
            assertArrayEquals(new int[]{0, 1, 2}, st.ints("ids"));
            assertEquals("pt", st.metadata().get("format"));
        }
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        }
    }

    @Test void rejectsHugeHeaderLength() throws IOException {
        String msg = error(file("huge.safetensors", Long.MAX_VALUE / 2, "{}", 0));
        assertTrue(msg.contains("header length"), msg);
        assertTrue(error(file("neg.safetensors", -5, "{}", 0)).contains("header length"));
    }

    @Test void rejectsShortFilesAndEmptyFiles() throws IOException {
        Path p = tmp.resolve("empty.safetensors");
        Files.write(p, new byte[0]);
        assertTrue(error(p).contains("shorter"));
        Files.write(p, new byte[]{1, 2, 3});
        assertTrue(error(p).contains("shorter"));
    }

    @Test void rejectsMalformedJson() throws IOException {
        assertTrue(error(file("bad.safetensors", "{\"a\": {\"dtype\": ", 0)).contains("not valid JSON"));
        assertTrue(error(file("arr.safetensors", "[1,2,3]", 0)).contains("not a JSON object"));
    }

    @Test void rejectsOffsetsPastTheEndOfFile() throws IOException {
        String msg = error(file("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8));
        assertTrue(msg.contains("past the end"), msg);
    }

    @Test void rejectsOverlappingTensors() throws IOException {
        String msg = error(file("overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24));
        assertTrue(msg.contains("overlap"), msg);
    }

    @Test void rejectsSizeThatDisagreesWithShapeAndDtype() throws IOException {
        String msg = error(file("size.safetensors", "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16));
        assertTrue(msg.contains("needs 8"), msg);
    }

    @Test void rejectsUnknownDtypeAndBadShapes() throws IOException {
        assertTrue(error(file("dt.safetensors", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1)).contains("unknown dtype"));
        assertTrue(error(file("neg.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1)).contains("shape"));
        assertTrue(error(file("ovf.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],\"data_offsets\":[0,4]}}", 4)).contains("too large"));
    }

    @Test void rejectsDuplicateNames() throws IOException {
        String msg = error(file("dup.safetensors",
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2));
        assertTrue(msg.contains("not valid JSON") && msg.contains("Duplicate"), msg);
    }

    @Test void readingAFloatTensorAsTheWrongKindIsAClearError() throws IOException {
        Path p = file("kind.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        try (SafeTensors st = SafeTensors.open(p)) {
            Clip4jException e = assertThrows(Clip4jException.class, () -> st.floats("a"));
            assertTrue(e.getMessage().contains("expected a float type"));
            assertTrue(assertThrows(Clip4jException.class, () -> st.info("missing")).getMessage().contains("missing"));
        }
    }

    @Test void shardedCheckpointResolvesEachTensorToItsShard() throws IOException {
        Map<String, SafeTensors.Entry> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        a.put("x", SafeTensors.Entry.f32(new float[]{1, 2}, 2));
        b.put("y", SafeTensors.Entry.f32(new float[]{3}, 1));
        SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), a, null);
        SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), b, null);
        Path index = tmp.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"metadata\":{},\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
        try (ShardedSafeTensors s = ShardedSafeTensors.open(index)) {
            assertArrayEquals(new float[]{1, 2}, s.floats("x"));
            assertArrayEquals(new float[]{3}, s.floats("y"));
        }
        Files.writeString(index, "{\"weight_map\":{\"x\":\"../evil.safetensors\"}}");
        assertThrows(Clip4jException.class, () -> ShardedSafeTensors.open(index));
    }
}
