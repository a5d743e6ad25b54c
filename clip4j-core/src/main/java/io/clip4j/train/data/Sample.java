package io.clip4j.train.data;

import java.nio.file.Path;

/**
 * One image–caption pair of an epoch, before decoding: the image as a file or as in-memory bytes (a tar member).
 *
 * @param name     the table's path, or {@code shard:key} for a tar member: names it in messages and, unique within the
 *                 data, tells unreadable images apart
 * @param file     the image file, or null when {@code bytes} holds it
 * @param bytes    the encoded image, or null when {@code file} names it
 * @param epoch    the epoch it belongs to
 * @param position its position in the epoch's order (0-based): with the epoch, what seeds its augmentation
 */
public record Sample(String name, Path file, byte[] bytes, String caption, int epoch, long position) {}
