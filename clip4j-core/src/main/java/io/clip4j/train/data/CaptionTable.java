package io.clip4j.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.text.TextInput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * An image–caption table: rows of (image path relative to the table's folder, caption). Rows naming the same image
 * are grouped into one {@link Item} with all its captions, in first-appearance order; a training epoch visits each
 * image once with ONE of its captions, drawn uniformly per epoch from a seeded stream ({@link #caption}).
 *
 * <p>Formats, by file extension:
 * <ul>
 *   <li>{@code .tsv} / {@code .txt}: exactly two columns, {@code path TAB caption}; an optional first row naming them
 *       (an image column name then a caption column name, as for CSV: {@code filepath TAB title}) is skipped. Other
 *       column counts, a first row naming other columns or in the other order, and a row whose caption is an image
 *       path while its path is not (swapped columns) are errors naming the line;</li>
 *   <li>{@code .csv}: a header row naming the columns: image column {@code filepath}, {@code path}, {@code image} or
 *       {@code file}; caption column {@code title}, {@code caption} or {@code text} (open_clip's csv keys); RFC 4180
 *       quoting;</li>
 *   <li>{@code .jsonl}: one object per line with {@code image}/{@code path}/{@code file}/{@code filepath} and
 *       {@code caption}/{@code text}/{@code title} (a string, or an array of captions).</li>
 * </ul>
 * A CSV record too short to hold the image and caption fields is an error naming the line it starts on.
 * A blank caption (empty or white space) is an error naming the table and line in every format.
 */
public final class CaptionTable implements DataSource {
    /** One image with its captions; key is the path as written in the table. */
    public record Item(String key, Path image, List<String> captions) {
        public Item {
            captions = List.copyOf(captions);
        }
    }

    // lists: the error messages name them in this order
    private static final List<String> PATH_KEYS = List.of("filepath", "path", "image", "file", "file_name", "image_path");
    private static final List<String> CAPTION_KEYS = List.of("title", "caption", "text", "captions");
    /** Column names a TSV's first row may hold without being accepted ones: such a row is a header, not data. */
    private static final Set<String> COLUMN_NAMES = java.util.stream.Stream.of(PATH_KEYS, CAPTION_KEYS, List.of("filename", "file_path",
            "img", "img_path", "image_file", "image_name", "url", "image_url", "description", "label", "sentence", "alt", "txt", "jpg", "png"))
            .flatMap(List::stream).collect(java.util.stream.Collectors.toUnmodifiableSet());
    /** What a column of image paths holds: the decodable formats' extensions, and TIFF's (a path, if not one we read). */
    private static final Set<String> IMAGE_EXTENSIONS = java.util.stream.Stream.concat(
            io.clip4j.image.ImageDecoder.FILE_EXTENSIONS.stream(), java.util.stream.Stream.of("tif", "tiff")).collect(java.util.stream.Collectors.toUnmodifiableSet());

    private final Path source;
    private final List<Item> items;

    public CaptionTable(Path source, List<Item> items) {
        this.source = source;
        this.items = List.copyOf(items);
    }

    public Path source() { return source; }
    public List<Item> items() { return items; }
    @Override public long size() { return items.size(); }

    /** Reads a table (format by extension, see the class comment). */
    public static CaptionTable read(Path file) {
        if (!Files.isRegularFile(file)) throw new Clip4jException("data table not found: " + file);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Path base = file.toAbsolutePath().getParent();
        List<String> lines;
        try {
            lines = TextInput.readUtf8(file).lines().toList();   // not UTF-8: an error with the offset
        } catch (IOException e) {
            throw new Clip4jException("cannot read data table " + file + ": " + e.getMessage(), e);
        }
        Map<String, List<String>> rows = new LinkedHashMap<>();
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) readJsonl(file, lines, rows);
        else if (name.endsWith(".csv")) readCsv(file, lines, rows);
        else readTsv(file, lines, rows);
        List<Item> items = new ArrayList<>(rows.size());
        for (var e : rows.entrySet()) items.add(new Item(e.getKey(), base.resolve(e.getKey()).normalize(), e.getValue()));
        if (items.isEmpty()) throw new Clip4jException("data table " + file + " has no rows");
        return new CaptionTable(file, items);
    }

    private static void readTsv(Path file, List<String> lines, Map<String, List<String>> rows) {
        boolean first = true;
        for (int i = 0; i < lines.size(); i++) {
            String l = stripBom(lines.get(i), i);
            if (l.isBlank()) continue;
            String where = file + ":" + (i + 1);
            String[] cols = l.split("\t", -1);
            if (cols.length != 2) {
                throw new Clip4jException(where + ": expected path TAB caption, got " + cols.length + (cols.length == 1 ? " column" : " columns"));
            }
            if (first) {
                first = false;
                if (isTsvHeader(where, cols)) continue;
            }
            if (looksLikeImage(cols[1]) && !looksLikeImage(cols[0])) {
                throw new Clip4jException(where + ": expected path TAB caption, but the caption \"" + cols[1].trim() + "\" is an image path (columns swapped?)");
            }
            add(rows, cols[0], requireCaption(where, cols[1]));
        }
    }

    /**
     * True for a first row naming the columns as CSV's header does (image column then caption column). A first row
     * holding other column names, or these in the other order, is refused rather than read as an image and caption.
     */
    private static boolean isTsvHeader(String where, String[] cols) {
        String a = cols[0].trim().toLowerCase(Locale.ROOT), b = cols[1].trim().toLowerCase(Locale.ROOT);
        if (PATH_KEYS.contains(a) && CAPTION_KEYS.contains(b)) return true;
        // "x.png TAB text" is data: a caption may be a column name's word, an image path is not
        if (COLUMN_NAMES.contains(a) || (COLUMN_NAMES.contains(b) && !looksLikeImage(a))) {
            throw new Clip4jException(where + ": the TSV header must name the image column (" + String.join("/", PATH_KEYS)
                    + ") then the caption column (" + String.join("/", CAPTION_KEYS) + "); got " + List.of(cols[0], cols[1]));
        }
        return false;
    }

    private static boolean looksLikeImage(String s) {
        String t = s.trim(), name = t.substring(t.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static void readCsv(Path file, List<String> lines, Map<String, List<String>> rows) {
        List<Csv.Row> recs;
        try {
            recs = Csv.parse(String.join("\n", lines));
        } catch (IllegalArgumentException e) {
            throw new Clip4jException(file + ": " + e.getMessage());
        }
        if (recs.isEmpty()) return;
        List<String> header = recs.get(0).fields();
        int pi = -1, ci = -1;
        for (int i = 0; i < header.size(); i++) {
            String h = stripBom(header.get(i), i).trim().toLowerCase(Locale.ROOT);
            if (pi < 0 && PATH_KEYS.contains(h)) pi = i;
            if (ci < 0 && CAPTION_KEYS.contains(h)) ci = i;
        }
        if (pi < 0 || ci < 0) throw new Clip4jException(file + ": the CSV header must name an image column (" + String.join("/", PATH_KEYS)
                + ") and a caption column (" + String.join("/", CAPTION_KEYS) + "); got " + header);
        int needed = Math.max(pi, ci) + 1;
        String lastNeeded = stripBom(header.get(needed - 1), needed - 1).trim();
        for (int r = 1; r < recs.size(); r++) {
            List<String> rec = recs.get(r).fields();
            if (rec.size() == 1 && rec.get(0).isBlank()) continue;
            // the line, not the record's number: a quoted field over several lines puts them apart
            String where = file + ":" + recs.get(r).line();
            if (rec.size() < needed) {
                throw new Clip4jException(where + ": expected at least " + needed + " fields (up to the \"" + lastNeeded
                        + "\" column), got " + rec.size() + (rec.size() == 1 ? " field" : " fields"));
            }
            add(rows, rec.get(pi), requireCaption(where, rec.get(ci)));
        }
    }

    private static void readJsonl(Path file, List<String> lines, Map<String, List<String>> rows) {
        ObjectMapper om = new ObjectMapper();
        for (int i = 0; i < lines.size(); i++) {
            String l = stripBom(lines.get(i), i);
            if (l.isBlank()) continue;
            JsonNode n;
            try {
                n = om.readTree(l);
            } catch (IOException e) {
                throw new Clip4jException(file + ":" + (i + 1) + ": not valid JSON");
            }
            JsonNode pathNode = null, cap = null;
            for (String k : List.of("image", "path", "file", "filepath", "file_name", "image_path")) if (pathNode == null && n.hasNonNull(k)) pathNode = n.get(k);
            for (String k : List.of("caption", "text", "title", "captions")) if (cap == null && n.hasNonNull(k)) cap = n.get(k);
            if (pathNode == null || cap == null) throw new Clip4jException(file + ":" + (i + 1) + ": expected an image path (image/path/file) and a caption (caption/text)");
            // values of another type would be read as text ("null", "", the table's own folder): refused
            if (!pathNode.isTextual()) throw new Clip4jException(file + ":" + (i + 1) + ": the image path must be a string, got " + pathNode.getNodeType().toString().toLowerCase(Locale.ROOT));
            boolean strings = cap.isTextual() || (cap.isArray() && !cap.isEmpty());
            if (cap.isArray()) for (JsonNode c : cap) strings &= c.isTextual();
            if (!strings) throw new Clip4jException(file + ":" + (i + 1) + ": the caption must be a string or a non-empty list of strings");
            String path = pathNode.asText(), where = file + ":" + (i + 1);
            if (cap.isArray()) for (JsonNode c : cap) add(rows, path, requireCaption(where, TextInput.requireUnicode(c.asText(), where + ": the caption")));
            else add(rows, path, requireCaption(where, TextInput.requireUnicode(cap.asText(), where + ": the caption")));
        }
    }

    /** An empty or white-space caption pairs the image with no text: an error naming where it is. */
    static String requireCaption(String where, String caption) {
        if (caption.isBlank()) throw new Clip4jException(where + ": the caption is blank");
        return caption;
    }

    private static String stripBom(String s, int index) { return index == 0 ? TextInput.withoutBom(s) : s; }

    /** Rows of one image are grouped by its normalised path: "img/a.png" and "./img/a.png" are one image. */
    private static void add(Map<String, List<String>> rows, String path, String caption) {
        String p = path.trim();
        try {
            p = p.isEmpty() ? p : java.nio.file.Path.of(p).normalize().toString();
        } catch (java.nio.file.InvalidPathException e) {
            // left as written: reading it fails later with a message naming it
        }
        rows.computeIfAbsent(p, k -> new ArrayList<>()).add(caption);
    }

    /**
     * Keeps the images whose file name (without extension) is one of the split's ids in a {@code splits.json}
     * ({@code {"train": [ids…], "val": […], "test": […]}}): the emoji layout, where the ids are code points.
     */
    public CaptionTable filterSplit(Path splitsJson, String split) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(splitsJson.toFile());
        } catch (IOException e) {
            throw new Clip4jException("cannot read split file " + splitsJson + ": " + e.getMessage(), e);
        }
        JsonNode list = root.get(split);
        if (list == null || !list.isArray()) {
            List<String> names = new ArrayList<>();
            root.fieldNames().forEachRemaining(k -> { if (root.get(k).isArray()) names.add(k); });
            throw new Clip4jException(splitsJson + " has no split \"" + split + "\" (it has " + names + ")");
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode id : list) ids.add(id.asText());
        List<Item> kept = new ArrayList<>();
        for (Item it : items) if (ids.contains(stem(it.image()))) kept.add(it);
        if (kept.isEmpty()) throw new Clip4jException("no image of " + source + " is in split \"" + split + "\" of " + splitsJson);
        return new CaptionTable(source, kept);
    }

    /** The first n images (tests, quick runs). */
    public CaptionTable head(int n) { return new CaptionTable(source, items.subList(0, Math.min(n, items.size()))); }

    static String stem(Path p) {
        String f = p.getFileName().toString();
        int dot = f.indexOf('.');
        return dot < 0 ? f : f.substring(0, dot);
    }

    /** The caption image i takes in this epoch: uniform over its captions, from a stream seeded by (seed, epoch, i). */
    public String caption(int i, long seed, int epoch) {
        List<String> c = items.get(i).captions();
        if (c.size() == 1) return c.get(0);
        return c.get(new SplittableRandom(Seeds.mix(seed, 0x6361707469L, epoch, i)).nextInt(c.size()));
    }

    /** The image order of an epoch: 0..n-1, or a Fisher–Yates permutation seeded by (seed, epoch). */
    public static int[] order(int n, long seed, int epoch, boolean shuffle) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = i;
        if (shuffle) {
            SplittableRandom r = new SplittableRandom(Seeds.mix(seed, 0x6f72646572L, epoch, 0));
            for (int i = n - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = o[i];
                o[i] = o[j];
                o[j] = t;
            }
        }
        return o;
    }

    @Override public java.util.Iterator<Sample> epoch(int epoch, long seed, boolean shuffle, long skip) {
        int[] o = order(items.size(), seed, epoch, shuffle);
        return new java.util.Iterator<>() {
            long pos = Math.min(skip, o.length);
            @Override public boolean hasNext() { return pos < o.length; }
            @Override public Sample next() {
                int i = o[(int) pos];
                Item it = items.get(i);
                return new Sample(it.key(), it.image(), null, caption(i, seed, epoch), epoch, pos++);
            }
        };
    }

    /** All (image, caption) rows, grouped per image: for evaluation. */
    public List<Item> itemsView() { return Collections.unmodifiableList(items); }
}
