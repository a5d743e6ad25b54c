package io.clip4j.text;

import java.util.BitSet;
import java.util.regex.Pattern;

/**
 * ftfy 6.3.1's mojibake detectors: {@link #isBad} (badness.is_bad — does the text contain a character
 * sequence that is far more likely to be mis-decoded UTF-8 than intended?) and {@link #UTF8_DETECTOR}
 * (chardata.UTF8_DETECTOR_RE — runs that look like UTF-8 read as a single-byte code page).
 *
 * <p>Both are regular expressions in ftfy over a few hundred characters that occur in UTF-8 mojibake, sorted
 * into categories. The categories and the rules are ftfy's data; they are reproduced exactly because whether
 * ftfy "fixes" a string depends on every one of them. is_bad is evaluated with a small matcher over bit sets
 * (see {@link #BADNESS}); the detector stays a java.util.regex pattern. Python's {@code \s}, {@code \w} and
 * {@code .} are spelled out as Python defines them (Java's differ).
 */
final class MojibakeHeuristic {
    private MojibakeHeuristic() {}

    // ---- character categories (ftfy badness.MOJIBAKE_CATEGORIES); '-' between two characters is a range ----

    /** Characters common in many contexts: NBSP, soft hyphen, middle dot, acute, en/em dash, bar, ellipsis, ’. */
    static final String COMMON = "\u00A0\u00AD\u00B7\u00B4\u2013\u2014\u2015\u2026\u2019";
    /** C1 controls: no use outside mojibake. */
    static final String C1 = "\u0080-\u009F";
    /** Nearly always mojibake: ¦ ¤ ¨ ¬ ¯ ¸ ƒ ˆ ˇ ˘ ˛ ˜ † ‡ ‰ ⌐ ◊ � ª º. */
    static final String BAD = "\u00A6\u00A4\u00A8\u00AC\u00AF\u00B8\u0192\u02C6\u02C7\u02D8\u02DB\u02DC"
            + "\u2020\u2021\u2030\u2310\u25CA\uFFFD\u00AA\u00BA";
    /** Legal symbols: ¶ §. */
    static final String LAW = "\u00B6\u00A7";
    /** ¢ £ ¥ ₧ €. */
    static final String CURRENCY = "\u00A2\u00A3\u00A5\u20A7\u20AC";
    /** ¡ « ¿ © ΄ ΅ ‘ ‚ “ „ • ‹ and U+F8FF (Apple logo). */
    static final String START_PUNCTUATION = "\u00A1\u00AB\u00BF\u00A9\u0384\u0385\u2018\u201A\u201C\u201E\u2022\u2039\uF8FF";
    /** ® » ˝ ” › ™. */
    static final String END_PUNCTUATION = "\u00AE\u00BB\u02DD\u201D\u203A\u2122";
    /** ² ³ ¹ ± ¼ ½ ¾ × µ ÷ ⁄ ∂ ∆ ∏ ∑ √ ∞ ∩ ∫ ≈ ≠ ≡ ≤ ≥ №. */
    static final String NUMERIC = "\u00B2\u00B3\u00B9\u00B1\u00BC\u00BD\u00BE\u00D7\u00B5\u00F7\u2044\u2202\u2206"
            + "\u220F\u2211\u221A\u221E\u2229\u222B\u2248\u2260\u2261\u2264\u2265\u2116";
    /** Letters used in kaomoji faces (Ò-Ö Ù-Ü ò-ö ø-ü Ő Ō Ū Ų °), treated more leniently. */
    static final String KAOMOJI = "\u00D2-\u00D6\u00D9-\u00DC\u00F2-\u00F6\u00F8-\u00FC\u0150\u014C\u016A\u0172\u00B0";
    /** Upper-case accented Latin letters that occur in mojibake (À-Ñ Ø Ü Ý Ă Ā Ą ... Ґ). */
    static final String UPPER_ACCENTED = "\u00C0-\u00D1\u00D8\u00DC\u00DD\u0102\u0100\u0104\u0106\u010C\u010E\u0110"
            + "\u0118\u011A\u0112\u0116\u011E\u0122\u0130\u012A\u0136\u0139\u013D\u0141\u013B\u0143\u0147\u0145"
            + "\u0152\u0158\u015A\u015E\u0160\u0162\u0164\u016E\u0170\u0178\u0179\u017B\u017D\u0490";
    /** Lower-case accented Latin letters that occur in mojibake (ß à-ñ ă ą ā ... ґ ﬁ ﬂ). */
    static final String LOWER_ACCENTED = "\u00DF\u00E0-\u00F1\u0103\u0105\u0101\u0107\u010D\u010F\u0111\u0119\u011B"
            + "\u0113\u0117\u011F\u0123\u012F\u012B\u0137\u013A\u013E\u0142\u013C\u0153\u0155\u015B\u015F\u0161"
            + "\u0165\u00FC\u017A\u017C\u017E\u0491\uFB01\uFB02";
    /** Þ, Greek capitals Α-Ω and the capitals with tonos/dialytika, Cyrillic capitals Ё-Я. */
    static final String UPPER_COMMON = "\u00DE\u0391-\u03A9\u0386\u0388\u0389\u038A\u038C\u038E\u038F\u03AA\u03AB\u0401-\u042F";
    /** Greek small α-ω and some with tonos, Cyrillic small а-џ. */
    static final String LOWER_COMMON = "\u03B1-\u03C9\u03AC\u03AD\u03AE\u03AF\u03B0\u0430-\u045F";
    /** Box-drawing and block characters (without the single horizontal line, a kaomoji mouth). */
    static final String BOX = "\u2502\u250C\u2510\u2518\u251C\u2524\u252C\u253C\u2550-\u256C\u2580\u2584\u2588\u258C"
            + "\u2590\u2591\u2592\u2593";

    /**
     * A set of code points: a bit per BMP character, plus whether supplementary characters belong; or, for a
     * category defined by a predicate, the predicate itself (no table: filling one meant 65,536 calls at class
     * initialisation, in the interpreter, on the way to a process's first caption).
     */
    static final class CharSet {
        private final BitSet bmp;
        private final boolean supplementary;
        private final java.util.function.IntPredicate predicate;

        private CharSet(BitSet bmp, boolean supplementary) {
            this.bmp = bmp;
            this.supplementary = supplementary;
            this.predicate = null;
        }

        private CharSet(java.util.function.IntPredicate predicate) {
            this.bmp = null;
            this.supplementary = false;
            this.predicate = predicate;
        }

        /** The characters of regex class bodies, e.g. "a-z.,?!" or a category; '-' between two chars is a range. */
        static CharSet of(String... specs) {
            BitSet b = new BitSet(0x10000);
            for (String spec : specs) {
                for (int i = 0; i < spec.length(); i++) {
                    char c = spec.charAt(i);
                    if (i + 2 < spec.length() && spec.charAt(i + 1) == '-') {
                        b.set(c, spec.charAt(i + 2) + 1);
                        i += 2;
                    } else {
                        b.set(c);
                    }
                }
            }
            return new CharSet(b, false);
        }

        /** Every code point for which the predicate holds, asked at each lookup; not for a rule's first set. */
        static CharSet where(java.util.function.IntPredicate p) {
            return new CharSet(p);
        }

        /** The members in the BMP (tables only). */
        BitSet bmp() {
            if (bmp == null) throw new IllegalStateException("a predicate's set has no table");
            return bmp;
        }

        CharSet negate() {
            BitSet b = (BitSet) bmp().clone();
            b.flip(0, 0x10000);
            return new CharSet(b, !supplementary);
        }

        boolean contains(int cp) {
            if (predicate != null) return predicate.test(cp);
            return cp < 0x10000 ? bmp.get(cp) : supplementary;
        }
    }

    /** Python re's \s (str.isspace, {@link PythonText#isSpace}), spelled out: it starts a rule, so it needs a table. */
    static final CharSet PY_SPACE = CharSet.of("\t-\r\u001C-\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000");
    /** Python re's \w: letters, anything numeric, underscore. */
    private static final CharSet PY_WORD = CharSet.where(c -> Character.isLetter(c) || PreTokenizer.isNumber(c) || c == '_');
    /** Python's '.' without DOTALL: anything but '\n'. */
    private static final CharSet NOT_NEWLINE = CharSet.of("\n").negate();

    /** One alternative of BADNESS_RE: a fixed sequence of character sets, one code point each. */
    private record Rule(boolean atStart, CharSet[] seq, int optionalIndex) {
        static Rule of(CharSet... seq) {
            return new Rule(false, seq, -1);
        }

        /** Does the rule match the code points starting at index i of cps? */
        boolean matchesAt(int[] cps, int i) {
            if (atStart && i != 0) return false;
            return matchFrom(cps, i, 0);
        }

        private boolean matchFrom(int[] cps, int i, int k) {
            for (; k < seq.length; k++) {
                if (k == optionalIndex) {
                    // "X?" — greedy: try with X, then without
                    if (i < cps.length && seq[k].contains(cps[i]) && matchFrom(cps, i + 1, k + 1)) return true;
                    continue;
                }
                if (i >= cps.length || !seq[k].contains(cps[i])) return false;
                i++;
            }
            return true;
        }
    }

    private static CharSet set(String... parts) {
        return CharSet.of(parts);
    }

    /**
     * badness.BADNESS_RE, one rule per alternative in ftfy's order. It is evaluated as "does any rule match
     * at any position" (re.search), so a hand-made matcher over bit sets replaces the regex: the same
     * language, two orders of magnitude faster than java.util.regex with these large classes.
     */
    private static final Rule[] BADNESS = {
            Rule.of(set(C1)),
            Rule.of(set(BAD, LOWER_ACCENTED, UPPER_ACCENTED, BOX, START_PUNCTUATION, END_PUNCTUATION, CURRENCY, NUMERIC, LAW), set(BAD)),
            Rule.of(set("a-zA-Z"), set(LOWER_COMMON, UPPER_COMMON), set(BAD)),
            Rule.of(set(BAD), set(LOWER_ACCENTED, UPPER_ACCENTED, BOX, START_PUNCTUATION, END_PUNCTUATION, CURRENCY, NUMERIC, LAW)),
            Rule.of(set(LOWER_ACCENTED, LOWER_COMMON, BOX, END_PUNCTUATION, CURRENCY, NUMERIC), set(UPPER_ACCENTED)),
            Rule.of(set(BOX, END_PUNCTUATION, CURRENCY, NUMERIC), set(LOWER_ACCENTED)),
            Rule.of(set(LOWER_ACCENTED, BOX, END_PUNCTUATION), set(CURRENCY)),
            Rule.of(PY_SPACE, set(UPPER_ACCENTED), set(CURRENCY)),
            Rule.of(set(UPPER_ACCENTED, BOX), set(NUMERIC, LAW)),
            Rule.of(set(LOWER_ACCENTED, UPPER_ACCENTED, BOX, CURRENCY, END_PUNCTUATION), set(START_PUNCTUATION), set(NUMERIC)),
            Rule.of(set(LOWER_ACCENTED, UPPER_ACCENTED, CURRENCY, NUMERIC, BOX, LAW), set(END_PUNCTUATION), set(START_PUNCTUATION)),
            Rule.of(set(CURRENCY, NUMERIC, BOX), set(START_PUNCTUATION)),
            Rule.of(set("a-z"), set(UPPER_ACCENTED), set(START_PUNCTUATION, CURRENCY)),
            Rule.of(set(BOX), set(KAOMOJI)),
            Rule.of(set(LOWER_ACCENTED, UPPER_ACCENTED, CURRENCY, NUMERIC, START_PUNCTUATION, END_PUNCTUATION, LAW), set(BOX)),
            Rule.of(set(BOX), set(END_PUNCTUATION)),
            Rule.of(set(LOWER_ACCENTED, UPPER_ACCENTED), set(START_PUNCTUATION, END_PUNCTUATION), PY_WORD),
            // the ligature œ not followed by an unaccented Latin letter
            Rule.of(set("\u0152\u0153"), set("A-Za-z").negate()),
            // a degree sign after a capital letter
            Rule.of(set(UPPER_ACCENTED), set("\u00B0")),
            // common Windows-1252 two-character mojibake not covered above
            Rule.of(set("\u00C2\u00C3\u00CE\u00D0"), set("\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB",
                    START_PUNCTUATION, END_PUNCTUATION, "\u2013\u2014\u00B4")),
            Rule.of(set("\u00D7"), set("\u00B2\u00B3")),
            // Windows-1252 mojibake of Arabic: four characters, because the 'common' ones are involved
            Rule.of(set("\u00D8\u00D9"), set(COMMON, CURRENCY, BAD, NUMERIC, START_PUNCTUATION, "\u0178\u0160\u00AE\u00B0\u00B5\u00BB"),
                    set("\u00D8\u00D9"), set(COMMON, CURRENCY, BAD, NUMERIC, START_PUNCTUATION, "\u0178\u0160\u00AE\u00B0\u00B5\u00BB")),
            // Windows-1252 mojibake starting three-character sequences of South Asian scripts
            Rule.of(set("\u00E0"), set("\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE")),
            // MacRoman mojibake
            Rule.of(set("\u221A"), set("\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8")),
            Rule.of(set("\u2248"), set("\u00B0\u00A2")),
            Rule.of(set("\u201A"), set("\u00C4"), set("\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0")),
            Rule.of(set("\u201A"), set("\u00E2\u00F3"), set("\u00E0\u00E4\u00B0\u00EA")),
            // Windows-1251 mojibake of U+2000-range characters
            Rule.of(set("\u0432"), set("\u0402")),
            // Windows-1251 mojibake of Latin-1 / Cyrillic: three characters required
            Rule.of(set("\u0412\u0413\u0420\u0421"), set(C1, BAD, START_PUNCTUATION, END_PUNCTUATION, CURRENCY, "\u00B0\u00B5"),
                    set("\u0412\u0413\u0420\u0421")),
            // Windows-1251 on top of Latin-1 mojibake of Windows-1252, with a Latin letter nearby
            Rule.of(set("\u0413"), set("\u045E"), set("\u0412"), set("\u0402"), set("\u0412"), NOT_NEWLINE, set("A-Za-z ")),
            // Windows-1252 encodings of 'à' and 'á', and of U+00A0 itself
            Rule.of(set("\u00C3"), set("\u00A0\u00A1")),
            new Rule(false, new CharSet[]{set("a-z"), PY_SPACE, set("\u00C3\u00C2"), set(" ")}, 1),
            new Rule(true, new CharSet[]{set("\u00C3\u00C2"), set(" ")}, -1),
            // Â before a character it encodes, when that character is common
            Rule.of(set("a-z.,?!", END_PUNCTUATION), set("\u00C2"), set(" ", START_PUNCTUATION, END_PUNCTUATION)),
            // Windows-1253 mojibake of U+2000-range characters
            Rule.of(set("\u03B2"), set("\u20AC"), set("\u2122\u00A0\u0386\u00AD\u00AE\u00B0")),
            // Windows-1253 mojibake of Latin-1 / Greek
            Rule.of(set("\u0392\u0393\u039E\u039F"), set(C1, BAD, START_PUNCTUATION, END_PUNCTUATION, CURRENCY, "\u00B0"),
                    set("\u0392\u0393\u039E\u039F")),
            // Windows-1257 mojibake of U+2000-range characters
            Rule.of(set("\u0101"), set("\u20AC")),
    };

    /**
     * Every rule needs at least one non-ASCII character from the categories above, so text without any of
     * them cannot be bad (a quick exit for ordinary text).
     */
    private static final CharSet ANY_CLUE = set(COMMON, C1, BAD, LAW, CURRENCY, START_PUNCTUATION, END_PUNCTUATION, NUMERIC,
            KAOMOJI, UPPER_ACCENTED, LOWER_ACCENTED, UPPER_COMMON, LOWER_COMMON, BOX,
            "\u0152\u0153\u00C2\u00C3\u00CE\u00D0\u00D7\u00D8\u00D9\u00E0\u221A\u2248\u201A\u0432\u0412\u0413\u0420\u0421\u03B2\u0101");

    /**
     * For each character below U+0500, a bit mask of the rules whose first set contains it; rules are only
     * tried at positions whose character can start them. Higher characters are looked up in FIRST_HIGH.
     */
    private static final int LOW = 0x500;
    private static final long[] FIRST_LOW = new long[LOW];
    private static final CharSet FIRST_HIGH;

    static {
        if (BADNESS.length > 64) throw new AssertionError("rule masks hold 64 rules");
        BitSet high = new BitSet();
        for (int k = 0; k < BADNESS.length; k++) {
            BitSet first = BADNESS[k].seq()[0].bmp();             // its members only, not all 65,536 chars
            for (int c = first.nextSetBit(0); c >= 0; c = first.nextSetBit(c + 1)) {
                if (c < LOW) FIRST_LOW[c] |= 1L << k; else high.set(c);
            }
        }
        FIRST_HIGH = new CharSet(high, false);
    }

    private static long rulesStartingWith(int cp) {
        if (cp < LOW) return FIRST_LOW[cp];
        if (!FIRST_HIGH.contains(cp)) return 0;
        long m = 0;
        for (int k = 0; k < BADNESS.length; k++) if (BADNESS[k].seq()[0].contains(cp)) m |= 1L << k;
        return m;
    }

    /** badness.is_bad: true iff any badness rule matches somewhere in the text. */
    static boolean isBad(String text) {
        boolean clue = false;
        for (int i = 0, n = text.length(); i < n && !clue; i++) clue = ANY_CLUE.contains(text.charAt(i));
        if (!clue) return false;
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            for (long m = rulesStartingWith(cps[i]); m != 0; m &= m - 1) {
                if (BADNESS[Long.numberOfTrailingZeros(m)].matchesAt(cps, i)) return true;
            }
        }
        return false;
    }

    // ---- chardata.UTF8_CLUES: characters that bytes of a UTF-8 sequence decode to in the supported code pages ----

    /** Lead bytes 0xC2..0xDF of a two-byte sequence. */
    static final String UTF8_FIRST_OF_2 = "\u0102\u00C2\u00C4\u0100\u00C5\u00C3\u00C6\u0106\u010C\u00C7\u010E\u0110\u00C9"
            + "\u011A\u00CA\u00CB\u0116\u00C8\u0112\u0118\u00D0\u011E\u0122\u00CD\u00CE\u00CF\u0130\u00CC\u012A\u0136"
            + "\u0139\u013B\u0141\u0143\u0147\u0145\u00D1\u00D3\u00D4\u00D6\u0150\u00D2\u014C\u00D8\u00D5\u0158\u015A"
            + "\u0160\u015E\u0162\u00DE\u00DA\u00DB\u00DC\u0170\u00D9\u016A\u0172\u016E\u00DD\u0179\u017D\u017B\u00DF"
            + "\u00D7\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039A\u039B\u039C\u039D\u039E\u039F\u03A0\u03A1"
            + "\u03A3\u03A4\u03A5\u03A6\u03A7\u03A8\u03A9\u03AA\u03AB\u03AC\u03AD\u03AE\u03AF\u0412\u0413\u0414\u0415"
            + "\u0416\u0417\u0418\u0419\u041A\u041B\u041C\u041D\u041E\u041F\u0420\u0421\u0422\u0423\u0424\u0425\u0426"
            + "\u0427\u0428\u0429\u042A\u042B\u042C\u042D\u042E\u042F";
    /** Lead bytes 0xE0..0xEF of a three-byte sequence. */
    static final String UTF8_FIRST_OF_3 = "\u00E1\u0103\u00E2\u00E4\u00E0\u0101\u0105\u00E5\u00E3\u00E6\u0107\u010D\u00E7"
            + "\u010F\u00E9\u011B\u00EA\u00EB\u0117\u00E8\u0113\u0119\u0119\u0123\u00ED\u00EE\u00EF\u00EC\u012B\u012F"
            + "\u0137\u013A\u013C\u0155\u017A\u03B0\u03B1\u03B2\u03B3\u03B4\u03B5\u03B6\u03B7\u03B8\u03B9\u03BA\u03BB"
            + "\u03BC\u03BD\u03BE\u03BF\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u0438\u0439\u043A\u043B\u043C"
            + "\u043D\u043E\u043F";
    /** Lead bytes 0xF0 / 0xF3 of a four-byte sequence. */
    static final String UTF8_FIRST_OF_4 = "\u0111\u00F0\u011F\u00F3\u0161\u03C0\u03C3\u0440\u0443";
    /** Continuation bytes 0x80..0xBF that stand for themselves rarely; without spaces, dashes, quotes, bullets. */
    static final String UTF8_CONTINUATION_STRICT = "\u0080-\u00BF\u0104\u00C6\u013D\u0141\u00D8\u0156\u015A\u0160\u015E"
            + "\u0164\u0178\u0179\u017D\u017B\u0152\u0105\u00E6\u0192\u013E\u0142\u00F8\u0157\u015B\u0161\u015F\u0165"
            + "\u017A\u017E\u017C\u0153\u02C6\u02C7\u02D8\u02DB\u02DC\u02DD\u0384\u0385\u0386\u0388\u0389\u038A\u038C"
            + "\u038E\u038F\u0401\u0402\u0403\u0404\u0405\u0406\u0407\u0408\u0409\u040A\u040B\u040C\u040E\u040F\u0451"
            + "\u0452\u0453\u0454\u0455\u0456\u0457\u0458\u0459\u045A\u045B\u045C\u045E\u045F\u0490\u0491\u2020\u2021"
            + "\u2030\u2039\u203A\u20AC\u2116\u2122";
    /** All continuation bytes 0x80..0xBF, plus a space standing for 0xA0 and the dashes, quotes, bullet, ellipsis. */
    static final String UTF8_CONTINUATION = UTF8_CONTINUATION_STRICT + " \u2013\u2014\u2015\u2018\u2019\u201A\u201C\u201D\u201E\u2022\u2026";

    /**
     * chardata.UTF8_DETECTOR_RE: one or more UTF-8-shaped sequences (lead character + the right number of
     * continuation characters), not preceded by a strict continuation character (so a few characters are
     * not "fixed" in the middle of a larger garble).
     */
    private static String cls(String... parts) {
        return "[" + String.join("", parts) + "]";
    }

    static final Pattern UTF8_DETECTOR = Pattern.compile(
            "(?<!" + cls(UTF8_CONTINUATION_STRICT) + ")("
                    + cls(UTF8_FIRST_OF_2) + cls(UTF8_CONTINUATION)
                    + "|" + cls(UTF8_FIRST_OF_3) + cls(UTF8_CONTINUATION) + "{2}"
                    + "|" + cls(UTF8_FIRST_OF_4) + cls(UTF8_CONTINUATION) + "{3}"
                    + ")+");
}
