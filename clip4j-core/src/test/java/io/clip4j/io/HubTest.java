package io.clip4j.io;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Downloads from a real HTTP server on 127.0.0.1 that serves files in the Hub's URL layout. */
class HubTest {
    @TempDir Path tmp;
    HttpServer server;
    String endpoint;
    /** repo id → folder served for it */
    final Map<String, Path> repos = new ConcurrentHashMap<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> authHeaders = new CopyOnWriteArrayList<>();
    /** when > 0, the next response for model.safetensors is cut after this many bytes */
    final AtomicInteger cutAfter = new AtomicInteger();
    volatile boolean requireToken;

    @BeforeEach void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
        repos.put("acme/tiny-clip", Fixtures.path("models/tiny/hf"));
        repos.put("acme/tiny-openclip", Fixtures.path("models/tiny/open_clip"));
    }

    @AfterEach void stop() { server.stop(0); }

    /** GET /{org}/{name}/resolve/{revision}/{file}, with Range support. */
    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.add(path + (ex.getRequestHeaders().containsKey("Range") ? " " + ex.getRequestHeaders().getFirst("Range") : ""));
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) authHeaders.add(auth);
        try (ex) {
            String[] p = path.split("/");
            if (requireToken && !"Bearer sekrit".equals(auth)) { ex.sendResponseHeaders(401, -1); return; }
            if (p.length != 6 || !p[3].equals("resolve")) { ex.sendResponseHeaders(400, -1); return; }
            Path folder = repos.get(p[1] + "/" + p[2]);
            Path file = folder == null ? null : folder.resolve(p[5]);
            if (file == null || !Files.isRegularFile(file)) { ex.sendResponseHeaders(404, -1); return; }
            byte[] all = Files.readAllBytes(file);
            String etag = "\"" + Integer.toHexString(java.util.Arrays.hashCode(all)) + "\"";
            int from = 0, status = 200;
            String range = ex.getRequestHeaders().getFirst("Range"), ifRange = ex.getRequestHeaders().getFirst("If-Range");
            if (range != null && range.startsWith("bytes=") && (ifRange == null || ifRange.equals(etag))) {
                from = Integer.parseInt(range.substring(6, range.indexOf('-')));
                status = 206;
                ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (all.length - 1) + "/" + all.length);
            }
            ex.getResponseHeaders().add("ETag", etag);
            int len = all.length - from;
            int cut = p[5].endsWith("model.safetensors") ? cutAfter.getAndSet(0) : 0;
            ex.sendResponseHeaders(status, len);
            OutputStream out = ex.getResponseBody();
            out.write(all, from, cut > 0 ? Math.min(cut, len) : len);
            if (cut > 0) throw new IOException("connection cut on purpose");
        }
    }

    private Hub hub(String token) { return new Hub(endpoint, tmp.resolve("cache"), token); }

    @Test void downloadsAHuggingFaceRepoThatLoadsLikeTheLocalFolder() {
        Path dir = hub(null).download("acme/tiny-clip", null);
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        try (ClipModel a = ClipModel.load(dir); ClipModel b = ClipModel.load(Fixtures.path("models/tiny/hf"))) {
            assertArrayEquals(b.embedTexts(List.of("a photo of a cat"))[0], a.embedTexts(List.of("a photo of a cat"))[0], 1e-6f);
        }
        int before = requests.size();
        hub(null).download("acme/tiny-clip", null);
        long refetched = requests.subList(before, requests.size()).stream().filter(r -> r.endsWith("model.safetensors")).count();
        assertEquals(0, refetched, "cached files are not downloaded again");
    }

    @Test void downloadsAnOpenClipRepo() {
        Path dir = hub(null).download("acme/tiny-openclip@v1.0", null);
        assertTrue(Files.isRegularFile(dir.resolve("open_clip_model.safetensors")));
        assertTrue(requests.stream().anyMatch(r -> r.contains("/resolve/v1.0/open_clip_config.json")));
        try (ClipModel m = ClipModel.load(dir)) {
            assertEquals(32, m.embedDim());
        }
    }

    @Test void anInterruptedDownloadLeavesNoFileAndResumesWithARangeRequest() throws IOException {
        cutAfter.set(100_000);
        Clip4jException e = assertThrows(Clip4jException.class, () -> hub(null).download("acme/tiny-clip", null));
        assertTrue(e.getMessage().contains("acme/tiny-clip"), e.getMessage());
        Path dir = tmp.resolve("cache/acme--tiny-clip/main");
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "no truncated file under the real name");
        assertTrue(Files.size(dir.resolve("model.safetensors.part")) > 0);
        hub(null).download("acme/tiny-clip", null);
        assertTrue(requests.stream().anyMatch(r -> r.matches(".*/model\\.safetensors bytes=100000-")), requests.toString());
        assertArrayEquals(Files.readAllBytes(Fixtures.path("models/tiny/hf/model.safetensors")), Files.readAllBytes(dir.resolve("model.safetensors")));
    }

    /** A file changed on the server between an interrupted download and its resume is downloaded whole, not spliced. */
    @Test void aResumeAfterTheFileChangedDownloadsTheNewVersionWhole() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("changing"));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"))
            Files.copy(Fixtures.path("models/tiny/hf/" + f), src.resolve(f));
        repos.put("acme/changing", src);
        cutAfter.set(100_000);
        assertThrows(Clip4jException.class, () -> hub(null).download("acme/changing", null));
        Files.copy(Fixtures.path("models/tiny/hf_f16/model.safetensors"), src.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path dir = hub(null).download("acme/changing", null);
        assertArrayEquals(Files.readAllBytes(src.resolve("model.safetensors")), Files.readAllBytes(dir.resolve("model.safetensors")));
    }

    /** An error page served with status 200 is not kept as the file; once the server is fixed, the download works. */
    @Test void aBrokenFileIsNotKeptInTheCache() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("html"));
        Files.writeString(src.resolve("config.json"), "<html><body>Service unavailable</body></html>");
        repos.put("acme/html", src);
        Clip4jException e = assertThrows(Clip4jException.class, () -> hub(null).download("acme/html", null));
        assertTrue(e.getMessage().contains("broken config.json"), e.getMessage());
        Path dir = tmp.resolve("cache/acme--html/main");
        assertFalse(Files.exists(dir.resolve("config.json")));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"))
            Files.copy(Fixtures.path("models/tiny/hf/" + f), src.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(Files.isRegularFile(hub(null).download("acme/html", null).resolve("model.safetensors")));
    }

    /** With the server gone, a complete cached model is used as it is. */
    @Test void aCompleteCachedModelWorksOffline() {
        Path dir = hub(null).download("acme/tiny-clip", null);
        server.stop(0);
        assertEquals(dir, hub(null).download("acme/tiny-clip", null));
        Clip4jException e = assertThrows(Clip4jException.class, () -> hub(null).download("acme/tiny-openclip", null));
        assertFalse(e.getMessage().endsWith("null"), e.getMessage());
    }

    @Test void errorsNameTheRepoAndTheCause() {
        assertTrue(assertThrows(Clip4jException.class, () -> hub(null).download("acme/nothing-here", null)).getMessage().contains("acme/nothing-here"));
        assertTrue(assertThrows(Clip4jException.class, () -> hub(null).download("not a repo", null)).getMessage().contains("org/name"));
        requireToken = true;
        assertTrue(assertThrows(Clip4jException.class, () -> hub(null).download("acme/tiny-clip", null)).getMessage().contains("HF_TOKEN"));
        Path dir = hub("sekrit").download("acme/tiny-clip", null);
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        assertTrue(authHeaders.contains("Bearer sekrit"));
    }

    @Test void shardedCheckpointsAreDownloadedShardByShard() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(Fixtures.path("models/tiny/hf/config.json"), src.resolve("config.json"));
        Map<String, SafeTensors.Entry> a = new java.util.LinkedHashMap<>(), b = new java.util.LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        try (SafeTensors st = SafeTensors.open(Fixtures.path("models/tiny/hf/model.safetensors"))) {
            int i = 0;
            for (String n : st.names()) {
                if (st.info(n).dtype() == DType.I64) continue;
                boolean first = i++ % 2 == 0;
                (first ? a : b).put(n, SafeTensors.Entry.f32(st.floats(n), st.info(n).shape()));
                map.append(map.isEmpty() ? "" : ",").append('"').append(n).append("\":\"model-0000").append(first ? 1 : 2).append("-of-00002.safetensors\"");
            }
        }
        SafeTensors.write(src.resolve("model-00001-of-00002.safetensors"), a, null);
        SafeTensors.write(src.resolve("model-00002-of-00002.safetensors"), b, null);
        Files.writeString(src.resolve("model.safetensors.index.json"), "{\"weight_map\":{" + map + "}}");
        repos.put("acme/sharded", src);
        Path dir = hub(null).download("acme/sharded", null);
        try (ClipModel m = ClipModel.loadWeights(dir); ClipModel ref = ClipModel.loadWeights(Fixtures.path("models/tiny/hf"))) {
            assertArrayEquals(ref.params().get(3).data, m.params().get(3).data);
        }
    }
}
