package org.veripack.scas.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Writes a copy of a zip with a few entries changed, using Commons Compress on both sides (no zip
 * code of our own). Unchanged entries are copied raw (no recompression, exact bytes), changed ones
 * are streamed through an {@link EntryTransform}; nothing is held in memory beyond a buffer.
 * Not thread-safe; one instance describes one variant.
 */
public final class ZipRewriter {
    /** Rewrites one entry's content while streaming it. */
    @FunctionalInterface
    public interface EntryTransform {
        void transform(InputStream original, long sizeBytes, OutputStream out) throws IOException;
    }

    private record Addition(String name, byte[] content, int unixMode) { }

    private final Map<String, EntryTransform> transforms = new LinkedHashMap<>();
    private final Set<String> removals = new HashSet<>();
    private final Map<String, String> renames = new LinkedHashMap<>();
    private final List<Addition> additions = new ArrayList<>();

    /** Replaces the content of {@code name} by {@code content} (mode kept). */
    public ZipRewriter replace(String name, byte[] content) {
        transforms.put(name, (in, size, out) -> out.write(content));
        return this;
    }

    /**
     * Replaces the content of {@code name} by the content of entry {@code sourceName} of the zip
     * {@code sourceZip}, streamed when the variant is written (mode of {@code name} kept).
     */
    public ZipRewriter replaceFrom(String name, Path sourceZip, String sourceName) {
        transforms.put(name, (in, size, out) -> {
            try (ZipFile zf = ZipFile.builder().setPath(sourceZip).get()) {
                ZipArchiveEntry e = zf.getEntry(sourceName);
                if (e == null) {
                    throw new IOException("no entry " + sourceName + " in " + sourceZip.getFileName());
                }
                try (InputStream src = zf.getInputStream(e)) {
                    src.transferTo(out);
                }
            }
        });
        return this;
    }

    /** Streams the content of {@code name} through {@code t} (mode kept). */
    public ZipRewriter transform(String name, EntryTransform t) {
        transforms.put(name, t);
        return this;
    }

    public ZipRewriter remove(String name) {
        removals.add(name);
        return this;
    }

    public ZipRewriter rename(String from, String to) {
        renames.put(from, to);
        return this;
    }

    /** Adds a regular file entry with Unix permission bits {@code mode} (e.g. 0644). The name is written as given. */
    public ZipRewriter addFile(String name, byte[] content, int mode) {
        additions.add(new Addition(name, content.clone(), 0100000 | (mode & 07777)));
        return this;
    }

    /** Adds a symbolic link entry (Unix mode 0120777, content = target path bytes, Info-ZIP convention). */
    public ZipRewriter addSymlink(String name, String target) {
        additions.add(new Addition(name, target.getBytes(StandardCharsets.UTF_8), 0120777));
        return this;
    }

    /** Transform flipping the lowest bit of the byte at the middle of the content ({@code size / 2}). */
    public static EntryTransform flipMiddleByte() {
        return (in, size, out) -> {
            long target = size / 2;
            byte[] buf = new byte[64 * 1024];
            long pos = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (target >= pos && target < pos + n) {
                    buf[(int) (target - pos)] ^= 0x01;
                }
                out.write(buf, 0, n);
                pos += n;
            }
        };
    }

    /** Entry names of {@code zip} in central-directory order. */
    public static List<ZipArchiveEntry> entries(Path zip) throws IOException {
        try (ZipFile zf = ZipFile.builder().setPath(zip).get()) {
            return Collections.list(zf.getEntries());
        }
    }

    /**
     * Digest of entry {@code name}'s content, streamed.
     *
     * @param digest a fresh {@link MessageDigest} (its algorithm is the one used)
     * @return the digest value in lower-case hex
     * @throws IOException when the zip cannot be read or has no entry {@code name}
     */
    public static String digestHex(Path zip, String name, MessageDigest digest) throws IOException {
        try (ZipFile zf = ZipFile.builder().setPath(zip).get()) {
            ZipArchiveEntry e = zf.getEntry(name);
            if (e == null) {
                throw new IOException("no entry " + name + " in " + zip.getFileName());
            }
            try (InputStream in = new DigestInputStream(zf.getInputStream(e), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        }
    }

    /** Reads an entry fully, refusing more than {@code maxBytes}. */
    public static byte[] read(Path zip, String name, int maxBytes) throws IOException {
        try (ZipFile zf = ZipFile.builder().setPath(zip).get()) {
            ZipArchiveEntry e = zf.getEntry(name);
            if (e == null) {
                throw new IOException("no entry " + name + " in " + zip.getFileName());
            }
            try (InputStream in = zf.getInputStream(e)) {
                byte[] b = in.readNBytes(maxBytes + 1);
                if (b.length > maxBytes) {
                    throw new IOException("entry " + name + " is larger than " + maxBytes + " bytes");
                }
                return b;
            }
        }
    }

    /**
     * Writes {@code source} with the recorded changes to {@code target}.
     *
     * @throws IOException when {@code source} cannot be read or a named entry does not exist
     */
    public void write(Path source, Path target) throws IOException {
        Set<String> seen = new HashSet<>();
        try (ZipFile zf = ZipFile.builder().setPath(source).get();
             OutputStream fileOut = Files.newOutputStream(target);
             ZipArchiveOutputStream zos = new ZipArchiveOutputStream(fileOut)) {
            for (ZipArchiveEntry e : Collections.list(zf.getEntries())) {
                String name = e.getName();
                seen.add(name);
                if (removals.contains(name)) {
                    continue;
                }
                EntryTransform t = transforms.get(name);
                String newName = renames.get(name);
                if (t == null && newName == null) {
                    try (InputStream raw = zf.getRawInputStream(e)) {
                        zos.addRawArchiveEntry(e, raw);
                    }
                    continue;
                }
                ZipArchiveEntry ne = new ZipArchiveEntry(newName != null ? newName : name);
                ne.setMethod(ZipArchiveEntry.DEFLATED);
                ne.setTime(e.getTime());
                if (e.getUnixMode() != 0) {
                    ne.setUnixMode(e.getUnixMode());
                }
                zos.putArchiveEntry(ne);
                try (InputStream in = zf.getInputStream(e)) {
                    if (t != null) {
                        t.transform(in, e.getSize(), zos);
                    } else {
                        in.transferTo(zos);
                    }
                }
                zos.closeArchiveEntry();
            }
            for (Addition a : additions) {
                ZipArchiveEntry ne = new ZipArchiveEntry(a.name());
                ne.setMethod(ZipArchiveEntry.DEFLATED);
                ne.setUnixMode(a.unixMode());
                zos.putArchiveEntry(ne);
                zos.write(a.content());
                zos.closeArchiveEntry();
            }
        }
        for (String name : concat(transforms.keySet(), removals, renames.keySet())) {
            if (!seen.contains(name)) {
                Files.deleteIfExists(target);
                throw new IOException("no entry " + name + " in " + source.getFileName());
            }
        }
    }

    @SafeVarargs
    private static Set<String> concat(Set<String>... sets) {
        Set<String> all = new HashSet<>();
        for (Set<String> s : sets) {
            all.addAll(s);
        }
        return all;
    }
}
