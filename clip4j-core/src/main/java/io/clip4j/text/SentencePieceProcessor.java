package io.clip4j.text;

import io.clip4j.Clip4jException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.PriorityQueue;

/**
 * sentencepiece's {@code SentencePieceProcessor::Encode} for a {@link SentencePieceModel}: normalise the
 * text ({@link SentencePieceNormalizer}), segment it with the model's algorithm, then turn the segments
 * into pieces as {@code PopulateSentencePieceText} does:
 * <ul>
 *   <li><b>UNIGRAM</b> — Viterbi over all NORMAL / USER_DEFINED pieces that match the normalised bytes
 *       (UNUSED pieces are skipped), score = piece score, a user-defined piece scores
 *       {@code length * max_score - 0.1}; a character no piece covers on its own gets an unknown node
 *       scoring {@code min_score - 10}; ties keep the earlier candidate (strict {@code >}).</li>
 *   <li><b>BPE</b> — start from characters (a user-defined symbol is one frozen symbol), repeatedly merge
 *       the adjacent pair whose concatenation is a piece with the highest score (ties: leftmost), then
 *       re-split merged UNUSED pieces into the pair they came from.</li>
 *   <li>A segment that is not a piece has the unknown id; with byte_fallback it becomes its UTF-8 bytes
 *       {@code <0xAB>}, otherwise a run of consecutive unknown segments becomes one unknown piece whose
 *       text is the run's text.</li>
 * </ul>
 * Thread-safe (immutable).
 */
public final class SentencePieceProcessor {

    /** One encoded piece: its text (for an unknown piece, the source text) and id. */
    public record Piece(String piece, int id) {}

    private static final float UNK_PENALTY = 10.0f;

    private final SentencePieceModel model;
    private final SentencePieceNormalizer normalizer;
    private final ByteTrie userDefined;   // null when the model has no USER_DEFINED pieces
    private final ByteTrie pieceTrie;     // unigram: NORMAL, USER_DEFINED and UNUSED pieces
    private final float minScore, maxScore;

    /** A processor with the model's own normaliser settings. */
    public SentencePieceProcessor(SentencePieceModel model) {
        this(model, model.normalizerSpec());
    }

    /**
     * A processor with other normaliser settings (e.g. {@code model.normalizerSpec().withAddDummyPrefix(false)},
     * which is what Hugging Face's SiglipTokenizer / T5Tokenizer do to the model they load).
     */
    public SentencePieceProcessor(SentencePieceModel model, SentencePieceModel.NormalizerSpec spec) {
        if (model.modelType() != SentencePieceModel.ModelType.UNIGRAM && model.modelType() != SentencePieceModel.ModelType.BPE) {
            throw new Clip4jException("unsupported SentencePiece model type " + model.modelType() + " in " + model.source()
                    + " (UNIGRAM and BPE are supported)");
        }
        this.model = model;
        List<byte[]> userKeys = new ArrayList<>();
        List<Integer> userIds = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        float min = Float.MAX_VALUE, max = Float.MIN_VALUE; // sentencepiece starts from FLT_MAX / FLT_MIN
        for (int i = 0; i < model.size(); i++) {
            SentencePieceModel.PieceType t = model.type(i);
            if (t == SentencePieceModel.PieceType.USER_DEFINED) {
                userKeys.add(Utf8Bytes.encode(model.piece(i)));
                userIds.add(i);
            }
            if (t == SentencePieceModel.PieceType.NORMAL || t == SentencePieceModel.PieceType.USER_DEFINED
                    || t == SentencePieceModel.PieceType.UNUSED) {
                keys.add(Utf8Bytes.encode(model.piece(i)));
                ids.add(i);
            }
            if (t == SentencePieceModel.PieceType.NORMAL) {
                min = Math.min(min, model.score(i));
                max = Math.max(max, model.score(i));
            }
        }
        this.userDefined = userKeys.isEmpty() ? null : ByteTrie.build(userKeys, userIds.stream().mapToInt(Integer::intValue).toArray());
        this.pieceTrie = model.modelType() == SentencePieceModel.ModelType.UNIGRAM
                ? ByteTrie.build(keys, ids.stream().mapToInt(Integer::intValue).toArray()) : null;
        this.minScore = min;
        this.maxScore = max;
        try {
            this.normalizer = new SentencePieceNormalizer(spec, model.treatWhitespaceAsSuffix(), userDefined);
        } catch (IllegalArgumentException e) {
            throw new Clip4jException("malformed SentencePiece model " + model.source() + ": precompiled_charsmap: " + e.getMessage());
        }
    }

    public SentencePieceModel model() { return model; }

    /** The normalised text (with "▁" for spaces when the model escapes whitespace). */
    public String normalize(String text) {
        return Utf8Bytes.decode(normalizer.normalize(Utf8Bytes.encode(text)));
    }

    /** {@code sp.encode(text, out_type=str)} with the ids. */
    public List<Piece> encode(String text) {
        byte[] norm = normalizer.normalize(Utf8Bytes.encode(text));
        if (norm.length == 0) return List.of();
        List<int[]> segments = model.modelType() == SentencePieceModel.ModelType.UNIGRAM ? viterbi(norm) : bpe(norm);
        return populate(norm, segments);
    }

    /** The piece strings of {@link #encode}. */
    public List<String> encodePieces(String text) {
        List<Piece> ps = encode(text);
        List<String> out = new ArrayList<>(ps.size());
        for (Piece p : ps) out.add(p.piece());
        return out;
    }

    /** The ids of {@link #encode}. */
    public int[] encodeIds(String text) {
        List<Piece> ps = encode(text);
        int[] out = new int[ps.size()];
        for (int i = 0; i < out.length; i++) out[i] = ps.get(i).id();
        return out;
    }

    /** sentencepiece's {@code piece_to_id} (unknown strings give the unknown id). */
    public int pieceToId(String piece) { return model.pieceToId(piece); }

    public String idToPiece(int id) { return model.piece(id); }

    // ---- segments → pieces (PopulateSentencePieceText) ----

    /** segments: {start, end, id} over the normalised bytes, in order. */
    private List<Piece> populate(byte[] norm, List<int[]> segments) {
        List<Piece> out = new ArrayList<>(segments.size() + 4);
        boolean prevUnk = false;
        StringBuilder unkRun = null;
        for (int[] s : segments) {
            int id = s[2];
            boolean unk = model.type(id) == SentencePieceModel.PieceType.UNKNOWN;
            if (model.type(id) == SentencePieceModel.PieceType.CONTROL) {
                // a control symbol has no surface; it ends an unknown run
                unkRun = flushUnk(out, unkRun);
                out.add(new Piece(model.piece(id), id));
            } else if (unk && model.byteFallback()) {
                unkRun = flushUnk(out, unkRun);
                for (int k = s[0]; k < s[1]; k++) {
                    String bp = SentencePieceModel.bytePiece(norm[k]);
                    out.add(new Piece(bp, model.pieceToId(bp)));
                }
            } else if (unk) {
                // consecutive unknown pieces are merged into one
                String text = Utf8Bytes.decode(norm, s[0], s[1] - s[0]);
                if (prevUnk && unkRun != null) unkRun.append(text);
                else { unkRun = flushUnk(out, unkRun); unkRun = new StringBuilder(text); }
            } else {
                unkRun = flushUnk(out, unkRun);
                out.add(new Piece(Utf8Bytes.decode(norm, s[0], s[1] - s[0]), id));
            }
            prevUnk = unk;
        }
        flushUnk(out, unkRun);
        return out;
    }

    private StringBuilder flushUnk(List<Piece> out, StringBuilder run) {
        if (run != null) out.add(new Piece(run.toString(), model.unkId()));
        return null;
    }

    // ---- unigram: Model::EncodeOptimized ----

    private List<int[]> viterbi(byte[] norm) {
        int size = norm.length;
        float unkScore = minScore - UNK_PENALTY;
        float[] bestScore = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] bestId = new int[size + 1];
        java.util.Arrays.fill(startsAt, -1);
        int unkId = model.unkId();
        for (int start = 0; start < size; ) {
            float tillHere = bestScore[start];
            boolean hasSingleNode = false;
            int mblen = Math.min(Utf8Bytes.oneCharLen(norm[start]), size - start);
            int node = 0;
            for (int keyPos = start; keyPos < size; ) {
                node = pieceTrie.child(node, norm[keyPos]);
                if (node < 0) break;
                keyPos++;
                int id = pieceTrie.value(node);
                if (id < 0) continue;
                if (model.type(id) == SentencePieceModel.PieceType.UNUSED) continue;
                int length = keyPos - start;
                float candidate;
                if (model.type(id) == SentencePieceModel.PieceType.USER_DEFINED) {
                    // C++: (length * max_score_ - 0.1) is a double; the sum is stored back into a float
                    double score = (double) ((float) length * maxScore) - 0.1;
                    double cand = score + (double) tillHere;
                    if (startsAt[keyPos] == -1 || cand > bestScore[keyPos]) {
                        bestScore[keyPos] = (float) cand;
                        startsAt[keyPos] = start;
                        bestId[keyPos] = id;
                    }
                } else {
                    candidate = model.score(id) + tillHere;
                    if (startsAt[keyPos] == -1 || candidate > bestScore[keyPos]) {
                        bestScore[keyPos] = candidate;
                        startsAt[keyPos] = start;
                        bestId[keyPos] = id;
                    }
                }
                if (!hasSingleNode && length == mblen) hasSingleNode = true;
            }
            if (!hasSingleNode) {
                int target = start + mblen;
                float candidate = unkScore + tillHere;
                if (startsAt[target] == -1 || candidate > bestScore[target]) {
                    bestScore[target] = candidate;
                    startsAt[target] = start;
                    bestId[target] = unkId;
                }
            }
            start += mblen;
        }
        ArrayList<int[]> rev = new ArrayList<>();
        for (int end = size; end > 0; ) {
            int s = startsAt[end];
            rev.add(new int[]{s, end, bestId[end]});
            end = s;
        }
        java.util.Collections.reverse(rev);
        return rev;
    }

    // ---- BPE: bpe::Model::SampleEncode with alpha = 0 ----

    private record Pair(int left, int right, float score, int size) {}

    private List<int[]> bpe(byte[] norm) {
        int n = norm.length;
        // symbols: [start, length] over norm, with prev/next links; a frozen symbol never merges
        int[] symStart = new int[n], symLen = new int[n], prev = new int[n], next = new int[n];
        boolean[] freeze = new boolean[n];
        int count = 0;
        for (int pos = 0; pos < n; ) {
            int len = userDefined == null ? 0 : userDefined.longestPrefix(norm, pos, n);
            boolean frozen = len > 0;
            if (!frozen) len = Math.min(n - pos, Utf8Bytes.oneCharLen(norm[pos]));
            symStart[count] = pos;
            symLen[count] = len;
            freeze[count] = frozen;
            prev[count] = count - 1;
            pos += len;
            next[count] = pos < n ? count + 1 : -1;
            count++;
        }
        // agenda: highest score first, then leftmost
        PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        // merged UNUSED piece → the two symbols it was made of (for resegmentation)
        HashMap<String, String[]> revMerge = new HashMap<>();
        for (int i = 1; i < count; i++) addPair(norm, i - 1, i, symStart, symLen, freeze, agenda, revMerge);
        while (!agenda.isEmpty()) {
            Pair top = agenda.poll();
            // stale entry: one side was merged away or changed size
            if (symLen[top.left] == 0 || symLen[top.right] == 0 || symLen[top.left] + symLen[top.right] != top.size) continue;
            symLen[top.left] += symLen[top.right];
            next[top.left] = next[top.right];
            if (next[top.right] >= 0) prev[next[top.right]] = top.left;
            symLen[top.right] = 0;
            addPair(norm, prev[top.left], top.left, symStart, symLen, freeze, agenda, revMerge);
            addPair(norm, top.left, next[top.left], symStart, symLen, freeze, agenda, revMerge);
        }
        List<int[]> out = new ArrayList<>(count);
        for (int i = 0; i != -1 && count > 0; i = next[i]) {
            resegment(norm, symStart[i], symLen[i], revMerge, out);
        }
        return out;
    }

    private void addPair(byte[] norm, int left, int right, int[] symStart, int[] symLen, boolean[] freeze,
                         PriorityQueue<Pair> agenda, HashMap<String, String[]> revMerge) {
        if (left == -1 || right == -1 || freeze[left] || freeze[right]) return;
        int size = symLen[left] + symLen[right];
        String piece = Utf8Bytes.decode(norm, symStart[left], size);
        int id = model.normalId(piece);
        if (id < 0) return;
        agenda.add(new Pair(left, right, model.score(id), size));
        if (model.type(id) == SentencePieceModel.PieceType.UNUSED) {
            revMerge.put(piece, new String[]{Utf8Bytes.decode(norm, symStart[left], symLen[left]),
                    Utf8Bytes.decode(norm, symStart[right], symLen[right])});
        }
    }

    /** Emits {start, end, id} for a final symbol, splitting a merged UNUSED piece back into its parts. */
    private void resegment(byte[] norm, int start, int len, HashMap<String, String[]> revMerge, List<int[]> out) {
        String w = Utf8Bytes.decode(norm, start, len);
        int id = model.pieceToId(w);
        String[] parts = model.type(id) == SentencePieceModel.PieceType.UNUSED ? revMerge.get(w) : null;
        if (parts == null) {
            out.add(new int[]{start, start + len, id});
            return;
        }
        int leftLen = Utf8Bytes.encode(parts[0]).length;
        resegment(norm, start, leftLen, revMerge, out);
        resegment(norm, start + leftLen, len - leftLen, revMerge, out);
    }
}
