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
 *
 * <p>A 404 for a file the model may lack (a tokenizer or preprocessor file, the other layout's config) is remembered
 * under the commit the server named for it (X-Repo-Commit), as an empty {@code .no_exist/{commit}/{file}} in the cache
 * folder, as huggingface_hub does. A later run learns which commit the revision is at now (from its first response, from
 * the revision itself when it is a commit hash, or else from one HEAD request for a cached config) and does not ask again
 * for the files remembered missing at that commit; a new commit is asked again. A file in the cache is always used,
 * whatever is remembered; a required file is always asked for; only the Hub's own answer is remembered (a 404 that
 * says EntryNotFound and names the commit), not a CDN's or a mirror's.
 */
public final class Hub {
    /** A repository id: "org/name" (letters, digits, '-', '_', '.'). */
    private static final Pattern REPO_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._/-]{1,128}");
    /** A full commit hash (SHA-1, or SHA-256 for repositories that use it). */
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");
    /** The cache folder's record of files the server did not have, one folder per commit. */
    static final String NO_EXIST = ".no_exist";

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
                    fetchAll(new Run(repo, revision, dir, progress));
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

    /** One download: what is asked for, and the commit its revision resolves to once known (null until then). */
    private static final class Run {
        final String repo, revision;
        final Path dir;
        final LongConsumer progress;
        String commit;
        boolean commitAsked;

        Run(String repo, String revision, Path dir, LongConsumer progress) {
            this.repo = repo;
            this.revision = revision;
            this.dir = dir;
            this.progress = progress;
            if (COMMIT.matcher(revision).matches()) commit = revision;
        }
    }

    private void fetchAll(Run run) throws IOException, InterruptedException {
        String repo = run.repo, revision = run.revision;
        Set<String> files = new LinkedHashSet<>();
        for (String c : CONFIGS) if (fetch(run, c, false)) files.add(c);
        if (files.isEmpty()) throw new Clip4jException(repo + "@" + revision + " has neither config.json nor open_clip_config.json at " + endpoint);
        if (files.contains("config.json")) {
            if (!fetch(run, "model.safetensors", false)) {
                if (!fetch(run, "model.safetensors.index.json", false)) {
                    throw new Clip4jException(repo + "@" + revision + " has no model.safetensors (clip4j reads safetensors weights only)");
                }
                for (String shard : shards(run.dir.resolve("model.safetensors.index.json"))) fetch(run, shard, true);
            }
        } else {
            fetch(run, "open_clip_model.safetensors", true);
        }
        for (String f : OPTIONAL) fetch(run, f, false);
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
     * Downloads one file into dir unless it is there already. Returns false when the server says 404 (now, or at the
     * same commit in an earlier run) and the file is optional; a missing required file, or any other failure, is an error.
     */
    private boolean fetch(Run run, String file, boolean required) throws IOException, InterruptedException {
        return fetch(run, file, required, true);
    }

    private boolean fetch(Run run, String file, boolean required, boolean mayRetry) throws IOException, InterruptedException {
        String repo = run.repo, revision = run.revision;
        Path dir = run.dir;
        LongConsumer progress = run.progress;
        Path target = dir.resolve(file);
        if (Files.isRegularFile(target)) return true;
        if (!required && knownMissing(run, file)) return false;
        Path part = dir.resolve(file + ".part"), etagFile = dir.resolve(file + ".part.etag");
        String etag = Files.isRegularFile(etagFile) ? Files.readString(etagFile).trim() : null;
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        if (have > 0 && (etag == null || etag.isEmpty())) have = 0;           // no version to resume against: start over
        URI uri = uriOf(run, file);
        HttpRequest.Builder req = request(uri).GET();
        if (have > 0) req.header("Range", "bytes=" + have + "-").header("If-Range", etag);
        HttpResponse<InputStream> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = resp.statusCode();
        if (run.commit == null) run.commit = commitOf(resp);
        try (InputStream in = resp.body()) {
            if (status == 404) {
                if (required) throw new Clip4jException(repo + "@" + revision + " has no " + file + " (HTTP 404 from " + uri + ")");
                rememberMissing(run, file, resp);
                return false;
            }
            if (status == 401 || status == 403) {
                throw new Clip4jException("access to " + uri + " was refused (HTTP " + status + "); set HF_TOKEN for gated or private models");
            }
            if (status == 416 && mayRetry) {                                   // the part is no prefix of the file: start over
                Files.deleteIfExists(part);
                Files.deleteIfExists(etagFile);
                in.close();
                return fetch(run, file, required, false);
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

    private URI uriOf(Run run, String file) {
        return URI.create(endpoint + "/" + run.repo + "/resolve/" + URLEncoder.encode(run.revision, StandardCharsets.UTF_8).replace("%2F", "/")
                + "/" + URLEncoder.encode(file, StandardCharsets.UTF_8));
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30));
        if (token != null && !token.isBlank()) req.header("Authorization", "Bearer " + token);
        return req;
    }

    /** The commit a response says the revision resolved to (X-Repo-Commit, also on a redirect it followed), or null. */
    private static String commitOf(HttpResponse<?> resp) {
        for (HttpResponse<?> r = resp; r != null; r = r.previousResponse().orElse(null)) {
            String commit = r.headers().firstValue("X-Repo-Commit").orElse("");
            if (COMMIT.matcher(commit).matches()) return commit;
        }
        return null;
    }

    /**
     * Whether an earlier run got a 404 for file at the commit the revision resolves to now. Which commit that is, when
     * no response of this run has said so yet, is asked once per run, and only when file is remembered missing at some commit.
     */
    private boolean knownMissing(Run run, String file) throws IOException, InterruptedException {
        Path noExist = run.dir.resolve(NO_EXIST);
        if (run.commit == null) {
            if (run.commitAsked || !rememberedAtAnyCommit(noExist, file)) return false;
            run.commitAsked = true;
            String config = CONFIGS.stream().filter(c -> Files.isRegularFile(run.dir.resolve(c))).findFirst().orElse(null);
            if (config == null) return false;
            run.commit = commitOf(http.send(request(uriOf(run, config)).HEAD().build(), HttpResponse.BodyHandlers.discarding()));
            if (run.commit == null) return false;
        }
        return Files.isRegularFile(noExist.resolve(run.commit).resolve(file));
    }

    private static boolean rememberedAtAnyCommit(Path noExist, String file) throws IOException {
        if (!Files.isDirectory(noExist)) return false;
        try (java.nio.file.DirectoryStream<Path> commits = Files.newDirectoryStream(noExist)) {
            for (Path c : commits) if (Files.isRegularFile(c.resolve(file))) return true;
        }
        return false;
    }

    /**
     * Records a 404 for file under the commit it names. Only the Hub's own answer that the commit lacks the file counts:
     * X-Error-Code EntryNotFound and X-Repo-Commit on the 404 itself. A 404 from a CDN or proxy a redirect led to says
     * nothing about the repository, even when the redirect named the commit.
     */
    private static void rememberMissing(Run run, String file, HttpResponse<?> resp) {
        String commit = resp.headers().firstValue("X-Repo-Commit").orElse("");
        String error = resp.headers().firstValue("X-Error-Code").orElse("");
        if (!COMMIT.matcher(commit).matches() || !error.equals("EntryNotFound")) return;
        Path marker = run.dir.resolve(NO_EXIST).resolve(commit).resolve(file);
        try {
            Files.createDirectories(marker.getParent());
            HfCheckpointWriter.writeAtomically(marker, new byte[0]);
        } catch (IOException e) {
            // the record only saves a request next time: without it the file is asked for again
        }
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
