package io.clip4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.text.ClipBpeTokenizer;
import io.clip4j.text.SentencePieceModel;
import io.clip4j.text.Siglip2Tokenizer;
import io.clip4j.text.SiglipTokenizer;
import io.clip4j.text.Tokenizer;
import io.clip4j.text.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named architectures for {@code clip4j init}: the published ViT shapes and small ones for training and tests, for
 * CLIP, SigLIP (fixed resolution) and SigLIP 2 NaFlex.
 */
public final class Architectures {
    private Architectures() {}

    private static ModelConfig clip(int embed, int imageSize, int patch, int vWidth, int vLayers, int tWidth, int tLayers, int tHeads, Activation act) {
        TowerConfig v = new TowerConfig(vWidth, 4 * vWidth, vLayers, vWidth / 64, 1e-5f, act);
        TowerConfig t = new TowerConfig(tWidth, 4 * tWidth, tLayers, tHeads, 1e-5f, act);
        return new ModelConfig(Family.CLIP, embed, new VisionConfig(v, imageSize, patch, 3),
                new TextConfig(t, 49408, 77, 49406, 49407, 1), 2.6592f);
    }

    /**
     * A SigLIP model (tanh GELU, LayerNorm ε 1e-6, the MAP head's width D as embedding width, the text head projecting to
     * it). family SIGLIP: imageSize² pixels; SIGLIP2 (NaFlex): the position grid is imageSize/patch on a side. The
     * vocabulary (32000, Hugging Face's default) and special ids are placeholders that {@link #forTokenizer} replaces.
     */
    private static ModelConfig siglip(Family family, int imageSize, int patch, int vWidth, int vMlp, int vLayers, int vHeads,
                                      int tWidth, int tMlp, int tLayers, int tHeads, int context) {
        TowerConfig v = new TowerConfig(vWidth, vMlp, vLayers, vHeads, 1e-6f, Activation.GELU_TANH);
        TowerConfig t = new TowerConfig(tWidth, tMlp, tLayers, tHeads, 1e-6f, Activation.GELU_TANH);
        return new ModelConfig(family, vWidth, new VisionConfig(v, imageSize, patch, 3),
                new TextConfig(t, 32000, context, 2, 1, 0), (float) Math.log(10));
    }

    /** name → config; CLIP vision heads are width/64 as in OpenAI's ViTs. */
    public static final Map<String, ModelConfig> ALL = new LinkedHashMap<>();
    static {
        ALL.put("vit-b-32", clip(512, 224, 32, 768, 12, 512, 12, 8, Activation.QUICK_GELU));
        ALL.put("vit-b-16", clip(512, 224, 16, 768, 12, 512, 12, 8, Activation.QUICK_GELU));
        ALL.put("vit-l-14", clip(768, 224, 14, 1024, 24, 768, 12, 12, Activation.QUICK_GELU));
        // the small CLIP of the emoji training recipe: 64 px images, 8 px patches, 192 × 4 vision, 128 × 4 × 4 heads text
        ALL.put("tiny", new ModelConfig(Family.CLIP, 64,
                new VisionConfig(new TowerConfig(192, 768, 4, 3, 1e-5f, Activation.QUICK_GELU), 64, 8, 3),
                new TextConfig(new TowerConfig(128, 512, 4, 4, 1e-5f, Activation.QUICK_GELU), 49408, 77, 49406, 49407, 1), 2.6592f));
        // SigLIP ViT-B/16 at 224 px (google/siglip-base-patch16-224's shapes): 768 × 12 × 12 heads both towers, 64 tokens
        ALL.put("siglip-b-16", siglip(Family.SIGLIP, 224, 16, 768, 3072, 12, 12, 768, 3072, 12, 12, 64));
        // SigLIP 2 NaFlex ViT-B/16 (google/siglip2-base-patch16-naflex's shapes): 16 × 16 position grid, 256 patches
        ALL.put("siglip2-b-16", siglip(Family.SIGLIP2, 256, 16, 768, 3072, 12, 12, 768, 3072, 12, 12, 64));
        // small SigLIPs for training from scratch, shaped like "tiny": 192 × 4 × 3 heads vision on an 8 × 8 grid of
        // 8 px patches (64 px images; NaFlex: up to 64 patches), 128 × 4 × 4 heads text over 32 tokens, E = 192
        ALL.put("siglip-tiny", siglip(Family.SIGLIP, 64, 8, 192, 768, 4, 3, 128, 512, 4, 4, 32));
        ALL.put("siglip2-tiny", siglip(Family.SIGLIP2, 64, 8, 192, 768, 4, 3, 128, 512, 4, 4, 32));
    }

    public static ModelConfig byName(String name) {
        ModelConfig c = ALL.get(name.toLowerCase(java.util.Locale.ROOT));
        if (c == null) throw new Clip4jException("unknown architecture \"" + name + "\" (known: " + String.join(", ", ALL.keySet()) + ")");
        return c;
    }

    /** The same architecture with another vocabulary size (a tokenizer learned for the data). */
    public static ModelConfig withVocab(ModelConfig c, int vocabSize, int bos, int eos, int pad) {
        TextConfig t = c.text();
        return new ModelConfig(c.family(), c.projectionDim(), c.vision(),
                new TextConfig(t.tower(), vocabSize, t.maxPositions(), bos, eos, pad), c.logitScaleInit());
    }

    /** The initial logit bias of a fresh model: 0 for CLIP (none), −10 for SigLIP (the paper's initialisation, with t = 10). */
    public static float logitBiasInit(ModelConfig c) {
        return c.family() == Family.CLIP ? 0f : -10f;
    }

    /**
     * The architecture with the vocabulary and special ids of the tokenizer in dir: a CLIP architecture needs CLIP's
     * BPE (vocab.json + merges.txt; its vocabulary size, start and end ids); a SigLIP one takes the SentencePiece model
     * there (spiece.model or tokenizer.model: its piece count, end and pad ids, SigLIP 2's begin id) or, for a
     * tokenizer.json alone, the text vocab_size of a config.json next to it.
     */
    public static ModelConfig forTokenizer(ModelConfig c, Path dir) throws IOException {
        if (c.family() == Family.CLIP) {
            for (String f : new String[]{ClipBpeTokenizer.VOCAB_FILE, ClipBpeTokenizer.MERGES_FILE}) {
                if (!Files.isRegularFile(dir.resolve(f))) throw new Clip4jException("tokenizer file missing: " + dir.resolve(f) + " (a CLIP architecture takes CLIP's BPE)");
            }
            ClipBpeTokenizer bpe = ClipBpeTokenizer.load(dir);
            return withVocab(c, bpe.vocabSize(), bpe.sotId(), bpe.eotId(), c.text().padId());
        }
        Tokenizer t = Tokenizers.load(dir);
        int vocab;
        if (t instanceof ClipBpeTokenizer bpe) vocab = bpe.vocabSize();
        else vocab = sentencePieceVocab(dir);
        int bos = t instanceof Siglip2Tokenizer s2 && s2.bosId() >= 0 ? s2.bosId() : c.text().bosId();
        return withVocab(c, vocab, bos, t.eotId(), t.padId());
    }

    private static int sentencePieceVocab(Path dir) throws IOException {
        for (String f : new String[]{SiglipTokenizer.MODEL_FILE, Siglip2Tokenizer.MODEL_FILE}) {
            if (Files.isRegularFile(dir.resolve(f))) return SentencePieceModel.load(dir.resolve(f)).size();
        }
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
            JsonNode v = new ObjectMapper().readTree(config.toFile()).path("text_config").path("vocab_size");
            if (v.canConvertToInt() && v.asInt() > 0) return v.asInt();
        }
        throw new Clip4jException("cannot tell the vocabulary size of the tokenizer in " + dir + ": expected " + SiglipTokenizer.MODEL_FILE
                + " or " + Siglip2Tokenizer.MODEL_FILE + " (or a config.json with text_config.vocab_size)");
    }
}
