package io.clip4j.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * What makes two models' image embeddings comparable: the content of the weights and of the configs that shape the
 * embedding (config.json or open_clip_config.json, preprocessor_config.json, every *.safetensors file and a shard
 * index). The id is a SHA-256 over each file's name and SHA-256; file sizes and modification times are kept too, so
 * that an unchanged model directory is recognised without hashing its weights again.
 *
 * @param id    hex SHA-256 identifying the model's content
 * @param dir   the directory the identity was computed from (absolute)
 * @param files the files that went into the id, sorted by name
 */
public record ModelIdentity(String id, Path dir, List<FileStamp> files) {
    public record FileStamp(String name, long size, long mtimeMillis, String sha256) {}

    public ModelIdentity {
        files = List.copyOf(files);
    }

    /** The identity of a loaded model (which must come from a directory). */
    public static ModelIdentity of(ClipModel model) { return of(model, null); }

    public static ModelIdentity of(ClipModel model, ModelIdentity known) {
        if (model.dir() == null) throw new Clip4jException("the model was not loaded from a directory, so the index cannot record which model it is");
        return of(model.dir(), known);
    }

    public static ModelIdentity of(Path dir) { return of(dir, null); }

    /** Hashes dir's model files; a file whose name, size and mtime match {@code known} (same directory) keeps its known hash. */
    public static ModelIdentity of(Path dir, ModelIdentity known) {
        Path abs = dir.toAbsolutePath().normalize();
        List<Path> paths = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(abs)) {
            for (Path p : ds) if (counts(p.getFileName().toString()) && Files.isRegularFile(p)) paths.add(p);
        } catch (IOException e) {
            throw new Clip4jException("cannot list model directory " + abs + ": " + e.getMessage(), e);
        }
        if (paths.isEmpty()) throw new Clip4jException(abs + " holds no model files (config.json, *.safetensors)");
        paths.sort(null);
        List<FileStamp> stamps = new ArrayList<>();
        boolean sameDir = known != null && known.dir().equals(abs);
        for (Path p : paths) {
            String name = p.getFileName().toString();
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                long size = a.size(), mtime = a.lastModifiedTime().toMillis();
                String sha = null;
                if (sameDir) {
                    for (FileStamp f : known.files()) {
                        if (f.name().equals(name) && f.size() == size && f.mtimeMillis() == mtime) sha = f.sha256();
                    }
                }
                if (sha == null) sha = sha256(p);
                stamps.add(new FileStamp(name, size, mtime, sha));
            } catch (IOException e) {
                throw new Clip4jException("cannot read model file " + p + ": " + e.getMessage(), e);
            }
        }
        return new ModelIdentity(combine(stamps), abs, stamps);
    }

    static boolean counts(String name) {
        return name.endsWith(".safetensors") || name.equals("config.json") || name.equals("open_clip_config.json")
                || name.equals("preprocessor_config.json") || name.equals("model.safetensors.index.json");
    }

    private static String combine(List<FileStamp> stamps) {
        MessageDigest md = digest();
        for (FileStamp f : stamps) md.update((f.name() + "\t" + f.sha256() + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first 12 hex digits, for messages. */
    public String shortId() { return id.substring(0, 12); }

    public boolean sameModel(ModelIdentity other) { return other != null && id.equals(other.id); }

    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("dir", dir.toString());
        ArrayNode a = o.putArray("files");
        for (FileStamp f : files) a.addObject().put("name", f.name()).put("size", f.size()).put("mtime", f.mtimeMillis()).put("sha256", f.sha256());
        return o.toString();
    }

    public static ModelIdentity fromJson(String json) {
        try {
            JsonNode o = JSON.readTree(json);
            List<FileStamp> files = new ArrayList<>();
            for (JsonNode f : o.get("files")) files.add(new FileStamp(f.get("name").asText(), f.get("size").asLong(), f.get("mtime").asLong(), f.get("sha256").asText()));
            return new ModelIdentity(Objects.requireNonNull(o.get("id")).asText(), Path.of(o.get("dir").asText()), files);
        } catch (IOException | RuntimeException e) {
            throw new Clip4jException("the index's model record is damaged (" + e.getMessage() + "): rebuild the index", e);
        }
    }
}
