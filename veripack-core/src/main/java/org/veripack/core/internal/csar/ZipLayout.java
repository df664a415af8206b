package org.veripack.core.internal.csar;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.zip.ExtraFieldUtils;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipExtraField;
import org.apache.commons.compress.archivers.zip.Zip64ExtendedInformationExtraField;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;

/**
 * Cross-checks the zip layout that Commons Compress parsed from the central directory against the
 * bytes of the file, so that every byte of the archive is accounted for exactly once and every reader
 * sees the same entries (APPNOTE.TXT 6.3.x §4.3.6–4.3.16, §4.4). This is not a zip parser: Commons
 * Compress reads the archive; this class only reads the fixed-size record headers at the offsets the
 * central directory gave and compares.
 *
 * <p>Reported as problems (the caller turns each into {@code MALFORMED_PACKAGE}):
 * <ul>
 *   <li>a local file header whose name, flags, method, CRC or sizes disagree with its central
 *       directory record (Android bug 9950697), or whose extra field length is ≥ 0x8000 (read as
 *       negative by signed-short readers: Android bug 9695860);</li>
 *   <li>bytes between entries, between the last entry and the central directory, inside the central
 *       directory after its last record, between it and the end record, and after the end record's
 *       comment; overlapping entries (CVE-2019-13232 overlapping-file bomb);</li>
 *   <li>a second end-of-central-directory record, or a central directory entry count that differs
 *       from the records present;</li>
 *   <li>ZIP64 end records that disagree with the classic end record, and local ZIP64 sizes that
 *       disagree with the central directory (CVE-2014-8141 class);</li>
 *   <li>multi-disk archives.</li>
 * </ul>
 * All sizes and offsets are {@code long}; nothing is truncated to {@code int}.
 */
final class ZipLayout {
    private static final int LFH_SIG = 0x04034b50;
    private static final int CFH_SIG = 0x02014b50;
    private static final int EOCD_SIG = 0x06054b50;
    private static final int ZIP64_EOCD_SIG = 0x06064b50;
    private static final int ZIP64_LOCATOR_SIG = 0x07064b50;
    private static final int DATA_DESCRIPTOR_SIG = 0x08074b50;
    private static final int EOCD_BYTES = 22;
    private static final int LFH_BYTES = 30;
    private static final int CFH_BYTES = 46;
    private static final int MAX_COMMENT = 0xffff;
    private static final long SENTINEL32 = 0xffffffffL;
    private static final int SENTINEL16 = 0xffff;
    private static final int FLAG_DATA_DESCRIPTOR = 1 << 3;

    private final FileChannel ch;
    private final long length;
    private final List<String> problems = new ArrayList<>();

    private ZipLayout(FileChannel ch) throws IOException {
        this.ch = ch;
        this.length = ch.size();
    }

    /**
     * @param file     the archive
     * @param physical the entries Commons Compress read from the central directory
     * @param firstLocalHeaderOffset where Commons Compress found the first local header (data before it
     *                 is reported by the caller)
     * @return the layout problems, empty when every byte is accounted for
     * @throws IOException when the file cannot be read
     */
    static List<String> check(FileChannel file, List<ZipArchiveEntry> physical, long firstLocalHeaderOffset) throws IOException {
        ZipLayout layout = new ZipLayout(file);
        layout.run(physical, firstLocalHeaderOffset);
        return layout.problems;
    }

    private record End(long eocdAt, long cdOffset, long cdSize, long entries, long cdEnd) { }

    /**
     * Checks the archive's index against {@code limits} before Commons Compress reads it (it keeps every
     * central directory record in memory, so a 27 MB zip of 300 000 empty entries would otherwise take
     * seconds and hundreds of MiB before any rule runs):
     * <ol>
     *   <li>the entry count and central directory size the end record declares (the ZIP64 end record's,
     *       APPNOTE §4.3.14, when the ZIP64 locator precedes the classic record, as Commons Compress reads it);</li>
     *   <li>the central directory records Commons Compress will read: it reads records from the directory's
     *       start for as long as the next one's signature follows, whatever the end record declares, so they
     *       are counted the same way (only their fixed 46-byte headers, APPNOTE §4.3.12), stopping as soon as
     *       {@code maxEntries} or {@code maxHeaderBytes} is crossed.</li>
     * </ol>
     * This is not a zip parser: it reads the end records and the records' length fields only, to bound what
     * the parser will be given.
     *
     * @param subject what the finding names (e.g. {@code package})
     * @param sink    receives the {@code LIMIT_EXCEEDED} finding
     * @return the bytes Commons Compress may read to index the archive within the limits ({@code maxHeaderBytes},
     *         plus the 4 length bytes it reads from each local header and what its backwards search for the end
     *         record reads), for {@link HeaderBudgetChannel}; or empty when a limit is crossed
     * @throws IOException when the file cannot be read
     */
    static OptionalLong indexBudget(FileChannel file, Limits limits, String subject, List<Finding> sink) throws IOException {
        ZipLayout layout = new ZipLayout(file);
        Tail tail = layout.tail();
        long eocdAt = tail == null ? -1 : tail.eocdAt();
        // Commons Compress reads 4 bytes at each offset from the last possible one down to the end record
        // (or the search's lowest offset), then at most 64 bytes of end records and the ZIP64 locator
        long lowest = eocdAt >= 0 ? eocdAt : Math.max(0, layout.length - EOCD_BYTES - MAX_COMMENT);
        long endSearch = 4 * Math.max(0, layout.length - EOCD_BYTES - lowest + 1) + 64;
        if (eocdAt < 0) {
            return OptionalLong.of(limits.maxHeaderBytes() + endSearch); // Commons Compress refuses the file
        }
        ByteBuffer eocd = layout.read(eocdAt, EOCD_BYTES);
        long entries = u16(eocd, 10);
        long cdSize = u32(eocd, 12);
        long cdOffset = u32(eocd, 16);
        // Commons Compress: ZIP64 when the locator's signature is right before the end record; there the
        // directory starts at the ZIP64 record's offset, else at the classic offset moved by any data
        // prepended to the archive (end record position - size - offset)
        long start = Math.max(eocdAt - cdSize, cdOffset);
        if (eocdAt > 20 && layout.readInt(eocdAt - 20) == ZIP64_LOCATOR_SIG) {
            ByteBuffer loc = layout.read(eocdAt - 20, 20);
            ByteBuffer z = layout.read(loc.getLong(8), 56);
            if (z == null || z.getInt(0) != ZIP64_EOCD_SIG) {
                return OptionalLong.of(limits.maxHeaderBytes() + endSearch); // Commons Compress refuses the file
            }
            entries = z.getLong(32);
            cdSize = z.getLong(40);
            start = z.getLong(48);
        }
        if (Long.compareUnsigned(entries, limits.maxEntries()) > 0) {
            sink.add(Finding.mismatch(FindingCode.LIMIT_EXCEEDED, subject,
                    "too many zip entries: the end of central directory record declares " + Long.toUnsignedString(entries),
                    Long.toString(limits.maxEntries()), Long.toUnsignedString(entries)));
            return OptionalLong.empty();
        }
        if (Long.compareUnsigned(cdSize, limits.maxHeaderBytes()) > 0) {
            sink.add(Finding.mismatch(FindingCode.LIMIT_EXCEEDED, subject,
                    "zip central directory too large: the end of central directory record declares "
                    + Long.toUnsignedString(cdSize) + " bytes", Long.toString(limits.maxHeaderBytes()),
                    Long.toUnsignedString(cdSize)));
            return OptionalLong.empty();
        }
        OptionalLong records = layout.countRecords(start, limits, subject, sink);
        return records.isEmpty() ? records : OptionalLong.of(limits.maxHeaderBytes() + 4 * records.getAsLong() + endSearch);
    }

    /**
     * Counts central directory records from {@code start} as Commons Compress reads them, within the limits;
     * empty when one is crossed.
     */
    private OptionalLong countRecords(long start, Limits limits, String subject, List<Finding> sink) throws IOException {
        if (start < 0 || start >= length) {
            return OptionalLong.of(0); // Commons Compress refuses the file
        }
        InputStream in = new BufferedInputStream(Channels.newInputStream(ch.position(start)), 1 << 16);
        byte[] header = new byte[CFH_BYTES];
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        long records = 0;
        long bytes = 0;
        while (in.readNBytes(header, 0, CFH_BYTES) == CFH_BYTES && h.getInt(0) == CFH_SIG) {
            long recordBytes = CFH_BYTES + (long) u16(h, 28) + u16(h, 30) + u16(h, 32);
            records++;
            bytes += recordBytes;
            if (records > limits.maxEntries()) {
                sink.add(Finding.mismatch(FindingCode.LIMIT_EXCEEDED, subject,
                        "too many zip entries: the central directory holds more than the limit",
                        Long.toString(limits.maxEntries()), "more than " + limits.maxEntries()));
                return OptionalLong.empty();
            }
            if (bytes > limits.maxHeaderBytes()) {
                sink.add(Finding.mismatch(FindingCode.LIMIT_EXCEEDED, subject,
                        "zip central directory too large: its records take more than the limit",
                        Long.toString(limits.maxHeaderBytes()), "more than " + limits.maxHeaderBytes()));
                return OptionalLong.empty();
            }
            try {
                in.skipNBytes(recordBytes - CFH_BYTES);
            } catch (EOFException cutShort) {
                break; // Commons Compress refuses the file
            }
        }
        return OptionalLong.of(records);
    }

    private void run(List<ZipArchiveEntry> physical, long firstLocalHeaderOffset) throws IOException {
        End end = endRecords();
        if (end == null) {
            return;
        }
        if (end.entries() != physical.size()) {
            problems.add("end of central directory declares " + end.entries() + " entries, central directory holds "
                    + physical.size());
        }
        if (end.cdOffset() + end.cdSize() != end.cdEnd()) {
            problems.add("bytes between the central directory and the end record (directory ends at "
                    + (end.cdOffset() + end.cdSize()) + ", end record at " + end.cdEnd() + ")");
        }
        long cdRecordsEnd = centralRecords(end.cdOffset(), physical);
        if (cdRecordsEnd >= 0 && cdRecordsEnd != end.cdOffset() + end.cdSize()) {
            problems.add("central directory size " + end.cdSize() + " does not match its records ("
                    + (cdRecordsEnd - end.cdOffset()) + " bytes)");
        }
        List<ZipArchiveEntry> byOffset = new ArrayList<>(physical);
        byOffset.sort(Comparator.comparingLong(ZipArchiveEntry::getLocalHeaderOffset));
        long pos = physical.isEmpty() ? 0 : firstLocalHeaderOffset;
        for (ZipArchiveEntry e : byOffset) {
            long at = e.getLocalHeaderOffset();
            if (at > pos) {
                problems.add((pos == 0 ? "data before the first entry " : "bytes between entries before ") + printable(e) + " (" + (at - pos) + " bytes at offset " + pos + ")");
            } else if (at < pos) {
                problems.add("entry " + printable(e) + " overlaps the previous entry (local header at " + at + ", previous ends at " + pos + ")");
            }
            long next = localEntry(e);
            if (next < 0) {
                return;
            }
            pos = next;
        }
        if (pos < end.cdOffset()) {
            problems.add("bytes between the last entry and the central directory (" + (end.cdOffset() - pos) + " bytes)");
        } else if (pos > end.cdOffset()) {
            problems.add("last entry overlaps the central directory");
        }
    }

    /** The last {@link #EOCD_BYTES} + comment bytes of the file and the end record found in them. */
    private record Tail(ByteBuffer bytes, long at, long eocdAt) { }

    /**
     * Locates the end record the way Commons Compress does: the last end-record signature at most 64 KiB
     * (the longest comment) before the end. Null when the file is shorter than an end record; {@code eocdAt}
     * is -1 when there is none.
     */
    private Tail tail() throws IOException {
        long lowest = Math.max(0, length - EOCD_BYTES - MAX_COMMENT);
        ByteBuffer tail = read(lowest, (int) (length - lowest));
        if (tail == null) {
            return null;
        }
        for (long p = length - EOCD_BYTES; p >= lowest; p--) {
            if (tail.getInt((int) (p - lowest)) == EOCD_SIG) {
                return new Tail(tail, lowest, p);
            }
        }
        return new Tail(tail, lowest, -1);
    }

    /** Locates the end record the way Commons Compress does (the last signature) and checks the tail. */
    private End endRecords() throws IOException {
        Tail found = tail();
        if (found == null) {
            problems.add("archive shorter than an end of central directory record");
            return null;
        }
        long eocdAt = found.eocdAt();
        ByteBuffer tail = found.bytes();
        long lowest = found.at();
        if (eocdAt < 0) {
            problems.add("no end of central directory record");
            return null;
        }
        ByteBuffer eocd = read(eocdAt, EOCD_BYTES);
        int disk = u16(eocd, 4);
        int cdDisk = u16(eocd, 6);
        long entriesHere = u16(eocd, 8);
        long entries = u16(eocd, 10);
        long cdSize = u32(eocd, 12);
        long cdOffset = u32(eocd, 16);
        int commentLength = u16(eocd, 20);
        if (eocdAt + EOCD_BYTES + commentLength != length) {
            problems.add("bytes after the end of central directory record (comment declares " + commentLength
                    + " bytes, " + (length - eocdAt - EOCD_BYTES) + " follow)");
        }
        long cdEnd = eocdAt;
        if (eocdAt >= 20 && readInt(eocdAt - 20) == ZIP64_LOCATOR_SIG) {
            ByteBuffer loc = read(eocdAt - 20, 20);
            long z64At = loc.getLong(8);
            ByteBuffer z = z64At >= 0 && z64At + 56 <= eocdAt - 20 ? read(z64At, 56) : null;
            if (z == null || z.getInt(0) != ZIP64_EOCD_SIG) {
                problems.add("ZIP64 locator points to no ZIP64 end of central directory record");
                return null;
            }
            long recordEnd = z64At + 12 + z.getLong(4);
            if (recordEnd != eocdAt - 20) {
                problems.add("bytes between the ZIP64 end record and its locator");
            }
            long z64EntriesHere = z.getLong(24);
            long z64Entries = z.getLong(32);
            long z64CdSize = z.getLong(40);
            long z64CdOffset = z.getLong(48);
            if (z.getInt(16) != 0 || z.getInt(20) != 0 || z64EntriesHere != z64Entries) {
                problems.add("multi-disk archive (ZIP64)");
            }
            secondEndRecord(tail, lowest, z64CdOffset + z64CdSize, z64At);
            if (entries != SENTINEL16 && entries != z64Entries
                    || cdSize != SENTINEL32 && cdSize != z64CdSize
                    || cdOffset != SENTINEL32 && cdOffset != z64CdOffset) {
                problems.add("ZIP64 end of central directory record disagrees with the classic one");
            }
            return new End(eocdAt, z64CdOffset, z64CdSize, z64Entries, z64At);
        }
        if (disk != 0 || cdDisk != 0 || entriesHere != entries) {
            problems.add("multi-disk archive");
        }
        secondEndRecord(tail, lowest, cdOffset + cdSize, eocdAt);
        return new End(eocdAt, cdOffset, cdSize, entries, cdEnd);
    }

    /** An end record signature between the end of the central directory and the end record in use. */
    private void secondEndRecord(ByteBuffer tail, long tailAt, long from, long to) {
        for (long p = Math.max(from, tailAt); p + 4 <= to; p++) {
            if (tail.getInt((int) (p - tailAt)) == EOCD_SIG) {
                problems.add("two end of central directory records (at " + p + " and " + to + ")");
                return;
            }
        }
    }

    /** Walks the central directory records; returns where the last one ends, or -1 on a bad record. */
    private long centralRecords(long cdOffset, List<ZipArchiveEntry> physical) throws IOException {
        long pos = cdOffset;
        for (int i = 0; i < physical.size(); i++) {
            ByteBuffer h = read(pos, CFH_BYTES);
            if (h == null || h.getInt(0) != CFH_SIG) {
                problems.add("central directory record " + i + " is not where the previous one ends");
                return -1;
            }
            pos += CFH_BYTES + u16(h, 28) + u16(h, 30) + u16(h, 32);
        }
        if (pos + 4 <= length && readInt(pos) == CFH_SIG) {
            problems.add("central directory holds more records than were read");
        }
        return pos;
    }

    /** Checks one local header against the central record; returns where its data (and descriptor) end, or -1. */
    private long localEntry(ZipArchiveEntry e) throws IOException {
        long at = e.getLocalHeaderOffset();
        ByteBuffer h = read(at, LFH_BYTES);
        if (h == null || h.getInt(0) != LFH_SIG) {
            problems.add("no local file header for " + printable(e) + " at offset " + at);
            return -1;
        }
        int flags = u16(h, 6);
        int method = u16(h, 8);
        long crc = u32(h, 14);
        long csize = u32(h, 18);
        long usize = u32(h, 22);
        int nameLength = u16(h, 26);
        int extraLength = u16(h, 28);
        if (extraLength >= 0x8000) {
            problems.add("local extra field length of " + printable(e) + " is " + extraLength
                    + " (>= 0x8000, negative for signed-short readers)");
        }
        ByteBuffer nameAndExtra = read(at + LFH_BYTES, nameLength + extraLength);
        if (nameAndExtra == null) {
            problems.add("local header of " + printable(e) + " runs past the end of the archive");
            return -1;
        }
        byte[] name = new byte[nameLength];
        nameAndExtra.get(0, name);
        byte[] extra = new byte[extraLength];
        nameAndExtra.get(nameLength, extra);
        compareHeader(e, name, flags, method);
        boolean descriptor = (flags & FLAG_DATA_DESCRIPTOR) != 0;
        boolean zip64Local = false;
        if (csize == SENTINEL32 || usize == SENTINEL32) {
            Zip64ExtendedInformationExtraField z = localZip64(extra);
            if (z == null || z.getSize() == null || z.getCompressedSize() == null) {
                problems.add("local header of " + printable(e) + " has 0xFFFFFFFF sizes without a ZIP64 extra field");
                return -1;
            }
            zip64Local = true;
            usize = z.getSize().getLongValue();
            csize = z.getCompressedSize().getLongValue();
        }
        if (!descriptor || crc != 0 || csize != 0 || usize != 0) {
            compareSizes(e, "local header", crc, csize, usize);
        }
        long dataEnd = at + LFH_BYTES + nameLength + extraLength + e.getCompressedSize();
        if (e.getCompressedSize() < 0 || dataEnd > length) {
            problems.add("data of " + printable(e) + " runs past the end of the archive");
            return -1;
        }
        return descriptor ? dataDescriptorEnd(e, dataEnd, zip64Local) : dataEnd;
    }

    /** The local header's name, flags and method must be the central directory's. */
    private void compareHeader(ZipArchiveEntry e, byte[] name, int flags, int method) {
        if (!Arrays.equals(name, e.getRawName())) {
            problems.add("local header name differs from the central directory name " + printable(e));
        }
        if (flags != e.getRawFlag()) {
            problems.add("local header flags of " + printable(e) + " differ from the central directory");
        }
        if (method != e.getMethod()) {
            problems.add("local header compression method of " + printable(e) + " (" + method
                    + ") differs from the central directory (" + e.getMethod() + ")");
        }
    }

    /**
     * The data descriptor after an entry's data (APPNOTE §4.3.9: optional signature, CRC, sizes of 4 or, ZIP64, 8 bytes),
     * compared with the central record; returns where it ends, or -1.
     */
    private long dataDescriptorEnd(ZipArchiveEntry e, long dataEnd, boolean zip64Local) throws IOException {
        long d = dataEnd;
        if (d + 4 <= length && readInt(d) == DATA_DESCRIPTOR_SIG) {
            d += 4;
        }
        int sizeBytes = zip64Local ? 8 : 4;
        ByteBuffer dd = read(d, 4 + 2 * sizeBytes);
        if (dd == null) {
            problems.add("data descriptor of " + printable(e) + " runs past the end of the archive");
            return -1;
        }
        long ddCsize = zip64Local ? dd.getLong(4) : u32(dd, 4);
        long ddUsize = zip64Local ? dd.getLong(12) : u32(dd, 8);
        compareSizes(e, "data descriptor", u32(dd, 0), ddCsize, ddUsize);
        return d + 4 + 2L * sizeBytes;
    }

    private void compareSizes(ZipArchiveEntry e, String where, long crc, long csize, long usize) {
        if (crc != e.getCrc() || csize != e.getCompressedSize() || usize != e.getSize()) {
            problems.add(where + " CRC/sizes of " + printable(e) + " (" + crc + "/" + csize + "/" + usize
                    + ") differ from the central directory (" + e.getCrc() + "/" + e.getCompressedSize() + "/" + e.getSize() + ")");
        }
    }

    private static Zip64ExtendedInformationExtraField localZip64(byte[] extra) {
        try {
            for (ZipExtraField f : ExtraFieldUtils.parse(extra, true, ExtraFieldUtils.UnparseableExtraField.READ)) {
                if (f instanceof Zip64ExtendedInformationExtraField z) {
                    return z;
                }
            }
        } catch (ZipException | RuntimeException ex) {
            return null;
        }
        return null;
    }

    private static String printable(ZipArchiveEntry e) {
        return "'" + ZipArchive.printable(e.getName()) + "'";
    }

    private int readInt(long at) throws IOException {
        ByteBuffer b = read(at, 4);
        return b == null ? 0 : b.getInt(0);
    }

    /** Reads exactly {@code n} bytes at {@code at}, little-endian; null when the file is shorter. */
    private ByteBuffer read(long at, int n) throws IOException {
        if (at < 0 || n < 0 || at + n > length) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        long p = at;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) {
                return null;
            }
            p += r;
        }
        return b.flip();
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & SENTINEL32;
    }
}
