package io.clip4j.text;

/**
 * GPT-2/CLIP {@code bytes_to_unicode}: a reversible map from the 256 byte values to printable characters,
 * so BPE can work on strings. Bytes that are printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') map to
 * themselves; the other 68 (controls, space, 0x7F..0xA0, soft hyphen) map to U+0100, U+0101, ... in byte
 * order. So ' ' (0x20) is 'Ġ' (U+0120).
 */
final class ByteLevel {
    private ByteLevel() {}

    /** BYTE_TO_CHAR[b] = the character standing for byte b. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** CHAR_TO_BYTE[c] = the byte character c stands for, or -1 (all symbols are below U+0144). */
    static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The UTF-8 bytes of s, each replaced by its symbol character. */
    static String encode(String s) {
        byte[] bytes = Utf8.encode(s);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The byte a symbol character stands for, or -1 if it is not a byte symbol. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }
}
