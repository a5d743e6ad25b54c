package io.clip4j.text;

/**
 * The text normalisation of OpenAI CLIP's simple_tokenizer.py, before the regex split:
 * <pre>
 *   basic_clean:      ftfy.fix_text → html.unescape(html.unescape(·)) → strip()
 *   whitespace_clean: regex.sub(r'\s+', ' ', ·) → strip()
 *   then              str.lower()
 * </pre>
 * Every step follows Python 3.11 semantics (see {@link PythonText}, {@link HtmlUnescape}, {@link Ftfy}).
 */
public final class TextCleaner {
    private TextCleaner() {}

    /** The full cleaning: {@code whitespace_clean(basic_clean(text)).lower()}. */
    public static String clean(String text) {
        return PythonText.lower(whitespaceClean(basicClean(text)));
    }

    /** basic_clean: ftfy.fix_text, then html.unescape twice (double-escaped text), then str.strip(). */
    public static String basicClean(String text) {
        String t = Ftfy.fixText(text);
        t = HtmlUnescape.unescape(HtmlUnescape.unescape(t));
        return PythonText.strip(t);
    }

    /**
     * whitespace_clean: every run of whitespace (the {@code regex} module's \s, i.e. Unicode White_Space:
     * tabs, newlines, NBSP, em/thin/narrow spaces, ideographic space ...) becomes one ' ', then str.strip().
     * Zero-width space U+200B and soft hyphen are not whitespace and stay.
     */
    public static String whitespaceClean(String text) {
        return PythonText.strip(PythonText.collapseWhitespace(text));
    }

    /** Python's {@code str.lower()} (exposed for other tokenizers that must match it). */
    public static String pythonLower(String text) {
        return PythonText.lower(text);
    }

    /** Python's {@code html.unescape} (exposed for other tokenizers that must match it). */
    public static String htmlUnescape(String text) {
        return HtmlUnescape.unescape(text);
    }
}
