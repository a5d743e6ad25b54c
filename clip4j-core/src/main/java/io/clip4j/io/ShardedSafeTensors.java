package io.clip4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint split over several safetensors files, as described by {@code model.safetensors.index.json}:
 * {@code {"weight_map": {tensor name: shard file name}}}. Shards must sit in the index's folder.
 */
public final class ShardedSafeTensors implements TensorSource {
    private final Map<String, SafeTensors> byName = new LinkedHashMap<>();
    private final Map<String, SafeTensors> shards = new LinkedHashMap<>();

    private ShardedSafeTensors() {}

    public static ShardedSafeTensors open(Path indexFile) { return open(indexFile, false); }

    /** As {@link #open(Path)}; keepMapped as in {@link SafeTensors#open(Path, boolean)}. */
    public static ShardedSafeTensors open(Path indexFile, boolean keepMapped) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(indexFile));
        } catch (IOException e) {
            throw new Clip4jException("cannot read checkpoint index " + indexFile + ": " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new Clip4jException("checkpoint index " + indexFile + " has no weight_map object");
        Path dir = indexFile.toAbsolutePath().getParent();
        ShardedSafeTensors s = new ShardedSafeTensors();
        try {
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                String shardName = e.getValue().asText();
                Path shard = dir.resolve(shardName).normalize();
                if (!e.getValue().isTextual() || !shard.getParent().equals(dir.normalize())) {
                    throw new Clip4jException("checkpoint index " + indexFile + " names an invalid shard for " + e.getKey() + ": " + e.getValue());
                }
                SafeTensors st = s.shards.get(shardName);
                if (st == null) {
                    st = SafeTensors.open(shard, keepMapped);
                    s.shards.put(shardName, st);
                }
                if (!st.has(e.getKey())) throw new Clip4jException("tensor " + e.getKey() + " listed in " + indexFile + " is missing from " + shard);
                s.byName.put(e.getKey(), st);
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    @Override public Set<String> names() { return Collections.unmodifiableSet(new LinkedHashSet<>(byName.keySet())); }
    @Override public boolean has(String name) { return byName.containsKey(name); }
    @Override public TensorInfo info(String name) { return shard(name).info(name); }
    @Override public float[] floats(String name) { return shard(name).floats(name); }
    @Override public int[] ints(String name) { return shard(name).ints(name); }
    @Override public java.lang.foreign.MemorySegment mapped(String name) { return shard(name).mapped(name); }
    @Override public void readFloats(String name, float[] dst, int offset) { shard(name).readFloats(name, dst, offset); }

    @Override public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        for (SafeTensors s : shards.values()) m.putAll(s.metadata());
        return m;
    }

    private SafeTensors shard(String name) {
        SafeTensors s = byName.get(name);
        if (s == null) throw new Clip4jException("tensor " + name + " not found in the sharded checkpoint");
        return s;
    }

    @Override public void close() {
        for (SafeTensors s : shards.values()) s.close();
    }
}
