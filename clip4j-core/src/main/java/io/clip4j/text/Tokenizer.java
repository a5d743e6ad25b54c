package io.clip4j.text;

import java.util.List;

/**
 * A text tokenizer for a CLIP-family text tower: text → token ids, and batches of texts → fixed-length
 * rows ready for the model. Implemented by {@link ClipBpeTokenizer} (CLIP), {@link SiglipTokenizer} (SigLIP)
 * and {@link Siglip2Tokenizer} (SigLIP 2); {@link Tokenizers#load} picks the one a model directory needs.
 */
public interface Tokenizer {

    /** The token ids of one text, without start/end tokens, not truncated. */
    int[] encode(String text);

    /**
     * One row of {@code contextLength} ids per text, in the model's layout (for CLIP:
     * start token, ids, end token, then {@link #padId()}). A text that does not fit is cut to
     * {@code contextLength} with the end token kept last if {@code truncate}, or rejected with an
     * IllegalArgumentException otherwise.
     */
    int[][] tokenize(List<String> texts, int contextLength, boolean truncate);

    /** {@link #tokenize(List, int, boolean)} with the default context length, truncating. */
    default int[][] tokenize(List<String> texts) {
        return tokenize(texts, contextLength(), true);
    }

    /** One text as one row (default context length, truncating). */
    default int[] tokenize(String text) {
        return tokenize(List.of(text))[0];
    }

    /** The default row length (77 for CLIP). */
    int contextLength();

    /** The id that fills a row after the end token. */
    int padId();

    /** The end-of-text id (CLIP pools the text features at its first position; SigLIP pools the last row position). */
    int eotId();
}
