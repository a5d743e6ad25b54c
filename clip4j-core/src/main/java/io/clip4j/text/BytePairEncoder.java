package io.clip4j.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's BPE over byte-level symbols ({@code SimpleTokenizer.bpe}): a piece's characters are the initial
 * symbols, the last one carrying the word-end mark {@code </w>}; then, repeatedly, the adjacent pair with
 * the lowest merge rank is found and every occurrence of it (left to right, not overlapping) is merged into
 * one symbol, until no adjacent pair has a rank.
 *
 * <p>Symbols are interned as ints (symbol id = vocabulary id where the vocabulary has it) so the merge loop
 * compares ints; a merge (left, right) is one long key in an open-addressing table. Results are cached per
 * piece in a bounded thread-safe cache (cleared when full).
 */
final class BytePairEncoder {
    static final String END_OF_WORD = "</w>";

    /** Symbol → vocabulary id; a symbol's id is its vocabulary id when it has one. */
    private final Map<String, Integer> vocab;
    /** Symbols that merges produce but the vocabulary lacks, numbered from vocabLimit on. */
    private final Map<String, Integer> extraIds = new HashMap<>();
    private final List<String> extraSymbols = new ArrayList<>();
    /** Vocabulary symbols by id; ids from vocabLimit on are the extra symbols. */
    private final String[] vocabSymbols;
    private final int vocabLimit;
    /** The merge table: (left, right) → rank and merged symbol, open addressing. */
    private final MergeTable merges;
    /** Symbol ids of the 0x144 possible byte characters, alone and with "</w>". */
    private final int[] charSymbol = new int[0x144];
    private final int[] charEndSymbol = new int[0x144];

    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    private final int maxCacheEntries;

    /**
     * @param vocab           symbol → vocabulary id (vocab.json); ids must be non-negative
     * @param mergeList       merges in rank order, each {left, right}
     * @param maxCacheEntries cache bound
     */
    BytePairEncoder(Map<String, Integer> vocab, List<String[]> mergeList, int maxCacheEntries) {
        this.maxCacheEntries = maxCacheEntries;
        this.vocab = vocab;
        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        this.vocabLimit = maxId + 1;
        this.vocabSymbols = new String[vocabLimit];
        for (var e : vocab.entrySet()) vocabSymbols[e.getValue()] = e.getKey();
        for (char c = 0; c < 0x144; c++) {
            if (ByteLevel.byteOf(c) < 0) continue;
            charSymbol[c] = intern(String.valueOf(c));
            charEndSymbol[c] = intern(c + END_OF_WORD);
        }
        this.merges = new MergeTable(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] m = mergeList.get(rank);
            // a repeated merge keeps its last rank, like dict(zip(merges, range(len(merges))))
            merges.put(intern(m[0]), intern(m[1]), rank, intern(m[0] + m[1]));
        }
    }

    /** The symbol id of a string: its vocabulary id, or a new id past the vocabulary. */
    private int intern(String s) {
        Integer id = vocab.get(s);
        if (id != null) return id;
        id = extraIds.get(s);
        if (id != null) return id;
        int nid = vocabLimit + extraSymbols.size();
        extraSymbols.add(s);
        extraIds.put(s, nid);
        return nid;
    }

    private String symbol(int id) {
        return id < vocabLimit ? vocabSymbols[id] : extraSymbols.get(id - vocabLimit);
    }

    /**
     * (left, right) → (rank &lt;&lt; 32 | merged) with long keys in an open-addressing table (linear probing),
     * avoiding boxed map entries: ~49k merges are built at every load.
     */
    private static final class MergeTable {
        private final long[] keys;
        private final long[] values;
        private final int mask;
        private int size;

        MergeTable(int expected) {
            int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[cap];
            values = new long[cap];
            java.util.Arrays.fill(keys, -1L);
            mask = cap - 1;
        }

        private static long key(int left, int right) {
            return ((long) left << 32) | (right & 0xFFFFFFFFL);
        }

        private int slot(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & mask;
        }

        void put(int left, int right, int rank, int merged) {
            long k = key(left, right);
            int s = slot(k);
            while (keys[s] != -1L && keys[s] != k) s = (s + 1) & mask;
            if (keys[s] == -1L) size++;
            keys[s] = k;
            values[s] = ((long) rank << 32) | merged;
        }

        /** rank &lt;&lt; 32 | merged, or Long.MAX_VALUE if the pair never merges. */
        long get(int left, int right) {
            long k = key(left, right);
            int s = slot(k);
            while (true) {
                long ks = keys[s];
                if (ks == k) return values[s];
                if (ks == -1L) return Long.MAX_VALUE;
                s = (s + 1) & mask;
            }
        }
    }

    int mergeCount() {
        return merges.size;
    }

    /**
     * The vocabulary ids of the BPE symbols of one piece, given as byte-level characters
     * ({@link ByteLevel#encode}). Throws if a resulting symbol is not in the vocabulary.
     */
    int[] encodePiece(String byteChars) {
        int[] cached = cache.get(byteChars);
        if (cached != null) return cached;
        int[] syms = bpe(byteChars);
        int[] ids = new int[syms.length];
        for (int i = 0; i < syms.length; i++) {
            // symbol ids below vocabLimit are vocabulary ids (dense or not: holes are never produced)
            if (syms[i] >= vocabLimit) throw new IllegalStateException("BPE symbol not in vocabulary: " + symbol(syms[i]));
            ids[i] = syms[i];
        }
        if (cache.size() >= maxCacheEntries) cache.clear();
        cache.put(byteChars, ids);
        return ids;
    }

    /** The BPE symbols of one piece as strings (e.g. "art", "station</w>"). */
    List<String> symbolsOf(String byteChars) {
        List<String> out = new ArrayList<>();
        for (int s : bpe(byteChars)) out.add(symbol(s));
        return out;
    }

    /** The merge loop on symbol ids. */
    private int[] bpe(String chars) {
        int n = chars.length();
        if (n == 0) return new int[0];
        int[] word = new int[n];
        for (int i = 0; i < n; i++) {
            char c = chars.charAt(i);
            if (ByteLevel.byteOf(c) < 0) throw new IllegalArgumentException("not a byte-level character: U+" + Integer.toHexString(c));
            word[i] = i == n - 1 ? charEndSymbol[c] : charSymbol[c];
        }
        int len = n;
        while (len > 1) {
            // the adjacent pair with the lowest rank (ranks are unique, so the first minimum is the pair)
            long best = Long.MAX_VALUE;
            int first = -1, second = -1;
            for (int i = 0; i + 1 < len; i++) {
                long m = merges.get(word[i], word[i + 1]);
                if (m < best) { best = m; first = word[i]; second = word[i + 1]; }
            }
            if (best == Long.MAX_VALUE) break;
            int merged = (int) best;
            // merge every occurrence, left to right, without overlap
            int out = 0;
            for (int i = 0; i < len; ) {
                if (i + 1 < len && word[i] == first && word[i + 1] == second) {
                    word[out++] = merged;
                    i += 2;
                } else {
                    word[out++] = word[i++];
                }
            }
            len = out;
        }
        int[] result = new int[len];
        System.arraycopy(word, 0, result, 0, len);
        return result;
    }
}
