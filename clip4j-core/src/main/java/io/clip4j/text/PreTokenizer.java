package io.clip4j.text;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's split of cleaned text into pieces, i.e. {@code regex.findall(pat, text)} with
 * <pre>
 *   pat = &lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * </pre>
 * compiled with {@code regex.IGNORECASE}. Written as a scanner instead of a java.util.regex pattern because
 * Java's case-insensitive matching is not the {@code regex} module's: Java matches 'ı' to 'i' and applies
 * case variants to property classes differently. The rules, tried in order at each position:
 * <ol>
 *   <li>the literal special tokens, then the contractions 's 't 're 've 'm 'll 'd — case-insensitively,
 *       where (text being lower-case already) the only extra match is U+017F 'ſ' for 's';</li>
 *   <li>a run of letters (general category L);</li>
 *   <li>one number character (category N) — each digit is its own piece;</li>
 *   <li>a run of characters that are neither whitespace ({@code regex}'s \s), letters nor numbers.</li>
 * </ol>
 * Anything else (whitespace) is skipped. One oddity is reproduced: U+0345 COMBINING GREEK YPOGEGRAMMENI
 * has Greek letters as case variants, so under IGNORECASE it fails both [\p{L}] and [^\s\p{L}\p{N}] and
 * is skipped like whitespace.
 */
final class PreTokenizer {
    private PreTokenizer() {}

    static final String SOT = "<|startoftext|>";
    static final String EOT = "<|endoftext|>";
    private static final String[] LITERALS = {SOT, EOT, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    private static final int YPOGEGRAMMENI = 0x345;

    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            int lit = matchLiteral(text, i);
            if (lit > 0) { out.add(text.substring(i, i + lit)); i += lit; continue; }
            int cp = text.codePointAt(i);
            int j = i + Character.charCount(cp);
            if (isLetter(cp)) {
                while (j < n) {
                    int c = text.codePointAt(j);
                    if (!isLetter(c)) break;
                    j += Character.charCount(c);
                }
                out.add(text.substring(i, j));
            } else if (isNumber(cp)) {
                out.add(text.substring(i, j));
            } else if (isOther(cp)) {
                while (j < n) {
                    int c = text.codePointAt(j);
                    if (!isOther(c)) break;
                    j += Character.charCount(c);
                }
                out.add(text.substring(i, j));
            }
            // else: whitespace (or U+0345), not part of any piece
            i = j;
        }
        return out;
    }

    /** Length of the first special token / contraction that matches at i (0 if none). */
    private static int matchLiteral(String text, int i) {
        char c0 = text.charAt(i);
        if (c0 != '<' && c0 != '\'') return 0;
        for (String lit : LITERALS) {
            if (lit.charAt(0) != c0 || i + lit.length() > text.length()) continue;
            boolean ok = true;
            for (int k = 1; k < lit.length() && ok; k++) ok = caselessEquals(lit.charAt(k), text.charAt(i + k));
            if (ok) return lit.length();
        }
        return 0;
    }

    /** regex IGNORECASE equality for the ASCII pattern characters used above: ASCII case, and 'ſ' ≡ 's'. */
    private static boolean caselessEquals(char p, char c) {
        if (p == c) return true;
        if (p >= 'a' && p <= 'z') return c == (char) (p - 32) || (p == 's' && c == '\u017F');
        return false;
    }

    static boolean isLetter(int cp) {
        return Character.isLetter(cp);
    }

    static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    private static boolean isOther(int cp) {
        return !PythonText.isRegexSpace(cp) && !isLetter(cp) && !isNumber(cp) && cp != YPOGEGRAMMENI;
    }
}
