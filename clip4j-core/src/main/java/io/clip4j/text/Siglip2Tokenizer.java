package io.clip4j.text;

import io.clip4j.Clip4jException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * SigLIP 2 text tokenizer: the Gemma SentencePiece BPE model ({@code tokenizer.model}) with the rules of
 * transformers' {@code Siglip2Tokenizer} and the Siglip2Processor defaults. {@link #pieces}:
 * <ol>
 *   <li>the added tokens ({@code <pad> <eos> <bos> <unk> <mask>}, matched exactly, leftmost-longest) are
 *       cut out first and map to their ids;</li>
 *   <li>each other segment is lower-cased one character at a time (Lowercase normalizer = Python
 *       {@code str.lower} per code point: Σ → σ always, İ → "i̇"); off with {@code do_lower_case: false};</li>
 *   <li>SentencePiece BPE with the model's identity normaliser: no dummy prefix, spaces → "▁" (not collapsed,
 *       tabs and newlines stay), merges by piece score, characters without a piece → UTF-8 byte pieces
 *       {@code <0xAB>}.</li>
 * </ol>
 * A row ({@link #tokenize}) is: no {@code <bos>} (add_bos_token false), the ids cut to contextLength-1,
 * {@code <eos>} appended, right-padded with {@code <pad>} = 0.
 * Thread-safe (immutable).
 */
public final class Siglip2Tokenizer implements Tokenizer {
    public static final String MODEL_FILE = "tokenizer.model";
    /** Siglip2Processor's max_length default. */
    public static final int DEFAULT_CONTEXT_LENGTH = 64;

    /** Encodes one segment that holds no added token. */
    interface Backend {
        List<SentencePieceProcessor.Piece> encodeSegment(String text, boolean atStart);
        int tokenToId(String token);
    }

    private final Backend backend;
    private final AddedTokens added;
    private final boolean lowercase;
    private final int bosId, eosId, padId;   // bosId -1: no start token
    private final boolean appendEos;
    private final int contextLength;

    private Siglip2Tokenizer(Backend backend, AddedTokens added, boolean lowercase, int bosId, int eosId, boolean appendEos,
                             int padId, int contextLength) {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        this.backend = backend;
        this.added = added;
        this.lowercase = lowercase;
        this.bosId = bosId;
        this.eosId = eosId;
        this.appendEos = appendEos;
        this.padId = padId;
        this.contextLength = contextLength;
    }

    /** Lower-casing on, no BOS, EOS appended, the model's CONTROL/UNKNOWN/USER_DEFINED pieces as added tokens. */
    public Siglip2Tokenizer(SentencePieceModel model, int contextLength) {
        this(model, contextLength, true);
    }

    /** As {@link #Siglip2Tokenizer(SentencePieceModel, int)}; {@code lowercase=false} gives what HF 4.x's GemmaTokenizerFast produces. */
    public Siglip2Tokenizer(SentencePieceModel model, int contextLength, boolean lowercase) {
        this(model, HfTokenizerConfig.empty(), contextLength, lowercase);
    }

    private Siglip2Tokenizer(SentencePieceModel model, HfTokenizerConfig cfg, int contextLength, boolean lowercase) {
        this(modelBackend(model), modelAddedTokens(model, cfg), lowercase, cfg, model, contextLength);
    }

    private Siglip2Tokenizer(Backend backend, AddedTokens added, boolean lowercase, HfTokenizerConfig cfg,
                             SentencePieceModel model, int contextLength) {
        this(backend, added, lowercase,
                Boolean.TRUE.equals(cfg.addBosToken) ? special(added, backend, cfg.bosToken, model == null ? "<bos>" : model.bosPiece()) : -1,
                special(added, backend, cfg.eosToken, model == null ? "<eos>" : model.eosPiece()),
                // SigLIP 2 checkpoints set add_eos_token true; honour an explicit false
                !Boolean.FALSE.equals(cfg.addEosToken),
                special(added, backend, cfg.padToken, model == null ? "<pad>" : model.padPiece()),
                contextLength);
    }

    /**
     * Loads {@code tokenizer.model} from a model directory, with {@code tokenizer_config.json}
     * (do_lower_case, add_bos_token, special tokens, model_max_length) and {@code config.json} when present.
     *
     * @throws FileNotFoundException "tokenizer file missing: DIR/tokenizer.model"
     */
    public static Siglip2Tokenizer load(Path modelDir) throws IOException {
        return load(modelDir, modelDir.resolve(MODEL_FILE));
    }

    /** SigLIP 2 rules on another SentencePiece file of a model directory. */
    static Siglip2Tokenizer load(Path modelDir, Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new FileNotFoundException("tokenizer file missing: " + file);
        HfTokenizerConfig cfg = HfTokenizerConfig.read(modelDir);
        return new Siglip2Tokenizer(SentencePieceModel.load(file), cfg, cfg.contextLength(DEFAULT_CONTEXT_LENGTH),
                cfg.doLowerCase == null || cfg.doLowerCase);
    }

    /** The SigLIP 2 rules on a tokenizer.json (Gemma: BPE with byte fallback, Replace " " → "▁"). */
    static Siglip2Tokenizer fromTokenizerJson(HfTokenizerJson json, HfTokenizerConfig cfg) {
        List<AddedTokens.Token> list = new ArrayList<>(json.addedTokens().all());
        if (cfg.addedTokensDecoder != null) list.addAll(cfg.addedTokensDecoder);
        AddedTokens added = new AddedTokens(list);
        Backend backend = new Backend() {
            @Override
            public List<SentencePieceProcessor.Piece> encodeSegment(String text, boolean atStart) {
                List<SentencePieceProcessor.Piece> out = new ArrayList<>();
                for (HfTokenizerJson.Token t : json.encodeSegment(text, atStart)) out.add(new SentencePieceProcessor.Piece(t.value(), t.id()));
                return out;
            }
            @Override
            public int tokenToId(String token) { return json.tokenToId(token); }
        };
        return new Siglip2Tokenizer(backend, added, cfg.doLowerCase == null || cfg.doLowerCase, cfg, null,
                cfg.contextLength(DEFAULT_CONTEXT_LENGTH));
    }

    /** The same tokenizer with another default row length. */
    public Siglip2Tokenizer withContextLength(int contextLength) {
        return new Siglip2Tokenizer(backend, added, lowercase, bosId, eosId, appendEos, padId, contextLength);
    }

    /** The same tokenizer with lower-casing switched on or off. */
    public Siglip2Tokenizer withLowercase(boolean lowercase) {
        return new Siglip2Tokenizer(backend, added, lowercase, bosId, eosId, appendEos, padId, contextLength);
    }

    private static Backend modelBackend(SentencePieceModel model) {
        SentencePieceProcessor sp = new SentencePieceProcessor(model);
        return new Backend() {
            @Override
            public List<SentencePieceProcessor.Piece> encodeSegment(String text, boolean atStart) { return sp.encode(text); }
            @Override
            public int tokenToId(String token) {
                int id = sp.pieceToId(token);
                return id == model.unkId() && !token.equals(model.piece(id)) ? -1 : id;
            }
        };
    }

    /**
     * tokenizer_config's added_tokens_decoder when present, else what HF's converter makes of the model:
     * its CONTROL, UNKNOWN and USER_DEFINED pieces, matched exactly, no stripping.
     */
    private static AddedTokens modelAddedTokens(SentencePieceModel model, HfTokenizerConfig cfg) {
        List<AddedTokens.Token> list = new ArrayList<>();
        if (cfg.addedTokensDecoder != null) {
            list.addAll(cfg.addedTokensDecoder);
        } else {
            for (int i = 0; i < model.size(); i++) {
                SentencePieceModel.PieceType t = model.type(i);
                if (t == SentencePieceModel.PieceType.CONTROL || t == SentencePieceModel.PieceType.UNKNOWN
                        || t == SentencePieceModel.PieceType.USER_DEFINED) {
                    list.add(new AddedTokens.Token(model.piece(i), i, false, false, t != SentencePieceModel.PieceType.USER_DEFINED, false));
                }
            }
        }
        return new AddedTokens(list);
    }

    private static int special(AddedTokens added, Backend backend, String configured, String dflt) {
        String token = configured != null ? configured : dflt;
        AddedTokens.Token t = added.get(token);
        int id = t != null ? t.id() : backend.tokenToId(token);
        if (id < 0) throw new Clip4jException("the SigLIP 2 tokenizer has no id for its special token " + token);
        return id;
    }

    // ---- the pipeline ----

    /** Step 2 alone: the text lower-cased per character (unchanged when lower-casing is off). */
    public String lowercaseText(String text) {
        return lowercase ? SiglipText.lowerPerChar(text) : text;
    }

    /** The pieces of a text with their ids (no special tokens added). */
    public List<SentencePieceProcessor.Piece> pieces(String text) {
        List<SentencePieceProcessor.Piece> out = new ArrayList<>();
        for (AddedTokens.Segment seg : added.split(text, false)) {
            if (seg.isToken()) out.add(new SentencePieceProcessor.Piece(seg.text(), seg.token().id()));
            else out.addAll(backend.encodeSegment(lowercaseText(seg.text()), seg.offset() == 0));
        }
        return out;
    }

    /** The piece strings of {@link #pieces}. */
    public List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (SentencePieceProcessor.Piece p : pieces(text)) out.add(p.piece());
        return out;
    }

    /** The ids of a text, without {@code <eos>}, not truncated. */
    @Override
    public int[] encode(String text) {
        return pieces(text).stream().mapToInt(SentencePieceProcessor.Piece::id).toArray();
    }

    /** {@code tokenizer(text).input_ids}: ({@code <bos>} if configured,) the ids, {@code <eos>}. */
    public int[] encodeWithEos(String text) {
        int[] ids = encode(text);
        int off = bosId >= 0 ? 1 : 0;
        int[] out = new int[ids.length + off + (appendEos ? 1 : 0)];
        if (bosId >= 0) out[0] = bosId;
        System.arraycopy(ids, 0, out, off, ids.length);
        if (appendEos) out[out.length - 1] = eosId;
        return out;
    }

    /**
     * The processor's {@code padding="max_length", truncation=True}: the ids cut to leave room for
     * {@code <eos>}, {@code <eos>} appended, padded with {@link #padId()}. A text that does not fit is an
     * IllegalArgumentException when truncate is false.
     */
    @Override
    public int[][] tokenize(List<String> texts, int contextLength, boolean truncate) {
        return SiglipRows.ids(texts, t -> row(t, contextLength, truncate));
    }

    /** The attention mask of {@link #tokenize(List, int, boolean)}: 1 over the tokens, 0 over the padding. */
    public int[][] attentionMask(List<String> texts, int contextLength, boolean truncate) {
        return SiglipRows.masks(texts, t -> row(t, contextLength, truncate));
    }

    private SiglipRows.Row row(String text, int contextLength, boolean truncate) {
        return SiglipRows.build(encode(text), contextLength, truncate, bosId, appendEos ? eosId : -1, false, padId, text);
    }

    @Override public int contextLength() { return contextLength; }
    /** {@code <pad>} (0). */
    @Override public int padId() { return padId; }
    /** {@code <eos>} (1). SigLIP pools the text at the last position of the row, whatever it holds. */
    @Override public int eotId() { return eosId; }
    /** {@code <bos>} when rows start with it, else -1. */
    public int bosId() { return bosId; }
    public boolean lowercase() { return lowercase; }

    @Override
    public String toString() {
        return "Siglip2Tokenizer[lowercase=" + lowercase + ", eos=" + eosId + ", pad=" + padId
                + (bosId >= 0 ? ", bos=" + bosId : "") + (appendEos ? "" : ", no eos appended") + ", contextLength=" + contextLength + "]";
    }
}
