package io.clip4j.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy 6.3.1's fix_encoding: detects mojibake (UTF-8 bytes that were decoded with a single-byte code page,
 * e.g. "cafÃ©") and undoes it by re-encoding with that code page and decoding as UTF-8 ("café"),
 * repeating until the text stops changing.
 */
final class EncodingFixer {
    private EncodingFixer() {}

    // Byte-level patterns run on byte[] viewed as ISO-8859-1 strings (one char per byte).

    /**
     * chardata.ALTERED_UTF8_RE: UTF-8 sequences that would be valid if a space were byte 0xA0
     * (a program replaced the NBSP byte by a plain space).
     */
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xC2\\xC3\\xC5\\xCE\\xD0\\xD9][ ]"
                    + "|[\\xE2\\xE3][ ][\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF]"
                    + "|[\\xE0-\\xE3][\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF][ ]"
                    + "|[\\xF0][ ][\\x80-\\xBF][\\x80-\\xBF]"
                    + "|[\\xF0][\\x80-\\xBF][ ][\\x80-\\xBF]"
                    + "|[\\xF0][\\x80-\\xBF][\\x80-\\xBF][ ]");
    /** fixes.A_GRAVE_WORD_RE: "Ã " that is really "à " (except before Portuguese words where it is not). */
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xC3 (?! |quele|quela|quilo|s )");
    /**
     * chardata.LOSSY_UTF8_RE: UTF-8 (or CESU-8) sequences with continuation bytes lost to 0x1A
     * (a byte that had become U+FFFD) or, at most once, '?'.
     */
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xC2-\\xDF][\\x1A]"
                    + "|[\\xC2-\\xC3][?]"
                    + "|\\xED[\\xA0-\\xAF][\\x1A?]\\xED[\\xB0-\\xBF][\\x1A?\\x80-\\xBF]"
                    + "|\\xED[\\xA0-\\xAF][\\x1A?\\x80-\\xBF]\\xED[\\xB0-\\xBF][\\x1A?]"
                    + "|[\\xE0-\\xEF][\\x1A?][\\x1A\\x80-\\xBF]"
                    + "|[\\xE0-\\xEF][\\x1A\\x80-\\xBF][\\x1A?]"
                    + "|[\\xF0-\\xF4][\\x1A?][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF]"
                    + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A?][\\x1A\\x80-\\xBF]"
                    + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF][\\x1A?]"
                    + "|\\x1A");
    /** UTF-8 of U+FFFD, as a byte string. */
    private static final String REPLACEMENT_UTF8 = "\u00EF\u00BF\u00BD";

    /** ftfy.fix_encoding: apply one repair step at a time until nothing changes. */
    static String fixEncoding(String text) {
        while (true) {
            String next = fixOneStep(text);
            if (next.equals(text)) return text;
            text = next;
        }
    }

    /** ftfy._fix_encoding_one_step_and_explain, without the explanation. */
    private static String fixOneStep(String text) {
        if (text.isEmpty()) return text;
        // ASCII text, and text that does not look like mojibake, is left alone
        if (isAscii(text) || !MojibakeHeuristic.isBad(text)) return text;

        // 1. Text that is UTF-8 decoded as one of the single-byte code pages: re-encode, decode as UTF-8.
        List<String> possible = new ArrayList<>();
        for (String name : SingleByteCodec.FTFY_ORDER) {
            SingleByteCodec codec = SingleByteCodec.get(name);
            if (!codec.canEncode(text)) continue;
            possible.add(name);
            String bytes = asByteString(codec.encode(text));
            // restore 0xA0 bytes that became spaces (not for MacRoman, where 0xA0 is not NBSP)
            if (!name.equals("macroman") && ALTERED_UTF8.matcher(bytes).find()) {
                bytes = restoreByteA0(bytes);
            }
            // sequences that lost bytes to U+FFFD decode as one U+FFFD
            if (name.startsWith("sloppy")) {
                bytes = LOSSY_UTF8.matcher(bytes).replaceAll(REPLACEMENT_UTF8);
            }
            String fixed = Utf8.decodeVariants(bytes.getBytes(StandardCharsets.ISO_8859_1));
            if (fixed != null) return fixed;
        }

        // 2. UTF-8 mojibake embedded in otherwise consistent text: fix those runs alone.
        if (MojibakeHeuristic.UTF8_DETECTOR.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) return fixed;
        }

        // 3. Latin-1 that should have been Windows-1252 (it has C1 controls). ftfy's first test here,
        //    '"windows-1252" in possible_1byte_encodings', is never true (the list holds the sloppy name),
        //    so this is tried whenever the text fits Latin-1; strict Windows-1252 fails on its 5 undefined bytes.
        if (possible.contains("latin-1")) {
            String fixed = SingleByteCodec.get("windows-1252").decode(SingleByteCodec.get("latin-1").encode(text));
            if (fixed != null && !fixed.equals(text)) return fixed;
        }

        // 4. Remaining C1 controls are read as Windows-1252.
        if (TextFixes.hasC1Control(text)) return TextFixes.fixC1Controls(text);
        return text;
    }

    private static boolean isAscii(String s) {
        for (int i = 0, n = s.length(); i < n; i++) if (s.charAt(i) >= 0x80) return false;
        return true;
    }

    private static String asByteString(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** fixes.restore_byte_a0 on a byte string: put 0xA0 back where a space breaks a UTF-8 sequence. */
    private static String restoreByteA0(String bytes) {
        bytes = A_GRAVE_WORD.matcher(bytes).replaceAll("\u00C3\u00A0 ");
        Matcher m = ALTERED_UTF8.matcher(bytes);
        StringBuilder sb = new StringBuilder(bytes.length());
        int last = 0;
        while (m.find()) {
            sb.append(bytes, last, m.start()).append(m.group().replace(' ', '\u00A0'));
            last = m.end();
        }
        return sb.append(bytes, last, bytes.length()).toString();
    }

    /**
     * fixes.decode_inconsistent_utf8: each run matched by the UTF-8 detector that is shorter than the whole
     * text and looks bad on its own is fixed with fix_encoding, recursively.
     */
    static String decodeInconsistentUtf8(String text) {
        Matcher m = MojibakeHeuristic.UTF8_DETECTOR.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            String sub = m.group();
            String repl = sub.length() < text.length() && MojibakeHeuristic.isBad(sub) ? fixEncoding(sub) : sub;
            sb.append(text, last, m.start()).append(repl);
            last = m.end();
        }
        return sb.append(text, last, text.length()).toString();
    }
}
