package io.clip4j.image;

/** Internal: a decoding failure whose message the public API prefixes with the file name. */
final class DecodeException extends Exception {
    DecodeException(String message) { super(message); }
    DecodeException(String message, Throwable cause) { super(message, cause); }
}
