package io.clip4j.text;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Picks and loads the tokenizer of a Hugging Face model directory from the files it holds:
 * <ol>
 *   <li>{@code vocab.json} + {@code merges.txt} → {@link ClipBpeTokenizer} (CLIP);</li>
 *   <li>{@code spiece.model} → {@link SiglipTokenizer} (SigLIP v1, SentencePiece unigram);</li>
 *   <li>{@code tokenizer.model} → {@link Siglip2Tokenizer} (SigLIP 2, Gemma SentencePiece BPE);</li>
 *   <li>only {@code tokenizer.json} → the same rules on that file: a byte-level BPE (CLIP) becomes a
 *       ClipBpeTokenizer from its vocab and merges; otherwise SigLIP v1 rules for a Unigram model and
 *       SigLIP 2 rules for a BPE model.</li>
 * </ol>
 * For the SentencePiece files and tokenizer.json, a {@code tokenizer_class} in tokenizer_config.json naming
 * Siglip (v1) or Siglip2 / Gemma (v2) decides the rules instead of the file.
 */
public final class Tokenizers {
    private Tokenizers() {}

    private enum Rules { SIGLIP, SIGLIP2 }

    /**
     * The tokenizer for a model directory.
     *
     * @throws FileNotFoundException naming the directory and the expected files when none is there
     * @throws io.clip4j.Clip4jException for a malformed or unsupported tokenizer file
     */
    public static Tokenizer load(Path modelDir) throws IOException {
        if (!Files.isDirectory(modelDir)) throw new FileNotFoundException("model directory not found: " + modelDir);
        if (Files.isRegularFile(modelDir.resolve(ClipBpeTokenizer.VOCAB_FILE)) && Files.isRegularFile(modelDir.resolve(ClipBpeTokenizer.MERGES_FILE))) {
            return ClipBpeTokenizer.load(modelDir);
        }
        HfTokenizerConfig cfg = null;
        if (Files.isRegularFile(modelDir.resolve(SiglipTokenizer.MODEL_FILE))) {
            cfg = HfTokenizerConfig.read(modelDir);
            if (rules(cfg, Rules.SIGLIP) == Rules.SIGLIP) return SiglipTokenizer.load(modelDir);
            return Siglip2Tokenizer.load(modelDir, modelDir.resolve(SiglipTokenizer.MODEL_FILE));
        }
        if (Files.isRegularFile(modelDir.resolve(Siglip2Tokenizer.MODEL_FILE))) {
            cfg = HfTokenizerConfig.read(modelDir);
            if (rules(cfg, Rules.SIGLIP2) == Rules.SIGLIP2) return Siglip2Tokenizer.load(modelDir);
            return SiglipTokenizer.load(modelDir, modelDir.resolve(Siglip2Tokenizer.MODEL_FILE));
        }
        Path json = modelDir.resolve(HfTokenizerJson.FILE);
        if (Files.isRegularFile(json)) {
            cfg = HfTokenizerConfig.read(modelDir);
            if (HfTokenizerJson.isByteLevel(json)) {
                return HfTokenizerJson.clipTokenizer(json, cfg.contextLength(ClipBpeTokenizer.DEFAULT_CONTEXT_LENGTH));
            }
            HfTokenizerJson tj = HfTokenizerJson.load(json);
            Rules dflt = tj.modelType().equals("Unigram") ? Rules.SIGLIP : Rules.SIGLIP2;
            return rules(cfg, dflt) == Rules.SIGLIP ? SiglipTokenizer.fromTokenizerJson(tj, cfg) : Siglip2Tokenizer.fromTokenizerJson(tj, cfg);
        }
        throw new FileNotFoundException("no tokenizer files in " + modelDir + ": expected " + ClipBpeTokenizer.VOCAB_FILE + " + "
                + ClipBpeTokenizer.MERGES_FILE + " (CLIP), " + SiglipTokenizer.MODEL_FILE + " (SigLIP), "
                + Siglip2Tokenizer.MODEL_FILE + " (SigLIP 2) or " + HfTokenizerJson.FILE);
    }

    /** tokenizer_class "Siglip2Tokenizer", "GemmaTokenizer(Fast)" → v2; "SiglipTokenizer(Fast)" → v1; else the default. */
    private static Rules rules(HfTokenizerConfig cfg, Rules dflt) {
        String c = cfg.tokenizerClass.toLowerCase(Locale.ROOT);
        if (c.contains("siglip2") || c.contains("gemma")) return Rules.SIGLIP2;
        if (c.startsWith("siglip")) return Rules.SIGLIP;
        return dflt;
    }
}
