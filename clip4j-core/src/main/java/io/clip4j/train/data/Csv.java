package io.clip4j.train.data;

import java.util.ArrayList;
import java.util.List;

/** A small RFC 4180 CSV parser: comma-separated, double-quoted fields with "" escapes, newlines inside quotes. */
final class Csv {
    private Csv() {}

    /** One record and the line it starts on (1-based; a quoted field may run over several lines). */
    record Row(int line, List<String> fields) {}

    static List<Row> parse(String s) {
        List<Row> out = new ArrayList<>();
        List<String> rec = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false, any = false;
        int line = 1, quoteLine = 0, recLine = 1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') line++;
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '"') { f.append('"'); i++; }
                    else quoted = false;
                } else f.append(c);
            } else if (c == '"') { quoted = true; any = true; quoteLine = line; }
            else if (c == ',') { rec.add(f.toString()); f.setLength(0); any = true; }
            else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                rec.add(f.toString());
                f.setLength(0);
                out.add(new Row(recLine, rec));
                rec = new ArrayList<>();
                recLine = line;
                any = false;
            } else { f.append(c); any = true; }
        }
        // an opening quote never closed would take the rest of the file as one field, silently
        if (quoted) throw new IllegalArgumentException("line " + quoteLine + ": a quoted field is never closed");
        if (any || f.length() > 0 || !rec.isEmpty()) { rec.add(f.toString()); out.add(new Row(recLine, rec)); }
        return out;
    }
}
