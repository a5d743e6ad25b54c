package io.clip4j.io;

/** The safetensors element types, with their size in bytes. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U64(8), U32(4), U16(2), U8(1), BOOL(1),
    F8_E4M3(1), F8_E5M2(1);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** The type with that safetensors name, or null. */
    public static DType byName(String name) {
        for (DType d : values()) if (d.name().equals(name)) return d;
        return null;
    }

    /** True for the types read as floats (F64, F32, F16, BF16). */
    public boolean isFloat() { return this == F64 || this == F32 || this == F16 || this == BF16; }
}
