package io.clip4j.cli;

import io.clip4j.Clip4jException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy .npy files, format version 1.0: a little-endian float32 matrix [rows, cols], C order. */
final class Npy {
    private Npy() {}

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** The header: magic, version 1.0, header length, and the dict padded with spaces to a 64-byte boundary, ending in '\n'. */
    static byte[] header(int rows, int cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String h = dict + " ".repeat(pad) + "\n";
        if (h.length() > 0xFFFF) throw new IllegalStateException("npy header too long");
        ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + h.length()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) h.length()).put(h.getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    /** Writes rows (all of length cols) to file, through a temporary file moved into place ({@link OutputFile}). */
    static void write(Path file, float[][] rows, int cols) {
        Path abs = file.toAbsolutePath();
        try {
            if (abs.getParent() != null) Files.createDirectories(abs.getParent());
            try (OutputFile out = OutputFile.open(abs)) {
                OutputStream os = new BufferedOutputStream(out.stream(), 1 << 16);
                os.write(header(rows.length, cols));
                ByteBuffer b = ByteBuffer.allocate(cols * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float[] r : rows) {
                    if (r.length != cols) throw new IllegalArgumentException("row of " + r.length + " values, expected " + cols);
                    b.clear();
                    b.asFloatBuffer().put(r);
                    os.write(b.array());
                }
                os.flush();
                out.commit();
            }
        } catch (IOException e) {
            throw new Clip4jException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

    /** Reads a float32 [rows, cols] C-order .npy v1.0 file written by {@link #write} (or NumPy). */
    static float[][] read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException(file + ": not an .npy file");
        int major = b.get(), minor = b.get();
        if (major != 1 || minor != 0) throw new IOException(file + ": .npy version " + major + "." + minor + ", expected 1.0");
        int len = Short.toUnsignedInt(b.getShort());
        byte[] h = new byte[len];
        b.get(h);
        String dict = new String(h, StandardCharsets.US_ASCII);
        if (!dict.contains("'descr': '<f4'") || !dict.contains("'fortran_order': False")) throw new IOException(file + ": expected little-endian float32 in C order: " + dict);
        Matcher m = SHAPE.matcher(dict);
        if (!m.find()) throw new IOException(file + ": expected a 2-d shape: " + dict);
        int rows = Integer.parseInt(m.group(1)), cols = Integer.parseInt(m.group(2));
        float[][] out = new float[rows][cols];
        for (float[] r : out) for (int c = 0; c < cols; c++) r[c] = b.getFloat();
        if (b.hasRemaining()) throw new IOException(file + ": " + b.remaining() + " bytes after the data");
        return out;
    }

    /** x.npy → x.json (the sidecar). */
    static Path sidecar(Path npy) {
        String name = npy.getFileName().toString();
        String base = name.toLowerCase(java.util.Locale.ROOT).endsWith(".npy") ? name.substring(0, name.length() - 4) : name;
        return npy.resolveSibling(base + ".json");
    }

}
