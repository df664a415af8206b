package org.veripack.core.internal.apt;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.veripack.core.ProgressListener;
import org.veripack.core.internal.io.Streams;

/**
 * A {@code .deb} as read once (deb(5): an ar archive of {@code debian-binary}, {@code control.tar[.gz|.xz]}
 * and {@code data.tar.*}): its SHA-256 and size over every byte, and its {@code control} paragraph when
 * it can be read. The control fields only <em>select</em> the Packages stanza to compare against; they
 * are untrusted, and the binding is the SHA-256 equality with the signed stanza.
 *
 * @param sha256Hex    lowercase hex SHA-256 of the file
 * @param sizeBytes    file size in bytes
 * @param control      the control paragraph, or null when unreadable (zstd member, corrupt archive)
 * @param controlError why {@code control} is null, else null
 */
public record DebPackage(String sha256Hex, long sizeBytes, Deb822 control, String controlError) {
    /** Largest accepted {@code control} file, in bytes. */
    static final int MAX_CONTROL_BYTES = 1 << 20;

    /** Reads and hashes {@code deb} in one pass. @throws IOException when the file cannot be read */
    public static DebPackage read(Path deb) throws IOException {
        return read(deb, ProgressListener.NONE);
    }

    /**
     * As {@link #read(Path)}, telling {@code progress} the step {@code "hashing FILE"} (total: the file's bytes,
     * counted per 64 KiB block the buffer reads).
     */
    public static DebPackage read(Path deb, ProgressListener progress) throws IOException {
        MessageDigest sha256 = PackagesIndex.sha256();
        progress.begin("hashing " + deb.getFileName(), Files.size(deb), ProgressListener.Unit.BYTES);
        try (InputStream raw = new DigestInputStream(new BufferedInputStream(
                Streams.counting(Files.newInputStream(deb), progress), 1 << 16), sha256)) {
            Deb822 control = null;
            String error = null;
            try {
                control = readControl(raw);
            } catch (IOException | MalformedException | RuntimeException e) {
                error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            }
            raw.transferTo(OutputStreamSink.INSTANCE);
            return new DebPackage(HexFormat.of().formatHex(sha256.digest()), Files.size(deb), control, error);
        } finally {
            progress.end();
        }
    }

    private static Deb822 readControl(InputStream raw) throws IOException, MalformedException {
        // Not closed: closing would close raw before it is drained for the digest.
        ArArchiveInputStream ar = new ArArchiveInputStream(new NonClosing(raw));
        ArArchiveEntry e;
        while ((e = ar.getNextEntry()) != null) {
            String name = e.getName();
            if (!name.startsWith("control.tar")) {
                continue;
            }
            InputStream member = switch (name) {
                case "control.tar" -> new NonClosing(ar);
                case "control.tar.gz" -> new GzipCompressorInputStream(new NonClosing(ar));
                case "control.tar.xz" -> new XZCompressorInputStream(new NonClosing(ar));
                default -> throw new MalformedException("control member " + name + " is not supported (gzip, xz, none)");
            };
            TarArchiveInputStream tar = new TarArchiveInputStream(member);
            TarArchiveEntry t;
            while ((t = tar.getNextEntry()) != null) {
                if (t.isFile() && (t.getName().equals("./control") || t.getName().equals("control"))) {
                    if (t.getSize() > MAX_CONTROL_BYTES) {
                        throw new MalformedException("control file larger than " + MAX_CONTROL_BYTES + " bytes");
                    }
                    byte[] bytes = tar.readNBytes((int) t.getSize());
                    return Deb822.parseSingle(new String(bytes, StandardCharsets.UTF_8));
                }
            }
            throw new MalformedException("control.tar has no control file");
        }
        throw new MalformedException("no control.tar member");
    }

    /** Discards bytes. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override public void write(int b) { }

        @Override public void write(byte[] b, int off, int len) { }
    }

    /** Shields an underlying stream from close(). */
    private static final class NonClosing extends java.io.FilterInputStream {
        NonClosing(InputStream in) { super(in); }

        @Override public void close() { }
    }
}
