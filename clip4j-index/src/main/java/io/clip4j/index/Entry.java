package io.clip4j.index;

/**
 * One indexed image file.
 * @param path        absolute, normalised path
 * @param size        file size in bytes when indexed
 * @param mtimeMillis last-modified time when indexed
 * @param sha256      hex SHA-256 of the file bytes
 * @param width       decoded width in pixels
 * @param height      decoded height in pixels
 */
public record Entry(String path, long size, long mtimeMillis, String sha256, int width, int height) {}
