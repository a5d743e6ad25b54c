package io.clip4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Pattern;

/**
 * Downloads model repositories from the Hugging Face Hub (or a mirror with the same URL layout) into a local cache,
 * and returns the folder, which {@code ClipModel.load} then reads like any other model directory.
 *
 * <p>URL layout: {@code {endpoint}/{repo}/resolve/{revision}/{file}}; endpoint from {@code HF_ENDPOINT}
 * (default https://huggingface.co), token from {@code HF_TOKEN}. Cache: {@code {cache}/{org}--{name}/{revision}/},
 * cache root from {@code CLIP4J_CACHE} (default ~/.cache/clip4j/hub). Each file is downloaded to a {@code .part}
 * file, resumed with a Range request when one is left over, and renamed into place when complete — an interrupted
 * download never leaves a truncated file under its real name. A resume names the version it continues (If-Range with
 * the ETag the download began with), so a file changed on the server in between is downloaded whole again rather than
 * spliced. A downloaded JSON file must parse and a safetensors file must pass the reader's checks before it is renamed
 * into place (an error page served with status 200, or a response cut short without a length, is not kept). One
 * process at a time downloads into a cache folder (a file lock); a second one waits and then finds the files there.
 * When the server cannot be reached, a cache folder that already holds a complete model is used as it is.
 */
public final class Hub {
    /** A repository id: "org/name" (letters, digits, '-', '_', '.'). */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,128}");

    /** Files a model directory may have; the required ones depend on the layout found. */
    static final List<String> CONFIGS = List.of("config.json", "open_clip_config.json");
    static final List<String> OPTIONAL = List.of("preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json",
            "vocab.json", "merges.txt", "tokenizer.json", "spiece.model", "tokenizer.model");

    private final String endpoint;
    private final Path cacheRoot;
    private final String token;
    private final HttpClient http;

    public Hub(String endpoint, Path cacheRoot, String token) {
        this.endpoint = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        this.cacheRoot = cacheRoot;
        this.token = token;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build();
    }

    /** Endpoint, cache and token from the environment. */
    public static Hub fromEnvironment() {
        String endpoint = System.getenv().getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        String cache = System.getenv("CLIP4J_CACHE");
        Path root = cache != null ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache", "clip4j", "hub");
        return new Hub(endpoint, root, System.getenv("HF_TOKEN"));
    }

    /** True for strings shaped like a Hub repository id ("org/name", optionally "@revision"). */
    public static boolean looksLikeRepoId(String s) {
        int at = s.indexOf('@');
        return REPO_ID.matcher(at < 0 ? s : s.substring(0, at)).matches();
    }

    /**
     * The local folder of {@code repo} ("org/name" or "org/name@revision"), downloading what is missing.
     * @param progress receives the byte count of each chunk downloaded (may be null)
     */
    public Path download(String repo, LongConsumer progress) {
        String revision = "main";
        int at = repo.indexOf('@');
        if (at >= 0) {
            revision = repo.substring(at + 1);
            repo = repo.substring(0, at);
        }
        if (!REPO_ID.matcher(repo).matches()) throw new Clip4jException("not a Hugging Face repository id: " + repo + " (expected org/name)");
        if (!REVISION.matcher(revision).matches() || revision.contains("..")) throw new Clip4jException("invalid revision: " + revision);
        Path dir = cacheRoot.resolve(repo.replace("/", "--")).resolve(revision.replace("/", "--"));
        try {
            Files.createDirectories(dir);
            synchronized (LOCKS.computeIfAbsent(dir.toAbsolutePath().normalize(), k -> new Object())) {
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     java.nio.channels.FileLock lock = ch.lock()) {
                    fetchAll(repo, revision, dir, progress);
                }
            }
        } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException | java.net.UnknownHostException e) {
            if (complete(dir)) {
                System.err.println("clip4j: " + endpoint + " cannot be reached (" + describe(e) + "): using the cached " + repo + "@" + revision);
                return dir;
            }
            throw new Clip4jException("downloading " + repo + "@" + revision + " from " + endpoint + " failed: " + describe(e), e);
        } catch (IOException e) {
            throw new Clip4jException("downloading " + repo + "@" + revision + " from " + endpoint + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Clip4jException("download of " + repo + " interrupted", e);
        }
        return dir;
    }

    /** In-process guard per cache folder (a file lock is held per process, not per thread). */
    private static final java.util.concurrent.ConcurrentHashMap<Path, Object> LOCKS = new java.util.concurrent.ConcurrentHashMap<>();

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Whether dir holds a model's config and weights (enough to load it without the server). */
    private static boolean complete(Path dir) {
        boolean hf = Files.isRegularFile(dir.resolve("config.json"))
                && (Files.isRegularFile(dir.resolve("model.safetensors")) || Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
        boolean openClip = Files.isRegularFile(dir.resolve("open_clip_config.json")) && Files.isRegularFile(dir.resolve("open_clip_model.safetensors"));
        return hf || openClip;
    }

    private void fetchAll(String repo, String revision, Path dir, LongConsumer progress) throws IOException, InterruptedException {
        {
            Set<String> files = new LinkedHashSet<>();
            for (String c : CONFIGS) if (fetch(repo, revision, c, dir, false, progress)) files.add(c);
            if (files.isEmpty()) throw new Clip4jException(repo + "@" + revision + " has neither config.json nor open_clip_config.json at " + endpoint);
            if (files.contains("config.json")) {
                if (!fetch(repo, revision, "model.safetensors", dir, false, progress)) {
                    if (!fetch(repo, revision, "model.safetensors.index.json", dir, false, progress)) {
                        throw new Clip4jException(repo + "@" + revision + " has no model.safetensors (clip4j reads safetensors weights only)");
                    }
                    for (String shard : shards(dir.resolve("model.safetensors.index.json"))) fetch(repo, revision, shard, dir, true, progress);
                }
            } else {
                fetch(repo, revision, "open_clip_model.safetensors", dir, true, progress);
            }
            for (String f : OPTIONAL) fetch(repo, revision, f, dir, false, progress);
        }
    }

    private static List<String> shards(Path index) throws IOException {
        JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode v : map) {
            String s = v.asText();
            if (s.contains("/") || s.contains("\\") || s.startsWith(".")) throw new Clip4jException(index + " names an invalid shard file: " + s);
            out.add(s);
        }
        return new ArrayList<>(out);
    }

    /**
     * Downloads one file into dir unless it is there already. Returns false when the server says 404 and the file is
     * optional; a missing required file, or any other failure, is an error.
     */
    private boolean fetch(String repo, String revision, String file, Path dir, boolean required, LongConsumer progress)
            throws IOException, InterruptedException {
        return fetch(repo, revision, file, dir, required, progress, true);
    }

    private boolean fetch(String repo, String revision, String file, Path dir, boolean required, LongConsumer progress, boolean mayRetry)
            throws IOException, InterruptedException {
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target)) return true;
        Path part = dir.resolve(file + ".part"), etagFile = dir.resolve(file + ".part.etag");
        String etag = Files.isRegularFile(etagFile) ? Files.readString(etagFile).trim() : null;
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (have > 0 && (etag == null || etag.isEmpty())) have = 0;           // no version to resume against: start over
        URI uri = URI.create(endpoint + "/" + repo + "/resolve/" + URLEncoder.encode(revision, StandardCharsets.UTF_8).replace("%2F", "/")
                + "/" + URLEncoder.encode(file, StandardCharsets.UTF_8));
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30)).GET();
        if (token != null && !token.isBlank()) req.header("Authorization", "Bearer " + token);
        if (have > 0) req.header("Range", "bytes=" + have + "-").header("If-Range", etag);
        HttpResponse<InputStream> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = resp.statusCode();
        try (InputStream in = resp.body()) {
            if (status == 404) {
                if (required) throw new Clip4jException(repo + "@" + revision + " has no " + file + " (HTTP 404 from " + uri + ")");
                return false;
            }
            if (status == 401 || status == 403) {
                throw new Clip4jException("access to " + uri + " was refused (HTTP " + status + "); set HF_TOKEN for gated or private models");
            }
            if (status == 416 && mayRetry) {                                   // the part is no prefix of the file: start over
                Files.deleteIfExists(part);
                Files.deleteIfExists(etagFile);
                in.close();
                return fetch(repo, revision, file, dir, required, progress, false);
            }
            boolean append = status == 206 && have > 0;
            if (status != 200 && !append) throw new Clip4jException("HTTP " + status + " for " + uri);
            if (append && !resp.headers().firstValue("Content-Range").orElse("").startsWith("bytes " + have + "-"))
                throw new IOException(file + ": the server resumed at another offset than asked (" + resp.headers().firstValue("Content-Range").orElse("no Content-Range") + ")");
            if (!append) {
                // the version this download is of, for a later resume (If-Range); none known: a resume starts over
                String tag = resp.headers().firstValue("ETag").orElse("");
                Files.writeString(etagFile, tag.startsWith("W/") ? "" : tag);
            }
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    if (progress != null) progress.accept(n);
                }
            }
        }
        long expected = status == 206 ? totalOf(resp.headers().firstValue("Content-Range").orElse(""))
                : resp.headers().firstValueAsLong("Content-Length").orElse(-1);
        long got = Files.size(part);
        if (expected >= 0 && got != expected) {
            throw new IOException(file + ": received " + got + " of " + expected + " bytes; run again to resume");
        }
        try {
            check(part, file);
        } catch (RuntimeException e) {
            Files.deleteIfExists(part);
            Files.deleteIfExists(etagFile);
            throw new Clip4jException(repo + "@" + revision + ": the server sent a broken " + file + " (" + e.getMessage() + "); it was not kept, run again");
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(etagFile);
        return true;
    }

    /** The total length in a Content-Range header ("bytes a-b/total"), or -1. */
    private static long totalOf(String contentRange) {
        int slash = contentRange.lastIndexOf('/');
        try {
            return slash < 0 ? -1 : Long.parseLong(contentRange.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A downloaded file is what its name says: JSON parses, safetensors passes the reader's checks. */
    private static void check(Path part, String file) throws IOException {
        if (file.endsWith(".json")) {
            try {
                new ObjectMapper().readTree(part.toFile());
            } catch (IOException e) {
                throw new IllegalStateException("not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
        } else if (file.endsWith(".safetensors")) {
            try (SafeTensors st = SafeTensors.open(part)) {
                st.names();
            }
        }
    }
}
