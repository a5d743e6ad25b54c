package io.clip4j.text;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked reader of the protocol buffers wire format, just enough for SentencePiece's
 * {@code ModelProto}: a message is a sequence of (tag, value) records, the tag being the varint
 * {@code field_number << 3 | wire_type}; wire types 0 (varint), 1 (8 bytes), 2 (varint length + bytes)
 * and 5 (4 bytes) are read or skipped, the deprecated group types 3 and 4 are rejected.
 * Every read that would pass the end of the current message throws {@link Malformed}.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    /** The input is not a well-formed protobuf message (truncated, bad varint, bad wire type, bad UTF-8). */
    static final class Malformed extends Exception {
        Malformed(String message) { super(message); }
    }

    private final byte[] buf;
    private int pos;
    private final int end;
    private int field, wire;

    ProtoReader(byte[] buf) { this(buf, 0, buf.length); }

    ProtoReader(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    boolean hasMore() { return pos < end; }

    /** Reads the next tag; then {@link #field()} and {@link #wire()} describe the value that follows. */
    void nextTag() throws Malformed {
        int at = pos;
        long tag = readVarint();
        if (tag >>> 32 != 0 || (tag >>> 3) == 0) throw new Malformed("invalid field tag " + tag + " at byte " + at);
        field = (int) (tag >>> 3);
        wire = (int) (tag & 7);
        if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32) {
            throw new Malformed("unsupported wire type " + wire + " for field " + field + " at byte " + at);
        }
    }

    int field() { return field; }
    int wire() { return wire; }

    /** A base-128 varint of at most 10 bytes. */
    long readVarint() throws Malformed {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= end) throw new Malformed("truncated varint at byte " + pos);
            int b = buf[pos++] & 0xFF;
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new Malformed("varint longer than 10 bytes at byte " + pos);
    }

    int readFixed32() throws Malformed {
        need(4);
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    /** The bounds of a length-delimited value: {offset, length}; the reader moves past it. */
    int[] readLengthDelimited() throws Malformed {
        int at = pos;
        long n = readVarint();
        if (n < 0 || n > end - pos) throw new Malformed("length " + n + " at byte " + at + " runs past the end of its message (" + (end - pos) + " bytes left)");
        int[] r = {pos, (int) n};
        pos += (int) n;
        return r;
    }

    ProtoReader readMessage() throws Malformed {
        int[] r = readLengthDelimited();
        return new ProtoReader(buf, r[0], r[1]);
    }

    byte[] readBytes() throws Malformed {
        int[] r = readLengthDelimited();
        byte[] out = new byte[r[1]];
        System.arraycopy(buf, r[0], out, 0, r[1]);
        return out;
    }

    /** A proto {@code string}: must be valid UTF-8 (as the Python and C++ runtimes require). */
    String readString() throws Malformed {
        int[] r = readLengthDelimited();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, r[0], r[1])).toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("string field " + field + " at byte " + r[0] + " is not valid UTF-8");
        }
    }

    /** A varint-typed value of the current field, which must have wire type 0. */
    long varintValue() throws Malformed {
        expectWire(VARINT);
        return readVarint();
    }

    /** An {@code int32} field: a varint whose low 32 bits are the value (negative values take 10 bytes). */
    int int32Value() throws Malformed {
        return (int) varintValue();
    }

    boolean boolValue() throws Malformed {
        return varintValue() != 0;
    }

    float floatValue() throws Malformed {
        expectWire(FIXED32);
        return Float.intBitsToFloat(readFixed32());
    }

    void expectWire(int expected) throws Malformed {
        if (wire != expected) throw new Malformed("field " + field + " has wire type " + wire + ", expected " + expected);
    }

    /** Skips the value of the current field. */
    void skip() throws Malformed {
        switch (wire) {
            case VARINT -> readVarint();
            case FIXED64 -> { need(8); pos += 8; }
            case LEN -> readLengthDelimited();
            case FIXED32 -> { need(4); pos += 4; }
            default -> throw new Malformed("unsupported wire type " + wire);
        }
    }

    private void need(int n) throws Malformed {
        if (end - pos < n) throw new Malformed("truncated: " + n + " bytes needed at byte " + pos + ", " + (end - pos) + " left");
    }
}
