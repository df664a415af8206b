package org.veripack.core.internal.csar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.zip.ExtraFieldUtils;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipExtraField;
import org.apache.commons.compress.archivers.zip.Zip64ExtendedInformationExtraField;

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
    static List<String> check(Path file, List<ZipArchiveEntry> physical, long firstLocalHeaderOffset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ZipLayout layout = new ZipLayout(ch);
            layout.run(physical, firstLocalHeaderOffset);
            return layout.problems;
        }
    }

    private record End(long eocdAt, long cdOffset, long cdSize, long entries, long cdEnd) { }

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

    /** Locates the end record the way Commons Compress does (the last signature) and checks the tail. */
    private End endRecords() throws IOException {
        long eocdAt = -1;
        long lowest = Math.max(0, length - EOCD_BYTES - MAX_COMMENT);
        ByteBuffer tail = read(lowest, (int) (length - lowest));
        if (tail == null) {
            problems.add("archive shorter than an end of central directory record");
            return null;
        }
        for (long p = length - EOCD_BYTES; p >= lowest; p--) {
            if (tail.getInt((int) (p - lowest)) == EOCD_SIG) {
                eocdAt = p;
                break;
            }
        }
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
        if (!descriptor) {
            return dataEnd;
        }
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
