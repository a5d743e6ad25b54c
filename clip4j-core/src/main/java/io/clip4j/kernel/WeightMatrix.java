package io.clip4j.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A weight matrix W[rows, cols], row-major, whose values are not a {@code float[]}: little-endian F32, F16 or BF16
 * values in one or more memory segments stacked by rows. Two uses:
 * <ul>
 *   <li>slices of a memory-mapped checkpoint, used in place: loading copies nothing, and only the pages a forward pass
 *       reads become resident (an image-only run never touches the text tower). Hugging Face stores q, k and v as
 *       three tensors; the fused qkv matrix is then three parts.</li>
 *   <li>BF16 values on the heap ({@link #bf16}): half the memory of F32.</li>
 * </ul>
 * The GEMM widens rows to float as it packs them ({@link #readRow}); widening is exact, so an F32 matrix gives the
 * same bits as the same values in a float[].
 */
public final class WeightMatrix {
    public enum Format {
        F32(4), F16(2), BF16(2);
        final int bytes;
        Format(int bytes) { this.bytes = bytes; }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public final int rows, cols;
    public final Format format;
    private final MemorySegment[] parts;
    /** Part i holds rows [firstRow[i], firstRow[i + 1]). */
    private final int[] firstRow;

    private WeightMatrix(Format format, int cols, MemorySegment[] parts) {
        this.format = Objects.requireNonNull(format);
        if (cols <= 0 || parts.length == 0) throw new IllegalArgumentException("empty weight matrix");
        long rowBytes = (long) cols * format.bytes;
        this.firstRow = new int[parts.length + 1];
        long rows = 0;
        for (int i = 0; i < parts.length; i++) {
            long size = parts[i].byteSize();
            if (size % rowBytes != 0) throw new IllegalArgumentException("part " + i + " has " + size + " bytes, not a whole number of " + cols + "-value " + format + " rows");
            firstRow[i] = (int) rows;
            rows += size / rowBytes;
            if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("weight matrix too large");
        }
        firstRow[parts.length] = (int) rows;
        this.rows = (int) rows;
        this.cols = cols;
        this.parts = parts.clone();
    }

    /** The matrix whose rows are the rows of each part in turn (each part: whole rows of cols values). */
    public static WeightMatrix of(Format format, int cols, MemorySegment... parts) {
        return new WeightMatrix(format, cols, parts);
    }

    /**
     * W[rows, cols] rounded to BF16 (round to nearest even; NaN stays NaN), little-endian in native memory that the
     * GC frees with the matrix. Native rather than a byte[]: the collector neither copies nor scans it, a model's
     * hundreds of megabytes do not make the heap grow (and stay grown), and the GEMM reads it through the same
     * native-segment code as a mapped checkpoint.
     */
    public static WeightMatrix bf16(float[] w, int rows, int cols) {
        if ((long) rows * cols != w.length) throw new IllegalArgumentException(w.length + " values for " + rows + "×" + cols);
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(2L * w.length, 2);
        for (int i = 0; i < w.length; i++) seg.set(I16_LE, 2L * i, toBf16(w[i]));
        return new WeightMatrix(Format.BF16, cols, new MemorySegment[]{seg});
    }

    /** This matrix rounded to BF16 (as {@link #bf16(float[], int, int)}), a row at a time: no float copy of the
     *  whole matrix. */
    public WeightMatrix toBf16() {
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(2L * rows * cols, 2);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            readRow(r, 0, cols, row, 0);
            long at = 2L * r * cols;
            for (int c = 0; c < cols; c++) seg.set(I16_LE, at + 2L * c, toBf16(row[c]));
        }
        return new WeightMatrix(Format.BF16, cols, new MemorySegment[]{seg});
    }

    /** Drops the resident pages of mapped parts (they are read again from the file if used): for a matrix whose
     *  values were copied elsewhere, so that they are not resident twice. */
    public void unload() {
        for (MemorySegment s : parts) if (s.isMapped()) s.unload();
    }

    /** float → bf16 bits, round to nearest even (the rounding of PyTorch's {@code .to(torch.bfloat16)}). */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Bytes of values held (mapped or on the heap). */
    public long byteSize() { return (long) rows * cols * format.bytes; }

    /** dst[off .. off + n) = W[r, k0 .. k0 + n), widened to float. */
    public void readRow(int r, int k0, int n, float[] dst, int off) {
        if (r < 0 || r >= rows || k0 < 0 || n < 0 || k0 + n > cols) throw new IndexOutOfBoundsException("row " + r + " [" + k0 + ", " + (k0 + n) + ") of " + rows + "×" + cols);
        int p = part(r);
        MemorySegment s = parts[p];
        long at = ((long) (r - firstRow[p]) * cols + k0) * format.bytes;
        switch (format) {
            case F32 -> MemorySegment.copy(s, F32_LE, at, dst, off, n);
            case BF16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float.intBitsToFloat((s.get(I16_LE, at + 2L * i) & 0xffff) << 16); }
            case F16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float.float16ToFloat(s.get(I16_LE, at + 2L * i)); }
        }
    }

    /** The whole matrix widened to float[rows · cols]. */
    public float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) readRow(r, 0, cols, out, r * cols);
        return out;
    }

    private int part(int r) {
        int p = 0;
        while (r >= firstRow[p + 1]) p++;
        return p;
    }
}
