package org.veripack.core.internal.csar;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.internal.io.ChannelDigest;

/**
 * A zip (CSAR) opened for random access through its central directory with Commons Compress, with
 * the archive safety rules applied while reading (docs/threat-model.md maps them to the attacks):
 * <ul>
 *   <li>unsafe names (absolute, {@code ..}, backslash, drive letter, NUL/CR/LF) → {@code UNSAFE_PATH};</li>
 *   <li>Unix mode with setuid/setgid/sticky or a device/FIFO/socket type → {@code UNSAFE_PATH};</li>
 *   <li>symlinks whose target is absolute or leaves the package, entries whose path runs through a
 *       symlink entry, and links declared in extra fields (hard links) → {@code UNSAFE_PATH};</li>
 *   <li>a layout where some bytes are not accounted for exactly once, or a local header that disagrees
 *       with the central directory ({@link ZipLayout}) → {@code MALFORMED_PACKAGE};</li>
 *   <li>two entries with the same name, also after normalisation (case, Unicode NFC, {@code ./x},
 *       {@code x/} vs {@code x}) → {@code ARTIFACT_DUPLICATE} (all entries are read in physical order,
 *       so an exact duplicate cannot hide behind a name lookup);</li>
 *   <li>encrypted entries and compression methods other than STORED/DEFLATED, data before the first
 *       entry, truncated or unparsable archives → {@code MALFORMED_PACKAGE};</li>
 *   <li>entry count and header bytes from {@link Limits}, checked before the index is parsed, then total
 *       uncompressed bytes and per-entry expansion ratio → {@code LIMIT_EXCEEDED}; sizes are counted on
 *       the bytes actually inflated, never taken from the archive's declarations.</li>
 * </ul>
 * Entries that break a rule are reported and left out of {@link #entries()}. Reading entry content
 * concurrently is safe (Commons Compress reads a {@code FileChannel} with positional reads).
 */
public final class ZipArchive implements Closeable {
    /** Expansion ratios are only judged above this many uncompressed bytes (tiny text files compress well). */
    public static final long RATIO_FLOOR_BYTES = 64 * 1024;
    /** Longest symlink target read, in bytes. */
    public static final int MAX_LINK_TARGET_BYTES = 4096;

    /** One safe entry of the archive. */
    public record Entry(String path, String rawName, ArtifactType type, int mode, ZipArchiveEntry zipEntry, String linkTarget) { }

    private final ZipFile zip;
    /** The archive file Commons Compress reads (positional reads are thread-safe); STORED entries are hashed from it. */
    private final FileChannel channel;
    private final Limits limits;
    private final Map<String, Entry> entries;
    private final List<Finding> findings;
    private final Set<String> refused;
    private final AtomicLong totalBytes = new AtomicLong();

    /** The file {@link #open(Path, Limits, String, List)} opened, closed with the archive; null when the caller owns it. */
    private final FileChannel ownedFile;

    private ZipArchive(ZipFile zip, FileChannel channel, FileChannel ownedFile, Limits limits, Map<String, Entry> entries,
                       List<Finding> findings, Set<String> refused) {
        this.zip = zip;
        this.ownedFile = ownedFile;
        this.channel = channel;
        this.limits = limits;
        this.entries = entries;
        this.findings = findings;
        this.refused = refused;
    }

    /**
     * Opens {@code file} and checks every entry. Adds a {@code MALFORMED_PACKAGE} finding to
     * {@code sink} and returns empty when the zip cannot be parsed (truncated, not a zip), and a
     * {@code LIMIT_EXCEEDED} finding when its index passes {@link Limits#maxEntries()} or
     * {@link Limits#maxHeaderBytes()}: both are checked before Commons Compress parses any entry
     * ({@link ZipLayout#indexBudget}), and the bytes it reads to build its index are counted as it reads
     * them ({@link HeaderBudgetChannel}), so memory stays bounded for any input.
     *
     * @param subject what the findings about the container itself name (e.g. {@code package})
     */
    public static Optional<ZipArchive> open(Path file, Limits limits, String subject, List<Finding> sink) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            sink.add(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, "not a readable zip archive" + readableReason(e)));
            return Optional.empty();
        }
        Optional<ZipArchive> opened = open(channel, channel, limits, subject, sink);
        if (opened.isEmpty()) {
            closeQuietly(channel);
        }
        return opened;
    }

    /**
     * {@link #open(Path, Limits, String, List)} over a file the caller opened: the limits, Commons
     * Compress's index, the layout check ({@link ZipLayout}) and every entry read use this one channel, so
     * they all judge the same bytes even if the path is replaced meanwhile (a caller that also hashes the
     * whole file, for a report's {@code packageSha256}, passes the same channel). The caller keeps
     * {@code file} open while it uses the archive and closes it afterwards; neither the archive nor a
     * failed open closes it.
     *
     * @param file the archive, opened for reading; other threads may read it concurrently with positional
     *             reads only (its position belongs to the limit check and Commons Compress)
     */
    public static Optional<ZipArchive> open(FileChannel file, Limits limits, String subject, List<Finding> sink) {
        return open(file, null, limits, subject, sink);
    }

    private static Optional<ZipArchive> open(FileChannel file, FileChannel ownedFile, Limits limits, String subject,
                                             List<Finding> sink) {
        ZipFile zip;
        HeaderBudgetChannel channel = null;
        try {
            OptionalLong budget = ZipLayout.indexBudget(file, limits, subject, sink);
            if (budget.isEmpty()) {
                return Optional.empty();
            }
            channel = new HeaderBudgetChannel(file, budget.getAsLong());
            zip = ZipFile.builder().setSeekableByteChannel(channel).setCharset(StandardCharsets.UTF_8).get();
            channel.indexed();
        } catch (IOException | RuntimeException e) {
            if (channel != null && channel.exceeded()) {
                sink.add(Finding.mismatch(FindingCode.LIMIT_EXCEEDED, subject,
                        "zip headers (central directory and local extra fields) larger than the limit",
                        Long.toString(limits.maxHeaderBytes()), "more than " + limits.maxHeaderBytes()));
            } else {
                sink.add(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, "not a readable zip archive" + readableReason(e)));
            }
            return Optional.empty();
        }
        List<Finding> findings = new ArrayList<>();
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<ZipArchiveEntry> all = List.of();
        try {
            all = Collections.list(zip.getEntriesInPhysicalOrder());
            if (!all.isEmpty() && zip.getFirstLocalFileHeaderOffset() != 0) {
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, subject,
                        "data before the first zip entry (polyglot or self-extracting archive)"));
            }
            for (String problem : ZipLayout.check(file, all, zip.getFirstLocalFileHeaderOffset())) {
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, problem));
            }
            ZipEntryRules.index(zip, all, entries, findings);
            checkLinks(zip, channel, limits, entries, findings);
            ZipEntryRules.checkNothingThroughLinks(entries, findings);
        } catch (IOException | RuntimeException e) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, "inconsistent zip structure: " + e.getMessage()));
        }
        sink.addAll(findings);
        // entries with a safe name that a rule refused (their finding names them): not "missing"
        Set<String> refused = new HashSet<>();
        for (ZipArchiveEntry ze : all) {
            if (PathRules.unsafeReason(ze.getName()).isEmpty()) {
                String path = PathRules.normalise(ze.getName());
                if (!entries.containsKey(path)) {
                    refused.add(path);
                }
            }
        }
        return Optional.of(new ZipArchive(zip, channel, ownedFile, limits, Collections.unmodifiableMap(entries), findings,
                Collections.unmodifiableSet(refused)));
    }

    /** Reads every symlink's target (bounded) and drops links that are absolute or leave the package. */
    private static void checkLinks(ZipFile zip, FileChannel channel, Limits limits, Map<String, Entry> entries,
                                   List<Finding> findings) {
        ZipArchive reader = new ZipArchive(zip, channel, null, limits, entries, findings, Set.of());
        for (Entry e : List.copyOf(entries.values())) {
            if (e.type() != ArtifactType.SYMLINK) {
                continue;
            }
            try {
                String target = new String(reader.readLinkTarget(e), StandardCharsets.UTF_8);
                // unsafe on its own (absolute, or above the root as text); the link-graph resolution
                // needs the signed types, so CsarVerifier does it (PathRules.resolveLink)
                Optional<String> unsafe = PathRules.linkTargetUnsafeReason(e.path(), target);
                if (unsafe.isPresent()) {
                    findings.add(Finding.mismatch(FindingCode.UNSAFE_PATH, e.path(), unsafe.get(), null, printable(target)));
                    entries.remove(e.path());
                } else {
                    entries.put(e.path(), new Entry(e.path(), e.rawName(), e.type(), e.mode(), e.zipEntry(), target));
                }
            } catch (IOException ex) {
                findings.add(Finding.of(ex instanceof LimitExceededException ? FindingCode.LIMIT_EXCEEDED
                        : FindingCode.MALFORMED_PACKAGE, e.path(), ex.getMessage()));
                entries.remove(e.path());
            }
        }
        reader.totalBytes.set(0);
    }

    /** Safe entries by normalised path, in physical order. */
    public Map<String, Entry> entries() { return entries; }

    /**
     * Normalised paths of entries that exist in the archive under a safe name but were refused by a rule
     * (setuid bit, device/FIFO/socket type, unsafe or non-canonical link target, path through a link,
     * encryption, ...) and so are not in {@link #entries()}; each has its own finding in {@link #findings()}.
     */
    public Set<String> refused() { return refused; }

    /** Findings raised while indexing (already copied into the caller's sink by {@link #open}). */
    public List<Finding> findings() { return List.copyOf(findings); }

    /** Total uncompressed bytes actually read so far from this archive. */
    public long totalBytesRead() { return totalBytes.get(); }

    /**
     * Opens the content of {@code entry}, counting the bytes actually read against the policy limits.
     * The stream throws {@link LimitExceededException} when a limit is crossed and
     * {@link MalformedEntryException} when the entry's data ends early or differs from its declared size.
     */
    public InputStream open(Entry entry) throws IOException {
        InputStream in;
        try {
            in = zip.getInputStream(entry.zipEntry());
        } catch (RuntimeException e) {
            throw new MalformedEntryException(entry.path() + ": " + e.getMessage());
        }
        if (in == null) {
            throw new MalformedEntryException(entry.path() + ": no data");
        }
        return new CountingStream(in, entry);
    }

    /**
     * Hashes a STORED entry's data straight from the archive file into {@code digests} ({@link ChannelDigest}: no
     * stream, no heap buffer), with the checks {@link #open} applies: the bytes are counted against the limits as they are
     * read ({@link LimitExceededException}), and data that ends before its declared size or differs from it is
     * {@link MalformedEntryException}. Concurrent calls are safe (positional reads).
     *
     * @param perBlock told the length of each block hashed (progress)
     * @return the number of bytes hashed, the entry's size
     * @throws IllegalArgumentException when the entry is not STORED
     */
    public long digestStored(Entry entry, ChannelDigest.BlockCheck perBlock, MessageDigest... digests) throws IOException {
        ZipArchiveEntry ze = entry.zipEntry();
        if (ze.getMethod() != ZipMethod.STORED.getCode()) {
            throw new IllegalArgumentException(entry.path() + " is not STORED");
        }
        long offset;
        try (InputStream raw = zip.getRawInputStream(ze)) { // resolves the data offset from the local header
            offset = raw == null ? -1 : ze.getDataOffset();
        } catch (RuntimeException e) {
            throw new MalformedEntryException(entry.path() + ": " + e.getMessage());
        }
        if (offset < 0) {
            throw new MalformedEntryException(entry.path() + ": no data");
        }
        long[] count = {0};
        long n = ChannelDigest.update(channel, offset, ze.getCompressedSize(), bytes -> {
            count[0] += bytes;
            account(entry, count[0], bytes);
            perBlock.accept(bytes);
        }, digests);
        checkDeclaredSize(entry, n);
        return n;
    }

    /** Counts {@code n} more bytes of {@code entry} (which has given {@code count} so far) against the limits. */
    private void account(Entry entry, long count, int n) throws LimitExceededException {
        long total = totalBytes.addAndGet(n);
        if (total > limits.maxTotalBytes()) {
            throw new LimitExceededException("total uncompressed size exceeds " + limits.maxTotalBytes() + " bytes");
        }
        long compressed = Math.max(1L, entry.zipEntry().getCompressedSize());
        if (count > RATIO_FLOOR_BYTES && count / compressed > limits.maxExpansionRatio()) {
            throw new LimitExceededException(entry.path(), "expansion ratio above " + limits.maxExpansionRatio());
        }
    }

    /** At the end of an entry's data: {@code count} bytes must be its declared size, when it declares one. */
    private static void checkDeclaredSize(Entry entry, long count) throws MalformedEntryException {
        long declared = entry.zipEntry().getSize();
        if (declared >= 0 && declared != count) {
            throw new MalformedEntryException(entry.path() + ": entry holds " + count + " bytes but declares " + declared);
        }
    }

    /** Reads a symlink's target (at most {@link #MAX_LINK_TARGET_BYTES}) as raw bytes. */
    public byte[] readLinkTarget(Entry entry) throws IOException {
        try (InputStream in = open(entry)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > MAX_LINK_TARGET_BYTES) {
                    throw new MalformedEntryException(entry.path() + ": symlink target too long");
                }
            }
            return out.toByteArray();
        }
    }

    /** Reads a small entry fully (manifest, TOSCA.meta, certificates), failing above {@code maxBytes}. */
    public byte[] readSmall(Entry entry, int maxBytes) throws IOException {
        try (InputStream in = open(entry)) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new LimitExceededException(entry.path(), "larger than " + maxBytes + " bytes");
            }
            return bytes;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            zip.close();
        } finally {
            if (ownedFile != null) {
                ownedFile.close();
            }
        }
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // the open already failed; that failure is what is reported
            }
        }
    }

    /**
     * The library's reason for refusing the archive, for the finding's detail; Commons Compress names the
     * channel it read ("... from HeaderBudgetChannel"), an internal class a user cannot act on, so that
     * generic message is left out.
     */
    private static String readableReason(Exception e) {
        String why = e.getMessage();
        if (why == null || why.isBlank() || why.contains(HeaderBudgetChannel.class.getSimpleName())) {
            return " (no valid zip end-of-central-directory record or central directory)";
        }
        return ": " + why;
    }

    static String printable(String name) {
        return name.replace("\0", "\\0").replace("\r", "\\r").replace("\n", "\\n");
    }

    /**
     * A policy limit was crossed while reading (→ {@code LIMIT_EXCEEDED}). {@link #subject()} is what the
     * finding is about: the entry path for a per-entry limit, {@code "package"} for a whole-archive one, so
     * callers choose the finding's subject by type rather than by reading the message.
     */
    public static final class LimitExceededException extends IOException {
        private static final long serialVersionUID = 1L;
        private final String subject;
        private final boolean wholeArchive;

        /** A whole-archive limit (total size, header budget): subject {@code "package"}. */
        public LimitExceededException(String message) { this("package", message, true); }

        /** A limit of one entry: {@code subject} is its normalised path; the message does not repeat it. */
        public LimitExceededException(String subject, String message) { this(subject, message, false); }

        private LimitExceededException(String subject, String message, boolean wholeArchive) {
            super(message);
            this.subject = subject;
            this.wholeArchive = wholeArchive;
        }

        /** True for a limit of the whole archive (total size, header budget), false for one entry's. */
        public boolean wholeArchive() { return wholeArchive; }

        /** The entry path, or {@code "package"} for a whole-archive limit. */
        public String subject() { return subject; }
    }

    /** An entry's data is truncated, corrupt or inconsistent (→ {@code MALFORMED_PACKAGE}). */
    public static final class MalformedEntryException extends IOException {
        private static final long serialVersionUID = 1L;

        public MalformedEntryException(String message) { super(message); }
    }

    private final class CountingStream extends FilterInputStream {
        private final Entry entry;
        private long count;

        CountingStream(InputStream in, Entry entry) {
            super(in);
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (LimitExceededException | MalformedEntryException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new MalformedEntryException(entry.path() + ": corrupt entry data: " + e.getMessage());
            }
            if (n < 0) {
                checkDeclaredSize(entry, count);
                return n;
            }
            count += n;
            account(entry, count, n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
                if (r < 0) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }
    }
}
