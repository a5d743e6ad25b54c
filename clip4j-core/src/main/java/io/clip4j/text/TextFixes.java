package io.clip4j.text;

import java.text.Normalizer;
import java.util.regex.Pattern;

/** The character-level fixers of ftfy 6.3.1 (ftfy.fixes), each one rule. */
final class TextFixes {
    private TextFixes() {}

    /** C1 controls U+0080..U+009F. */
    static boolean hasC1Control(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 && c <= 0x9F) return true;
        }
        return false;
    }

    /** fix_c1_controls: each C1 control becomes the character its byte means in (sloppy) Windows-1252. */
    static String fixC1Controls(String s) {
        if (!hasC1Control(s)) return s;
        SingleByteCodec cp1252 = SingleByteCodec.get("sloppy-windows-1252");
        char[] out = s.toCharArray();
        for (int i = 0; i < out.length; i++) {
            if (out[i] >= 0x80 && out[i] <= 0x9F) out[i] = cp1252.decodeByte(out[i]);
        }
        return new String(out);
    }

    /**
     * fix_latin_ligatures: single-character Latin ligatures and legacy digraphs are split into their letters
     * (ﬁ → fi, ĳ → ij, ǆ → dž, ŉ → ʼn ...). Ligatures like æ that are used intentionally are kept.
     */
    static String fixLatinLigatures(String s) {
        StringBuilder sb = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            String r = ligature(c);
            if (r != null && sb == null) sb = new StringBuilder(n + 8).append(s, 0, i);
            if (sb != null) {
                if (r != null) sb.append(r); else sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    private static String ligature(char c) {
        return switch (c) {
            case '\u0132' -> "IJ";          // Dutch
            case '\u0133' -> "ij";
            case '\u0149' -> "\u02BCn";     // Afrikaans 'n, written to dodge quote curling
            case '\u01F1' -> "DZ";          // Serbo-Croatian digraphs
            case '\u01F2' -> "Dz";
            case '\u01F3' -> "dz";
            case '\u01C4' -> "D\u017D";
            case '\u01C5' -> "D\u017E";
            case '\u01C6' -> "d\u017E";
            case '\u01C7' -> "LJ";
            case '\u01C8' -> "Lj";
            case '\u01C9' -> "lj";
            case '\u01CA' -> "NJ";
            case '\u01CB' -> "Nj";
            case '\u01CC' -> "nj";
            case '\uFB00' -> "ff";          // typographic ligatures
            case '\uFB01' -> "fi";
            case '\uFB02' -> "fl";
            case '\uFB03' -> "ffi";
            case '\uFB04' -> "ffl";
            case '\uFB05' -> "\u017Ft";
            case '\uFB06' -> "st";
            default -> null;
        };
    }

    /**
     * WIDTH_MAP of fix_character_width (built on first use): the ideographic space U+3000 becomes ' ', and every character of
     * the Halfwidth and Fullwidth Forms block U+FF01..U+FFEF becomes its NFKC form (ＡＢＣ → ABC,
     * halfwidth katakana → katakana). Null entries are unchanged.
     */
    private static final class Width {
        static final String[] MAP = buildWidthMap();
    }

    private static String[] buildWidthMap() {
        String[] m = new String[0xFFF0 - 0xFF01];
        for (int c = 0xFF01; c < 0xFFF0; c++) {
            String ch = String.valueOf((char) c);
            String alt = Normalizer.normalize(ch, Normalizer.Form.NFKC);
            if (!alt.equals(ch)) m[c - 0xFF01] = alt;
        }
        return m;
    }

    /** fix_character_width (see {@link Width}). */
    static String fixCharacterWidth(String s) {
        StringBuilder sb = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            String r = c == '\u3000' ? " " : (c >= 0xFF01 && c < 0xFFF0 ? Width.MAP[c - 0xFF01] : null);
            if (r != null && sb == null) sb = new StringBuilder(n).append(s, 0, i);
            if (sb != null) {
                if (r != null) sb.append(r); else sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** uncurl_quotes: “ ” „ ‟ become '"'; ʼ ‘ ’ ‚ ‛ become '\''. */
    static String uncurlQuotes(String s) {
        char[] out = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            char r = (c >= '\u201C' && c <= '\u201F') ? '"'
                    : (c == '\u02BC' || (c >= '\u2018' && c <= '\u201B')) ? '\'' : c;
            if (r != c) {
                if (out == null) out = s.toCharArray();
                out[i] = r;
            }
        }
        return out == null ? s : new String(out);
    }

    /** fix_line_breaks: CRLF, CR, LINE SEPARATOR, PARAGRAPH SEPARATOR and NEXT LINE all become '\n'. */
    static String fixLineBreaks(String s) {
        if (s.indexOf('\r') < 0 && s.indexOf('\u2028') < 0 && s.indexOf('\u2029') < 0 && s.indexOf('\u0085') < 0) return s;
        return s.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n').replace('\u0085', '\n');
    }

    /**
     * fix_surrogates: surrogate code points that are not part of a valid pair become U+FFFD. (A valid pair is
     * already one character in a Java string, which is what ftfy's pair-joining produces.)
     */
    static String fixSurrogates(String s) {
        return TextInput.replaceUnpairedSurrogates(s);
    }

    /** remove_terminal_escapes: ANSI escapes ESC '[' (digits | ';')* letter. Python's \d is any Unicode digit. */
    private static final Pattern ANSI = Pattern.compile("\u001B\\[((?:\\p{Nd}|;)*)([a-zA-Z])");

    static String removeTerminalEscapes(String s) {
        if (s.indexOf('\u001B') < 0) return s;
        return ANSI.matcher(s).replaceAll("");
    }

    /**
     * remove_control_chars: deletes U+0000..U+0008, U+000B, U+000E..U+001F, U+007F, the deprecated Arabic
     * format controls U+206A..U+206F, U+FEFF (BOM) and the interlinear annotation / object replacement
     * characters U+FFF9..U+FFFC. TAB, LF, FF, CR, C1 controls, joiners and bidi marks are kept.
     */
    static String removeControlChars(String s) {
        StringBuilder sb = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            boolean drop = c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F
                    || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
            if (drop && sb == null) sb = new StringBuilder(n).append(s, 0, i);
            if (sb != null && !drop) sb.append(c);
        }
        return sb == null ? s : sb.toString();
    }

    /** unicodedata.normalize('NFC', s). */
    static String nfc(String s) {
        // ASCII is always NFC (and this skips loading the normalisation data for plain text)
        boolean ascii = true;
        for (int i = 0, n = s.length(); i < n && ascii; i++) ascii = s.charAt(i) < 0x80;
        if (ascii) return s;
        return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
    }
}
