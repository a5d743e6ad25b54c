package io.clip4j.text;

import io.clip4j.Clip4jException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * SigLIP (v1) text tokenizer, bit-exact with Hugging Face's slow {@code SiglipTokenizer} on the model's
 * {@code spiece.model} (a SentencePiece unigram model with the nmt_nfkc normaliser). {@link #tokens}:
 * <ol>
 *   <li>every "▁" in the text becomes a space, and one "▁" is put in front;</li>
 *   <li>lower case, one character at a time (Python {@code str.lower} per code point), leaving the literal
 *       special tokens ({@code </s>}, {@code <unk>}) as they are;</li>
 *   <li>the special tokens are cut out (leftmost-longest); they strip the whitespace on both sides
 *       (lstrip/rstrip);</li>
 *   <li>each text chunk is canonicalised: ASCII punctuation removed, runs of whitespace → one space, stripped;</li>
 *   <li>the chunk is encoded by SentencePiece with add_dummy_prefix off, as {@code "<unk>" + chunk} whose
 *       first pieces (as many as {@code "<unk>"} alone gives) are dropped — HF's way to keep a leading "▁";</li>
 *   <li>a lone leading "▁" piece right before a special token is dropped.</li>
 * </ol>
 * Pieces map to ids via the added tokens, then SentencePiece's piece_to_id. A row ({@link #tokenize}) is the
 * ids cut to {@code contextLength - 1}, then {@code </s>} unless the ids already end with it, right-padded
 * with the pad id ({@code </s>} = 1 for SigLIP).
 *
 * <p>The same rules can run on a tokenizer.json ({@link Tokenizers#load} does that for a directory that
 * ships only that file); step 5 then is the file's normalizer, pre-tokenizer and Unigram model.
 * Thread-safe (immutable).
 */
public final class SiglipTokenizer implements Tokenizer {
    public static final String MODEL_FILE = "spiece.model";
    /** SiglipTokenizer's model_max_length default and the length of the real checkpoints' text tower. */
    public static final int DEFAULT_CONTEXT_LENGTH = 64;

    /** Where the pieces of one canonical text chunk come from. */
    interface Backend {
        List<SentencePieceProcessor.Piece> encodeChunk(String chunk, boolean atStart);
        int tokenToId(String token);
    }

    private final Backend backend;
    private final AddedTokens added;
    private final List<String> specialTokens;    // all_special_tokens, in HF's order
    private final Set<String> lowerExempt;       // strings the lower-casing leaves alone
    private final boolean lowercase;
    private final int eosId, padId, unkId;
    private final int contextLength;

    private SiglipTokenizer(Backend backend, AddedTokens added, List<String> specialTokens, boolean lowercase,
                            int eosId, int padId, int unkId, int contextLength) {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        this.backend = backend;
        this.added = added;
        this.specialTokens = List.copyOf(specialTokens);
        this.lowerExempt = new LinkedHashSet<>(specialTokens);
        for (AddedTokens.Token t : added.all()) if (!t.special() && t.normalized()) lowerExempt.add(t.content());
        this.lowercase = lowercase;
        this.eosId = eosId;
        this.padId = padId;
        this.unkId = unkId;
        this.contextLength = contextLength;
    }

    /**
     * HF's defaults: eos {@code </s>}, unk {@code <unk>}, pad {@code </s>} (all lstrip/rstrip), lower-casing on.
     */
    public SiglipTokenizer(SentencePieceModel model, int contextLength) {
        this(model, HfTokenizerConfig.empty(), contextLength);
    }

    private SiglipTokenizer(SentencePieceModel model, HfTokenizerConfig cfg, int contextLength) {
        this(new ModelBackend(model, nonNull(cfg.unkToken, "<unk>"), addedTokens(cfg, model::pieceToId)),
                addedTokens(cfg, model::pieceToId), cfg, contextLength);
    }

    private SiglipTokenizer(Backend backend, AddedTokens added, HfTokenizerConfig cfg, int contextLength) {
        this(backend, added, specialTokens(cfg), cfg.doLowerCase == null || cfg.doLowerCase,
                idOf(added, backend, nonNull(cfg.eosToken, "</s>")),
                idOf(added, backend, nonNull(cfg.padToken, "</s>")),
                idOf(added, backend, nonNull(cfg.unkToken, "<unk>")), contextLength);
    }

    /**
     * Loads {@code spiece.model} from a model directory, with {@code tokenizer_config.json} (special tokens,
     * do_lower_case, model_max_length) and {@code config.json} (text max_position_embeddings) when present.
     * The default row length is model_max_length (64 if absent), capped by max_position_embeddings.
     *
     * @throws FileNotFoundException "tokenizer file missing: DIR/spiece.model"
     * @throws Clip4jException       for a malformed model file
     */
    public static SiglipTokenizer load(Path modelDir) throws IOException {
        return load(modelDir, modelDir.resolve(MODEL_FILE));
    }

    /** SigLIP rules on another SentencePiece file of a model directory. */
    static SiglipTokenizer load(Path modelDir, Path model) throws IOException {
        if (!Files.isRegularFile(model)) throw new FileNotFoundException("tokenizer file missing: " + model);
        HfTokenizerConfig cfg = HfTokenizerConfig.read(modelDir);
        return new SiglipTokenizer(SentencePieceModel.load(model), cfg, cfg.contextLength(DEFAULT_CONTEXT_LENGTH));
    }

    /** The SigLIP rules on a tokenizer.json (Unigram, typically with a Precompiled normalizer and Metaspace). */
    static SiglipTokenizer fromTokenizerJson(HfTokenizerJson json, HfTokenizerConfig cfg) {
        List<AddedTokens.Token> list = new ArrayList<>(json.addedTokens().all());
        // tokenizer_config's flags (SiglipTokenizer: lstrip/rstrip) win over the JSON's
        if (cfg.addedTokensDecoder != null) list.addAll(0, cfg.addedTokensDecoder);
        else list.addAll(0, defaultSpecials(cfg, json::tokenToId));
        AddedTokens added = new AddedTokens(list);
        Backend backend = new Backend() {
            @Override
            public List<SentencePieceProcessor.Piece> encodeChunk(String chunk, boolean atStart) {
                List<SentencePieceProcessor.Piece> out = new ArrayList<>();
                for (HfTokenizerJson.Token t : json.encodeSegment(chunk, atStart)) out.add(new SentencePieceProcessor.Piece(t.value(), t.id()));
                return out;
            }
            @Override
            public int tokenToId(String token) { return json.tokenToId(token); }
        };
        return new SiglipTokenizer(backend, added, cfg, cfg.contextLength(DEFAULT_CONTEXT_LENGTH));
    }

    /** The same tokenizer with another default row length. */
    public SiglipTokenizer withContextLength(int contextLength) {
        return new SiglipTokenizer(backend, added, specialTokens, lowercase, eosId, padId, unkId, contextLength);
    }

    // ---- construction helpers ----

    private static String nonNull(String s, String dflt) { return s != null ? s : dflt; }

    private interface IdLookup { int id(String token); }

    /** The added tokens: tokenizer_config's added_tokens_decoder, or SiglipTokenizer's eos/unk/pad defaults. */
    private static AddedTokens addedTokens(HfTokenizerConfig cfg, IdLookup ids) {
        List<AddedTokens.Token> list = new ArrayList<>();
        if (cfg.addedTokensDecoder != null) list.addAll(cfg.addedTokensDecoder);
        list.addAll(defaultSpecials(cfg, ids));
        return new AddedTokens(list);
    }

    private static List<AddedTokens.Token> defaultSpecials(HfTokenizerConfig cfg, IdLookup ids) {
        List<AddedTokens.Token> list = new ArrayList<>();
        for (String s : specialTokens(cfg)) {
            int id = ids.id(s);
            if (id >= 0) list.add(new AddedTokens.Token(s, id, true, true, true, false));
        }
        return list;
    }

    /** HF's all_special_tokens order: eos, unk, pad (SiglipTokenizer has no bos), then the additional ones. */
    private static List<String> specialTokens(HfTokenizerConfig cfg) {
        LinkedHashSet<String> s = new LinkedHashSet<>();
        s.add(nonNull(cfg.eosToken, "</s>"));
        s.add(nonNull(cfg.unkToken, "<unk>"));
        s.add(nonNull(cfg.padToken, "</s>"));
        s.addAll(cfg.additionalSpecialTokens);
        return new ArrayList<>(s);
    }

    private static int idOf(AddedTokens added, Backend backend, String token) {
        AddedTokens.Token t = added.get(token);
        int id = t != null ? t.id() : backend.tokenToId(token);
        if (id < 0) throw new Clip4jException("the SigLIP tokenizer has no id for its special token " + token);
        return id;
    }

    /** HF slow SiglipTokenizer over the SentencePiece model (add_dummy_prefix off, the "<unk>" prefix trick). */
    private static final class ModelBackend implements Backend {
        private final SentencePieceProcessor sp;
        private final String unkToken;
        private final int unkTokenLength;
        private final AddedTokens added;

        ModelBackend(SentencePieceModel model, String unkToken, AddedTokens added) {
            // get_spm_processor: the model's normalizer_spec with add_dummy_prefix = False
            this.sp = new SentencePieceProcessor(model, model.normalizerSpec().withAddDummyPrefix(false));
            this.unkToken = unkToken;
            this.unkTokenLength = sp.encode(unkToken).size();
            this.added = added;
        }

        @Override
        public List<SentencePieceProcessor.Piece> encodeChunk(String chunk, boolean atStart) {
            // _tokenize: encode unk_token + text, then drop the unk_token's pieces
            List<SentencePieceProcessor.Piece> ps = sp.encode(unkToken + chunk);
            if (ps.size() >= unkTokenLength) ps = ps.subList(unkTokenLength, ps.size());
            List<SentencePieceProcessor.Piece> out = new ArrayList<>(ps.size());
            // _convert_token_to_id: ids come from the piece strings
            for (SentencePieceProcessor.Piece p : ps) out.add(new SentencePieceProcessor.Piece(p.piece(), tokenToId(p.piece())));
            return out;
        }

        @Override
        public int tokenToId(String token) {
            AddedTokens.Token t = added.get(token);
            return t != null ? t.id() : sp.pieceToId(token);
        }
    }

    // ---- the pipeline ----

    /** Step 2: lower case per character, except where a special token is written (Python regex alternation order). */
    String lowercaseText(String text) {
        if (!lowercase) return text;
        StringBuilder sb = new StringBuilder(text.length() + 8);
        int plainFrom = 0;
        for (int i = 0; i < text.length(); ) {
            String hit = null;
            for (String s : lowerExempt) if (text.startsWith(s, i)) { hit = s; break; }
            if (hit == null) { i += Character.charCount(text.codePointAt(i)); continue; }
            sb.append(SiglipText.lowerPerChar(text.substring(plainFrom, i))).append(hit);
            i += hit.length();
            plainFrom = i;
        }
        sb.append(SiglipText.lowerPerChar(text.substring(plainFrom)));
        return sb.toString();
    }

    /** HF {@code tokenizer.tokenize(text)} with ids: the pieces (special tokens included). */
    public List<SentencePieceProcessor.Piece> pieces(String text) {
        String s = SiglipText.SPIECE_UNDERLINE + text.replace(SiglipText.SPIECE_UNDERLINE, " ");
        s = lowercaseText(s);
        List<SentencePieceProcessor.Piece> out = new ArrayList<>();
        for (AddedTokens.Segment seg : added.split(s, true)) {
            if (seg.isToken()) out.add(new SentencePieceProcessor.Piece(seg.text(), seg.token().id()));
            else out.addAll(backend.encodeChunk(SiglipText.canonicalize(seg.text()), seg.offset() == 0));
        }
        if (out.size() > 1 && out.get(0).piece().equals(SiglipText.SPIECE_UNDERLINE) && specialTokens.contains(out.get(1).piece())) {
            out.remove(0);
        }
        return out;
    }

    /** HF {@code tokenizer.tokenize(text)}: the piece strings. */
    public List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (SentencePieceProcessor.Piece p : pieces(text)) out.add(p.piece());
        return out;
    }

    /** The ids of {@link #tokens}: no end token, not truncated. */
    @Override
    public int[] encode(String text) {
        return pieces(text).stream().mapToInt(SentencePieceProcessor.Piece::id).toArray();
    }

    /** HF {@code tokenizer(text).input_ids}: {@link #encode} plus {@code </s>} unless it already ends with it. */
    public int[] encodeWithEos(String text) {
        int[] ids = encode(text);
        if (ids.length > 0 && ids[ids.length - 1] == eosId) return ids;
        int[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eosId;
        return out;
    }

    /**
     * HF {@code tokenizer(texts, padding="max_length", truncation=truncate, max_length=contextLength)}:
     * the ids cut to contextLength-1, {@code </s>} unless already last, padded with {@link #padId()}.
     * A text that does not fit is an IllegalArgumentException when truncate is false.
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
        return SiglipRows.build(encode(text), contextLength, truncate, -1, eosId, true, padId, text);
    }

    @Override public int contextLength() { return contextLength; }
    /** The pad id: {@code </s>} (1) for SigLIP, the same as the end token. */
    @Override public int padId() { return padId; }
    /** {@code </s>}. SigLIP pools the text at the last position of the row, whatever it holds. */
    @Override public int eotId() { return eosId; }
    public int unkId() { return unkId; }
    public boolean lowercase() { return lowercase; }
}
