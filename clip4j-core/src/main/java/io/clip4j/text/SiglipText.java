package io.clip4j.text;

/** The text rules of Hugging Face's SigLIP tokenizers that are plain string functions. */
final class SiglipText {
    private SiglipText() {}

    /** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's whitespace symbol. */
    static final String SPIECE_UNDERLINE = "\u2581";

    /**
     * Lower case character by character: Python's {@code str.lower()} applied to each code point on its own
     * (HF's {@code do_lower_case} lowers every {@code (.+?)} regex match; tokenizers' Lowercase uses Rust's
     * per-char {@code to_lowercase}). So there is no final-sigma rule (Σ always becomes σ) and
     * U+0130 İ becomes "i̇" (two code points).
     */
    static String lowerPerChar(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            String lower = cp < 0x80 ? null : PythonText.lower(Character.toString(cp));
            if (cp < 0x80 && cp >= 'A' && cp <= 'Z') lower = String.valueOf((char) (cp + 32));
            if (lower != null && !(lower.length() == len && lower.codePointAt(0) == cp)) {
                if (sb == null) sb = new StringBuilder(s.length() + 8).append(s, 0, i);
                sb.append(lower);
            } else if (sb != null) {
                sb.appendCodePoint(cp);
            }
            i += len;
        }
        return sb == null ? s : sb.toString();
    }

    /** Python's {@code string.punctuation}: the 32 ASCII punctuation characters. */
    static boolean isAsciiPunctuation(int c) {
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    }

    /**
     * SiglipTokenizer.canonicalize_text (keep_punctuation_exact_string=None):
     * {@code text.translate(remove string.punctuation)}, then {@code re.sub(r"\s+", " ", text)} (Python
     * {@code re}: \s = {@code str.isspace()}, including U+001C..U+001F), then {@code text.strip()}.
     */
    static String canonicalize(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        boolean inSpace = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 128 && isAsciiPunctuation(c)) continue; // removed before whitespace is collapsed
            if (PythonText.isSpace(c)) { // every isspace character is in the BMP
                if (!inSpace) sb.append(' ');
                inSpace = true;
            } else {
                sb.append(c);
                inSpace = false;
            }
        }
        return PythonText.strip(sb.toString());
    }

    /** Python {@code str.lstrip()} (str.isspace characters). */
    static String pyLstrip(String s) {
        int i = 0;
        while (i < s.length() && PythonText.isSpace(s.charAt(i))) i++;
        return s.substring(i);
    }

    /** Python {@code str.rstrip()}. */
    static String pyRstrip(String s) {
        int e = s.length();
        while (e > 0 && PythonText.isSpace(s.charAt(e - 1))) e--;
        return s.substring(0, e);
    }

    /** Rust {@code char::is_whitespace} (Unicode White_Space), as tokenizers strips. */
    static boolean isUnicodeWhitespace(int cp) {
        return PythonText.isRegexSpace(cp);
    }

    static String unicodeLstrip(String s) {
        int i = 0;
        while (i < s.length() && isUnicodeWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    static String unicodeRstrip(String s) {
        int e = s.length();
        while (e > 0 && isUnicodeWhitespace(s.charAt(e - 1))) e--;
        return s.substring(0, e);
    }
}
