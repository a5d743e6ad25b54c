package io.clip4j.text;

import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * A SentencePiece model file ({@code spiece.model}, {@code tokenizer.model}): the protobuf
 * {@code sentencepiece.ModelProto} of sentencepiece_model.proto, read with a small wire-format reader
 * (no protobuf library). Holds the pieces (string, score, type) and the trainer/normalizer settings that
 * change encoding; {@link SentencePieceProcessor} does the encoding.
 *
 * <p>Fields read (others are skipped):
 * <pre>
 * ModelProto     { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2; NormalizerSpec normalizer_spec = 3; }
 * SentencePiece  { string piece = 1; float score = 2; Type type = 3 [NORMAL]; }
 * TrainerSpec    { ModelType model_type = 3 [UNIGRAM]; bool treat_whitespace_as_suffix = 24; bool split_digits = 25;
 *                  bool byte_fallback = 35; int32 unk_id = 40 [0]; int32 bos_id = 41 [1]; int32 eos_id = 42 [2];
 *                  int32 pad_id = 43 [-1]; string unk_piece = 45; bos_piece = 46; eos_piece = 47; pad_piece = 48; }
 * NormalizerSpec { string name = 1; bytes precompiled_charsmap = 2; bool add_dummy_prefix = 3 [true];
 *                  bool remove_extra_whitespaces = 4 [true]; bool escape_whitespaces = 5 [true]; }
 * </pre>
 * The pieces are checked as sentencepiece's {@code ModelInterface::InitializePieces} checks them: non-empty,
 * no NUL, no duplicates, exactly one UNKNOWN piece, BYTE pieces only with byte_fallback and then all 256.
 */
public final class SentencePieceModel {

    /** {@code ModelProto.SentencePiece.Type}; the number is the proto enum value. */
    public enum PieceType {
        NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);
        final int number;
        PieceType(int number) { this.number = number; }
        static PieceType of(int number) {
            for (PieceType t : values()) if (t.number == number) return t;
            return null;
        }
    }

    /** {@code TrainerSpec.ModelType}. */
    public enum ModelType {
        UNIGRAM(1), BPE(2), WORD(3), CHAR(4);
        final int number;
        ModelType(int number) { this.number = number; }
        static ModelType of(int number) {
            for (ModelType t : values()) if (t.number == number) return t;
            return null;
        }
    }

    /** The text normalisation settings ({@code NormalizerSpec}). */
    public record NormalizerSpec(String name, byte[] precompiledCharsmap, boolean addDummyPrefix,
                                 boolean removeExtraWhitespaces, boolean escapeWhitespaces) {
        public NormalizerSpec {
            precompiledCharsmap = precompiledCharsmap == null ? new byte[0] : precompiledCharsmap;
            name = name == null ? "" : name;
        }
        /** A copy of the charsmap blob (empty when the normaliser is the identity). */
        @Override
        public byte[] precompiledCharsmap() { return precompiledCharsmap.clone(); }
        /** The same spec with another add_dummy_prefix (what HF's SiglipTokenizer does to its copy). */
        public NormalizerSpec withAddDummyPrefix(boolean v) {
            return new NormalizerSpec(name, precompiledCharsmap, v, removeExtraWhitespaces, escapeWhitespaces);
        }
    }

    private final String source;
    private final String[] pieces;
    private final float[] scores;
    private final PieceType[] types;
    private final ModelType modelType;
    private final boolean byteFallback, treatWhitespaceAsSuffix, splitDigits;
    private final int trainerUnkId, trainerBosId, trainerEosId, trainerPadId;
    private final String unkPiece, bosPiece, eosPiece, padPiece;
    private final NormalizerSpec normalizerSpec;
    private final int unkId;
    /** NORMAL, USER_DEFINED and UNUSED pieces (sentencepiece's {@code pieces_}). */
    private final Map<String, Integer> normalIds;
    /** CONTROL, UNKNOWN and BYTE pieces (sentencepiece's {@code reserved_id_map_}). */
    private final Map<String, Integer> reservedIds;

    private SentencePieceModel(String source, String[] pieces, float[] scores, PieceType[] types, ModelType modelType,
                               boolean byteFallback, boolean treatWhitespaceAsSuffix, boolean splitDigits,
                               int unkId, int bosId, int eosId, int padId,
                               String unkPiece, String bosPiece, String eosPiece, String padPiece,
                               NormalizerSpec normalizerSpec) {
        this.source = source;
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.modelType = modelType;
        this.byteFallback = byteFallback;
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        this.splitDigits = splitDigits;
        this.trainerUnkId = unkId;
        this.trainerBosId = bosId;
        this.trainerEosId = eosId;
        this.trainerPadId = padId;
        this.unkPiece = unkPiece;
        this.bosPiece = bosPiece;
        this.eosPiece = eosPiece;
        this.padPiece = padPiece;
        this.normalizerSpec = normalizerSpec;

        // InitializePieces: split into normal/reserved maps and validate
        HashMap<String, Integer> normal = new HashMap<>(pieces.length * 2);
        HashMap<String, Integer> reserved = new HashMap<>();
        boolean[] byteFound = new boolean[256];
        int unk = -1;
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (p.isEmpty()) throw malformed(source, "piece " + i + " is empty");
            if (p.indexOf('\0') >= 0) throw malformed(source, "piece " + i + " contains a NUL character");
            boolean isNormal = types[i] == PieceType.NORMAL || types[i] == PieceType.USER_DEFINED || types[i] == PieceType.UNUSED;
            if ((isNormal ? normal : reserved).putIfAbsent(p, i) != null) throw malformed(source, "piece \"" + p + "\" is defined twice");
            if (types[i] == PieceType.UNKNOWN) {
                if (unk >= 0) throw malformed(source, "more than one UNKNOWN piece (" + unk + " and " + i + ")");
                unk = i;
            }
            if (types[i] == PieceType.BYTE) {
                if (!byteFallback) throw malformed(source, "byte piece " + p + " found although byte_fallback is false");
                int b = pieceToByte(p);
                if (b < 0) throw malformed(source, "invalid byte piece " + p);
                byteFound[b] = true;
            }
        }
        if (unk < 0) throw malformed(source, "no UNKNOWN (<unk>) piece");
        if (byteFallback) {
            for (int b = 0; b < 256; b++) {
                if (!byteFound[b]) throw malformed(source, "byte_fallback is set but piece " + bytePiece(b) + " is missing");
            }
        }
        this.unkId = unk;
        this.normalIds = normal;
        this.reservedIds = reserved;
    }

    // ---- loading ----

    /**
     * Reads a SentencePiece model file.
     *
     * @throws Clip4jException naming the file if it is not a well-formed ModelProto or fails the checks above
     * @throws IOException     if it cannot be read
     */
    public static SentencePieceModel load(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses the bytes of a model file; {@code source} names it in error messages.
     *
     * @throws Clip4jException "malformed SentencePiece model SOURCE: reason"
     */
    public static SentencePieceModel parse(byte[] data, String source) {
        try {
            return parseProto(data, source);
        } catch (ProtoReader.Malformed e) {
            throw malformed(source, e.getMessage());
        }
    }

    private static Clip4jException malformed(String source, String why) {
        return new Clip4jException("malformed SentencePiece model " + source + ": " + why);
    }

    private static SentencePieceModel parseProto(byte[] data, String source) throws ProtoReader.Malformed {
        if (data.length == 0) throw new ProtoReader.Malformed("the file is empty");
        String[] pieces = new String[Math.max(16, data.length / 16)];
        float[] scores = new float[pieces.length];
        PieceType[] types = new PieceType[pieces.length];
        int n = 0;
        // trainer spec defaults (sentencepiece_model.proto)
        ModelType modelType = ModelType.UNIGRAM;
        boolean byteFallback = false, suffix = false, splitDigits = false;
        int unkId = 0, bosId = 1, eosId = 2, padId = -1;
        String unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>";
        // normalizer spec defaults
        String normName = "";
        byte[] charsmap = new byte[0];
        boolean dummyPrefix = true, removeWs = true, escapeWs = true;
        boolean sawPieces = false;

        ProtoReader r = new ProtoReader(data);
        while (r.hasMore()) {
            r.nextTag();
            switch (r.field()) {
                case 1 -> { // SentencePiece
                    r.expectWire(ProtoReader.LEN);
                    ProtoReader p = r.readMessage();
                    String piece = null;
                    float score = 0f;
                    PieceType type = PieceType.NORMAL;
                    while (p.hasMore()) {
                        p.nextTag();
                        switch (p.field()) {
                            case 1 -> { p.expectWire(ProtoReader.LEN); piece = p.readString(); }
                            case 2 -> score = p.floatValue();
                            case 3 -> {
                                long t = p.varintValue();
                                type = PieceType.of((int) t);
                                if (type == null) throw new ProtoReader.Malformed("piece " + n + " has unknown type " + t);
                            }
                            default -> p.skip();
                        }
                    }
                    if (piece == null) throw new ProtoReader.Malformed("piece " + n + " has no piece string");
                    if (n == pieces.length) {
                        int cap = n * 2;
                        pieces = Arrays.copyOf(pieces, cap);
                        scores = Arrays.copyOf(scores, cap);
                        types = Arrays.copyOf(types, cap);
                    }
                    pieces[n] = piece;
                    scores[n] = score;
                    types[n] = type;
                    n++;
                    sawPieces = true;
                }
                case 2 -> { // TrainerSpec
                    r.expectWire(ProtoReader.LEN);
                    ProtoReader t = r.readMessage();
                    while (t.hasMore()) {
                        t.nextTag();
                        switch (t.field()) {
                            case 3 -> {
                                long v = t.varintValue();
                                modelType = ModelType.of((int) v);
                                if (modelType == null) throw new ProtoReader.Malformed("unknown model_type " + v);
                            }
                            case 24 -> suffix = t.boolValue();
                            case 25 -> splitDigits = t.boolValue();
                            case 35 -> byteFallback = t.boolValue();
                            case 40 -> unkId = t.int32Value();
                            case 41 -> bosId = t.int32Value();
                            case 42 -> eosId = t.int32Value();
                            case 43 -> padId = t.int32Value();
                            case 45 -> { t.expectWire(ProtoReader.LEN); unkPiece = t.readString(); }
                            case 46 -> { t.expectWire(ProtoReader.LEN); bosPiece = t.readString(); }
                            case 47 -> { t.expectWire(ProtoReader.LEN); eosPiece = t.readString(); }
                            case 48 -> { t.expectWire(ProtoReader.LEN); padPiece = t.readString(); }
                            default -> t.skip();
                        }
                    }
                }
                case 3 -> { // NormalizerSpec
                    r.expectWire(ProtoReader.LEN);
                    ProtoReader s = r.readMessage();
                    while (s.hasMore()) {
                        s.nextTag();
                        switch (s.field()) {
                            case 1 -> { s.expectWire(ProtoReader.LEN); normName = s.readString(); }
                            case 2 -> { s.expectWire(ProtoReader.LEN); charsmap = s.readBytes(); }
                            case 3 -> dummyPrefix = s.boolValue();
                            case 4 -> removeWs = s.boolValue();
                            case 5 -> escapeWs = s.boolValue();
                            default -> s.skip();
                        }
                    }
                }
                default -> r.skip(); // self_test_data, denormalizer_spec, extensions
            }
        }
        if (!sawPieces) throw new ProtoReader.Malformed("no pieces (not a SentencePiece ModelProto?)");
        NormalizerSpec spec = new NormalizerSpec(normName, charsmap, dummyPrefix, removeWs, escapeWs);
        if (charsmap.length > 0) {
            try {
                CharsMap.parse(charsmap);
            } catch (IllegalArgumentException e) {
                throw new ProtoReader.Malformed("precompiled_charsmap: " + e.getMessage());
            }
        }
        return new SentencePieceModel(source, Arrays.copyOf(pieces, n), Arrays.copyOf(scores, n), Arrays.copyOf(types, n),
                modelType, byteFallback, suffix, splitDigits, unkId, bosId, eosId, padId,
                unkPiece.isEmpty() ? "<unk>" : unkPiece, bosPiece.isEmpty() ? "<s>" : bosPiece,
                eosPiece.isEmpty() ? "</s>" : eosPiece, padPiece.isEmpty() ? "<pad>" : padPiece, spec);
    }

    // ---- byte pieces ----

    /** {@code <0xAB>} for byte 0xAB (upper-case hex, as sentencepiece's ByteToPiece writes it). */
    public static String bytePiece(int b) {
        return String.format("<0x%02X>", b & 0xFF);
    }

    /** The byte of a {@code <0xAB>} piece, or -1 (only the exact upper-case form counts). */
    static int pieceToByte(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        int hi = hexUpper(p.charAt(3)), lo = hexUpper(p.charAt(4));
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    private static int hexUpper(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // ---- accessors ----

    /** The file (or other source) the model came from. */
    public String source() { return source; }
    public int size() { return pieces.length; }
    public String piece(int id) { return pieces[id]; }
    public float score(int id) { return scores[id]; }
    public PieceType type(int id) { return types[id]; }
    public ModelType modelType() { return modelType; }
    public boolean byteFallback() { return byteFallback; }
    public boolean treatWhitespaceAsSuffix() { return treatWhitespaceAsSuffix; }
    /** Training option; encoding needs nothing for it (a digit-split vocabulary has no multi-digit pieces). */
    public boolean splitDigits() { return splitDigits; }
    public NormalizerSpec normalizerSpec() { return normalizerSpec; }
    /** The id of the UNKNOWN piece. */
    public int unkId() { return unkId; }
    /** trainer_spec ids as written in the file (-1 = none). */
    public int trainerUnkId() { return trainerUnkId; }
    public int trainerBosId() { return trainerBosId; }
    public int trainerEosId() { return trainerEosId; }
    public int trainerPadId() { return trainerPadId; }
    public String unkPiece() { return unkPiece; }
    public String bosPiece() { return bosPiece; }
    public String eosPiece() { return eosPiece; }
    public String padPiece() { return padPiece; }

    /** sentencepiece's {@code bos_id()}: the id of bos_piece if it is a CONTROL piece, else -1. */
    public int bosId() { return controlId(bosPiece); }
    /** sentencepiece's {@code eos_id()}. */
    public int eosId() { return controlId(eosPiece); }
    /** sentencepiece's {@code pad_id()}. */
    public int padId() { return controlId(padPiece); }

    private int controlId(String piece) {
        int id = pieceToId(piece);
        return types[id] == PieceType.CONTROL ? id : -1;
    }

    /**
     * sentencepiece's {@code PieceToId}: a CONTROL/UNKNOWN/BYTE piece first, then a NORMAL/USER_DEFINED/UNUSED
     * piece, else the unknown id.
     */
    public int pieceToId(String piece) {
        Integer id = reservedIds.get(piece);
        if (id == null) id = normalIds.get(piece);
        return id == null ? unkId : id;
    }

    /** The id of a NORMAL/USER_DEFINED/UNUSED piece, or -1 (the pieces the encoders may produce by matching text). */
    int normalId(String piece) {
        Integer id = normalIds.get(piece);
        return id == null ? -1 : id;
    }

    /** NORMAL/USER_DEFINED/UNUSED pieces → id (read-only). */
    Map<String, Integer> normalIds() { return Collections.unmodifiableMap(normalIds); }

    @Override
    public String toString() {
        return "SentencePieceModel[" + source + ", " + modelType + ", " + pieces.length + " pieces, normalizer "
                + (normalizerSpec.name().isEmpty() ? "?" : normalizerSpec.name()) + "]";
    }
}
