package io.clip4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** {@link BpeTrainer} on the emoji captions (train split), through the written files and {@link ClipBpeTokenizer#load}. */
class BpeTrainerEmojiTest {
    static List<String> train, val;
    static BpeVocabulary vocab;
    static ClipBpeTokenizer tok;
    static Path dir;

    static Path data() {
        Path p = Fixtures.repoRoot().resolve("../shared/data/emoji").normalize();
        if (!Files.isRegularFile(p.resolve("captions.tsv"))) throw new IllegalStateException("emoji data not found at " + p);
        return p;
    }

    /** The captions of the images whose code points are in the split ("images/<style>/<codepoints>.png"). */
    static List<String> captions(String split) throws IOException {
        Path data = data();
        JsonNode splits = new ObjectMapper().readTree(data.resolve("splits.json").toFile());
        Set<String> keep = new HashSet<>();
        for (JsonNode cp : splits.get(split)) keep.add(cp.asText());
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(data.resolve("captions.tsv"), StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            String path = line.substring(0, tab);
            String stem = path.substring(path.lastIndexOf('/') + 1, path.lastIndexOf('.'));
            if (keep.contains(stem)) out.add(line.substring(tab + 1));
        }
        return out;
    }

    @BeforeAll static void trainOnce(@TempDir Path tmp) throws IOException {
        train = captions("train");
        val = captions("val");
        vocab = BpeTrainer.train(train, 2048);
        dir = tmp.resolve("bpe-2048");
        vocab.write(dir);
        tok = ClipBpeTokenizer.load(dir);
    }

    @Test void splitSizes() {
        assertTrue(train.size() > 17_000 && train.size() < 19_000, "train captions: " + train.size());
        assertEquals(22_508, train.size() + val.size() + assertDoesNotThrow(() -> captions("test")).size());
    }

    @Test void reachesTheSizeAndLoads() {
        assertTrue(vocab.targetReached());
        assertEquals(2048, vocab.vocabSize());
        assertEquals(2048 - 514, vocab.mergeCount());
        assertEquals(2048, tok.vocabSize());
        assertEquals(2048 - 514, tok.mergeCount());
        assertEquals(2046, tok.sotId());
        assertEquals(2047, tok.eotId());
    }

    @Test void frequentTrainingWordsAreSingleTokens() {
        for (String w : List.of("emoji", "face", "flag", "an", "of", "the", "category", "person", "symbols", "objects")) {
            assertEquals(List.of(w + "</w>"), tok.bpeTokens(w), w);
            assertEquals(1, tok.encode(w).length, w);
        }
        assertEquals(List.of(",</w>"), tok.bpeTokens(","));
        // a whole caption: every word of this template is in the vocabulary
        assertArrayEquals(new int[]{tok.idOf("an</w>"), tok.idOf("emoji</w>"), tok.idOf("of</w>"), tok.idOf("a</w>"),
                tok.idOf("grinning</w>"), tok.idOf("face</w>")}, tok.encode("an emoji of a grinning face"));
    }

    /** The training segmentation is the tokenizer's: the token count of the corpus agrees. */
    @Test void trainingAndTokenizerSegmentationsAgree() {
        long tokens = 0;
        for (String c : train) {
            int[] ids = tok.encode(c);
            tokens += ids.length;
            for (int id : ids) assertTrue(id >= 0 && id < 2046, c);
        }
        assertEquals(vocab.corpusTokens(), tokens);
        assertEquals(train.size(), vocab.captions());
    }

    static final List<String> STRINGS = List.of(
            "an emoji of a grinning face", "zyzzyva quixotically xeroxed", "😀 👍🏽 🇯🇵 👨‍👩‍👧 1️⃣",
            "日本語のテキスト 東京", "中文字符 and Ελληνικά and русский", "مرحبا بالعالم", "Crème Brûlée, Ångström, piñata",
            "don't STOP—it's 3:30 p.m. <3 :-) #1 @home", "e\u0301 n\u0303 a\u030a (combining)", "ﬁ ﬂ ℌ ① ½ ²",
            "tab\tnew\nline  spaces", "", "   ", "x", "a&amp;b &lt;tag&gt;", "\uD83E\uDEE0 melting", "Ʃ ǅ ſt ß İ");

    /** Decoding gives back the cleaned pieces, each followed by a space (CLIP's "&lt;/w&gt;" → " "). */
    @Test void everyStringRoundTrips() {
        List<String> all = new ArrayList<>(STRINGS);
        all.addAll(val);
        for (String s : all) {
            int[] ids = tok.encode(s);
            for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize(), s);
            StringBuilder expected = new StringBuilder();
            for (String piece : tok.pretokenize(s)) expected.append(piece).append(' ');
            assertEquals(expected.toString(), tok.decode(ids), s);
        }
        // unseen characters fall back to byte symbols
        int[] ids = tok.encode("東");
        assertTrue(ids.length >= 1 && ids.length <= 3);
        for (int[] row : tok.tokenize(STRINGS)) {
            assertEquals(77, row.length);
            assertEquals(2046, row[0]);
            assertEquals(row[ClipBpeTokenizer.eotIndex(row)], 2047);
        }
    }

    @Test void heldOutCaptionsAreCompressedToo() {
        long chars = 0, tokens = 0;
        for (String c : val) {
            chars += Utf8.encode(c).length;
            tokens += tok.encode(c).length;
        }
        double trainAvg = (double) vocab.corpusTokens() / train.size(), valAvg = (double) tokens / val.size();
        assertTrue(chars / (double) tokens > 3.0, "val bytes per token " + chars / (double) tokens);
        assertTrue(valAvg < trainAvg * 1.5, "val " + valAvg + " vs train " + trainAvg);
    }

    /** Same captions, in another order → byte-identical files. */
    @Test void trainingIsDeterministic(@TempDir Path tmp) throws IOException {
        List<String> reversed = new ArrayList<>(train);
        java.util.Collections.reverse(reversed);
        BpeVocabulary again = new BpeTrainer(2048).addAll(reversed).train();
        Path other = tmp.resolve("again");
        again.write(other);
        for (String f : List.of("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(other.resolve(f)), f);
        }
    }

    /** A larger vocabulary extends a smaller one: same first merges (the merge sequence does not depend on N). */
    @Test void smallerVocabularyIsAPrefix() {
        BpeVocabulary small = BpeTrainer.train(train, 1024);
        for (int i = 0; i < small.mergeCount(); i++) {
            assertArrayEquals(small.merges().get(i), vocab.merges().get(i), "merge " + i);
        }
        assertEquals(vocab.vocab().subList(0, 1022), small.vocab().subList(0, 1022));
    }
}
