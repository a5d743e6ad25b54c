package io.clip4j.index;

/**
 * How to search.
 * @param method     {@link Method#AUTO} (default): brute force for indexes of up to {@link #AUTO_EXACT_MAX} files,
 *                   where it is as fast as the graph and exact, the HNSW graph above; or always one of them
 * @param pathPrefix only files whose absolute path starts with this (null: all)
 * @param candidates HNSW results fetched before exact re-scoring and trimming to k (0: {@code max(k, 100)})
 */
public record SearchOptions(Method method, String pathPrefix, int candidates) {
    public enum Method { AUTO, HNSW, EXACT }

    /** Up to this many indexed files, AUTO searches by brute force. */
    public static final int AUTO_EXACT_MAX = 10_000;

    public SearchOptions {
        if (method == null) method = Method.AUTO;
        if (candidates < 0) throw new IllegalArgumentException("candidates must not be negative");
    }

    public static SearchOptions defaults() { return new SearchOptions(Method.AUTO, null, 0); }
    /** EXACT, or back to AUTO. */
    public SearchOptions withExact(boolean e) { return new SearchOptions(e ? Method.EXACT : Method.AUTO, pathPrefix, candidates); }
    public SearchOptions withMethod(Method m) { return new SearchOptions(m, pathPrefix, candidates); }
    public SearchOptions withPathPrefix(String p) { return new SearchOptions(method, p, candidates); }
    public SearchOptions withCandidates(int c) { return new SearchOptions(method, pathPrefix, c); }

    boolean exactFor(int indexSize) {
        return method == Method.EXACT || (method == Method.AUTO && indexSize <= AUTO_EXACT_MAX);
    }

    /** Candidates the graph search collects for k results, at most the index's size (Lucene allocates that many). */
    int candidatesFor(int k, int indexSize) {
        return Math.max(1, Math.min(Math.max(k, candidates > 0 ? candidates : 100), indexSize));
    }
}
