package org.veripack.node.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.veripack.core.ArtifactType;
import org.veripack.core.FileDigest;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * Re-verifies an installed slot against its sealed entries (docs/node.md "Install sequence", guard re-verification): every expected entry is
 * present with the sealed type, on-disk mode ({@link InstalledEntry#installedMode()}), content digest
 * (files) or target (symlinks); nothing else is present (no extra files, no hard-link or device
 * surprises: anything that is not a regular file, directory or symlink is extra). Every mismatch is an
 * {@link FindingCode#INSTALLATION_TAMPERED} finding; the check never stops at the first one.
 * Files are hashed in parallel, one per core of the common pool (slots are read-only, order does not matter).
 */
public final class SlotVerifier {
    private SlotVerifier() { }

    /** @return every mismatch between {@code slotDir} and {@code entries}; empty when the slot is intact */
    public static List<Finding> verify(Path slotDir, List<InstalledEntry> entries) throws IOException {
        List<Finding> findings = Collections.synchronizedList(new ArrayList<>());
        if (!Files.isDirectory(slotDir, LinkOption.NOFOLLOW_LINKS)) {
            findings.add(Finding.of(FindingCode.INSTALLATION_TAMPERED, "slot", "slot directory missing: " + slotDir.getFileName()));
            return findings;
        }
        Map<String, InstalledEntry> expected = new HashMap<>();
        for (InstalledEntry e : entries) {
            expected.put(e.path(), e);
        }
        checkMode(slotDir, "", 0555, findings);
        Map<String, Path> seen = new TreeMap<>();
        Files.walkFileTree(slotDir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (!dir.equals(slotDir)) {
                    seen.put(rel(slotDir, dir), dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                seen.put(rel(slotDir, file), file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                findings.add(Finding.of(FindingCode.INSTALLATION_TAMPERED, rel(slotDir, file), "unreadable: " + exc.getMessage()));
                return FileVisitResult.CONTINUE;
            }
        });
        for (String path : seen.keySet()) {
            if (!expected.containsKey(path)) {
                findings.add(Finding.of(FindingCode.INSTALLATION_TAMPERED, path, "extra entry not in the sealed manifest"));
            }
        }
        Map<String, String> digestErrors = new ConcurrentHashMap<>();
        expected.values().parallelStream().forEach(e -> {
            Path p = seen.get(e.path());
            if (p == null) {
                findings.add(Finding.of(FindingCode.INSTALLATION_TAMPERED, e.path(), "sealed entry missing"));
                return;
            }
            try {
                checkEntry(p, e, findings);
            } catch (IOException ex) {
                digestErrors.put(e.path(), String.valueOf(ex.getMessage()));
            }
        });
        digestErrors.forEach((path, msg) -> findings.add(Finding.of(FindingCode.INSTALLATION_TAMPERED, path, "cannot read: " + msg)));
        List<Finding> sorted = new ArrayList<>(findings);
        sorted.sort((a, b) -> a.subject().compareTo(b.subject()));
        return sorted;
    }

    private static void checkEntry(Path p, InstalledEntry e, List<Finding> findings) throws IOException {
        PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        ArtifactType actual = attrs.isSymbolicLink() ? ArtifactType.SYMLINK
                : attrs.isDirectory() ? ArtifactType.DIRECTORY
                : attrs.isRegularFile() ? ArtifactType.FILE : null;
        if (actual != e.type()) {
            findings.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "entry type changed",
                    e.type().name(), actual == null ? "OTHER" : actual.name()));
            return;
        }
        switch (e.type()) {
            case DIRECTORY -> checkMode(p, e.path(), e.installedMode(), findings);
            case SYMLINK -> {
                String target = Files.readSymbolicLink(p).toString();
                if (!target.equals(e.linkTarget())) {
                    findings.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "symlink target changed", e.linkTarget(), target));
                }
            }
            case FILE -> {
                checkMode(p, e.path(), e.installedMode(), findings);
                if (attrs.size() != e.sizeBytes()) {
                    findings.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "size changed",
                            Long.toString(e.sizeBytes()), Long.toString(attrs.size())));
                    return;
                }
                String digest = FileDigest.hex(p, e.algorithm() == null ? "SHA-256" : e.algorithm(), LinkOption.NOFOLLOW_LINKS);
                if (!digest.equalsIgnoreCase(e.digestHex())) {
                    findings.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "content digest changed", e.digestHex(), digest));
                }
            }
            default -> throw new IllegalStateException("unknown type " + e.type());
        }
    }

    private static void checkMode(Path p, String path, int expected, List<Finding> findings) throws IOException {
        int mode = toMode(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        if (mode != expected) {
            findings.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, path.isEmpty() ? "." : path, "mode changed",
                    String.format("%04o", expected), String.format("%04o", mode)));
        }
    }


    /** Hex digest of bytes (symlink targets are digested over their UTF-8 bytes). */
    static String digest(String text, String algorithm) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IOException("digest algorithm unavailable: " + algorithm, ex);
        }
    }

    static int toMode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }

    private static String rel(Path root, Path p) {
        return root.relativize(p).toString().replace('\\', '/');
    }
}
