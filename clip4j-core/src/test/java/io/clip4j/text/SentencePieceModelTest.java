package io.clip4j.text;

import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ModelProto reader, the normaliser and both encoders, on the fixture models and on small models built here. */
class SentencePieceModelTest {

    // ---- a protobuf writer for synthetic models ----

    static final class Proto {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(long v) {
            while ((v & ~0x7FL) != 0) { out.write((int) ((v & 0x7F) | 0x80)); v >>>= 7; }
            out.write((int) v);
            return this;
        }
        Proto tag(int field, int wire) { return varint((long) field << 3 | wire); }
        Proto intField(int field, long v) { return tag(field, 0).varint(v); }
        Proto bytesField(int field, byte[] b) { tag(field, 2).varint(b.length); out.writeBytes(b); return this; }
        Proto stringField(int field, String s) { return bytesField(field, s.getBytes(StandardCharsets.UTF_8)); }
        Proto floatField(int field, float f) {
            tag(field, 5);
            int b = Float.floatToIntBits(f);
            for (int i = 0; i < 4; i++) out.write(b >>> (8 * i));
            return this;
        }
        Proto message(int field, Proto m) { return bytesField(field, m.out.toByteArray()); }
        byte[] bytes() { return out.toByteArray(); }
    }

    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    record P(String piece, float score, int type) {}

    /** A model: pieces, model type (1 unigram, 2 BPE), byte_fallback, identity normaliser settings. */
    static SentencePieceModel model(List<P> pieces, int modelType, boolean byteFallback, boolean dummyPrefix, boolean removeWs) {
        Proto m = new Proto();
        for (P p : pieces) m.message(1, new Proto().stringField(1, p.piece).floatField(2, p.score).intField(3, p.type));
        Proto trainer = new Proto().intField(3, modelType).intField(40, 0);
        if (byteFallback) trainer.intField(35, 1);
        m.message(2, trainer);
        m.message(3, new Proto().stringField(1, "identity").intField(3, dummyPrefix ? 1 : 0).intField(4, removeWs ? 1 : 0));
        return SentencePieceModel.parse(m.bytes(), "test.model");
    }

    static List<P> withBytes(List<P> pieces) {
        List<P> out = new java.util.ArrayList<>(pieces);
        for (int b = 0; b < 256; b++) out.add(new P(SentencePieceModel.bytePiece(b), 0f, BYTE));
        return out;
    }

    // ---- the fixture models ----

    @Test
    void readsTheSiglipUnigramModel() throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        assertEquals(SentencePieceModel.ModelType.UNIGRAM, m.modelType());
        assertEquals(800, m.size());
        assertEquals("</s>", m.piece(1));
        assertEquals(SentencePieceModel.PieceType.CONTROL, m.type(1));
        assertEquals(2, m.unkId());
        assertEquals(1, m.eosId());
        assertEquals(0, m.padId());
        assertEquals(-1, m.trainerBosId());
        assertEquals(-1, m.bosId());
        assertFalse(m.byteFallback());
        assertEquals("nmt_nfkc", m.normalizerSpec().name());
        assertTrue(m.normalizerSpec().precompiledCharsmap().length > 1000);
        assertTrue(m.normalizerSpec().addDummyPrefix() && m.normalizerSpec().removeExtraWhitespaces() && m.normalizerSpec().escapeWhitespaces());
        assertEquals(-2.07728910446167f, m.score(3));
    }

    @Test
    void readsTheGemmaBpeModel() throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip2_tiny/tokenizer.model"));
        assertEquals(SentencePieceModel.ModelType.BPE, m.modelType());
        assertEquals(1000, m.size());
        assertTrue(m.byteFallback());
        assertTrue(m.splitDigits());
        assertEquals(3, m.unkId());
        assertEquals(2, m.bosId());
        assertEquals(1, m.eosId());
        assertEquals(0, m.padId());
        assertEquals(SentencePieceModel.PieceType.USER_DEFINED, m.type(4));
        assertEquals("<0x00>", m.piece(5));
        assertEquals(SentencePieceModel.PieceType.BYTE, m.type(5));
        assertEquals("identity", m.normalizerSpec().name());
        assertEquals(0, m.normalizerSpec().precompiledCharsmap().length);
        assertFalse(m.normalizerSpec().addDummyPrefix());
        assertFalse(m.normalizerSpec().removeExtraWhitespaces());
        assertEquals(4, m.pieceToId("<mask>"));
        assertEquals(3, m.pieceToId("no such piece"));
    }

    @Test
    void nmtNfkcNormalisation() throws IOException {
        SentencePieceProcessor sp = new SentencePieceProcessor(SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model")));
        assertEquals("▁full▁width▁ABC▁123", sp.normalize("ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ １２３"));
        assertEquals("▁the▁fine", sp.normalize("  the \t ﬁne  "));
        assertEquals("▁café", sp.normalize("cafe\u0301"));          // composed by a two-character rule
        assertEquals("▁a▁b", sp.normalize("a\u00A0\u3000▁b"));      // U+2581 itself maps to a space
        assertEquals("▁ガ", sp.normalize("ｶﾞ"));                     // longest rule: the pair
        assertEquals("", sp.normalize(" \u2003 "));
        assertEquals("▁ab", new SentencePieceProcessor(sp.model(), sp.model().normalizerSpec()).normalize("ab"));
        assertEquals("ab▁c", new SentencePieceProcessor(sp.model(), sp.model().normalizerSpec().withAddDummyPrefix(false)).normalize(" ab  c "));
    }

    @Test
    void tokenizersPrecompiledWorksPerGraphemeCluster() throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        CharsMap map = CharsMap.parse(m.normalizerSpec().precompiledCharsmap());
        assertEquals("full ABC", HfTokenizerJson.precompiled(map, "ｆｕｌｌ ＡＢＣ"));
        assertEquals("café", HfTokenizerJson.precompiled(map, "cafe\u0301"));
        // "ｶﾞ" is one 6-byte grapheme: tokenizers maps its characters one by one (sentencepiece gives "ガ")
        String hf = HfTokenizerJson.precompiled(map, "ｶﾞ");
        assertTrue(hf.startsWith("カ") && !hf.equals("ガ"), hf);
    }

    // ---- malformed files ----

    @Test
    void truncatedModelIsRejectedNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        for (int len : new int[]{1, 7, 100, good.length / 2, good.length - 1}) {
            Path f = dir.resolve("cut" + len + ".model");
            Files.write(f, Arrays.copyOf(good, len));
            Clip4jException e = assertThrows(Clip4jException.class, () -> SentencePieceModel.load(f), "length " + len);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            assertTrue(e.getMessage().startsWith("malformed SentencePiece model"), e.getMessage());
        }
    }

    @Test
    void garbageIsRejected(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("spiece.model");
        for (byte[] junk : new byte[][]{new byte[0], "not a model at all".getBytes(StandardCharsets.UTF_8),
                {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
                {0x0B, 0x00}, // wire type 3 (group)
                new Proto().intField(2, 5).bytes(), // trainer_spec as a varint
                new Proto().message(1, new Proto().floatField(2, 1f)).bytes(), // a piece without its string
                new Proto().message(1, new Proto().bytesField(1, new byte[]{(byte) 0xC3, 0x28})).bytes()}) { // bad UTF-8
            Files.write(f, junk);
            Clip4jException e = assertThrows(Clip4jException.class, () -> SentencePieceModel.load(f), Arrays.toString(junk));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void inconsistentPiecesAreRejected() {
        P unk = new P("<unk>", 0, UNKNOWN);
        assertThrows(Clip4jException.class, () -> model(List.of(new P("a", -1, NORMAL)), 1, false, true, true), "no <unk>");
        assertThrows(Clip4jException.class, () -> model(List.of(unk, new P("a", -1, NORMAL), new P("a", -2, NORMAL)), 1, false, true, true), "duplicate");
        assertThrows(Clip4jException.class, () -> model(List.of(unk, new P("<0x41>", 0, BYTE)), 2, false, true, true), "byte without fallback");
        assertThrows(Clip4jException.class, () -> model(List.of(unk, new P("<0x41>", 0, BYTE)), 2, true, true, true), "255 bytes missing");
        assertThrows(Clip4jException.class, () -> model(List.of(unk, new P("", 0, NORMAL)), 1, false, true, true), "empty piece");
    }

    // ---- BPE ----

    @Test
    void bpeMergesByScoreLeftmostFirst() {
        SentencePieceModel m = model(List.of(new P("<unk>", 0, UNKNOWN), new P("a", -1, NORMAL), new P("b", -1, NORMAL),
                new P("ab", -2, NORMAL), new P("ba", -3, NORMAL), new P("aba", -1.5f, NORMAL)), 2, false, false, false);
        SentencePieceProcessor sp = new SentencePieceProcessor(m);
        // "abab": ab(-2) at 0 and 2, ba(-3) at 1 → the leftmost ab first; then ab+a = aba (-1.5) beats a+b
        assertEquals(List.of("aba", "b"), sp.encodePieces("abab"));
        // "baba": ba(-3) never wins against ab(-2) in the middle: b + ab + a → b + aba
        assertEquals(List.of("b", "aba"), sp.encodePieces("baba"));
        // "aba": ab first → "ab","a" → "aba" (-1.5)
        assertEquals(List.of("aba"), sp.encodePieces("aba"));
        // unknown characters without byte fallback: a run becomes one <unk> piece
        assertEquals(List.of("a", "xyz", "b"), sp.encodePieces("axyzb"));
        assertArrayEquals(new int[]{1, 0, 2}, sp.encodeIds("axyzb"));
    }

    @Test
    void bpeResegmentsUnusedPiecesAndFreezesUserDefined() {
        SentencePieceModel m = model(withBytes(List.of(new P("<unk>", 0, UNKNOWN), new P("a", -1, NORMAL), new P("b", -1, NORMAL),
                new P("c", -1, NORMAL), new P("ab", -2, UNUSED), new P("abc", -3, NORMAL), new P("<x>", 0, USER_DEFINED),
                new P("b<", -0.5f, NORMAL))), 2, true, false, false);
        SentencePieceProcessor sp = new SentencePieceProcessor(m);
        assertEquals(List.of("abc"), sp.encodePieces("abc"));        // through the unused "ab"
        assertEquals(List.of("a", "b"), sp.encodePieces("ab"));       // an unused result is split back
        assertEquals(List.of("a", "b", "<x>", "c"), sp.encodePieces("ab<x>c")); // "<x>" never merges ("b<" not used)
        assertEquals(List.of("a", "<0xC3>", "<0xA9>"), sp.encodePieces("aé")); // byte fallback
    }

    @Test
    void bpeOnTheGemmaModelKeepsSpacesAndControlText() throws IOException {
        SentencePieceProcessor sp = new SentencePieceProcessor(SentencePieceModel.load(Fixtures.path("siglip/siglip2_tiny/tokenizer.model")));
        assertEquals("a▁▁b\t", sp.normalize("a  b\t"));
        // control pieces written in the text are just characters to SentencePiece; user-defined ones match
        assertEquals(List.of("<0x3C>", "e", "os", "<0x3E>"), sp.encodePieces("<eos>"));
        assertEquals(List.of("<mask>"), sp.encodePieces("<mask>"));
    }

    // ---- unigram ----

    @Test
    void unigramViterbiUserDefinedAndUnused() {
        SentencePieceModel m = model(List.of(new P("<unk>", 0, UNKNOWN), new P("▁", -1, NORMAL), new P("a", -2, NORMAL),
                new P("b", -2, NORMAL), new P("ab", -3, NORMAL), new P("▁ab", -10, NORMAL), new P("ba", -1, UNUSED),
                new P("<u>", -100, USER_DEFINED)), 1, false, true, true);
        SentencePieceProcessor sp = new SentencePieceProcessor(m);
        assertEquals(List.of("▁", "ab"), sp.encodePieces("ab"));         // -4 beats ▁ab's -10
        assertEquals(List.of("▁", "b", "a"), sp.encodePieces("ba"));     // the unused "ba" is never used
        assertEquals(List.of("▁", "a", "<u>", "b"), sp.encodePieces("a<u>b")); // user-defined wins despite its score
        assertEquals(List.of("▁", "a", "xy", "▁", "b"), sp.encodePieces("axy  b"));
        assertArrayEquals(new int[]{1, 2, 0, 1, 3}, sp.encodeIds("axy  b"));
    }

    @Test
    void siglipUnkTokenLengthTrick() throws IOException {
        // what the "<unk>" prefix of HF's _tokenize encodes to with add_dummy_prefix off
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        SentencePieceProcessor sp = new SentencePieceProcessor(m, m.normalizerSpec().withAddDummyPrefix(false));
        List<String> unk = sp.encodePieces("<unk>");
        List<String> both = sp.encodePieces("<unk>▁a cat");
        assertEquals(unk, both.subList(0, unk.size()));
        assertEquals(List.of("▁a", "▁cat"), both.subList(unk.size(), both.size()));
        assertEquals(List.of("a", "▁cat"), sp.encodePieces("▁a cat")); // why the trick exists
    }
}
