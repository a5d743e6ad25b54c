package io.clip4j.text;

/**
 * {@code ftfy.fix_text(text)} of ftfy 6.3.1 with the default configuration, as CLIP's tokenizer calls it.
 *
 * <p>The text is fixed line by line (each segment ends after a '\n'). HTML entities are decoded ("auto"
 * mode) until a segment containing a literal '&lt;' is met: from then on that segment and every later one
 * is treated as HTML and its entities are kept. Each segment is fixed repeatedly until a pass changes
 * nothing; one pass is: unescape_html, fix_encoding, fix_c1_controls, fix_latin_ligatures,
 * fix_character_width, uncurl_quotes, fix_line_breaks, fix_surrogates, remove_terminal_escapes,
 * remove_control_chars, NFC.
 */
public final class Ftfy {
    private Ftfy() {}

    /** config.max_decode_length: longer lines are cut into pieces of this many code points. */
    private static final int MAX_DECODE_LENGTH = 1_000_000;

    /** ftfy.fix_text(text) with the default TextFixerConfig. */
    public static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true; // "auto"
        int pos = 0, n = text.length();
        while (pos < n) {
            int end = text.indexOf('\n', pos) + 1;
            if (end == 0) end = n;
            if (end - pos > MAX_DECODE_LENGTH && text.codePointCount(pos, end) > MAX_DECODE_LENGTH) {
                end = text.offsetByCodePoints(pos, MAX_DECODE_LENGTH);
            }
            String segment = text.substring(pos, end);
            // "auto": a literal '<' means this is HTML; fix_text keeps the switched-off setting for the rest
            if (unescapeHtml && segment.indexOf('<') >= 0) unescapeHtml = false;
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    /** ftfy.fix_and_explain(segment) without the explanation: repeat the passes until a fixed point. */
    static String fixSegment(String text, boolean unescapeHtml) {
        while (true) {
            String orig = text;
            if (unescapeHtml) text = HtmlUnescape.ftfyUnescape(text);
            text = EncodingFixer.fixEncoding(text);
            text = TextFixes.fixC1Controls(text);
            text = TextFixes.fixLatinLigatures(text);
            text = TextFixes.fixCharacterWidth(text);
            text = TextFixes.uncurlQuotes(text);
            text = TextFixes.fixLineBreaks(text);
            text = TextFixes.fixSurrogates(text);
            text = TextFixes.removeTerminalEscapes(text);
            text = TextFixes.removeControlChars(text);
            text = TextFixes.nfc(text);
            if (text.equals(orig)) return text;
        }
    }
}
