package io.clip4j.index;

/**
 * How to search.
 * @param exact      brute force: the dot product with every stored vector (else HNSW)
 * @param pathPrefix only files whose absolute path starts with this (null: all)
 * @param candidates HNSW results fetched before exact re-scoring and trimming to k (0: {@code max(2k, k + 10)})
 */
public record SearchOptions(boolean exact, String pathPrefix, int candidates) {
    public static SearchOptions defaults() { return new SearchOptions(false, null, 0); }
    public SearchOptions withExact(boolean e) { return new SearchOptions(e, pathPrefix, candidates); }
    public SearchOptions withPathPrefix(String p) { return new SearchOptions(exact, p, candidates); }
    public SearchOptions withCandidates(int c) { return new SearchOptions(exact, pathPrefix, c); }

    int candidatesFor(int k) {
        return candidates > 0 ? Math.max(candidates, k) : Math.max(2 * k, k + 10);
    }
}
