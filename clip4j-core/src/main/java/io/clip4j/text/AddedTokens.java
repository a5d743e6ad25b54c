package io.clip4j.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face "added tokens" (special tokens such as {@code </s>}, {@code <eos>}): strings that are cut
 * out of the text before it is tokenized and map straight to their id.
 *
 * <p>{@link #split} finds them leftmost-longest (HF's Trie.split / tokenizers' Aho-Corasick
 * LeftmostLongest), then applies {@code lstrip} (the whitespace at the end of the text before the token
 * is removed) and {@code rstrip} (the whitespace at the start of the text after it is removed).
 */
final class AddedTokens {

    /** One added token, as in tokenizer_config.json's added_tokens_decoder or tokenizer.json's added_tokens. */
    record Token(String content, int id, boolean lstrip, boolean rstrip, boolean special, boolean normalized) {}

    /** A piece of the split text: either plain text ({@code token == null}) or an added token. */
    record Segment(String text, Token token, int offset) {
        boolean isToken() { return token != null; }
    }

    private final Map<String, Token> byContent = new LinkedHashMap<>();
    private final Map<Integer, List<Token>> byFirstChar = new HashMap<>();

    AddedTokens(Collection<Token> tokens) {
        for (Token t : tokens) {
            if (t.content().isEmpty() || byContent.containsKey(t.content())) continue;
            byContent.put(t.content(), t);
            byFirstChar.computeIfAbsent(t.content().codePointAt(0), k -> new ArrayList<>()).add(t);
        }
    }

    Token get(String content) { return byContent.get(content); }

    Collection<Token> all() { return byContent.values(); }

    boolean isEmpty() { return byContent.isEmpty(); }

    /**
     * Splits {@code text} on the added tokens. {@code pythonWhitespace}: strip with Python's
     * {@code str.isspace} (slow tokenizers) rather than Unicode White_Space (tokenizers).
     * Empty text segments are dropped.
     */
    List<Segment> split(String text, boolean pythonWhitespace) {
        List<Segment> raw = new ArrayList<>();
        int last = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            List<Token> cands = byFirstChar.get(cp);
            Token best = null;
            if (cands != null) {
                for (Token t : cands) {
                    if (text.startsWith(t.content(), i) && (best == null || t.content().length() > best.content().length())) best = t;
                }
            }
            if (best == null) { i += Character.charCount(cp); continue; }
            if (i > last) raw.add(new Segment(text.substring(last, i), null, last));
            raw.add(new Segment(best.content(), best, i));
            i += best.content().length();
            last = i;
        }
        if (last < text.length()) raw.add(new Segment(text.substring(last), null, last));

        // lstrip / rstrip eat the whitespace next to the token
        String[] texts = new String[raw.size()];
        int[] offsets = new int[raw.size()];
        for (int k = 0; k < raw.size(); k++) { texts[k] = raw.get(k).text(); offsets[k] = raw.get(k).offset(); }
        for (int k = 0; k < raw.size(); k++) {
            Token t = raw.get(k).token();
            if (t == null) continue;
            if (t.rstrip() && k + 1 < raw.size() && raw.get(k + 1).token() == null) {
                String before = texts[k + 1];
                texts[k + 1] = pythonWhitespace ? SiglipText.pyLstrip(before) : SiglipText.unicodeLstrip(before);
                offsets[k + 1] += before.length() - texts[k + 1].length();
            }
            if (t.lstrip() && k > 0 && raw.get(k - 1).token() == null) {
                texts[k - 1] = pythonWhitespace ? SiglipText.pyRstrip(texts[k - 1]) : SiglipText.unicodeRstrip(texts[k - 1]);
            }
        }
        List<Segment> out = new ArrayList<>(raw.size());
        for (int k = 0; k < raw.size(); k++) {
            if (raw.get(k).token() == null && texts[k].isEmpty()) continue;
            out.add(new Segment(texts[k], raw.get(k).token(), offsets[k]));
        }
        return out;
    }
}
