package io.clip4j;

/**
 * A problem with the user's input (a file, a config, a checkpoint, an argument) that clip4j reports as one clear
 * message naming that input. The CLI prints the message alone; the process keeps running for other inputs.
 */
public class Clip4jException extends RuntimeException {
    public Clip4jException(String message) { super(message); }
    public Clip4jException(String message, Throwable cause) { super(message, cause); }
}
