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
    /** repo id → the commit its responses name (X-Repo-Commit); repos not listed name {@link #COMMIT_A} */
    final Map<String, String> commits = new ConcurrentHashMap<>();
    static final String COMMIT_A = "a".repeat(40), COMMIT_B = "b".repeat(40);

    @BeforeEach void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
        repos.put("acme/tiny-clip", Fixtures.path("models/tiny/hf"));
        repos.put("acme/tiny-openclip", Fixtures.path("models/tiny/open_clip"));
    }

    @AfterEach void stop() { server.stop(0); }

    /**
     * GET or HEAD /{org}/{name}/resolve/{revision}/{file}, with Range support; like the Hub, responses for a known repo
     * name its commit, and a 404 for a file it lacks says EntryNotFound.
     */
    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        boolean head = ex.getRequestMethod().equals("HEAD");
        requests.add((head ? "HEAD " : "") + path + (ex.getRequestHeaders().containsKey("Range") ? " " + ex.getRequestHeaders().getFirst("Range") : ""));
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null) authHeaders.add(auth);
        try (ex) {
            String[] p = path.split("/");
            if (requireToken && !"Bearer sekrit".equals(auth)) { ex.sendResponseHeaders(401, -1); return; }
            if (p.length != 6 || !p[3].equals("resolve")) { ex.sendResponseHeaders(400, -1); return; }
            Path folder = repos.get(p[1] + "/" + p[2]);
            if (folder == null) { ex.sendResponseHeaders(404, -1); return; }
            ex.getResponseHeaders().add("X-Repo-Commit", commits.getOrDefault(p[1] + "/" + p[2], COMMIT_A));
            Path file = folder.resolve(p[5]);
            if (!Files.isRegularFile(file)) {
                ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                ex.sendResponseHeaders(404, -1);
                return;
            }
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
            if (head) { ex.sendResponseHeaders(status, -1); return; }
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

    /** Files the model may lack that a run got 404 for: requests for them since the index `from`. */
    private long requestsFor(int from, List<String> files) {
        return requests.subList(from, requests.size()).stream().filter(r -> files.stream().anyMatch(f -> r.endsWith("/" + f))).count();
    }

    private static final List<String> LACKED_BY_TINY_CLIP = List.of("tokenizer.json", "spiece.model", "tokenizer.model");

    /** A 404 for an optional file is remembered for the commit: the next run asks which commit it is (once), not for each file. */
    @Test void aFileTheRepoLacksIsNotAskedForAgainAtTheSameCommit() {
        Path dir = hub(null).download("acme/tiny-clip", null);
        assertEquals(3, requestsFor(0, LACKED_BY_TINY_CLIP), requests.toString());
        for (String f : LACKED_BY_TINY_CLIP) assertTrue(Files.isRegularFile(dir.resolve(".no_exist/" + COMMIT_A + "/" + f)), f);
        int before = requests.size();
        assertEquals(dir, hub(null).download("acme/tiny-clip", null));
        assertEquals(List.of("HEAD /acme/tiny-clip/resolve/main/config.json"), requests.subList(before, requests.size()));
        // an OpenCLIP repo lacks config.json as well: remembered the same way
        hub(null).download("acme/tiny-openclip", null);
        before = requests.size();
        hub(null).download("acme/tiny-openclip", null);
        assertEquals(List.of("HEAD /acme/tiny-openclip/resolve/main/open_clip_config.json"), requests.subList(before, requests.size()));
    }

    /** The revision is a commit hash: nothing to ask, so a second run sends no request at all. */
    @Test void atACommitHashASecondRunSendsNoRequest() {
        commits.put("acme/tiny-clip", COMMIT_B);
        Path dir = hub(null).download("acme/tiny-clip@" + COMMIT_B, null);
        int before = requests.size();
        assertEquals(dir, hub(null).download("acme/tiny-clip@" + COMMIT_B, null));
        assertEquals(List.of(), requests.subList(before, requests.size()));
    }

    /** A new commit is asked again (and a file it adds is downloaded); back at the old commit, the cached file is still used. */
    @Test void aNewCommitIsAskedAgainAndACachedFileIsNeverHidden() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("growing"));
        for (String f : List.of("config.json", "model.safetensors", "vocab.json", "merges.txt"))
            Files.copy(Fixtures.path("models/tiny/hf/" + f), src.resolve(f));
        repos.put("acme/growing", src);
        Path dir = hub(null).download("acme/growing", null);
        assertTrue(Files.isRegularFile(dir.resolve(".no_exist/" + COMMIT_A + "/preprocessor_config.json")));

        Files.copy(Fixtures.path("models/tiny/hf/preprocessor_config.json"), src.resolve("preprocessor_config.json"));
        commits.put("acme/growing", COMMIT_B);
        int before = requests.size();
        hub(null).download("acme/growing", null);
        assertEquals(1, requestsFor(before, List.of("preprocessor_config.json")), requests.toString());
        assertEquals(3, requestsFor(before, LACKED_BY_TINY_CLIP), requests.toString());
        assertArrayEquals(Files.readAllBytes(src.resolve("preprocessor_config.json")), Files.readAllBytes(dir.resolve("preprocessor_config.json")));

        commits.put("acme/growing", COMMIT_A);
        before = requests.size();
        hub(null).download("acme/growing", null);
        assertTrue(Files.isRegularFile(dir.resolve("preprocessor_config.json")), "the cached file is used, not the 404 remembered for commit A");
        assertEquals(0, requestsFor(before, List.of("preprocessor_config.json")), requests.toString());
        assertEquals(0, requestsFor(before, LACKED_BY_TINY_CLIP), requests.toString());
    }

    /** A required file is asked for on every run and its 404 is an error; a 404 that names no commit is not remembered. */
    @Test void requiredFilesAndAnswersWithoutACommitAreNotRemembered() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("noweights"));
        Files.copy(Fixtures.path("models/tiny/open_clip/open_clip_config.json"), src.resolve("open_clip_config.json"));
        repos.put("acme/noweights", src);
        for (int run = 0; run < 2; run++) {
            int before = requests.size();
            Clip4jException e = assertThrows(Clip4jException.class, () -> hub(null).download("acme/noweights", null));
            assertTrue(e.getMessage().contains("acme/noweights@main has no open_clip_model.safetensors (HTTP 404"), e.getMessage());
            assertEquals(1, requestsFor(before, List.of("open_clip_model.safetensors")), "run " + run);
        }
        assertFalse(Files.exists(tmp.resolve("cache/acme--noweights/main/.no_exist/" + COMMIT_A + "/open_clip_model.safetensors")));

        Path mirror = tmp.resolve("mirror-cache");
        server.removeContext("/");
        server.createContext("/", ex -> { // a plain mirror: no commit in its answers
            Path file = Fixtures.path("models/tiny/hf").resolve(ex.getRequestURI().getPath().substring(ex.getRequestURI().getPath().lastIndexOf('/') + 1));
            requests.add(ex.getRequestURI().getPath());
            try (ex) {
                if (!Files.isRegularFile(file)) { ex.sendResponseHeaders(404, -1); return; }
                byte[] all = Files.readAllBytes(file);
                ex.sendResponseHeaders(200, all.length);
                ex.getResponseBody().write(all);
            }
        });
        new Hub(endpoint, mirror, null).download("acme/tiny-clip", null);
        int before = requests.size();
        new Hub(endpoint, mirror, null).download("acme/tiny-clip", null);
        assertEquals(3, requestsFor(before, LACKED_BY_TINY_CLIP), requests.toString());
        assertFalse(Files.exists(mirror.resolve("acme--tiny-clip/main/.no_exist")));
    }

    /**
     * The weights redirect (as the Hub's LFS files do, naming the commit) to a CDN that answers a plain 404 once: that
     * says nothing about the repository, so the next run asks again and gets the file.
     */
    @Test void aNotFoundFromTheCdnARedirectLedToIsNotRemembered() throws IOException {
        Path src = Fixtures.path("models/tiny/hf");
        server.createContext("/acme/lfs/", ex -> {
            String file = ex.getRequestURI().getPath().substring(ex.getRequestURI().getPath().lastIndexOf('/') + 1);
            requests.add(ex.getRequestURI().getPath());
            try (ex) {
                ex.getResponseHeaders().add("X-Repo-Commit", COMMIT_A);
                if (file.equals("model.safetensors")) {
                    ex.getResponseHeaders().add("Location", "/cdn/" + file);
                    ex.sendResponseHeaders(302, -1);
                } else if (!Files.isRegularFile(src.resolve(file))) {
                    ex.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                    ex.sendResponseHeaders(404, -1);
                } else {
                    byte[] all = Files.readAllBytes(src.resolve(file));
                    ex.sendResponseHeaders(200, all.length);
                    ex.getResponseBody().write(all);
                }
            }
        });
        AtomicInteger cdnCalls = new AtomicInteger();
        server.createContext("/cdn/", ex -> {
            try (ex) {
                if (cdnCalls.getAndIncrement() == 0) { ex.sendResponseHeaders(404, -1); return; }
                byte[] all = Files.readAllBytes(src.resolve("model.safetensors"));
                ex.sendResponseHeaders(200, all.length);
                ex.getResponseBody().write(all);
            }
        });
        Clip4jException e = assertThrows(Clip4jException.class, () -> hub(null).download("acme/lfs", null));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        Path dir = tmp.resolve("cache/acme--lfs/main");
        assertFalse(Files.exists(dir.resolve(".no_exist/" + COMMIT_A + "/model.safetensors")));
        hub(null).download("acme/lfs", null);
        assertArrayEquals(Files.readAllBytes(src.resolve("model.safetensors")), Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals(2, cdnCalls.get());
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
