package org.veripack.core.internal.csar;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.zip.AsiExtraField;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipExtraField;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * The per-entry safety rules {@link ZipArchive} applies while indexing an archive (docs/threat-model.md maps
 * them to the attacks): unsafe or colliding names ({@code UNSAFE_PATH}, {@code ARTIFACT_DUPLICATE}), encrypted
 * or unsupported entries ({@code MALFORMED_PACKAGE}), setuid/setgid/sticky bits and device/FIFO/socket types,
 * links declared in extra fields, and entries whose path runs through a symlink entry ({@code UNSAFE_PATH}).
 * An entry that breaks a rule gets its finding and is left out of the index. Stateless; only
 * {@link ZipArchive} uses it.
 */
final class ZipEntryRules {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int SPECIAL_BITS = 07000;
    private static final int PKWARE_UNIX_EXTRA = 0x000d;

    private ZipEntryRules() { }

    /**
     * Indexes {@code all} (the archive's entries in physical order) into {@code entries} by normalised path,
     * leaving out, with a finding in {@code findings}, every entry a rule refuses.
     */
    static void index(ZipFile zip, List<ZipArchiveEntry> all, Map<String, ZipArchive.Entry> entries, List<Finding> findings) {
        Map<String, String> byKey = new HashMap<>();
        for (ZipArchiveEntry ze : all) {
            String raw = ze.getName();
            Optional<String> unsafe = PathRules.unsafeReason(raw);
            if (unsafe.isPresent()) {
                findings.add(Finding.of(FindingCode.UNSAFE_PATH, ZipArchive.printable(raw), unsafe.get()));
                continue;
            }
            String path = PathRules.normalise(raw);
            String key = PathRules.collisionKey(path);
            String earlier = byKey.putIfAbsent(key, path);
            if (earlier != null) {
                findings.add(Finding.mismatch(FindingCode.ARTIFACT_DUPLICATE, path,
                        "archive entry name collides with an earlier entry", earlier, raw));
                continue;
            }
            Optional<Finding> refusal = headerRefusal(zip, ze, path);
            if (refusal.isPresent()) {
                findings.add(refusal.get());
                continue;
            }
            typed(ze, path, findings).ifPresent(e -> entries.put(path, e));
        }
    }

    /** Encrypted, not STORED/DEFLATED, unreadable ({@code MALFORMED_PACKAGE}), a link in an extra field ({@code UNSAFE_PATH}). */
    private static Optional<Finding> headerRefusal(ZipFile zip, ZipArchiveEntry ze, String path) {
        if (ze.getGeneralPurposeBit().usesEncryption() || ze.getGeneralPurposeBit().usesStrongEncryption()) {
            return Optional.of(Finding.of(FindingCode.MALFORMED_PACKAGE, path, "encrypted zip entry"));
        }
        int method = ze.getMethod();
        if (method != ZipMethod.STORED.getCode() && method != ZipMethod.DEFLATED.getCode()) {
            return Optional.of(Finding.of(FindingCode.MALFORMED_PACKAGE, path, "unsupported compression method " + method));
        }
        if (!zip.canReadEntryData(ze)) {
            return Optional.of(Finding.of(FindingCode.MALFORMED_PACKAGE, path, "entry data cannot be read"));
        }
        Optional<String> link = linkInExtraField(ze);
        return link.map(l -> Finding.mismatch(FindingCode.UNSAFE_PATH, path, "hard link or link declared in an extra field",
                null, ZipArchive.printable(l)));
    }

    /** The entry typed by its Unix mode (or {@code /} name), or empty after {@code UNSAFE_PATH} (special bits or type). */
    private static Optional<ZipArchive.Entry> typed(ZipArchiveEntry ze, String path, List<Finding> findings) {
        String raw = ze.getName();
        int unixMode = ze.getPlatform() == ZipArchiveEntry.PLATFORM_UNIX ? ze.getUnixMode() : 0;
        int fileType = unixMode & S_IFMT;
        boolean dirByName = raw.endsWith("/");
        if ((unixMode & SPECIAL_BITS) != 0) {
            findings.add(Finding.mismatch(FindingCode.UNSAFE_PATH, path, "setuid/setgid/sticky bit",
                    null, String.format("%06o", unixMode)));
            return Optional.empty();
        }
        ArtifactType type;
        if (fileType == 0) {
            type = dirByName ? ArtifactType.DIRECTORY : ArtifactType.FILE;
        } else if (fileType == S_IFDIR) {
            type = ArtifactType.DIRECTORY;
        } else if (fileType == S_IFREG && !dirByName) {
            type = ArtifactType.FILE;
        } else if (fileType == S_IFLNK && !dirByName) {
            type = ArtifactType.SYMLINK;
        } else {
            findings.add(Finding.mismatch(FindingCode.UNSAFE_PATH, path,
                    "device, FIFO, socket or inconsistent entry type", null, String.format("%06o", unixMode)));
            return Optional.empty();
        }
        int perms = unixMode & 0777;
        if (fileType == 0) {
            perms = type == ArtifactType.DIRECTORY ? 0755 : 0644;
        }
        if (type == ArtifactType.SYMLINK) {
            perms = 0777;
        }
        return Optional.of(new ZipArchive.Entry(path, raw, type, perms, ze, null));
    }

    /**
     * A link target carried by an extra field rather than by a symlink entry: the ASi Unix field
     * (0x756e) with a link name, or the PKWARE Unix field (0x000d) with variable data (its hard- or
     * symlink target, APPNOTE §4.5.7). The installer only creates symlinks from entries whose Unix mode
     * says so, so such an entry would be installed with a meaning other tools give differently.
     */
    private static Optional<String> linkInExtraField(ZipArchiveEntry ze) {
        for (ZipExtraField f : ze.getExtraFields(true)) {
            if (f instanceof AsiExtraField asi && asi.isLink()) {
                return Optional.of(asi.getLinkedFile());
            }
            if (f.getHeaderId().getValue() == PKWARE_UNIX_EXTRA) {
                byte[] local = f.getLocalFileDataData();
                byte[] central = f.getCentralDirectoryData();
                if (local != null && local.length > 12 || central != null && central.length > 12) {
                    byte[] data = central != null && central.length > 12 ? central : local;
                    return Optional.of(new String(data, 12, data.length - 12, StandardCharsets.UTF_8));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Rejects entries whose path runs through a symlink entry ({@code link -> dir} then
     * {@code link/file}): extracting them would write through the link, outside the place the manifest
     * names (the tar/zip "symlink then file" escape, e.g. CVE-2021-21272 / GNU tar's and zip-slip's
     * symlink variants); names are compared by collision key, so case variants count too.
     */
    static void checkNothingThroughLinks(Map<String, ZipArchive.Entry> entries, List<Finding> findings) {
        Map<String, ZipArchive.Entry> links = new HashMap<>();
        for (ZipArchive.Entry e : entries.values()) {
            if (e.type() == ArtifactType.SYMLINK) {
                links.put(PathRules.collisionKey(e.path()), e);
            }
        }
        if (links.isEmpty()) {
            return;
        }
        for (ZipArchive.Entry e : List.copyOf(entries.values())) {
            String key = PathRules.collisionKey(e.path());
            for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
                ZipArchive.Entry link = links.get(key.substring(0, i));
                if (link != null) {
                    findings.add(Finding.mismatch(FindingCode.UNSAFE_PATH, e.path(), "entry path runs through a symlink entry",
                            null, link.path() + " -> " + ZipArchive.printable(String.valueOf(link.linkTarget()))));
                    entries.remove(e.path());
                    break;
                }
            }
        }
    }
}
