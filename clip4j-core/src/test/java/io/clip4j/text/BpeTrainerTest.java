package io.clip4j.text;

import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** {@link BpeTrainer} on hand-checked corpora: merge order, ties, layout, files, min frequency, consistency. */
class BpeTrainerTest {
    /** Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3, spread over captions. */
    static List<String> sennrich() {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < 4; i++) c.add("low");
        c.add("Lower LOW"); // cleaning lower-cases; the caption holds two words
        c.add("lower");
        for (int i = 0; i < 3; i++) c.add("newest, widest"); // ',' is its own piece
        for (int i = 0; i < 3; i++) c.add("newest");
        return c;
    }

    static List<String> mergeStrings(BpeVocabulary v) {
        return v.merges().stream().map(m -> m[0] + " " + m[1]).toList();
    }

    /**
     * Counting by hand (symbols with their word-end mark): e s 9 = s t&lt;/w&gt; 9 (tie → "e" &lt; "s"); then es
     * t&lt;/w&gt; 9; l o 7; then e w, n e, w est&lt;/w&gt; all 6 (tie → "e" smallest); ew est&lt;/w&gt; 6 (beats n ew
     * as "ew" &lt; "n"); n ewest&lt;/w&gt; 6; lo w&lt;/w&gt; 5; then d est&lt;/w&gt;, i d, w i all 3 (tie → "d"); i
     * dest&lt;/w&gt; 3; w idest&lt;/w&gt; 3; then e r&lt;/w&gt;, lo w, w e all 2 → e r&lt;/w&gt;; lo w 2; low er&lt;/w&gt; 2;
     * then ", " alone is one symbol and nothing is left to merge.
     */
    @Test void sennrichExampleMergesAsCountedByHand() {
        BpeVocabulary v = BpeTrainer.train(sennrich(), 1000);
        assertEquals(List.of("e s", "es t</w>", "l o", "e w", "ew est</w>", "n ewest</w>", "lo w</w>",
                "d est</w>", "i dest</w>", "w idest</w>", "e r</w>", "lo w", "low er</w>"), mergeStrings(v));
        assertEquals(512 + 13 + 2, v.vocabSize());
        assertFalse(v.targetReached());
        assertEquals("es", v.vocab().get(512));
        assertEquals("low</w>", v.vocab().get(518));
        assertEquals("<|startoftext|>", v.vocab().get(525));
        assertEquals("<|endoftext|>", v.vocab().get(526));
        assertEquals(12, v.captions());
        assertEquals(5 + 2 + 6 + 3 + 3, v.wordOccurrences()); // + 3 commas
        assertEquals(5 + 2 + 6 + 3, v.wordOccurrences() - 3);
        assertEquals(5, v.distinctWords());
        // every word is one token after training
        assertEquals(v.wordOccurrences(), v.corpusTokens());

        ClipBpeTokenizer tok = v.tokenizer(77);
        assertEquals(List.of("newest</w>"), tok.bpeTokens("newest"));
        assertEquals(List.of("low", "est</w>"), tok.bpeTokens("Lowest")); // unseen word built from learned pieces
        assertEquals(List.of("n", "e", "w</w>"), tok.bpeTokens("new")); // "e w" needs the "w" inside the word
        assertArrayEquals(new int[]{tok.idOf("widest</w>"), tok.idOf(",</w>"), tok.idOf("low</w>")}, tok.encode("widest, low"));
    }

    @Test void vocabularyStopsAtTheAskedSize() {
        BpeVocabulary v = BpeTrainer.train(sennrich(), 512 + 5 + 2);
        assertTrue(v.targetReached());
        assertEquals(List.of("e s", "es t</w>", "l o", "e w", "ew est</w>"), mergeStrings(v));
        assertEquals(519, v.vocabSize());
        assertEquals(519, v.tokenizer(77).vocabSize());

        BpeVocabulary none = BpeTrainer.train(sennrich(), BpeTrainer.MIN_VOCAB_SIZE);
        assertEquals(0, none.mergeCount());
        assertEquals(514, none.vocabSize());
        assertEquals(List.of("n", "e", "w", "e", "s", "t</w>"), none.tokenizer(77).bpeTokens("newest"));
    }

    @Test void minFrequencyStopsAtRareMerges() {
        // 9, 9, 7, then the best pair occurs 6 times
        BpeVocabulary v = new BpeTrainer(1000).minFrequency(7).addAll(sennrich()).train();
        assertEquals(List.of("e s", "es t</w>", "l o"), mergeStrings(v));
        assertEquals(7, v.lastMergeFrequency());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(1000).minFrequency(0));
    }

    @Test void rejectsImpossibleSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(513));
        assertTrue(e.getMessage().contains("at least 514"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(49409));
        new BpeTrainer(49408);
    }

    @Test void byteSymbolsAreLaidOutAsInClipsVocabulary() throws IOException {
        Map<String, Integer> clip = VocabJson.read(Fixtures.path("models/tiny/hf/vocab.json"));
        BpeVocabulary v = BpeTrainer.train(List.of("a photo of a cat"), 600);
        for (int id = 0; id < 512; id++) assertEquals(id, clip.get(v.vocab().get(id)), "symbol " + v.vocab().get(id));
        assertEquals("!", v.vocab().get(0));
        assertEquals("Ġ</w>", v.vocab().get(256 + 188 + 32)); // byte 0x20 is the 33rd remapped byte
        assertEquals(new HashSet<>(v.vocab()).size(), v.vocabSize());
    }

    @Test void specialTokensInTextAreNotWords() {
        BpeTrainer t = new BpeTrainer(600).add("<|startoftext|>a cat<|endoftext|>");
        assertEquals(2, t.wordCount());
        assertEquals(Map.of("a", 1L, "cat", 1L), t.wordCounts());
        ClipBpeTokenizer tok = t.train().tokenizer(77);
        int[] ids = tok.encode("<|startoftext|>a cat<|endoftext|>");
        assertEquals(tok.sotId(), ids[0]);
        assertEquals(tok.eotId(), ids[ids.length - 1]);
    }

    @Test void writtenFilesLoadAndMatch(@TempDir Path dir) throws IOException {
        BpeVocabulary v = BpeTrainer.train(sennrich(), 1000);
        v.write(dir);
        List<String> merges = Files.readAllLines(dir.resolve("merges.txt"));
        assertEquals("#version: 0.2", merges.get(0));
        assertEquals(mergeStrings(v), merges.subList(1, merges.size()));
        Map<String, Integer> vocab = VocabJson.read(dir.resolve("vocab.json"));
        assertEquals(v.vocabMap(), vocab);
        String json = Files.readString(dir.resolve("vocab.json"));
        assertTrue(json.startsWith("{\"!\":0,\"\\\"\":1,\"#\":2,"), json.substring(0, 30));
        assertTrue(json.endsWith("\"<|startoftext|>\":525,\"<|endoftext|>\":526}"));

        ClipBpeTokenizer tok = ClipBpeTokenizer.load(dir);
        assertEquals(527, tok.vocabSize());
        assertEquals(13, tok.mergeCount());
        assertEquals(77, tok.contextLength());
        assertEquals(525, tok.sotId());
        assertEquals(526, tok.eotId());
        assertEquals(List.of("low", "est</w>"), tok.bpeTokens("lowest"));
        // and through the general loader, which reads the same files
        Tokenizer any = Tokenizers.load(dir);
        assertArrayEquals(tok.tokenize(List.of("newest lower")), any.tokenize(List.of("newest lower")));

        HfTokenizerConfig cfg = HfTokenizerConfig.read(dir);
        assertEquals("CLIPTokenizer", cfg.tokenizerClass);
        assertEquals("<|startoftext|>", cfg.bosToken);
        assertEquals("<|endoftext|>", cfg.eosToken);
        assertEquals("<|endoftext|>", cfg.padToken);
        assertEquals(77.0, cfg.modelMaxLength);
        String map = Files.readString(dir.resolve("special_tokens_map.json"));
        assertTrue(map.contains("\"bos_token\":{\"content\":\"<|startoftext|>\""), map);
        // no temporary files left behind
        try (var files = Files.list(dir)) {
            assertEquals(List.of("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("vocab.json"))));
        }
        // rewriting replaces the files
        BpeTrainer.train(sennrich(), 515).write(dir);
        assertEquals(515, ClipBpeTokenizer.load(dir).vocabSize());
    }

    /**
     * Random words over a tiny alphabet (long runs like "aaaa", "abab" exercise overlapping pairs): the
     * vocabulary has no repeated symbol, ids are CLIP's layout, and the training segmentation of every word is
     * what the tokenizer produces with the learned merges; results do not depend on input order.
     */
    @Test void randomSmallAlphabetCorporaAreConsistent() {
        for (int seed = 0; seed < 40; seed++) {
            Random r = new Random(seed);
            List<String> captions = new ArrayList<>();
            for (int c = 0; c < 60; c++) {
                StringBuilder sb = new StringBuilder();
                int words = 1 + r.nextInt(4);
                for (int w = 0; w < words; w++) {
                    int len = 1 + r.nextInt(9);
                    for (int i = 0; i < len; i++) sb.append("aab".charAt(r.nextInt(seed % 2 == 0 ? 2 : 3)));
                    sb.append(' ');
                }
                captions.add(sb.toString());
            }
            BpeVocabulary v = BpeTrainer.train(captions, 512 + 2 + 30 + seed);
            assertEquals(0, v.skippedDuplicatePairs());
            assertEquals(new HashSet<>(v.vocab()).size(), v.vocabSize(), "seed " + seed);
            for (int i = 0; i < v.mergeCount(); i++) assertEquals(v.merges().get(i)[0] + v.merges().get(i)[1], v.vocab().get(512 + i));
            ClipBpeTokenizer tok = v.tokenizer(77);
            long tokens = 0;
            for (String c : captions) tokens += tok.encode(c).length;
            assertEquals(v.corpusTokens(), tokens, "seed " + seed);

            List<String> shuffled = new ArrayList<>(captions);
            Collections.shuffle(shuffled, new Random(seed + 1000));
            assertEquals(mergeStrings(v), mergeStrings(BpeTrainer.train(shuffled, 512 + 2 + 30 + seed)), "seed " + seed);
        }
    }

    /**
     * The textbook algorithm, recounting every pair at every step: the merges {@link BpeTrainer} should find
     * with its incremental counts and lazy queue.
     */
    static List<String> naiveMerges(Map<String, Long> wordCounts, int maxMerges, long minFrequency) {
        List<List<String>> words = new ArrayList<>();
        List<Long> freqs = new ArrayList<>();
        Set<String> symbols = new HashSet<>();
        for (int i = 0; i < 256; i++) {
            symbols.add(String.valueOf(BpeTrainer.BYTE_ORDER_CHARS[i]));
            symbols.add(BpeTrainer.BYTE_ORDER_CHARS[i] + "</w>");
        }
        symbols.add("<|startoftext|>");
        symbols.add("<|endoftext|>");
        for (var e : wordCounts.entrySet()) {
            List<String> syms = new ArrayList<>();
            String w = e.getKey();
            for (int i = 0; i < w.length(); i++) syms.add(i == w.length() - 1 ? w.charAt(i) + "</w>" : String.valueOf(w.charAt(i)));
            words.add(syms);
            freqs.add(e.getValue());
        }
        List<String> merges = new ArrayList<>();
        Set<String> banned = new HashSet<>();
        while (merges.size() < maxMerges) {
            Map<String, Long> counts = new HashMap<>(); // "left right" (symbols hold no space) → frequency
            for (int w = 0; w < words.size(); w++) {
                List<String> syms = words.get(w);
                for (int i = 0; i + 1 < syms.size(); i++) counts.merge(syms.get(i) + " " + syms.get(i + 1), freqs.get(w), Long::sum);
            }
            List<String> best = null;
            long bestCount = 0;
            for (var e : counts.entrySet()) {
                if (banned.contains(e.getKey())) continue;
                long c = e.getValue();
                if (c < bestCount) continue;
                int sp = e.getKey().indexOf(' ');
                List<String> pr = List.of(e.getKey().substring(0, sp), e.getKey().substring(sp + 1));
                int cmp = best == null ? -1 : Long.compare(bestCount, c);
                if (cmp == 0) cmp = pr.get(0).compareTo(best.get(0)) != 0 ? pr.get(0).compareTo(best.get(0)) : pr.get(1).compareTo(best.get(1));
                if (cmp < 0) { best = pr; bestCount = c; }
            }
            if (best == null || bestCount < minFrequency) break;
            String joined = best.get(0) + best.get(1);
            if (symbols.contains(joined)) { banned.add(best.get(0) + " " + best.get(1)); continue; }
            symbols.add(joined);
            merges.add(best.get(0) + " " + best.get(1));
            for (List<String> syms : words) {
                for (int i = 0; i + 1 < syms.size(); i++) {
                    if (syms.get(i).equals(best.get(0)) && syms.get(i + 1).equals(best.get(1))) {
                        syms.set(i, joined);
                        syms.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    @Test void matchesTheTextbookAlgorithm() throws IOException {
        for (int seed = 0; seed < 20; seed++) {
            Random r = new Random(seed);
            BpeTrainer t = new BpeTrainer(512 + 2 + 200).minFrequency(1 + seed % 3);
            for (int c = 0; c < 150; c++) {
                StringBuilder sb = new StringBuilder();
                for (int w = 0; w < 5; w++) {
                    int len = 1 + r.nextInt(10);
                    for (int i = 0; i < len; i++) sb.append("abcdeé日".charAt((int) (7 * Math.pow(r.nextDouble(), 2))));
                    sb.append(' ');
                }
                t.add(sb.toString());
            }
            assertEquals(naiveMerges(t.wordCounts(), 200, 1 + seed % 3), mergeStrings(t.train()), "seed " + seed);
        }
        BpeTrainer emoji = new BpeTrainer(768).addAll(BpeTrainerEmojiTest.captions("train"));
        assertEquals(naiveMerges(emoji.wordCounts(), 768 - 514, 1), mergeStrings(emoji.train()));
    }

    @Test void wordCountsAreOfCleanedPieces() {
        BpeTrainer t = new BpeTrainer(600).add("Caf\u00e9  &amp; CAF\u00c9's 2024!").add("   ");
        Map<String, Long> expected = new HashMap<>();
        expected.put(ByteLevel.encode("café"), 2L);
        expected.put("&", 1L);
        expected.put("'s", 1L);
        for (String d : List.of("2", "0", "2", "4")) expected.merge(d, 1L, Long::sum);
        expected.put("!", 1L);
        assertEquals(expected, t.wordCounts());
        assertEquals(2, t.captionCount());
        assertEquals(9, t.wordCount());
    }
}
