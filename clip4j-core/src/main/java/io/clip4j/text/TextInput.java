package io.clip4j.text;

import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Texts read from the user's files: the file must be UTF-8, and a string must be Unicode text. A JSON escape can spell
 * an unpaired surrogate ("\ud800"), which no UTF-8 file holds and no output can write; such a string is refused rather
 * than passed on (the tokenizers would read it as U+FFFD, outputs would echo it as '?').
 */
public final class TextInput {
    private TextInput() {}

    /**
     * The file's text. Bytes that are not UTF-8 are an error naming the file and the offset of the first bad byte;
     * other I/O errors (a missing file included) are thrown as they are, for the caller to word.
     */
    public static String readUtf8(Path file) throws IOException {
        return decodeUtf8(Files.readAllBytes(file), file.toString());
    }

    /**
     * bytes as UTF-8 text, for input that is not a file of its own (a tar member): bytes that are not UTF-8 are an
     * error "{where}: not valid UTF-8 (byte 0xE9 at offset 13)", as for a file.
     */
    public static String decodeUtf8(byte[] bytes, String where) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);                  // UTF-8: at most one char per byte
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) result = decoder.flush(out);
        if (result.isError()) {
            int at = in.position();
            throw new Clip4jException(where + ": not valid UTF-8 (byte 0x" + String.format(Locale.ROOT, "%02X", bytes[at] & 0xFF)
                    + " at offset " + at + ")");
        }
        return out.flip().toString();
    }

    /** s less a leading byte-order mark (U+FEFF), which some editors write at the start of a UTF-8 file. */
    public static String withoutBom(String s) { return s.startsWith("\uFEFF") ? s.substring(1) : s; }

    /** s, when it is Unicode text; an unpaired surrogate is an error: "{where} is not valid Unicode (…)". */
    public static String requireUnicode(String s, String where) {
        int i = firstUnpairedSurrogate(s);
        if (i >= 0) {
            throw new Clip4jException(where + " is not valid Unicode (unpaired surrogate \\u"
                    + String.format(Locale.ROOT, "%04X", (int) s.charAt(i)) + " at character " + i + ")");
        }
        return s;
    }

    /** The index of the first surrogate in s that is not half of a valid pair, or -1. */
    static int firstUnpairedSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) { i++; continue; }
            if (Character.isSurrogate(c)) return i;
        }
        return -1;
    }

    /** s with every unpaired surrogate replaced by U+FFFD (s itself when it has none). */
    static String replaceUnpairedSurrogates(String s) {
        int first = firstUnpairedSurrogate(s);
        if (first < 0) return s;
        char[] out = s.toCharArray();
        for (int i = first, n = out.length; i < n; i++) {
            char c = out[i];
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(out[i + 1])) { i++; continue; }
            if (Character.isSurrogate(c)) out[i] = '\uFFFD';
        }
        return new String(out);
    }
}
