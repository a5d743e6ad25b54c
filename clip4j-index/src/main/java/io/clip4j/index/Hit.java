package io.clip4j.index;

/** A search result: an indexed file and its cosine similarity with the query. */
public record Hit(String path, float score) {}
