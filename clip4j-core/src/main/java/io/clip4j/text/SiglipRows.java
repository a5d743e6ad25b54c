package io.clip4j.text;

import java.util.Arrays;

/**
 * Fixed-length rows as Hugging Face builds them with {@code padding="max_length", truncation=True}:
 * the ids are cut so that they and the special tokens fit, the special tokens are added, the row is
 * right-padded, and the attention mask is 1 over the tokens and 0 over the padding.
 */
final class SiglipRows {
    private SiglipRows() {}

    /** {row, mask}. */
    record Row(int[] ids, int[] mask) {}

    /** The id rows of a batch, one {@link Row} per text. */
    static int[][] ids(java.util.List<String> texts, java.util.function.Function<String, Row> row) {
        int[][] out = new int[texts.size()][];
        for (int t = 0; t < out.length; t++) out[t] = row.apply(texts.get(t)).ids();
        return out;
    }

    /** The attention-mask rows of a batch: 1 over the tokens, 0 over the padding. */
    static int[][] masks(java.util.List<String> texts, java.util.function.Function<String, Row> row) {
        int[][] out = new int[texts.size()][];
        for (int t = 0; t < out.length; t++) out[t] = row.apply(texts.get(t)).mask();
        return out;
    }

    /**
     * @param ids            the text's ids, without special tokens
     * @param bosId          a start token to put first, or -1
     * @param eosId          the end token appended last, or -1 for none
     * @param eosIfMissing   SiglipTokenizer's rule: do not append the end token when the (cut) ids already end with it
     */
    static Row build(int[] ids, int contextLength, boolean truncate, int bosId, int eosId, boolean eosIfMissing,
                     int padId, String text) {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        int specials = (bosId >= 0 ? 1 : 0) + (eosId >= 0 ? 1 : 0);
        if (ids.length + specials > contextLength) {
            if (!truncate) {
                throw new IllegalArgumentException("Input " + text + " is too long for context length " + contextLength
                        + " (" + (ids.length + specials) + " tokens)");
            }
            ids = Arrays.copyOf(ids, contextLength - specials);
        }
        int[] row = new int[contextLength];
        int[] mask = new int[contextLength];
        int n = 0;
        if (bosId >= 0) row[n++] = bosId;
        System.arraycopy(ids, 0, row, n, ids.length);
        n += ids.length;
        if (eosId >= 0 && !(eosIfMissing && ids.length > 0 && ids[ids.length - 1] == eosId)) row[n++] = eosId;
        Arrays.fill(mask, 0, n, 1);
        Arrays.fill(row, n, contextLength, padId);
        return new Row(row, mask);
    }
}
