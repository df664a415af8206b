package org.veripack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.Openssl;

/** {@link FileDigest}: the same digest as {@code openssl dgst}, in one or many buffers; links refused on request. */
class FileDigestTest {
    @TempDir
    Path dir;

    /** 6 MiB + 7 bytes: many read buffers, and not a multiple of any buffer size. */
    private Path bigFile() throws IOException {
        byte[] data = new byte[6 * 1024 * 1024 + 7];
        new Random(7).nextBytes(data);
        return Files.write(dir.resolve("image.bin"), data);
    }

    private String openssl(String alg, Path file) throws Exception {
        String out = Openssl.ok(dir, "dgst", "-" + alg, "-r", file.toString());
        return out.substring(0, out.indexOf(' '));
    }

    @Test
    void agreesWithOpenssl() throws Exception {
        Path f = bigFile();
        String expected = openssl("sha256", f);
        assertEquals(expected, FileDigest.hex(f, "SHA-256"));
        assertEquals(openssl("sha512", f), FileDigest.hex(f, "SHA-512", LinkOption.NOFOLLOW_LINKS));
        Path small = Files.write(dir.resolve("small.bin"), new byte[] {1, 2, 3});
        assertEquals(openssl("sha256", small), FileDigest.hex(small, "SHA-256"));
    }

    @Test
    void flippedByteInTheLastBlockChangesTheDigest() throws Exception {
        Path f = bigFile();
        String before = FileDigest.hex(f, "SHA-256");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.seek(raf.length() - 1);
            int b = raf.read();
            raf.seek(raf.length() - 1);
            raf.write(b ^ 0x01);
        }
        String after = FileDigest.hex(f, "SHA-256");
        assertNotEquals(before, after);
        assertEquals(openssl("sha256", f), after);
    }

    @Test
    void symbolicLinkRefusedWithNoFollowAndUnknownAlgorithmIsAnIoError() throws Exception {
        Path f = bigFile();
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), f.getFileName());
        assertEquals(FileDigest.hex(f, "SHA-256"), FileDigest.hex(link, "SHA-256"));
        assertThrows(IOException.class, () -> FileDigest.hex(link, "SHA-256", LinkOption.NOFOLLOW_LINKS));
        IOException e = assertThrows(IOException.class, () -> FileDigest.hex(f, "NO-SUCH-DIGEST"));
        assertTrue(e.getMessage().contains("NO-SUCH-DIGEST"), e.getMessage());
    }
}
