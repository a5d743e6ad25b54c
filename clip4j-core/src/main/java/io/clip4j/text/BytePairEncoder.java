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
 * compares ints; a merge (left, right) is one long key. Results are cached per piece in a bounded
 * thread-safe cache (cleared when full).
 */
final class BytePairEncoder {
    static final String END_OF_WORD = "</w>";

    /** Symbol strings by symbol id. */
    private final List<String> symbols = new ArrayList<>();
    private final Map<String, Integer> symbolIds = new HashMap<>();
    /** Vocabulary id of each symbol, or -1 if the vocabulary lacks it. */
    private int[] vocabIdOfSymbol;
    /** (left symbol << 32 | right symbol) → (rank << 32 | merged symbol). */
    private final Map<Long, Long> merges = new HashMap<>();
    /** Symbol ids of the 0x144 possible byte characters, alone and with "</w>". */
    private final int[] charSymbol = new int[0x144];
    private final int[] charEndSymbol = new int[0x144];

    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
    private final int maxCacheEntries;

    /**
     * @param vocab        symbol → vocabulary id (vocab.json)
     * @param mergeList    merges in rank order, each {left, right}
     * @param maxCacheEntries cache bound
     */
    BytePairEncoder(Map<String, Integer> vocab, List<String[]> mergeList, int maxCacheEntries) {
        this.maxCacheEntries = maxCacheEntries;
        // Intern every vocabulary symbol first, in id order, so symbol id == vocab id for dense vocabularies.
        int maxId = -1;
        for (int id : vocab.values()) maxId = Math.max(maxId, id);
        String[] byId = new String[maxId + 1];
        for (var e : vocab.entrySet()) byId[e.getValue()] = e.getKey();
        for (String s : byId) symbols.add(s);
        for (int id = 0; id < byId.length; id++) if (byId[id] != null) symbolIds.put(byId[id], id);
        for (char c = 0; c < 0x144; c++) {
            if (ByteLevel.byteOf(c) < 0) continue;
            charSymbol[c] = intern(String.valueOf(c));
            charEndSymbol[c] = intern(c + END_OF_WORD);
        }
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] m = mergeList.get(rank);
            int left = intern(m[0]), right = intern(m[1]);
            int merged = intern(m[0] + m[1]);
            // a repeated merge keeps its last rank, like dict(zip(merges, range(len(merges))))
            merges.put(pairKey(left, right), ((long) rank << 32) | merged);
        }
        vocabIdOfSymbol = new int[symbols.size()];
        for (int s = 0; s < vocabIdOfSymbol.length; s++) {
            Integer v = symbols.get(s) == null ? null : vocab.get(symbols.get(s));
            vocabIdOfSymbol[s] = v == null ? -1 : v;
        }
    }

    private int intern(String s) {
        Integer id = symbolIds.get(s);
        if (id != null) return id;
        int nid = symbols.size();
        symbols.add(s);
        symbolIds.put(s, nid);
        return nid;
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    int mergeCount() {
        return merges.size();
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
            int v = vocabIdOfSymbol.length > syms[i] ? vocabIdOfSymbol[syms[i]] : -1;
            if (v < 0) throw new IllegalStateException("BPE symbol not in vocabulary: " + symbols.get(syms[i]));
            ids[i] = v;
        }
        if (cache.size() >= maxCacheEntries) cache.clear();
        cache.put(byteChars, ids);
        return ids;
    }

    /** The BPE symbols of one piece as strings (e.g. "art", "station</w>"). */
    List<String> symbolsOf(String byteChars) {
        List<String> out = new ArrayList<>();
        for (int s : bpe(byteChars)) out.add(symbols.get(s));
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
                Long m = merges.get(pairKey(word[i], word[i + 1]));
                if (m != null && m < best) { best = m; first = word[i]; second = word[i + 1]; }
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
