package io.clip4j.text;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers for the SentencePiece code, which works on bytes as sentencepiece does. */
final class Utf8Bytes {
    private Utf8Bytes() {}

    /**
     * The UTF-8 bytes of a Java string; an unpaired surrogate (which has no UTF-8 form) becomes U+FFFD,
     * as sentencepiece turns a malformed byte into U+FFFD.
     */
    static byte[] encode(String s) {
        return TextInput.replaceUnpairedSurrogates(s).getBytes(StandardCharsets.UTF_8);
    }

    static String decode(byte[] b, int from, int len) {
        return new String(b, from, len, StandardCharsets.UTF_8);
    }

    static String decode(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * sentencepiece's {@code OneCharLen}: the sequence length announced by a lead byte, from the table
     * {@code "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[byte >> 4]} (continuation bytes count 1).
     */
    static int oneCharLen(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    /**
     * The length of the valid UTF-8 character at {@code pos} (sentencepiece's {@code IsValidDecodeUTF8}:
     * shortest form, no surrogates, at most U+10FFFF), or -1 if the bytes there are malformed.
     */
    static int validCharLength(byte[] b, int pos) {
        int n = b.length - pos;
        int c0 = b[pos] & 0xFF;
        if (c0 < 0x80) return 1;
        if (c0 < 0xC2) return -1;
        if (c0 < 0xE0) return n >= 2 && cont(b[pos + 1]) ? 2 : -1;
        if (c0 < 0xF0) {
            if (n < 3 || !cont(b[pos + 1]) || !cont(b[pos + 2])) return -1;
            int cp = (c0 & 0x0F) << 12 | (b[pos + 1] & 0x3F) << 6 | (b[pos + 2] & 0x3F);
            return cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) ? -1 : 3;
        }
        if (c0 < 0xF5) {
            if (n < 4 || !cont(b[pos + 1]) || !cont(b[pos + 2]) || !cont(b[pos + 3])) return -1;
            int cp = (c0 & 0x07) << 18 | (b[pos + 1] & 0x3F) << 12 | (b[pos + 2] & 0x3F) << 6 | (b[pos + 3] & 0x3F);
            return cp < 0x10000 || cp > 0x10FFFF ? -1 : 4;
        }
        return -1;
    }

    private static boolean cont(byte b) { return (b & 0xC0) == 0x80; }
}
