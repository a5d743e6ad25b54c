package io.clip4j.text;

/**
 * SentencePiece's precompiled character map ({@code NormalizerSpec.precompiled_charsmap}, also the
 * {@code Precompiled} normalizer of Hugging Face tokenizer.json): a blob
 * {@code <uint32 LE trie size><darts-clone double-array trie><NUL-separated replacement strings>}.
 * The trie maps UTF-8 byte strings (the source of a rule) to the offset of its replacement in the string
 * table. Lookups follow darts-clone's {@code commonPrefixSearch}: walk the bytes from the root, report
 * every key that ends on the way (shortest first).
 *
 * <p>A double-array unit is a 32-bit word: bit 8 = has a leaf; label = {@code unit & (0x80000000 | 0xFF)};
 * offset = {@code (unit >>> 10) << ((unit & 0x200) >>> 6)}; a leaf's value = {@code unit & 0x7FFFFFFF}.
 */
final class CharsMap {
    /** sentencepiece's Normalizer::kMaxTrieResultsSize: only the first 32 prefix matches are considered. */
    static final int MAX_TRIE_RESULTS = 32;

    private final int[] units;
    private final byte[] strings;

    private CharsMap(int[] units, byte[] strings) {
        this.units = units;
        this.strings = strings;
    }

    /** Splits the blob (DecodePrecompiledCharsMap); IllegalArgumentException if it is broken. */
    static CharsMap parse(byte[] blob) {
        if (blob.length <= 4) throw new IllegalArgumentException("blob for normalization rule is broken (" + blob.length + " bytes)");
        long trieSize = (blob[0] & 0xFFL) | (blob[1] & 0xFFL) << 8 | (blob[2] & 0xFFL) << 16 | (blob[3] & 0xFFL) << 24;
        if (trieSize >= blob.length) throw new IllegalArgumentException("trie size " + trieSize + " exceeds the blob size " + blob.length);
        int n = (int) (trieSize / 4);
        if (n == 0) throw new IllegalArgumentException("empty trie");
        int[] units = new int[n];
        for (int i = 0; i < n; i++) {
            int o = 4 + 4 * i;
            units[i] = (blob[o] & 0xFF) | (blob[o + 1] & 0xFF) << 8 | (blob[o + 2] & 0xFF) << 16 | (blob[o + 3] & 0xFF) << 24;
        }
        int start = 4 + (int) trieSize;
        byte[] strings = new byte[blob.length - start];
        System.arraycopy(blob, start, strings, 0, strings.length);
        return new CharsMap(units, strings);
    }

    private static boolean hasLeaf(int unit) { return ((unit >>> 8) & 1) == 1; }
    private static int value(int unit) { return unit & 0x7FFFFFFF; }
    private static int label(int unit) { return unit & (0x80000000 | 0xFF); }
    private static int offset(int unit) { return (unit >>> 10) << ((unit & (1 << 9)) >>> 6); }

    /**
     * darts-clone commonPrefixSearch over {@code s[from, to)}: fills {@code lengths}/{@code values} with up
     * to {@code max} matches (shortest first) and returns how many it stored. A node index outside the
     * array (a broken trie) ends the search.
     */
    int commonPrefixSearch(byte[] s, int from, int to, int[] lengths, int[] values, int max) {
        int found = 0;
        int nodePos = 0;
        int unit = units[0];
        nodePos ^= offset(unit);
        for (int i = from; i < to; i++) {
            int c = s[i] & 0xFF;
            nodePos ^= c;
            if (nodePos < 0 || nodePos >= units.length) return found;
            unit = units[nodePos];
            if (label(unit) != c) return found;
            nodePos ^= offset(unit);
            if (hasLeaf(unit)) {
                if (nodePos < 0 || nodePos >= units.length) return found;
                if (found < max) {
                    lengths[found] = i - from + 1;
                    values[found] = value(units[nodePos]);
                    found++;
                } else {
                    return found;
                }
            }
        }
        return found;
    }

    /**
     * The replacement string at {@code offset} of the string table: the bytes up to the next NUL
     * (or the end of the table).
     */
    byte[] replacement(int offset) {
        if (offset < 0 || offset > strings.length) return new byte[0];
        int e = offset;
        while (e < strings.length && strings[e] != 0) e++;
        byte[] out = new byte[e - offset];
        System.arraycopy(strings, offset, out, 0, out.length);
        return out;
    }

    /**
     * sentencepiece's rule: the longest of the (first 32) rules whose source is a prefix of {@code s[from, to)}.
     * Returns {@code (length << 32) | valueOffset}, or -1 when no rule applies.
     */
    long longestMatch(byte[] s, int from, int to) {
        int[] lengths = new int[MAX_TRIE_RESULTS], values = new int[MAX_TRIE_RESULTS];
        int n = commonPrefixSearch(s, from, to, lengths, values, MAX_TRIE_RESULTS);
        int bestLen = 0, bestValue = 0;
        for (int k = 0; k < n; k++) {
            if (bestLen == 0 || lengths[k] > bestLen) { bestLen = lengths[k]; bestValue = values[k]; }
        }
        return bestLen == 0 ? -1 : ((long) bestLen << 32) | (bestValue & 0xFFFFFFFFL);
    }

    /**
     * Hugging Face tokenizers' {@code Precompiled::transform}: the replacement of the first (shortest) rule
     * whose source is a prefix of {@code s[from, to)} — not necessarily covering all of it — or null.
     */
    byte[] firstMatchReplacement(byte[] s, int from, int to) {
        int[] lengths = new int[1], values = new int[1];
        return commonPrefixSearch(s, from, to, lengths, values, 1) == 0 ? null : replacement(values[0]);
    }
}
