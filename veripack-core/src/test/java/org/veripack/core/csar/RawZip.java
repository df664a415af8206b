package org.veripack.core.csar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * TEST ONLY: writes zip bytes record by record (APPNOTE.TXT §4.3) so tests can build the malformed
 * structures Commons Compress refuses to write — local headers that disagree with the central
 * directory, gaps, second end records, inconsistent ZIP64 records. The product never writes or parses
 * zips with this; it uses Commons Compress.
 *
 * <p>Every field is public and mutable: start from {@link #of(Path)} (a faithful STORED copy of a real
 * archive), change what the attack needs, then {@link #write(Path)}.
 */
public final class RawZip {
    /** One entry; {@code null} overrides mean "same as the honest value". */
    public static final class Entry {
        public String name;
        public byte[] localName;
        public byte[] centralName;
        public int unixMode;
        public byte[] data;
        public boolean deflate;
        public int flags;
        public Integer localMethod;
        public Integer centralMethod;
        public Long localCompressedSize;
        public Long localSize;
        public Long centralSize;
        public byte[] localExtra = new byte[0];
        public byte[] centralExtra = new byte[0];
        /** Write the central sizes as 0xFFFFFFFF with a ZIP64 extra field (and both sizes in a local one). */
        public boolean zip64;
        /** Raw bytes written after this entry's data. */
        public byte[] after = new byte[0];

        public Entry(String name, int unixMode, byte[] data) {
            this.name = name;
            this.unixMode = unixMode;
            this.data = data;
        }
    }

    public final List<Entry> entries = new ArrayList<>();
    public byte[] prefix = new byte[0];
    public byte[] beforeCentralDirectory = new byte[0];
    public byte[] afterCentralDirectory = new byte[0];
    public byte[] comment = new byte[0];
    public byte[] afterEnd = new byte[0];
    /** Append a byte-identical second end of central directory record. */
    public boolean duplicateEnd;
    /** Write a ZIP64 end record + locator; its entry count is offset by this much from the real count. */
    public Long zip64EndEntriesDelta;
    /** Entry count the end records declare instead of the real one (the classic record: 0xFFFF when above it). */
    public Long declaredEntries;
    /** Central directory size the end records declare instead of the real one (classic: 0xFFFFFFFF when above). */
    public Long declaredCentralDirectorySize;

    /** A STORED copy of {@code zip}'s entries (name, Unix mode, content) in physical order. */
    public static RawZip of(Path zip) throws IOException {
        RawZip raw = new RawZip();
        try (ZipFile z = ZipFile.builder().setPath(zip).get()) {
            for (ZipArchiveEntry e : Collections.list(z.getEntriesInPhysicalOrder())) {
                try (InputStream in = z.getInputStream(e)) {
                    raw.entries.add(new Entry(e.getName(), e.getUnixMode(), in.readAllBytes()));
                }
            }
        }
        return raw;
    }

    public Entry entry(String name) {
        return entries.stream().filter(e -> e.name.equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no entry " + name));
    }

    public RawZip with(String name, Consumer<Entry> change) {
        change.accept(entry(name));
        return this;
    }

    public Path write(Path out) throws IOException {
        return Files.write(out, bytes());
    }

    public byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        List<byte[]> central = new ArrayList<>();
        for (Entry e : entries) {
            byte[] name = e.name.getBytes(StandardCharsets.UTF_8);
            byte[] stored = e.deflate ? deflate(e.data) : e.data;
            CRC32 crc = new CRC32();
            crc.update(e.data);
            int method = e.deflate ? 8 : 0;
            long offset = out.size();
            long usize = e.data.length;
            long csize = stored.length;
            byte[] localExtra = e.localExtra;
            long lcs = e.localCompressedSize != null ? e.localCompressedSize : csize;
            long lus = e.localSize != null ? e.localSize : (e.centralSize != null ? e.centralSize : usize);
            if (e.zip64 || lcs > 0xffffffffL || lus > 0xffffffffL) {
                localExtra = concat(zip64Extra(lus, lcs), localExtra);
                lcs = 0xffffffffL;
                lus = 0xffffffffL;
            }
            byte[] localName = e.localName != null ? e.localName : name;
            out.writeBytes(le(0x04034b50, 4));
            out.writeBytes(le(e.zip64 ? 45 : 20, 2));
            out.writeBytes(le(e.flags | 0x800, 2));
            out.writeBytes(le(e.localMethod != null ? e.localMethod : method, 2));
            out.writeBytes(le(0, 4)); // time, date
            out.writeBytes(le(crc.getValue(), 4));
            out.writeBytes(le(lcs, 4));
            out.writeBytes(le(lus, 4));
            out.writeBytes(le(localName.length, 2));
            out.writeBytes(le(localExtra.length, 2));
            out.writeBytes(localName);
            out.writeBytes(localExtra);
            out.writeBytes(stored);
            out.writeBytes(e.after);

            long cus = e.centralSize != null ? e.centralSize : usize;
            byte[] centralExtra = e.centralExtra;
            long cusField = cus;
            if (e.zip64 || cus > 0xffffffffL) {
                centralExtra = concat(zip64ExtraSizeOnly(cus), centralExtra);
                cusField = 0xffffffffL;
            }
            byte[] centralName = e.centralName != null ? e.centralName : name;
            ByteArrayOutputStream c = new ByteArrayOutputStream();
            c.writeBytes(le(0x02014b50, 4));
            c.writeBytes(le((3 << 8) | 45, 2)); // made by Unix
            c.writeBytes(le(e.zip64 ? 45 : 20, 2));
            c.writeBytes(le(e.flags | 0x800, 2));
            c.writeBytes(le(e.centralMethod != null ? e.centralMethod : method, 2));
            c.writeBytes(le(0, 4));
            c.writeBytes(le(crc.getValue(), 4));
            c.writeBytes(le(csize, 4));
            c.writeBytes(le(cusField, 4));
            c.writeBytes(le(centralName.length, 2));
            c.writeBytes(le(centralExtra.length, 2));
            c.writeBytes(le(0, 2)); // comment
            c.writeBytes(le(0, 2)); // disk
            c.writeBytes(le(0, 2)); // internal attributes
            c.writeBytes(le(((long) e.unixMode & 0xffff) << 16, 4));
            c.writeBytes(le(offset, 4));
            c.writeBytes(centralName);
            c.writeBytes(centralExtra);
            central.add(c.toByteArray());
        }
        out.writeBytes(beforeCentralDirectory);
        long cdOffset = out.size();
        central.forEach(out::writeBytes);
        long cdSize = out.size() - cdOffset;
        out.writeBytes(afterCentralDirectory);
        long count = declaredEntries != null ? declaredEntries : entries.size();
        long size = declaredCentralDirectorySize != null ? declaredCentralDirectorySize : cdSize;
        if (zip64EndEntriesDelta != null) {
            long z64At = out.size();
            out.writeBytes(le(0x06064b50, 4));
            out.writeBytes(le(44, 8));
            out.writeBytes(le(45, 2));
            out.writeBytes(le(45, 2));
            out.writeBytes(le(0, 4));
            out.writeBytes(le(0, 4));
            long n = count + zip64EndEntriesDelta;
            out.writeBytes(le(n, 8));
            out.writeBytes(le(n, 8));
            out.writeBytes(le(size, 8));
            out.writeBytes(le(cdOffset, 8));
            out.writeBytes(le(0x07064b50, 4));
            out.writeBytes(le(0, 4));
            out.writeBytes(le(z64At, 8));
            out.writeBytes(le(1, 4));
        }
        // as zip writes them: a value too large for the classic record is the 0xFFFF(FFFF) ZIP64 sentinel there
        byte[] end = endRecord((int) Math.min(count, 0xffff), Math.min(size, 0xffffffffL), cdOffset, comment);
        out.writeBytes(end);
        if (duplicateEnd) {
            out.writeBytes(end);
        }
        out.writeBytes(afterEnd);
        return out.toByteArray();
    }

    /** The classic end of central directory record (APPNOTE §4.3.16). */
    public static byte[] endRecord(int entries, long cdSize, long cdOffset, byte[] comment) {
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        e.writeBytes(le(0x06054b50, 4));
        e.writeBytes(le(0, 2));
        e.writeBytes(le(0, 2));
        e.writeBytes(le(entries, 2));
        e.writeBytes(le(entries, 2));
        e.writeBytes(le(cdSize, 4));
        e.writeBytes(le(cdOffset, 4));
        e.writeBytes(le(comment.length, 2));
        e.writeBytes(comment);
        return e.toByteArray();
    }

    /** An extra field of {@code id} with {@code size} bytes of data (size may exceed 0x7fff). */
    public static byte[] extraField(int id, int size) {
        byte[] f = new byte[4 + size];
        System.arraycopy(le(id, 2), 0, f, 0, 2);
        System.arraycopy(le(size, 2), 0, f, 2, 2);
        return f;
    }

    /** An ASi Unix extra field (0x756e) declaring {@code link} as a link target for a regular file mode. */
    public static byte[] asiLinkExtra(String link) {
        byte[] target = link.getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(14 + target.length).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0); // CRC of the rest, filled below
        data.putShort((short) 0100644);
        data.putInt(target.length);
        data.putShort((short) 0);
        data.putShort((short) 0);
        data.put(target);
        CRC32 crc = new CRC32();
        crc.update(data.array(), 4, data.capacity() - 4);
        data.putInt(0, (int) crc.getValue());
        return concat(concat(le(0x756e, 2), le(data.capacity(), 2)), data.array());
    }

    static byte[] zip64Extra(long size, long compressedSize) {
        return concat(concat(le(0x0001, 2), le(16, 2)), concat(le(size, 8), le(compressedSize, 8)));
    }

    static byte[] zip64ExtraSizeOnly(long size) {
        return concat(concat(le(0x0001, 2), le(8, 2)), le(size, 8));
    }

    public static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    static byte[] le(long v, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
