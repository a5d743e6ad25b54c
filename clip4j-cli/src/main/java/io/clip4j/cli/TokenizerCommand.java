package io.clip4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.Clip4jException;
import io.clip4j.text.BpeTrainer;
import io.clip4j.text.BpeVocabulary;
import io.clip4j.text.ClipBpeTokenizer;
import io.clip4j.text.TextInput;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** Tokenizer tools: {@code clip4j tokenizer train}. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Tokenizer tools: train learns a CLIP BPE vocabulary from captions.",
        subcommands = {TokenizerCommand.Train.class, CommandLine.HelpCommand.class})
final class TokenizerCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Learns a CLIP byte-level BPE vocabulary from a caption table. */
    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Learn a CLIP-style byte-level BPE vocabulary from captions.",
                    "Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json",
                    "(Hugging Face CLIPTokenizer layout) into --out. Captions are cleaned and",
                    "split as CLIP does; the most frequent adjacent pair is merged until the",
                    "vocabulary has --vocab-size entries (512 byte symbols + merges + 2 special",
                    "tokens); ties go to the lexicographically smallest pair, so the same",
                    "captions always give the same files.",
                    "Input: TSV (caption = last column, e.g. path<TAB>caption), CSV (the same,",
                    "RFC 4180 quoting) or JSONL (the \"caption\" or else \"text\" field). A first",
                    "TSV/CSV row with a cell named caption or text is a header. With",
                    "--split-json, only rows whose image (path, file name, or file name without",
                    "extension, as in images/<style>/<codepoints>.png) is in the split are used."})
    static final class Train implements Callable<Integer> {
        @Option(names = "--data", required = true, paramLabel = "FILE", description = "Caption table: .tsv, .csv or .jsonl.")
        Path data;

        @Option(names = "--vocab-size", required = true, paramLabel = "N", description = "Vocabulary size, at least 514.")
        int vocabSize;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created; the tokenizer files are replaced).")
        Path out;

        @Option(names = "--column", paramLabel = "COL",
                description = "Caption column: a 0-based index or a header name for TSV/CSV (default: the caption/text header column, else the last), a field name for JSONL.")
        String column;

        @Option(names = "--format", paramLabel = "FMT", description = "tsv, csv or jsonl (default: from the file extension).")
        String format;

        @Option(names = "--split-json", paramLabel = "FILE", description = "splits.json: {\"<split>\": [image ids…], …}.")
        Path splitJson;

        @Option(names = "--split", paramLabel = "NAME", description = "The split to train on (with --split-json; default: train).")
        String split;

        @Option(names = "--min-frequency", defaultValue = "1", paramLabel = "N", description = "Never merge a pair seen fewer times (default: ${DEFAULT-VALUE}).")
        long minFrequency;

        @Spec CommandSpec spec;

        @Override public Integer call() {
            if (split != null && splitJson == null) throw new ParameterException(spec.commandLine(), "--split needs --split-json");
            BpeTrainer trainer;
            try {
                trainer = new BpeTrainer(vocabSize).minFrequency(minFrequency);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "invalid value: " + e.getMessage());
            }
            String splitName = split != null ? split : "train";
            Set<String> keep = splitJson == null ? null : readSplit(splitJson, splitName);
            long t0 = System.nanoTime();
            List<String> captions = CaptionTable.read(data, format, column, keep != null);
            if (keep != null) captions = CaptionTable.filter(captions, keep);
            if (captions.isEmpty()) {
                throw new Clip4jException(data + ": no captions" + (keep != null ? " of split '" + splitName + "' of " + splitJson : ""));
            }
            long t1 = System.nanoTime();
            for (String c : captions) trainer.add(c);
            long t2 = System.nanoTime();
            BpeVocabulary v = trainer.train();
            long t3 = System.nanoTime();
            ClipBpeTokenizer tok;
            try {
                v.write(out);
                tok = ClipBpeTokenizer.load(out); // what a model will load
            } catch (IOException e) {
                throw new Clip4jException("cannot write the tokenizer to " + out + ": " + e.getMessage(), e);
            }
            long tokens = 0, fit = 0;
            int max = 0;
            for (String c : captions) {
                int n = tok.encode(c).length;
                tokens += n;
                max = Math.max(max, n);
                if (n + 2 <= tok.contextLength()) fit++;
            }
            PrintWriter o = spec.commandLine().getOut();
            o.printf(Locale.ROOT, "wrote %s: vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json%n", out);
            o.printf(Locale.ROOT, "vocab size:      %d (512 byte symbols + %d merges + 2 special tokens)%n", v.vocabSize(), v.mergeCount());
            if (!v.targetReached()) {
                o.printf(Locale.ROOT, "                 (asked for %d: no pair left that occurs at least %d time%s)%n", vocabSize, minFrequency, minFrequency == 1 ? "" : "s");
            }
            o.printf(Locale.ROOT, "captions:        %d%s%n", captions.size(), keep != null ? " (split '" + splitName + "' of " + splitJson + ")" : "");
            o.printf(Locale.ROOT, "corpus words:    %d (%d distinct)%n", v.wordOccurrences(), v.distinctWords());
            o.printf(Locale.ROOT, "time:            %.2f s (reading %.2f s, cleaning and counting %.2f s, merging %.2f s)%n",
                    (t3 - t0) / 1e9, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
            o.printf(Locale.ROOT, "tokens/caption:  %.2f average, %d max; %.2f %% of captions fit in %d with the start and end tokens%n",
                    tokens / (double) captions.size(), max, 100.0 * fit / captions.size(), tok.contextLength());
            o.flush();
            return 0;
        }

        /** The ids listed under the split's name. */
        static Set<String> readSplit(Path file, String name) {
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(Files.readString(file));
            } catch (NoSuchFileException e) {
                throw new Clip4jException("splits file not found: " + file);
            } catch (JsonProcessingException e) {
                throw new Clip4jException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
            } catch (IOException e) {
                throw new Clip4jException("cannot read " + file + ": " + e.getMessage());
            }
            if (root == null || !root.isObject()) throw new Clip4jException(file + ": expected a JSON object of split name → list of ids");
            JsonNode list = root.get(name);
            if (list == null || !list.isArray()) {
                List<String> names = new ArrayList<>();
                root.fieldNames().forEachRemaining(n -> { if (root.get(n).isArray()) names.add(n); });
                throw new Clip4jException(file + ": no split '" + name + "' (splits: " + String.join(", ", names) + ")");
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < list.size(); i++) {
                if (!list.get(i).isTextual()) throw new Clip4jException(file + ": split '" + name + "' element " + i + " is not a string");
                ids.add(list.get(i).asText());
            }
            return ids;
        }
    }

    /**
     * Reads captions (and, for split filtering, the image path of each) from a TSV, CSV or JSONL table.
     * Captions are returned as "path\0caption" pairs when paths are asked for, else plain.
     */
    static final class CaptionTable {
        private CaptionTable() {}

        static final List<String> CAPTION_NAMES = List.of("caption", "text");
        static final List<String> PATH_NAMES = List.of("path", "image", "file_name", "filename", "filepath", "image_path", "file");
        private static final char SEP = '\0';

        /**
         * The captions of the file, in order; with {@code withPaths}, each as "path\0caption" (see {@link #filter}).
         *
         * @throws Clip4jException naming the file (and line) for any problem
         */
        static List<String> read(Path file, String format, String column, boolean withPaths) {
            String fmt = format != null ? format.toLowerCase(Locale.ROOT) : formatOf(file);
            String text = readText(file);
            return switch (fmt) {
                case "tsv" -> table(file, tsvRows(text), column, withPaths);
                case "csv" -> table(file, csvRows(file, text), column, withPaths);
                case "jsonl" -> jsonl(file, text, column, withPaths);
                default -> throw new Clip4jException("unknown --format '" + format + "' for " + file + " (tsv, csv or jsonl)");
            };
        }

        /** Keeps the captions whose path, file name or file name without extension is in ids. */
        static List<String> filter(List<String> pathsAndCaptions, Set<String> ids) {
            List<String> out = new ArrayList<>();
            for (String pc : pathsAndCaptions) {
                int sep = pc.indexOf(SEP);
                String path = pc.substring(0, sep);
                String name = path.substring(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
                int dot = name.lastIndexOf('.');
                String stem = dot > 0 ? name.substring(0, dot) : name;
                if (ids.contains(path) || ids.contains(name) || ids.contains(stem)) out.add(pc.substring(sep + 1));
            }
            return out;
        }

        static String formatOf(Path file) {
            String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".tsv") || n.endsWith(".tab") || n.endsWith(".txt")) return "tsv";
            if (n.endsWith(".csv")) return "csv";
            if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) return "jsonl";
            throw new Clip4jException("cannot tell the format of " + file + " from its extension: use --format tsv, csv or jsonl");
        }

        private static String readText(Path file) {
            if (Files.isDirectory(file)) throw new Clip4jException("captions file is a directory: " + file);
            try {
                return TextInput.withoutBom(TextInput.readUtf8(file));   // not UTF-8: an error with the offset
            } catch (NoSuchFileException e) {
                throw new Clip4jException("captions file not found: " + file);
            } catch (IOException e) {
                throw new Clip4jException("cannot read " + file + ": " + e.getMessage());
            }
        }

        /** A row and the line it starts on. */
        record Row(List<String> cells, int line) {}

        /** TSV: one row per line, cells split on TAB, no quoting; blank lines skipped. */
        static List<Row> tsvRows(String text) {
            List<Row> rows = new ArrayList<>();
            int line = 0;
            for (String l : text.split("\n", -1)) {
                line++;
                if (l.endsWith("\r")) l = l.substring(0, l.length() - 1);
                if (l.isBlank()) continue;
                rows.add(new Row(List.of(l.split("\t", -1)), line));
            }
            return rows;
        }

        /** CSV (RFC 4180): commas, "quoted" cells with "" for a quote and line breaks inside; blank lines skipped. */
        static List<Row> csvRows(Path file, String text) {
            List<Row> rows = new ArrayList<>();
            List<String> cells = new ArrayList<>();
            StringBuilder cell = new StringBuilder();
            int line = 1, rowLine = 1, n = text.length(), i = 0;
            boolean quoted = false, any = false;
            while (i < n) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"') {
                        if (i + 1 < n && text.charAt(i + 1) == '"') { cell.append('"'); i += 2; continue; }
                        quoted = false;
                    } else {
                        if (c == '\n') line++;
                        cell.append(c);
                    }
                    i++;
                    continue;
                }
                if (c == '"' && cell.isEmpty()) { quoted = true; any = true; }
                else if (c == ',') { cells.add(cell.toString()); cell.setLength(0); any = true; }
                else if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') { i++; continue; }
                else if (c == '\n') {
                    cells.add(cell.toString());
                    cell.setLength(0);
                    if (any) rows.add(new Row(List.copyOf(cells), rowLine));
                    cells.clear();
                    any = false;
                    line++;
                    rowLine = line;
                } else { cell.append(c); if (!Character.isWhitespace(c)) any = true; }
                i++;
            }
            if (quoted) throw new Clip4jException(file + ":" + rowLine + ": unterminated quoted field");
            if (any || !cell.isEmpty()) {
                cells.add(cell.toString());
                rows.add(new Row(List.copyOf(cells), rowLine));
            }
            return rows;
        }

        private static List<String> table(Path file, List<Row> rows, String column, boolean withPaths) {
            List<String> out = new ArrayList<>(rows.size());
            if (rows.isEmpty()) return out;
            // a header: a first row with a cell named caption or text
            List<String> header = null;
            for (String h : rows.get(0).cells()) if (CAPTION_NAMES.contains(h.strip().toLowerCase(Locale.ROOT))) header = rows.get(0).cells();
            int col = -1; // -1: the last column of each row
            if (column != null) {
                try {
                    col = Integer.parseInt(column.strip());
                    if (col < 0) throw new Clip4jException("--column must be 0 or more, got " + column);
                } catch (NumberFormatException e) {
                    col = header == null ? -2 : indexOf(header, List.of(column.strip().toLowerCase(Locale.ROOT)));
                    if (col < 0) throw new Clip4jException(file + ": no column named '" + column + "'"
                            + (header == null ? " (no header row with a caption or text column)" : " in the header " + header));
                }
            } else if (header != null) {
                col = indexOf(header, CAPTION_NAMES);
            }
            int pathCol = 0;
            if (header != null) {
                int p = indexOf(header, PATH_NAMES);
                pathCol = p >= 0 ? p : 0;
            }
            for (int r = header != null ? 1 : 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                List<String> cells = row.cells();
                int c = col < 0 ? cells.size() - 1 : col;
                if (c >= cells.size()) {
                    throw new Clip4jException(file + ":" + row.line() + ": " + cells.size() + " column" + (cells.size() == 1 ? "" : "s")
                            + ", the caption column " + c + " is missing");
                }
                if (withPaths) {
                    if (cells.size() < 2 || pathCol == c) {
                        throw new Clip4jException(file + ":" + row.line() + ": no image path column apart from the caption (needed for --split-json)");
                    }
                    out.add(cells.get(pathCol).strip() + SEP + cells.get(c));
                } else {
                    out.add(cells.get(c));
                }
            }
            return out;
        }

        private static int indexOf(List<String> header, List<String> names) {
            for (String name : names) {
                for (int i = 0; i < header.size(); i++) if (header.get(i).strip().toLowerCase(Locale.ROOT).equals(name)) return i;
            }
            return -1;
        }

        private static List<String> jsonl(Path file, String text, String column, boolean withPaths) {
            List<String> out = new ArrayList<>();
            int line = 0;
            for (String l : text.split("\n", -1)) {
                line++;
                if (l.isBlank()) continue;
                JsonNode o;
                try {
                    o = Json.MAPPER.readTree(l);
                } catch (JsonProcessingException e) {
                    throw new Clip4jException(file + ":" + line + ": not valid JSON (" + e.getOriginalMessage() + ")");
                }
                if (o == null || !o.isObject()) throw new Clip4jException(file + ":" + line + ": expected a JSON object");
                String caption = null;
                for (String f : column != null ? List.of(column) : CAPTION_NAMES) {
                    if (o.path(f).isTextual()) { caption = TextInput.requireUnicode(o.get(f).asText(), file + ":" + line + ": \"" + f + "\""); break; }
                }
                if (caption == null) {
                    throw new Clip4jException(file + ":" + line + ": no " + (column != null ? "\"" + column + "\"" : "\"caption\" or \"text\"") + " string field");
                }
                if (withPaths) {
                    String path = null;
                    for (String f : PATH_NAMES) if (o.path(f).isTextual()) { path = o.get(f).asText(); break; }
                    if (path == null) throw new Clip4jException(file + ":" + line + ": no image path field (" + String.join(", ", PATH_NAMES) + ") for --split-json");
                    out.add(path.strip() + SEP + caption);
                } else {
                    out.add(caption);
                }
            }
            return out;
        }
    }
}
