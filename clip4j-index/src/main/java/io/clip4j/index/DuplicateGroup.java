package io.clip4j.index;

import java.util.List;

/**
 * Near-duplicate images: connected through pairs whose cosine similarity reaches the threshold.
 * @param paths    members, sorted
 * @param minScore the lowest similarity among the linking pairs found
 * @param maxScore the highest
 */
public record DuplicateGroup(List<String> paths, float minScore, float maxScore) {}
