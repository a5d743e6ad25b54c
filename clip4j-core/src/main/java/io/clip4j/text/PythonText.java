package io.clip4j.text;

/**
 * Python 3.11 {@code str} semantics that CLIP's text cleaning relies on and that Java does differently:
 * what counts as whitespace ({@code str.isspace}, {@code re}'s and {@code regex}'s {@code \s}),
 * {@code str.strip()} and {@code str.lower()}.
 */
final class PythonText {
    private PythonText() {}

    /**
     * {@code str.isspace()} (and {@code \s} of Python's {@code re} with str patterns): the ASCII
     * whitespace U+0009..U+000D, the information separators U+001C..U+001F, space, and every character
     * whose bidi class is WS, B or S or whose category is Zs.
     */
    static boolean isSpace(int cp) {
        return (cp >= 0x1C && cp <= 0x20) || isRegexSpace(cp);
    }

    /**
     * {@code \s} of the {@code regex} module (which simple_tokenizer imports as {@code re}): the Unicode
     * White_Space property. Unlike {@code str.isspace()} it does not include U+001C..U+001F.
     */
    static boolean isRegexSpace(int cp) {
        if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
                || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** {@code str.strip()} with no argument: removes leading and trailing {@link #isSpace} characters. */
    static String strip(String s) {
        int start = 0, end = s.length();
        // every isspace character is in the BMP, so char-wise scanning is exact
        while (start < end && isSpace(s.charAt(start))) start++;
        while (end > start && isSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /** {@code regex.sub(r'\s+', ' ', s)}: every run of {@link #isRegexSpace} characters becomes one space. */
    static String collapseWhitespace(String s) {
        StringBuilder sb = null;
        int n = s.length();
        for (int i = 0; i < n; ) {
            char c = s.charAt(i);
            if (!isRegexSpace(c)) { if (sb != null) sb.append(c); i++; continue; }
            int j = i + 1;
            while (j < n && isRegexSpace(s.charAt(j))) j++;
            if (sb == null) {
                // fast path: a lone ' ' needs no rewrite
                if (j == i + 1 && c == ' ') { i = j; continue; }
                sb = new StringBuilder(n).append(s, 0, i);
            }
            sb.append(' ');
            i = j;
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * {@code str.lower()}: the simple lowercase mapping of each code point, except the two rules Python adds:
     * <ul>
     *   <li>U+0130 LATIN CAPITAL LETTER I WITH DOT ABOVE has the full (SpecialCasing) mapping "i̇"
     *       (U+0069 U+0307, two code points);</li>
     *   <li>U+03A3 GREEK CAPITAL LETTER SIGMA becomes final sigma ς (U+03C2) in the Final_Sigma context
     *       (preceded by a cased letter and not followed by one, skipping case-ignorable characters),
     *       σ (U+03C3) otherwise.</li>
     * </ul>
     * No locale is involved ('I' always becomes 'i').
     */
    static String lower(String s) {
        int n = s.length();
        StringBuilder sb = null;
        for (int i = 0; i < n; ) {
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            String repl = null;
            int lc;
            if (cp == 0x130) {
                repl = "i\u0307";
            } else if (cp == 0x3A3) {
                repl = isFinalSigma(s, i) ? "\u03C2" : "\u03C3";
            } else if ((lc = Character.toLowerCase(cp)) != cp && !isNewerThanPython311(cp)) {
                repl = Character.toString(lc);
            }
            if (repl != null) {
                if (sb == null) sb = new StringBuilder(n + 4).append(s, 0, i);
                sb.append(repl);
            } else if (sb != null) {
                sb.appendCodePoint(cp);
            }
            i += len;
        }
        return sb == null ? s : sb.toString();
    }

    /**
     * Capital letters whose lowercase mapping Java knows (Unicode 16) but Python 3.11 (Unicode 14) does not,
     * because the letters were added in Unicode 15/16: Cyrillic TJE U+1C89, Latin U+A7CB, U+A7CC, U+A7DA,
     * U+A7DC and Garay capitals U+10D50..U+10D65. Python leaves them unchanged.
     */
    private static boolean isNewerThanPython311(int cp) {
        return cp == 0x1C89 || cp == 0xA7CB || cp == 0xA7CC || cp == 0xA7DA || cp == 0xA7DC
                || (cp >= 0x10D50 && cp <= 0x10D65);
    }

    /**
     * Python's Final_Sigma test (unicodeobject.c, handle_capital_sigma): the nearest non-case-ignorable
     * character before position i must be cased, and the nearest non-case-ignorable character after it
     * must not be cased (or not exist).
     */
    private static boolean isFinalSigma(String s, int i) {
        int j = i;
        int before = -1;
        while (j > 0) {
            int cp = s.codePointBefore(j);
            j -= Character.charCount(cp);
            if (!isCaseIgnorable(cp)) { before = cp; break; }
        }
        if (before < 0 || !isCased(before)) return false;
        j = i + 1; // U+03A3 is one char
        while (j < s.length()) {
            int cp = s.codePointAt(j);
            j += Character.charCount(cp);
            if (!isCaseIgnorable(cp)) return !isCased(cp);
        }
        return true;
    }

    /** Unicode "Cased": Lowercase or Uppercase (both including their Other_* parts) or titlecase. */
    static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /**
     * Unicode "Case_Ignorable": general category Mn, Me, Cf, Lm or Sk, or Word_Break MidLetter,
     * MidNumLet or Single_Quote (the short explicit list below).
     */
    static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT,
                 Character.MODIFIER_LETTER, Character.MODIFIER_SYMBOL -> { return true; }
            default -> { }
        }
        return switch (cp) {
            // Word_Break=MidLetter
            case 0x003A, 0x00B7, 0x0387, 0x055F, 0x05F4, 0x2027, 0xFE13, 0xFE55, 0xFF1A,
                 // Word_Break=MidNumLet
                 0x002E, 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E,
                 // Word_Break=Single_Quote
                 0x0027 -> true;
            default -> false;
        };
    }
}
