package io.clip4j.train.data;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.text.TextInput;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * WebDataset tar shards, streamed: consecutive members sharing a key ({@code dir/0001.jpg}, {@code dir/0001.txt}: the
 * key is the path up to the first dot of the file name) form one sample; the image is the member with extension
 * jpg / jpeg / png / webp / gif / bmp, the caption the {@code .txt} or, without one, the {@code "caption"} string of
 * the {@code .json} (img2dataset's layout), trimmed. A {@code .json} beside a {@code .txt} is not read: it may hold
 * other metadata. Samples lacking an image or both caption members are skipped. A caption that is not UTF-8, a
 * {@code .json} that is not an object with a string {@code "caption"} or whose caption is not Unicode text (a lone
 * surrogate escape), and a blank caption are errors naming the sample, found already when the shards are counted.
 * A sample is named {@code shard:key} (the shard's path as given), in messages and in the list of unreadable images;
 * an error in one caption member names it {@code shard:key.ext}.
 *
 * <p>Epoch order: the shards in order, or shuffled per (seed, epoch); with shuffling the samples also pass through a
 * seeded shuffle buffer of {@link #SHUFFLE_BUFFER} samples (as webdataset's {@code shuffle(n)}). Only the buffer is in
 * memory, so shards of any size stream.
 */
public final class WebDataset implements DataSource {
    public static final int SHUFFLE_BUFFER = 1000;
    private static final List<String> IMAGE_EXT = List.of("jpg", "jpeg", "png", "webp", "gif", "bmp");

    private final List<Path> shards;
    private long size = -1;

    public WebDataset(List<Path> shards) {
        if (shards.isEmpty()) throw new Clip4jException("no tar shards given");
        for (Path s : shards) if (!Files.isRegularFile(s)) throw new Clip4jException("tar shard not found: " + s);
        this.shards = List.copyOf(shards);
    }

    /** A .tar file, a folder of .tar files (sorted by name), or a comma-separated list of .tar files. */
    public static WebDataset open(String spec) {
        List<Path> shards = new ArrayList<>();
        for (String part : spec.split(",")) {
            Path p = Path.of(part.trim());
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(f -> f.getFileName().toString().endsWith(".tar")).sorted().forEach(shards::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else shards.add(p);
        }
        return new WebDataset(shards);
    }

    /** True for a data argument that names tar shards rather than a caption table. */
    public static boolean looksLikeShards(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith(".tar") || s.contains(".tar,")) return true;
        Path p = Path.of(spec.split(",")[0].trim());
        if (Files.isDirectory(p)) {
            try (Stream<Path> st = Files.list(p)) {
                return st.anyMatch(f -> f.getFileName().toString().endsWith(".tar"));
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    public List<Path> shards() { return shards; }

    /** Samples in all shards (counted once by reading the tar headers). */
    @Override public synchronized long size() {
        if (size < 0) {
            long n = 0;
            for (Path s : shards) {
                try (TarSamples t = new TarSamples(s, false)) {
                    while (t.next() != null) n++;
                }
            }
            size = n;
        }
        return size;
    }

    @Override public Iterator<Sample> epoch(int epoch, long seed, boolean shuffle, long skip) {
        List<Path> order = new ArrayList<>(shards);
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(Seeds.mix(seed, 0x7368617264L, epoch, 0));
            for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, r.nextInt(i + 1));
        }
        Iterator<Raw> raw = new Iterator<>() {
            int shard = 0;
            TarSamples cur;
            Raw pending;
            @Override public boolean hasNext() {
                while (pending == null) {
                    if (cur == null) {
                        if (shard >= order.size()) return false;
                        cur = new TarSamples(order.get(shard++), true);
                    }
                    try {
                        pending = cur.next();
                    } catch (RuntimeException e) {                      // a bad sample ends the epoch: free the shard
                        cur.close();
                        cur = null;
                        throw e;
                    }
                    if (pending == null) { cur.close(); cur = null; }
                }
                return true;
            }
            @Override public Raw next() {
                if (!hasNext()) throw new NoSuchElementException();
                Raw r = pending;
                pending = null;
                return r;
            }
        };
        Iterator<Raw> src = shuffle ? shuffled(raw, new SplittableRandom(Seeds.mix(seed, 0x6275666665L, epoch, 0))) : raw;
        return new Iterator<>() {
            long pos = 0;
            { while (pos < skip && src.hasNext()) { src.next(); pos++; } }
            @Override public boolean hasNext() { return src.hasNext(); }
            @Override public Sample next() {
                Raw r = src.next();
                return new Sample(r.name, null, r.image, r.caption, epoch, pos++);
            }
        };
    }

    /** webdataset's shuffle buffer: fill to n, then emit a random element and replace it with the next one. */
    private static Iterator<Raw> shuffled(Iterator<Raw> in, SplittableRandom rng) {
        return new Iterator<>() {
            final ArrayList<Raw> buf = new ArrayList<>();
            @Override public boolean hasNext() {
                while (buf.size() < SHUFFLE_BUFFER && in.hasNext()) buf.add(in.next());
                return !buf.isEmpty();
            }
            @Override public Raw next() {
                if (!hasNext()) throw new NoSuchElementException();
                int i = rng.nextInt(buf.size());
                Raw r = buf.get(i);
                buf.set(i, buf.get(buf.size() - 1));
                buf.remove(buf.size() - 1);
                return r;
            }
        };
    }

    /** name: {@code shard:key}, which tells samples of different shards apart. */
    record Raw(String name, byte[] image, String caption) {}

    /** Reads a tar stream member by member, grouping members by key. */
    static final class TarSamples implements AutoCloseable {
        // a trailing second value ({"caption": "a"} {"caption": "b"}) is an error, not ignored
        private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

        private final Path file;
        private final InputStream in;
        private final boolean readData;
        private final ArrayDeque<Member> ahead = new ArrayDeque<>();
        private boolean eof;

        /** ext: the extension lower-cased, for matching; suffix: as in the tar, for messages. */
        record Member(String key, String ext, String suffix, byte[] data) {}

        TarSamples(Path file, boolean readData) {
            this.file = file;
            this.readData = readData;
            try {
                this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            } catch (IOException e) {
                throw new Clip4jException("cannot read tar shard " + file + ": " + e.getMessage(), e);
            }
        }

        /** The next complete sample, or null at the end; incomplete groups are skipped. */
        Raw next() {
            while (true) {
                Member first = member();
                if (first == null) return null;
                List<Member> group = new ArrayList<>();
                group.add(first);
                Member m;
                while ((m = member()) != null && m.key.equals(first.key)) group.add(m);
                if (m != null) ahead.push(m);
                Member img = null, txt = null, json = null;
                for (Member g : group) {
                    if (IMAGE_EXT.contains(g.ext)) { if (img == null) img = g; }
                    else if (g.ext.equals("txt")) { if (txt == null) txt = g; }
                    else if (g.ext.equals("json") && json == null) json = g;
                }
                // keys repeat across shards (each numbers from 0000): the shard is part of the sample's name
                String name = file + ":" + first.key;
                if (img == null || (txt == null && json == null)) continue;
                // the .txt wins: a .json beside it may be metadata without a caption, and is then not read
                String cap = txt != null ? text(name, txt).trim() : jsonCaption(name, json);
                return new Raw(name, img.data, CaptionTable.requireCaption(name, cap));
            }
        }

        /** The member's text, less a leading byte-order mark; not UTF-8 is an error naming the member (shard:key.ext) and the offset. */
        private static String text(String name, Member m) {
            return TextInput.withoutBom(TextInput.decodeUtf8(m.data, name + "." + m.suffix));
        }

        /** The "caption" string of a .json member (img2dataset's layout), for a sample without a .txt. */
        private static String jsonCaption(String name, Member m) {
            String where = name + "." + m.suffix;
            JsonNode root;
            try {
                root = JSON.readTree(text(name, m));
            } catch (IOException e) {
                throw new Clip4jException(where + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            String expected = where + ": expected an object with a string \"caption\" (the sample has no .txt), but ";
            if (root == null || root.isMissingNode()) throw new Clip4jException(expected + "the file is empty");
            if (!root.isObject()) throw new Clip4jException(expected + "it is " + kind(root));
            JsonNode cap = root.get("caption");
            if (cap == null) throw new Clip4jException(expected + "it has no \"caption\"");
            if (!cap.isTextual()) throw new Clip4jException(expected + "\"caption\" is " + kind(cap));
            return TextInput.requireUnicode(cap.asText(), where + ": \"caption\"").trim();
        }

        private static String kind(JsonNode n) {
            return switch (n.getNodeType()) {
                case ARRAY -> "an array";
                case OBJECT -> "an object";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL -> "null";
                case STRING -> "a string";
                default -> n.getNodeType().toString().toLowerCase(Locale.ROOT);
            };
        }

        private Member member() {
            if (!ahead.isEmpty()) return ahead.pop();
            if (eof) return null;
            try {
                String longName = null;
                while (true) {
                    byte[] h = in.readNBytes(512);
                    if (h.length < 512 || isZero(h)) { eof = true; return null; }
                    String name = cstr(h, 0, 100);
                    String prefix = (h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r') ? cstr(h, 345, 155) : "";
                    long size = octal(h, 124, 12);
                    char type = (char) h[156];
                    long padded = (size + 511) / 512 * 512;
                    if (type == 'L') {                                          // GNU long name: the next member's name
                        byte[] d = in.readNBytes((int) size);
                        in.skipNBytes(padded - size);
                        longName = cstr(d, 0, d.length);
                        continue;
                    }
                    if (type == 'x' || type == 'g') {                           // pax headers: path= overrides
                        byte[] d = in.readNBytes((int) size);
                        in.skipNBytes(padded - size);
                        for (String rec : new String(d, StandardCharsets.UTF_8).split("\n")) {
                            int eq = rec.indexOf(" path=");
                            if (eq >= 0 && type == 'x') longName = rec.substring(eq + 6);
                        }
                        continue;
                    }
                    String path = longName != null ? longName : prefix.isEmpty() ? name : prefix + "/" + name;
                    longName = null;
                    if (type != '0' && type != 0 && type != '7') { in.skipNBytes(padded); continue; }   // not a regular file
                    int slash = path.lastIndexOf('/');
                    int dot = path.indexOf('.', slash + 1);
                    String ext = dot < 0 ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
                    byte[] data = null;
                    if (readData || ext.equals("txt") || ext.equals("json")) {   // captions are read when counting too, to check them
                        if (size > Integer.MAX_VALUE - 8) throw new Clip4jException(file + ": member " + path + " is too large");
                        data = in.readNBytes((int) size);
                        if (data.length < size) throw new Clip4jException(file + ": truncated at member " + path);
                        in.skipNBytes(padded - size);
                    } else in.skipNBytes(padded);
                    if (dot < 0) continue;
                    return new Member(path.substring(0, dot), ext, path.substring(dot + 1), data);
                }
            } catch (java.io.EOFException e) {
                throw new Clip4jException(file + ": truncated tar file", e);
            } catch (IOException e) {
                throw new Clip4jException("cannot read tar shard " + file + ": " + e.getMessage(), e);
            }
        }

        private static boolean isZero(byte[] h) {
            for (byte b : h) if (b != 0) return false;
            return true;
        }

        private static String cstr(byte[] b, int off, int len) {
            int end = off;
            while (end < off + len && b[end] != 0) end++;
            return new String(b, off, end - off, StandardCharsets.UTF_8);
        }

        private static long octal(byte[] b, int off, int len) {
            if ((b[off] & 0x80) != 0) {                                     // GNU base-256
                long v = 0;
                for (int i = off + 1; i < off + len; i++) v = (v << 8) | (b[i] & 0xFF);
                return v;
            }
            long v = 0;
            for (int i = off; i < off + len; i++) {
                int c = b[i];
                if (c == 0 || c == ' ') { if (v > 0 || i > off) { if (c == 0) break; else continue; } else continue; }
                if (c < '0' || c > '7') break;
                v = v * 8 + (c - '0');
            }
            return v;
        }

        @Override public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
            }
        }
    }
}
