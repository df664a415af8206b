package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import org.veripack.core.ProgressListener;
import org.veripack.core.internal.io.PrefetchInputStream;
import org.veripack.core.internal.io.Streams;

/** JDK {@link MessageDigest} helpers; files are read through {@link Streams#transfer} (docs/reference.md "Performance"). */
public final class Digests {

    private Digests() { }

    /** A fresh digest for a JCA SHA-2 name the caller already validated. */
    public static MessageDigest newDigest(String jcaName) {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jcaName, e);
        }
    }

    /** Hex SHA-256 of a file, read on the calling thread. */
    public static String sha256Hex(Path file) throws IOException {
        return fileHex(file, "SHA-256", false);
    }

    /**
     * Hex digest of a file ({@link org.veripack.core.FileDigest#hex}).
     *
     * @throws IOException when the file cannot be read or the JDK lacks {@code jcaName}
     */
    public static String fileHex(Path file, String jcaName, boolean readAhead, LinkOption... options) throws IOException {
        return fileHex(file, jcaName, readAhead, ProgressListener.NONE, options);
    }

    /**
     * As {@link #fileHex(Path, String, boolean, LinkOption...)}, telling {@code progress} the bytes of each block
     * hashed (the caller begins and ends the step).
     */
    public static String fileHex(Path file, String jcaName, boolean readAhead, ProgressListener progress, LinkOption... options)
            throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IOException("digest algorithm unavailable: " + jcaName, e);
        }
        ExecutorService reader = null;
        InputStream in = Files.newInputStream(file, options);
        try {
            if (readAhead && Files.size(file) >= PrefetchInputStream.MIN_SOURCE_BYTES) {
                reader = PrefetchInputStream.newExecutor("veripack-read-ahead");
                in = new PrefetchInputStream(in, reader);
            }
            Streams.transfer(in, Streams.counting(Streams.updating(md), progress));
        } finally {
            in.close();
            if (reader != null) {
                reader.shutdown();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex of bytes' digest. */
    public static String hex(String jcaName, byte[] bytes) {
        return HexFormat.of().formatHex(newDigest(jcaName).digest(bytes));
    }
}
