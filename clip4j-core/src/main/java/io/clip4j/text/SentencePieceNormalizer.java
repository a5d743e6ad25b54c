package io.clip4j.text;

import java.io.ByteArrayOutputStream;

/**
 * sentencepiece's {@code normalizer::Normalizer::Normalize}, on UTF-8 bytes:
 * <ol>
 *   <li>the input is consumed prefix by prefix ({@link #normalizePrefix}): a user-defined symbol is copied
 *       as is; else the longest rule of the precompiled charsmap that matches gives the replacement; else one
 *       UTF-8 character is copied (a malformed byte becomes U+FFFD);</li>
 *   <li>with remove_extra_whitespaces: prefixes normalising to exactly " " are dropped at the start, a
 *       replacement's leading spaces are dropped while the previous output ended with a space, and trailing
 *       spaces are removed at the end;</li>
 *   <li>with add_dummy_prefix a space is put before the text (after it if treat_whitespace_as_suffix);</li>
 *   <li>with escape_whitespaces every space written becomes U+2581 "▁".</li>
 * </ol>
 */
final class SentencePieceNormalizer {
    static final byte[] SPACE_SYMBOL = {(byte) 0xE2, (byte) 0x96, (byte) 0x81}; // U+2581
    private static final byte[] REPLACEMENT_CHAR = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private final CharsMap charsMap;          // null: identity
    private final ByteTrie userDefined;       // null: none
    private final boolean addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces, treatWhitespaceAsSuffix;

    SentencePieceNormalizer(SentencePieceModel.NormalizerSpec spec, boolean treatWhitespaceAsSuffix, ByteTrie userDefined) {
        this.charsMap = spec.precompiledCharsmap().length == 0 ? null : CharsMap.parse(spec.precompiledCharsmap());
        this.userDefined = userDefined;
        this.addDummyPrefix = spec.addDummyPrefix();
        this.removeExtraWhitespaces = spec.removeExtraWhitespaces();
        this.escapeWhitespaces = spec.escapeWhitespaces();
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
    }

    /** One normalisation step at {@code pos}: the replacement bytes and how many input bytes it consumed. */
    private record Prefix(byte[] out, int consumed) {}

    /** {@code Normalizer::NormalizePrefix}. */
    private Prefix normalizePrefix(byte[] in, int pos) {
        int end = in.length;
        if (userDefined != null) {
            int len = userDefined.longestPrefix(in, pos, end);
            if (len > 0) return new Prefix(slice(in, pos, len), len);
        }
        if (charsMap != null) {
            long m = charsMap.longestMatch(in, pos, end);
            if (m >= 0) return new Prefix(charsMap.replacement((int) m), (int) (m >>> 32));
        }
        int len = Utf8Bytes.validCharLength(in, pos);
        if (len <= 0) return new Prefix(REPLACEMENT_CHAR, 1);
        return new Prefix(slice(in, pos, len), len);
    }

    private static byte[] slice(byte[] a, int from, int len) {
        byte[] out = new byte[len];
        System.arraycopy(a, from, out, 0, len);
        return out;
    }

    /** Normalises UTF-8 input; the result is UTF-8 (empty for an empty or all-space input). */
    byte[] normalize(byte[] in) {
        int pos = 0;
        if (in.length == 0) return in;
        // ignore heading spaces
        if (removeExtraWhitespaces) {
            while (pos < in.length) {
                Prefix p = normalizePrefix(in, pos);
                if (!(p.out.length == 1 && p.out[0] == ' ')) break;
                pos += p.consumed;
            }
        }
        if (pos == in.length) return new byte[0];

        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 3);
        if (!treatWhitespaceAsSuffix && addDummyPrefix) addSpace(out);

        boolean prevSpace = removeExtraWhitespaces;
        while (pos < in.length) {
            Prefix p = normalizePrefix(in, pos);
            byte[] sp = p.out;
            int start = 0;
            // drop a replacement's leading spaces while the previous output ended with a space
            while (prevSpace && start < sp.length && sp[start] == ' ') start++;
            if (start < sp.length) {
                for (int k = start; k < sp.length; k++) {
                    if (escapeWhitespaces && sp[k] == ' ') out.writeBytes(SPACE_SYMBOL);
                    else out.write(sp[k]);
                }
                prevSpace = sp[sp.length - 1] == ' ';
            }
            pos += p.consumed;
            if (!removeExtraWhitespaces) prevSpace = false;
        }

        byte[] result = out.toByteArray();
        int len = result.length;
        // ignore trailing spaces
        if (removeExtraWhitespaces) {
            byte[] space = escapeWhitespaces ? SPACE_SYMBOL : new byte[]{' '};
            while (endsWith(result, len, space)) len -= space.length;
        }
        if (treatWhitespaceAsSuffix && addDummyPrefix) {
            ByteArrayOutputStream o2 = new ByteArrayOutputStream(len + 3);
            o2.write(result, 0, len);
            addSpace(o2);
            return o2.toByteArray();
        }
        return len == result.length ? result : java.util.Arrays.copyOf(result, len);
    }

    private void addSpace(ByteArrayOutputStream out) {
        if (escapeWhitespaces) out.writeBytes(SPACE_SYMBOL);
        else out.write(' ');
    }

    private static boolean endsWith(byte[] a, int len, byte[] suffix) {
        if (len < suffix.length) return false;
        for (int i = 0; i < suffix.length; i++) if (a[len - suffix.length + i] != suffix[i]) return false;
        return true;
    }
}
