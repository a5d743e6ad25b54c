package io.clip4j.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The single-byte code pages ftfy tries when it repairs mojibake, with Python's exact tables
 * (resource {@code charmaps.txt}, generated from Python 3.11's codecs).
 *
 * <p>ftfy's "sloppy" variants of the Windows code pages decode every byte: a byte the real code page
 * leaves undefined decodes as the Latin-1 character with the same number, and byte 0x1A (SUBSTITUTE)
 * stands for U+FFFD so that text containing replacement characters can still be re-encoded.
 */
final class SingleByteCodec {
    /** The code pages ftfy's fix_encoding tries, in order (chardata.CHARMAP_ENCODINGS). */
    static final List<String> FTFY_ORDER = List.of(
            "latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250",
            "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257",
            "iso-8859-2", "macroman", "cp437");

    private static final Map<String, SingleByteCodec> CODECS = load();

    final String name;
    /** decode[b] = the character byte b decodes to, or U+FFFD where the code page has none (strict tables only). */
    private final char[] decode;
    /** encode[c] = byte + 1 for characters the code page can produce (0 = not encodable). */
    private final byte[] encodeLow;           // characters below U+0100
    private final Map<Character, Byte> encodeHigh = new HashMap<>();
    /** True for strict code pages with undefined bytes (decoding them is an error, as in Python). */
    private final boolean hasUndefined;

    private SingleByteCodec(String name, char[] decode, boolean strict) {
        this.name = name;
        this.decode = decode;
        this.encodeLow = new byte[256];
        boolean undefined = false;
        for (int b = 0; b < 256; b++) {
            char c = decode[b];
            if (c == '\uFFFD' && strict) { undefined = true; continue; }
            if (c < 256) {
                if (encodeLow[c] == 0) encodeLow[c] = (byte) (b + 1);
            } else {
                encodeHigh.putIfAbsent(c, (byte) b);
            }
        }
        this.hasUndefined = undefined;
    }

    static SingleByteCodec get(String name) {
        SingleByteCodec c = CODECS.get(name);
        if (c == null) throw new IllegalArgumentException("unknown code page: " + name);
        return c;
    }

    /** True if every character of s is one this code page can encode (chardata.possible_encoding). */
    boolean canEncode(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            if (byteFor(s.charAt(i)) < 0) return false;
        }
        return true;
    }

    private int byteFor(char c) {
        if (c < 256) return (encodeLow[c] & 0xFF) - 1;
        Byte b = encodeHigh.get(c);
        return b == null ? -1 : b & 0xFF;
    }

    /** Encodes s; the caller has checked {@link #canEncode}. */
    byte[] encode(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteFor(s.charAt(i));
            if (b < 0) throw new IllegalArgumentException("cannot encode U+" + Integer.toHexString(s.charAt(i)) + " in " + name);
            out[i] = (byte) b;
        }
        return out;
    }

    /** Decodes bytes; returns null if a byte is undefined in this (strict) code page. */
    String decode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            char c = decode[bytes[i] & 0xFF];
            if (c == '\uFFFD' && hasUndefined) return null;
            out[i] = c;
        }
        return new String(out);
    }

    /** The character one byte decodes to. */
    char decodeByte(int b) {
        return decode[b & 0xFF];
    }

    private static Map<String, SingleByteCodec> load() {
        Map<String, char[]> raw = new HashMap<>();
        try (InputStream in = SingleByteCodec.class.getResourceAsStream("charmaps.txt")) {
            if (in == null) throw new IllegalStateException("resource io/clip4j/text/charmaps.txt missing");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(" ");
                if (f.length != 257) throw new IllegalStateException("bad charmaps.txt line for " + f[0]);
                char[] t = new char[256];
                for (int b = 0; b < 256; b++) t[b] = (char) Integer.parseInt(f[b + 1], 16);
                raw.put(f[0], t);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, SingleByteCodec> m = new HashMap<>();
        for (var e : raw.entrySet()) {
            String name = e.getKey();
            char[] table = e.getValue();
            m.put(name, new SingleByteCodec(name, table, true));
            if (name.startsWith("windows-")) {
                // ftfy's sloppy codec: undefined bytes fall back to Latin-1, and 0x1A means U+FFFD
                char[] sloppy = Arrays.copyOf(table, 256);
                for (int b = 0; b < 256; b++) if (sloppy[b] == '\uFFFD') sloppy[b] = (char) b;
                sloppy[0x1A] = '\uFFFD';
                m.put("sloppy-" + name, new SingleByteCodec("sloppy-" + name, sloppy, false));
            }
        }
        return m;
    }
}
