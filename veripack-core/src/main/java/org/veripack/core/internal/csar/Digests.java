package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** JDK {@link MessageDigest} helpers with large buffers (DESIGN.md "Performance shape"). */
public final class Digests {
    /** Read buffer size for hashing, in bytes. */
    public static final int BUFFER_BYTES = 256 * 1024;

    private Digests() { }

    /** A fresh digest for a JCA SHA-2 name the caller already validated. */
    public static MessageDigest newDigest(String jcaName) {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + jcaName, e);
        }
    }

    /** Hex SHA-256 of a file. */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest md = newDigest("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[BUFFER_BYTES];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Hex of bytes' digest. */
    public static String hex(String jcaName, byte[] bytes) {
        return HexFormat.of().formatHex(newDigest(jcaName).digest(bytes));
    }
}
