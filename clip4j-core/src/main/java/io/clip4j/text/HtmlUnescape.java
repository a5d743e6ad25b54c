package io.clip4j.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTML character references, decoded two ways:
 * <ul>
 *   <li>{@link #unescape} — Python's {@code html.unescape} (HTML5 rules: named references with or
 *       without ';' where the table allows it, longest-prefix matching, numeric references with the
 *       Windows-1252 fix-ups for 0x80..0x9F);</li>
 *   <li>{@link #ftfyUnescape} — ftfy's more cautious {@code unescape_html} fixer, which only decodes
 *       references that end in ';'.</li>
 * </ul>
 * The named-reference table is Python 3.11's {@code html.entities.html5} (resource {@code html5_entities.tsv}).
 */
final class HtmlUnescape {
    private HtmlUnescape() {}

    /** Python's html._charref: '&amp;' then a decimal, hex or named reference (names: 1..32 code points). */
    private static final Pattern CHARREF = Pattern.compile(
            "&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    /** ftfy's HTML_ENTITY_RE: only references that are closed by ';'. */
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");

    /** The tables, loaded on first use (most text has no '&amp;' at all). */
    private static final class Tables {
        /** html.entities.html5: name (without '&amp;', possibly ending in ';') → replacement text. */
        static final Map<String, String> HTML5 = loadHtml5();
        /** ftfy's chardata.HTML_ENTITIES: "&amp;name;" → replacement, including the upper-cased extras. */
        static final Map<String, String> FTFY_ENTITIES = buildFtfyEntities();
    }

    /** Python's html.unescape(s). */
    static String unescape(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = CHARREF.matcher(s);
        StringBuilder sb = null;
        int last = 0;
        while (m.find()) {
            if (sb == null) sb = new StringBuilder(s.length());
            sb.append(s, last, m.start()).append(replaceCharref(m.group(1)));
            last = m.end();
        }
        if (sb == null) return s;
        return sb.append(s, last, s.length()).toString();
    }

    /** html._replace_charref: ref is the text after '&amp;'. */
    private static String replaceCharref(String ref) {
        if (ref.charAt(0) == '#') {
            boolean hex = ref.charAt(1) == 'x' || ref.charAt(1) == 'X';
            String digits = ref.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) digits = digits.substring(0, digits.length() - 1);
            int num = parseCapped(digits, hex ? 16 : 10);
            // 1. NUL, CR and the C1 range are remapped as HTML5 says (0x80..0x9F as Windows-1252)
            String fix = invalidCharref(num);
            if (fix != null) return fix;
            // 2. surrogates and numbers beyond Unicode become U+FFFD
            if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return "\uFFFD";
            // 3. other control characters and noncharacters are dropped
            if (isInvalidCodepoint(num)) return "";
            return Character.toString(num);
        }
        String v = Tables.HTML5.get(ref);
        if (v != null) return v;
        // the longest prefix (at least 2 code points) that is a known name, keeping the rest as text
        int[] cps = ref.codePoints().toArray();
        for (int x = cps.length - 1; x > 1; x--) {
            String prefix = new String(cps, 0, x);
            v = Tables.HTML5.get(prefix);
            if (v != null) return v + new String(cps, x, cps.length - x);
        }
        return "&" + ref;
    }

    /** Parses a number; anything above 0x10FFFF is returned as 0x110000 (Python has big integers). */
    private static int parseCapped(String digits, int radix) {
        long v = 0;
        for (int i = 0; i < digits.length(); i++) {
            v = v * radix + Character.digit(digits.charAt(i), radix);
            if (v > 0x10FFFF) return 0x110000;
        }
        return (int) v;
    }

    /** html._invalid_charrefs. */
    private static String invalidCharref(int num) {
        if (num == 0x00) return "\uFFFD";
        if (num == 0x0D) return "\r";
        if (num >= 0x80 && num <= 0x9F) {
            // the Windows-1252 meaning of the byte; its five undefined bytes stay C1 controls
            return String.valueOf(SingleByteCodec.get("sloppy-windows-1252").decodeByte(num));
        }
        return null;
    }

    /** html._invalid_codepoints: C0 controls except TAB/LF/FF/CR (and NUL, handled above), DEL, C1, noncharacters. */
    private static boolean isInvalidCodepoint(int num) {
        return (num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F)
                || (num >= 0x7F && num <= 0x9F) || (num >= 0xFDD0 && num <= 0xFDEF)
                || (num & 0xFFFE) == 0xFFFE;
    }

    /**
     * ftfy's unescape_html: each "&amp;name;" / "&amp;#...;" (up to 24 letters or digits, closed by ';') is
     * replaced if it is in ftfy's entity table; a numeric reference is replaced only if html.unescape
     * consumes it completely (its result contains no ';'); everything else is left alone
     * (so "this&amp;not that" stays as it is).
     */
    static String ftfyUnescape(String s) {
        if (s.indexOf('&') < 0) return s;
        Matcher m = FTFY_ENTITY.matcher(s);
        StringBuilder sb = null;
        int last = 0;
        while (m.find()) {
            String ref = m.group();
            String repl = Tables.FTFY_ENTITIES.get(ref);
            if (repl == null) {
                repl = ref;
                if (ref.startsWith("&#")) {
                    String u = unescape(ref);
                    if (u.indexOf(';') < 0) repl = u;
                }
            }
            if (sb == null) sb = new StringBuilder(s.length());
            sb.append(s, last, m.start()).append(repl);
            last = m.end();
        }
        if (sb == null) return s;
        return sb.append(s, last, s.length()).toString();
    }

    /**
     * ftfy's chardata._build_html_entities: every html5 name that ends in ';', plus, for an all-lowercase
     * name, its upper-cased spelling (e.g. "&amp;EACUTE;" → "É") mapped to the upper-cased character —
     * but only when html.unescape would leave that upper-case spelling alone (it is not a real entity).
     */
    private static Map<String, String> buildFtfyEntities() {
        Map<String, String> m = new HashMap<>();
        for (var e : Tables.HTML5.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) continue;
            m.put("&" + name, e.getValue());
        }
        for (var e : Tables.HTML5.entrySet()) {
            String name = e.getKey();
            if (!name.endsWith(";")) continue;
            // names are ASCII, so Python's lower()/upper() on them are the ASCII ones
            if (name.equals(name.toLowerCase(Locale.ROOT))) {
                String upper = "&" + name.toUpperCase(Locale.ROOT);
                if (unescape(upper).equals(upper)) {
                    // Python's str.upper() is the full mapping ('ß' → "SS"), as Java's toUpperCase(ROOT)
                    m.put(upper, e.getValue().toUpperCase(Locale.ROOT));
                }
            }
        }
        return m;
    }

    private static Map<String, String> loadHtml5() {
        Map<String, String> m = new HashMap<>(4096);
        try (InputStream in = HtmlUnescape.class.getResourceAsStream("html5_entities.tsv")) {
            if (in == null) throw new IllegalStateException("resource io/clip4j/text/html5_entities.tsv missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int tab = line.indexOf('\t');
                StringBuilder v = new StringBuilder(2);
                for (String hex : line.substring(tab + 1).split(" ")) v.appendCodePoint(Integer.parseInt(hex, 16));
                m.put(line.substring(0, tab), v.toString());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
