package io.clip4j.train.data;

import java.nio.file.Path;

/**
 * One image–caption pair of an epoch, before decoding: the image as a file or as in-memory bytes (a tar member).
 *
 * @param name     for messages: the table's path or the shard member's key
 * @param file     the image file, or null when {@code bytes} holds it
 * @param bytes    the encoded image, or null when {@code file} names it
 * @param epoch    the epoch it belongs to
 * @param position its position in the epoch's order (0-based): with the epoch, what seeds its augmentation
 */
public record Sample(String name, Path file, byte[] bytes, String caption, int epoch, long position) {}
