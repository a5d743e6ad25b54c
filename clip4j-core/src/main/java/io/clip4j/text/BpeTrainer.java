package io.clip4j.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns a CLIP-style byte-level BPE vocabulary from captions, in the layout of OpenAI CLIP's
 * {@code simple_tokenizer.py}, so that {@link ClipBpeTokenizer#load} reads the result and tokenizes with it.
 *
 * <h2>Words</h2>
 * Each caption is cleaned exactly as CLIP cleans text before tokenizing ({@link TextCleaner#clean}: ftfy,
 * HTML unescaping, whitespace collapse, Python {@code lower()}) and split by CLIP's pre-tokenizer
 * ({@link PreTokenizer}); a piece that is literally {@code <|startoftext|>} or {@code <|endoftext|>} is a
 * special token, not a word, and is not counted. A word's initial symbols are its UTF-8 bytes as byte-level
 * characters ({@link ByteLevel}), the last one carrying {@code </w>}, as {@link BytePairEncoder} starts.
 *
 * <h2>Merging</h2>
 * Repeatedly, the adjacent symbol pair with the highest frequency (summed over word occurrences) becomes a
 * merge, and every occurrence of it in every word is replaced by the joined symbol, left to right without
 * overlap (as CLIP's BPE applies a merge), until the vocabulary has the requested size, no pair is left, or
 * the best pair occurs fewer than {@link #minFrequency(long)} times.
 * <ul>
 *   <li><b>Ties</b> between pairs of equal frequency go to the lexicographically smallest pair: smallest left
 *       symbol, then smallest right symbol, comparing the byte-level symbol strings (including any
 *       {@code </w>}) by UTF-16 code unit, i.e. {@link String#compareTo}. The result therefore depends only on
 *       the multiset of words, never on input order or hashing: same captions → byte-identical files.</li>
 *   <li><b>Duplicate symbols</b> (a safeguard): a pair whose joined string is already a vocabulary symbol or a
 *       special token is never merged, so each merge adds exactly one new symbol and the vocabulary is
 *       CLIP's: id = 512 + merge rank, no repeated entry. Skipping is consistent at inference: a pair with no
 *       merge rank is never merged there either. (Not seen in practice: none in the emoji captions nor in
 *       20,000 random small-alphabet corpora; {@link BpeVocabulary#skippedDuplicatePairs} counts them.)</li>
 * </ul>
 * Pair frequencies are kept incrementally: an index pair → words (stale entries are checked and skipped when
 * read), and a priority queue of (frequency, pair) snapshots with lazy invalidation: a pair is queued when it
 * appears or its frequency grows; a popped snapshot is used only if it equals the pair's live frequency, is
 * re-queued with the live frequency if that has dropped, and dropped if a newer snapshot exists. A merge
 * touches only the words that hold the pair.
 *
 * <h2>Vocabulary layout</h2>
 * ids 0..255: the 256 byte symbols in {@code bytes_to_unicode()} order ('!'..'~', '¡'..'¬', '®'..'ÿ',
 * then the 68 remapped bytes); 256..511: the same with {@code </w>}; then one symbol per merge in merge
 * order; then {@code <|startoftext|>}, {@code <|endoftext|>}. So vocabulary size = 512 + merges + 2.
 *
 * <p>Use: {@code new BpeTrainer(2048).minFrequency(2)}, {@link #add} captions, then {@link #train()};
 * {@link BpeVocabulary#write} writes the files. Not thread-safe.
 */
public final class BpeTrainer {
    /** 256 byte symbols + 256 with {@code </w>}. */
    public static final int BASE_SYMBOLS = 512;
    /** {@code <|startoftext|>} and {@code <|endoftext|>}. */
    public static final int SPECIAL_TOKENS = 2;
    /** The smallest vocabulary: no merges. */
    public static final int MIN_VOCAB_SIZE = BASE_SYMBOLS + SPECIAL_TOKENS;

    private final int vocabSize;
    private long minFrequency = 1;
    /** byte-level word (no {@code </w>}) → occurrences. */
    private final HashMap<String, long[]> wordCounts = new HashMap<>();
    private long captions, wordOccurrences;

    /**
     * @param vocabSize the vocabulary size to reach, counting the 512 byte symbols and the 2 special tokens
     * @throws IllegalArgumentException if below {@link #MIN_VOCAB_SIZE}
     */
    public BpeTrainer(int vocabSize) {
        if (vocabSize < MIN_VOCAB_SIZE) {
            throw new IllegalArgumentException("vocabulary size must be at least " + MIN_VOCAB_SIZE + " (512 byte symbols + 2 special tokens), got " + vocabSize);
        }
        if (vocabSize - MIN_VOCAB_SIZE > ClipBpeTokenizer.MAX_MERGES) {
            throw new IllegalArgumentException("vocabulary size must be at most " + (MIN_VOCAB_SIZE + ClipBpeTokenizer.MAX_MERGES) + " (CLIP's), got " + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    /** Pairs occurring fewer times than this are never merged (default 1: any pair); training may stop early. */
    public BpeTrainer minFrequency(long minFrequency) {
        if (minFrequency < 1) throw new IllegalArgumentException("min frequency must be at least 1, got " + minFrequency);
        this.minFrequency = minFrequency;
        return this;
    }

    /** Adds one caption: cleaned, pre-tokenized, its words counted. */
    public BpeTrainer add(String caption) {
        captions++;
        for (String piece : PreTokenizer.split(TextCleaner.clean(caption))) {
            if (piece.equals(PreTokenizer.SOT) || piece.equals(PreTokenizer.EOT)) continue;
            addWord(ByteLevel.encode(piece), 1);
        }
        return this;
    }

    /** Adds every caption. */
    public BpeTrainer addAll(Iterable<String> captions) {
        for (String c : captions) add(c);
        return this;
    }

    private void addWord(String byteChars, long count) {
        if (byteChars.isEmpty()) return;
        wordCounts.computeIfAbsent(byteChars, k -> new long[1])[0] += count;
        wordOccurrences += count;
    }

    /** Captions added so far. */
    public long captionCount() { return captions; }

    /** Word occurrences added so far (pieces of the pre-tokenizer, special tokens excluded). */
    public long wordCount() { return wordOccurrences; }

    /** Distinct words added so far. */
    public int distinctWordCount() { return wordCounts.size(); }

    // ---------------------------------------------------------------------------------------------------------

    /** One adjacent symbol pair: its live frequency and the words that (may) hold it. */
    private static final class Pair {
        final int left, right;
        long count;
        /** Word indices, possibly repeated or stale (the word no longer holds the pair); checked when read. */
        int[] words = new int[4];
        int nWords;
        /** False once merged, dropped (count 0) or banned; queue snapshots of a dead pair are ignored. */
        boolean live = true;
        /** The merge step that last changed count (to queue each changed pair once per step), and count before it. */
        int touched = -1;
        long countBefore;

        Pair(int left, int right) { this.left = left; this.right = right; }

        void addWord(int w) {
            if (nWords > 0 && words[nWords - 1] == w) return;
            if (nWords == words.length) words = Arrays.copyOf(words, nWords * 2);
            words[nWords++] = w;
        }
    }

    /** A queue snapshot: the pair and its frequency when queued. */
    private record Entry(Pair pair, long count) {}

    /**
     * The map key of a pair: (left, right) packed in a long and multiplied by an odd constant (a bijection), so
     * that {@link Long#hashCode}'s xor of the halves spreads the keys (plain packing makes left ^ right collide).
     */
    private static long key(int left, int right) {
        return (((long) left << 32) | (right & 0xFFFFFFFFL)) * 0x9E3779B97F4A7C15L;
    }

    /**
     * Learns the merges from the captions added so far.
     *
     * @return the vocabulary and merges (fewer merges than asked for if the words ran out of pairs or
     *         {@link #minFrequency(long)} stopped it: see {@link BpeVocabulary#targetReached()})
     */
    public BpeVocabulary train() {
        // symbols: ids 0..511 are the base vocabulary ids; merged symbols follow
        List<String> symbols = new ArrayList<>(vocabSize);
        HashMap<String, Integer> symbolIds = new HashMap<>(vocabSize * 2);
        int[] charSymbol = new int[0x144], charEndSymbol = new int[0x144];
        for (int i = 0; i < 256; i++) {
            String s = String.valueOf(BYTE_ORDER_CHARS[i]);
            symbols.add(s);
            symbolIds.put(s, i);
            charSymbol[BYTE_ORDER_CHARS[i]] = i;
        }
        for (int i = 0; i < 256; i++) {
            String s = BYTE_ORDER_CHARS[i] + BytePairEncoder.END_OF_WORD;
            symbols.add(s);
            symbolIds.put(s, 256 + i);
            charEndSymbol[BYTE_ORDER_CHARS[i]] = 256 + i;
        }
        // the special tokens are symbols too (ids assigned at the end); no merge may produce them
        symbolIds.put(PreTokenizer.SOT, -1);
        symbolIds.put(PreTokenizer.EOT, -1);

        // words in a canonical order (sorted), so indices and everything derived are independent of hashing
        String[] wordStrings = wordCounts.keySet().toArray(new String[0]);
        Arrays.sort(wordStrings);
        int nw = wordStrings.length;
        int[][] words = new int[nw][];
        int[] lens = new int[nw];
        long[] freqs = new long[nw];
        for (int w = 0; w < nw; w++) {
            String s = wordStrings[w];
            int n = s.length();
            int[] syms = new int[n];
            for (int i = 0; i < n; i++) syms[i] = i == n - 1 ? charEndSymbol[s.charAt(i)] : charSymbol[s.charAt(i)];
            words[w] = syms;
            lens[w] = n;
            freqs[w] = wordCounts.get(s)[0];
        }

        HashMap<Long, Pair> pairs = new HashMap<>();
        for (int w = 0; w < nw; w++) {
            int[] syms = words[w];
            for (int i = 0; i + 1 < lens[w]; i++) {
                int l = syms[i], r = syms[i + 1];
                Pair p = pairs.computeIfAbsent(key(l, r), k -> new Pair(l, r));
                p.count += freqs[w];
                p.addWord(w);
            }
        }

        PriorityQueue<Entry> queue = new PriorityQueue<>(Math.max(16, pairs.size()), (a, b) -> {
            int c = Long.compare(b.count, a.count);
            if (c != 0) return c;
            c = symbols.get(a.pair.left).compareTo(symbols.get(b.pair.left));
            if (c != 0) return c;
            return symbols.get(a.pair.right).compareTo(symbols.get(b.pair.right));
        });
        for (Pair p : pairs.values()) queue.add(new Entry(p, p.count));

        int maxMerges = vocabSize - MIN_VOCAB_SIZE;
        List<String[]> merges = new ArrayList<>(maxMerges);
        int[] visited = new int[nw];
        Arrays.fill(visited, -1);
        List<Pair> touched = new ArrayList<>();
        int skippedDuplicates = 0;
        java.util.HashSet<Long> banned = new java.util.HashSet<>();
        long lastMergeCount = 0;
        int[] buf = new int[16];

        while (merges.size() < maxMerges && !queue.isEmpty()) {
            Entry top = queue.poll();
            Pair best = top.pair;
            if (!best.live || best.count > top.count) continue; // dead, or a newer snapshot is queued
            if (best.count < top.count) { // decreased since: queue the live count
                queue.add(new Entry(best, best.count));
                continue;
            }
            if (best.count < minFrequency) break;
            String a = symbols.get(best.left), b = symbols.get(best.right);
            String joined = a + b;
            if (symbolIds.containsKey(joined)) { // would duplicate a symbol: never merged
                best.live = false;
                banned.add(key(best.left, best.right));
                skippedDuplicates++;
                continue;
            }
            int step = merges.size();
            int merged = symbols.size();
            symbols.add(joined);
            symbolIds.put(joined, merged);
            merges.add(new String[]{a, b});
            lastMergeCount = best.count;
            best.live = false;
            pairs.remove(key(best.left, best.right));

            touched.clear();
            for (int k = 0; k < best.nWords; k++) {
                int w = best.words[k];
                if (visited[w] == step) continue;
                visited[w] = step;
                int[] syms = words[w];
                int len = lens[w];
                boolean holds = false;
                for (int i = 0; i + 1 < len && !holds; i++) holds = syms[i] == best.left && syms[i + 1] == best.right;
                if (!holds) continue; // stale index entry
                long f = freqs[w];
                // remove the word's old pairs, merge, add its new pairs (handles overlapping repeats exactly)
                for (int i = 0; i + 1 < len; i++) {
                    if (syms[i] == best.left && syms[i + 1] == best.right) continue; // the merged pair itself
                    Pair p = pairs.get(key(syms[i], syms[i + 1]));
                    touch(p, step, touched);
                    p.count -= f;
                }
                if (buf.length < len) buf = new int[len];
                int out = 0;
                for (int i = 0; i < len; ) {
                    if (i + 1 < len && syms[i] == best.left && syms[i + 1] == best.right) { buf[out++] = merged; i += 2; }
                    else buf[out++] = syms[i++];
                }
                System.arraycopy(buf, 0, syms, 0, out);
                lens[w] = out;
                for (int i = 0; i + 1 < out; i++) {
                    int l = syms[i], r = syms[i + 1];
                    Pair p = pairs.get(key(l, r));
                    if (p == null) {
                        p = new Pair(l, r);
                        p.live = !banned.contains(key(l, r));
                        pairs.put(key(l, r), p);
                    }
                    touch(p, step, touched);
                    p.count += f;
                    if (l == merged || r == merged) p.addWord(w); // pairs with the new symbol are new to the word
                }
            }
            for (Pair p : touched) {
                if (p.count == 0) {
                    p.live = false;
                    pairs.remove(key(p.left, p.right)); // its word list is all stale now
                } else if (p.live && p.count > p.countBefore) {
                    queue.add(new Entry(p, p.count)); // a decrease keeps the old, higher snapshot: fixed when popped
                }
            }
        }

        String[] vocab = new String[symbols.size() + SPECIAL_TOKENS];
        symbols.toArray(vocab);
        vocab[symbols.size()] = PreTokenizer.SOT;
        vocab[symbols.size() + 1] = PreTokenizer.EOT;
        long tokens = 0;
        for (int w = 0; w < nw; w++) tokens += freqs[w] * lens[w];
        return new BpeVocabulary(List.of(vocab), List.copyOf(merges), vocabSize, captions, wordOccurrences, nw, tokens,
                skippedDuplicates, lastMergeCount);
    }

    private static void touch(Pair p, int step, List<Pair> touched) {
        if (p.touched != step) {
            p.touched = step;
            p.countBefore = p.count;
            touched.add(p);
        }
    }

    /** The byte symbols in {@code bytes_to_unicode()} order: the printable bytes, then the remapped ones. */
    static final char[] BYTE_ORDER_CHARS = new char[256];

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (ByteLevel.BYTE_TO_CHAR[b] == (char) b) BYTE_ORDER_CHARS[n++] = (char) b;
        }
        for (int b = 0; b < 256; b++) {
            if (ByteLevel.BYTE_TO_CHAR[b] != (char) b) BYTE_ORDER_CHARS[n++] = ByteLevel.BYTE_TO_CHAR[b];
        }
    }

    /** Convenience: trains on the captions with default settings. */
    public static BpeVocabulary train(Iterable<String> captions, int vocabSize) {
        return new BpeTrainer(vocabSize).addAll(captions).train();
    }

    /** The cleaned word counts (byte-level words, without {@code </w>}), for inspection. */
    Map<String, Long> wordCounts() {
        Map<String, Long> m = new HashMap<>();
        for (var e : wordCounts.entrySet()) m.put(e.getKey(), e.getValue()[0]);
        return m;
    }
}
