package io.clip4j.text;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 decoding with Python's exact rules, in the two flavours CLIP's tokenizer needs:
 * ftfy's strict "utf-8-variants" codec (mojibake repair) and {@code bytes.decode('utf-8', errors='replace')}
 * (token decoding).
 */
final class Utf8 {
    private Utf8() {}

    static byte[] encode(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Length of the well-formed UTF-8 sequence starting at {@code i} (1..4), or {@code -k} where
     * {@code k >= 1} is the length of the maximal ill-formed prefix there (the bytes Python replaces by one
     * U+FFFD). Valid second bytes: E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates),
     * F0 needs 90..BF, F4 needs 80..8F (nothing above U+10FFFF); C0, C1 and F5..FF never start a sequence.
     */
    private static int sequenceLength(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) return 1;
        int need, lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
        else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) lo = 0xA0;
            else if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) lo = 0x90;
            else if (b0 == 0xF4) hi = 0x8F;
        } else return -1;
        for (int k = 1; k <= need; k++) {
            if (i + k >= end) return -k;
            int bk = b[i + k] & 0xFF;
            if (bk < lo || bk > hi) return -k;
            lo = 0x80; hi = 0xBF; // only the second byte has the narrowed range
        }
        return need + 1;
    }

    private static int decodeAt(byte[] b, int i, int len) {
        int b0 = b[i] & 0xFF;
        return switch (len) {
            case 1 -> b0;
            case 2 -> ((b0 & 0x1F) << 6) | (b[i + 1] & 0x3F);
            case 3 -> ((b0 & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
            default -> ((b0 & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
        };
    }

    /**
     * ftfy's "utf-8-variants" codec, strict: standard UTF-8, plus two non-standard forms —
     * C0 80 decodes to U+0000 (Java's modified UTF-8), and a CESU-8 surrogate pair
     * ED A0..AF 80..BF ED B0..BF 80..BF decodes to the supplementary character it encodes.
     * Returns null where Python would raise UnicodeDecodeError.
     */
    static String decodeVariants(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length);
        int n = b.length;
        for (int i = 0; i < n; ) {
            int b0 = b[i] & 0xFF;
            if (b0 == 0xC0) {
                if (i + 1 < n && (b[i + 1] & 0xFF) == 0x80) { sb.append('\0'); i += 2; continue; }
                return null;
            }
            if (b0 == 0xED && i + 1 < n && (b[i + 1] & 0xFF) >= 0xA0) {
                // an encoded surrogate: only a complete high+low CESU-8 pair is accepted
                if (i + 6 <= n && inRange(b[i + 1], 0xA0, 0xAF) && inRange(b[i + 2], 0x80, 0xBF)
                        && (b[i + 3] & 0xFF) == 0xED && inRange(b[i + 4], 0xB0, 0xBF) && inRange(b[i + 5], 0x80, 0xBF)) {
                    int cp = 0x10000 + (((b[i + 1] & 0x0F) << 16) | ((b[i + 2] & 0x3F) << 10)
                            | ((b[i + 4] & 0x0F) << 6) | (b[i + 5] & 0x3F));
                    sb.appendCodePoint(cp);
                    i += 6;
                    continue;
                }
                return null;
            }
            int len = sequenceLength(b, i, n);
            if (len < 0) return null;
            sb.appendCodePoint(decodeAt(b, i, len));
            i += len;
        }
        return sb.toString();
    }

    private static boolean inRange(byte v, int lo, int hi) {
        int x = v & 0xFF;
        return x >= lo && x <= hi;
    }

    /**
     * {@code bytes.decode('utf-8', errors='replace')}: each maximal ill-formed subsequence becomes one U+FFFD
     * (the Unicode "maximal subpart" practice Python follows).
     */
    static String decodeReplace(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length);
        int n = b.length;
        for (int i = 0; i < n; ) {
            int len = sequenceLength(b, i, n);
            if (len < 0) { sb.append('\uFFFD'); i += -len; continue; }
            sb.appendCodePoint(decodeAt(b, i, len));
            i += len;
        }
        return sb.toString();
    }
}
