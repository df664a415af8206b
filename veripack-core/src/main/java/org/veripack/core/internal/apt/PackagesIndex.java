package org.veripack.core.internal.apt;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * One streaming pass over a Debian {@code Packages} index (Debian wiki "DebianRepository/Format",
 * "Packages Indices"): decompresses it (gzip, xz or LZ4 frame, detected from the magic bytes, not the
 * file name; otherwise plain), hashes the uncompressed bytes with SHA-256, counts them, and keeps the
 * paragraphs ("stanzas") holding a {@code Package:} or {@code Filename:} line a predicate selects; only
 * those are parsed (the others are bound by the index digest and never read as fields). Memory stays bounded: one paragraph at a time, lines of at
 * most {@link #MAX_LINE_BYTES}, and reading stops after {@code maxBytes} uncompressed bytes.
 */
public final class PackagesIndex {
    /** Longest accepted line of an index, in bytes. */
    static final int MAX_LINE_BYTES = 1 << 20;

    /**
     * The result of a scan.
     *
     * @param sha256Hex   lowercase hex SHA-256 of the uncompressed bytes read
     * @param sizeBytes   number of uncompressed bytes read
     * @param truncated   true when the index holds more than {@code maxBytes} bytes (digest is then partial)
     * @param compression {@code plain}, {@code gzip}, {@code xz} or {@code lz4}
     * @param selected    the selected paragraphs (see {@link #scan}), in file order
     * @param malformed   the first syntax problem met in a selected paragraph (or an overlong line), or null
     */
    public record Scan(String sha256Hex, long sizeBytes, boolean truncated, String compression,
                       List<Deb822> selected, String malformed) { }

    private PackagesIndex() { }

    /**
     * Scans {@code file}, reading at most {@code maxBytes} uncompressed bytes; a paragraph is selected
     * when {@code keyLine} accepts one of its {@code Package:}/{@code Filename:} lines (given whole).
     *
     * @throws MalformedException when the compressed stream is corrupt
     * @throws IOException        when the file cannot be read
     */
    public static Scan scan(Path file, long maxBytes, Predicate<String> keyLine) throws IOException, MalformedException {
        MessageDigest sha256 = sha256();
        String compression;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            compression = detect(raw);
            InputStream decoded;
            try {
                decoded = switch (compression) {
                    case "gzip" -> new GzipCompressorInputStream(raw, true);
                    case "xz" -> new XZCompressorInputStream(raw, true);
                    case "lz4" -> new FramedLZ4CompressorInputStream(raw, true);
                    default -> raw;
                };
            } catch (IOException e) {
                throw new MalformedException(compression + " stream header is corrupt: " + e.getMessage(), e);
            }
            try (InputStream in = new DigestInputStream(decoded, sha256)) {
                return parse(in, sha256, maxBytes, keyLine, compression);
            } catch (IOException e) {
                if (compression.equals("plain")) {
                    throw e;
                }
                throw new MalformedException(compression + " stream is corrupt: " + e.getMessage(), e);
            }
        }
    }

    private static Scan parse(InputStream in, MessageDigest sha256, long maxBytes, Predicate<String> keyLine,
                              String compression) throws IOException {
        List<Deb822> selected = new ArrayList<>();
        String malformed = null;
        ByteArrayOutputStream paragraph = new ByteArrayOutputStream();
        boolean wanted = false;
        byte[] buf = new byte[1 << 16];
        byte[] line = new byte[256];
        int len = 0;
        boolean overlong = false;
        long size = 0;
        boolean truncated = false;
        while (true) {
            int n = in.read(buf);
            if (n > 0 && size + n > maxBytes) {
                n = (int) (maxBytes - size);
                truncated = true;
            }
            int limit = Math.max(n, 0);
            size += limit;
            boolean end = n < 0 || truncated;
            for (int k = 0; k <= limit; k++) {
                if (k == limit && !end) {
                    break;
                }
                int b = k < limit ? buf[k] : '\n';
                if (b != '\n') {
                    if (len == MAX_LINE_BYTES) {
                        overlong = true;
                    } else {
                        if (len == line.length) {
                            line = Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, line.length * 2));
                        }
                        line[len++] = (byte) b;
                    }
                    continue;
                }
                if (overlong) {
                    malformed = malformed != null ? malformed : "line longer than " + MAX_LINE_BYTES + " bytes";
                } else if (len == 0) {
                    malformed = flush(paragraph, wanted, selected, malformed);
                    wanted = false;
                } else {
                    if (!wanted && startsWithKey(line, len)
                            && keyLine.test(new String(line, 0, len, StandardCharsets.UTF_8))) {
                        wanted = true;
                    }
                    paragraph.write(line, 0, len);
                    paragraph.write('\n');
                }
                len = 0;
                overlong = false;
            }
            if (end) {
                malformed = flush(paragraph, wanted, selected, malformed);
                break;
            }
        }
        return new Scan(HexFormat.of().formatHex(sha256.digest()), size, truncated, compression, selected, malformed);
    }

    private static final byte[] PACKAGE = "Package:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FILENAME = "Filename:".getBytes(StandardCharsets.US_ASCII);

    private static boolean startsWithKey(byte[] line, int len) {
        return startsWith(line, len, PACKAGE) || startsWith(line, len, FILENAME);
    }

    private static boolean startsWith(byte[] line, int len, byte[] prefix) {
        if (len < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String flush(ByteArrayOutputStream paragraph, boolean wanted, List<Deb822> selected, String malformed) {
        if (paragraph.size() == 0) {
            return malformed;
        }
        if (wanted) {
            String text = paragraph.toString(StandardCharsets.UTF_8);
            try {
                selected.add(Deb822.parse(List.of(text.substring(0, text.length() - 1).split("\n", -1))));
            } catch (MalformedException e) {
                malformed = malformed != null ? malformed : e.getMessage();
            }
        }
        paragraph.reset();
        return malformed;
    }

    private static String detect(InputStream raw) throws IOException {
        raw.mark(8);
        byte[] m = raw.readNBytes(6);
        raw.reset();
        if (m.length >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
            return "gzip";
        }
        if (m.length >= 6 && (m[0] & 0xff) == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X' && m[4] == 'Z' && m[5] == 0) {
            return "xz";
        }
        if (m.length >= 4 && (m[0] & 0xff) == 0x04 && (m[1] & 0xff) == 0x22 && (m[2] & 0xff) == 0x4d && (m[3] & 0xff) == 0x18) {
            return "lz4";
        }
        return "plain";
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
