package io.clip4j.image;

import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

import static org.junit.jupiter.api.Assertions.*;

/** Bad files fail fast with one clear {@link Clip4jException} naming the file. */
class BadInputTest {
    @TempDir Path dir;

    private static Clip4jException fails(Path file) {
        Clip4jException e = assertThrows(Clip4jException.class, () -> ImageDecoder.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] input(String name) throws IOException {
        return Files.readAllBytes(Fixtures.path("images/inputs/" + name));
    }

    @Test
    void emptyFile() throws IOException {
        Clip4jException e = fails(write("empty.jpg", new byte[0]));
        assertEquals("cannot decode image " + dir.resolve("empty.jpg") + ": the file is empty", e.getMessage());
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("nope.png");
        Clip4jException e = assertThrows(Clip4jException.class, () -> ImageDecoder.read(p));
        assertEquals("cannot read image " + p + ": no such file", e.getMessage());
    }

    @Test
    void textFileNamedPng() throws IOException {
        Path p = write("notes.png", "this is not an image\n".getBytes(StandardCharsets.UTF_8));
        Clip4jException e = fails(p);
        assertEquals("cannot decode image " + p + ": not a supported image format (expected JPEG, PNG, GIF, BMP or WebP)",
                e.getMessage());
    }

    @Test
    void randomBytes() throws IOException {
        byte[] b = new byte[4096];
        new Random(1).nextBytes(b);
        b[0] = 0x12; // not a magic number of any format
        assertTrue(fails(write("random.jpg", b)).getMessage().contains("not a supported image format"));
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 20, 40, 1000, 60000, 200000})
    void truncatedPng(int keep) throws IOException {
        byte[] full = input("chelsea.png");
        Clip4jException e = fails(write("trunc.png", Arrays.copyOf(full, keep)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 10, 100, 600, 5000, 100000, 196000})
    void truncatedJpeg(int keep) throws IOException {
        byte[] full = input("china.jpg");
        Clip4jException e = fails(write("trunc.jpg", Arrays.copyOf(full, keep)));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {5000, 15000})
    void truncatedProgressiveJpeg(int keep) throws IOException {
        byte[] full = input("progressive.jpg");
        assertTrue(fails(write("trunc.jpg", Arrays.copyOf(full, keep))).getMessage().contains("truncated"));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 13, 100, 5000, 18000})
    void truncatedGif(int keep) throws IOException {
        byte[] full = input("gif_single.gif");
        assertTrue(fails(write("trunc.gif", Arrays.copyOf(full, keep))).getMessage().contains("truncated"));
    }

    @Test
    void corruptPngHeaderChecksum() throws IOException {
        byte[] b = input("chelsea.png");
        b[20] ^= 0x01; // inside IHDR data
        assertTrue(fails(write("crc.png", b)).getMessage().contains("bad checksum in IHDR"));
    }

    @Test
    void corruptPngImageData() throws IOException {
        byte[] b = input("one_pixel.png").clone();
        // overwrite the zlib stream of the only IDAT with garbage
        int idat = indexOf(b, "IDAT".getBytes(StandardCharsets.US_ASCII));
        for (int i = idat + 4; i < idat + 12; i++) b[i] = (byte) 0xFF;
        assertTrue(fails(write("bad.png", b)).getMessage().contains("corrupt"));
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    // ---- decompression bombs: rejected from the header, fast, without allocating ----

    static byte[] chunk(String type, byte[] data) {
        ByteBuffer bb = ByteBuffer.allocate(12 + data.length);
        bb.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data);
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        bb.putInt((int) crc.getValue());
        return bb.array();
    }

    /** A valid PNG whose IHDR says width × height, with a few KB of zlib-compressed zero rows. */
    static byte[] pngBomb(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(PngDecoder.SIGNATURE);
        out.write(chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0).array()));
        Deflater def = new Deflater(9);
        def.setInput(new byte[4_000_000]);
        def.finish();
        byte[] z = new byte[1 << 16];
        int n = def.deflate(z);
        def.end();
        out.write(chunk("IDAT", Arrays.copyOf(z, n)));
        out.write(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void pngBombIsRejectedFromTheHeader() throws IOException {
        byte[] bomb = pngBomb(100_000, 100_000);
        assertTrue(bomb.length < 10_000, "bomb file is small: " + bomb.length);
        Path p = write("bomb.png", bomb);
        Clip4jException e = fails(p);
        assertEquals("cannot decode image " + p + ": image is 100000x100000 = 10000000000 pixels, more than the limit of "
                + ImageDecoder.DEFAULT_MAX_PIXELS + " (a decompression bomb?)", e.getMessage());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void pngWithTheLargestPngSizeIsRejected() throws IOException {
        Path p = write("huge.png", pngBomb(Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertTrue(fails(p).getMessage().contains("more than the limit"));
    }

    @Test
    void pngWithZeroWidthIsRejected() throws IOException {
        assertTrue(fails(write("zero.png", pngBomb(0, 10))).getMessage().contains("invalid size"));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void jpegBombIsRejectedFromTheHeader() throws IOException {
        byte[] b = input("china.jpg");
        // patch the SOF0 frame size to 65000 x 65000
        int sof = indexOf(b, new byte[] {(byte) 0xFF, (byte) 0xC0});
        b[sof + 5] = (byte) (65000 >> 8); b[sof + 6] = (byte) (65000 & 0xFF);
        b[sof + 7] = (byte) (65000 >> 8); b[sof + 8] = (byte) (65000 & 0xFF);
        assertTrue(fails(write("bomb.jpg", b)).getMessage().contains("image is 65000x65000 = 4225000000 pixels"));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.SECONDS)
    void gifBombIsRejectedFromTheHeader() throws IOException {
        byte[] b = input("gif_single.gif");
        b[6] = (byte) 0xFF; b[7] = (byte) 0xFF; b[8] = (byte) 0xFF; b[9] = (byte) 0xFF; // logical screen 65535 x 65535
        assertTrue(fails(write("bomb.gif", b)).getMessage().contains("image is 65535x65535"));
    }

    @Test
    void configurableLimit() {
        ImageDecoder small = new ImageDecoder(ImageDecoder.Options.defaults().withMaxPixels(100_000));
        Path p = Fixtures.path("images/inputs/chelsea.png"); // 451 x 300 = 135,300 pixels
        Clip4jException e = assertThrows(Clip4jException.class, () -> small.decode(p));
        assertTrue(e.getMessage().contains("451x300 = 135300 pixels, more than the limit of 100000"), e.getMessage());
        assertEquals(451, new ImageDecoder(ImageDecoder.Options.defaults().withMaxPixels(135_300)).decode(p).width());
        // JPEG, GIF and ImageIO formats check the limit too
        for (String f : new String[] {"china.jpg", "gif_single.gif"}) {
            Path q = Fixtures.path("images/inputs/" + f);
            assertThrows(Clip4jException.class, () -> new ImageDecoder(ImageDecoder.Options.defaults().withMaxPixels(1000)).decode(q));
        }
    }

    @Test
    void preprocessorReportsTheFileToo() throws IOException {
        Path p = write("broken.png", Arrays.copyOf(input("coffee.png"), 500));
        Clip4jException e = assertThrows(Clip4jException.class, () -> ImagePreprocessor.clip(32).apply(p));
        assertTrue(e.getMessage().startsWith("cannot decode image " + p + ": "), e.getMessage());
    }
}
