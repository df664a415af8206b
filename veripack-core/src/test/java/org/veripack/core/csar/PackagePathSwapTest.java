package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.internal.csar.ZipArchive;

/**
 * The package path replaced while a verification runs (a local attacker who can write the directory the
 * package is read from): every check of one verification judges the file it opened, never what the path
 * names afterwards. The attack: open a package that hides bytes between its entries (the Janus family,
 * CVE-2017-13156), then rename a clean archive over its path before the checks run; the layout check
 * must still see the hidden bytes, and the package digest must be the opened file's.
 */
class PackagePathSwapTest {
    @TempDir
    Path dir;

    private static RawZip archive(boolean hidden) {
        RawZip z = new RawZip();
        z.entries.add(new RawZip.Entry("TOSCA-Metadata/TOSCA.meta", 0100644,
                "TOSCA-Meta-File-Version: 1.0\n".getBytes(StandardCharsets.UTF_8)));
        z.entries.add(new RawZip.Entry("Files/app.bin", 0100644, "payload".getBytes(StandardCharsets.UTF_8)));
        if (hidden) {
            z.entries.get(0).after = "PK\u0003\u0004 hidden payload".getBytes(StandardCharsets.UTF_8);
        }
        return z;
    }

    @Test
    void layoutCheckAndPackageDigestJudgeTheOpenedFileAfterThePathIsReplaced() throws Exception {
        Path pkg = archive(true).write(dir.resolve("package.csar"));
        String openedDigest = Digests.sha256Hex(pkg);
        Path clean = archive(false).write(dir.resolve("clean.csar"));
        List<Finding> findings = new ArrayList<>();
        try (FileChannel opened = FileChannel.open(pkg, StandardOpenOption.READ)) {
            Files.move(clean, pkg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertEquals(openedDigest, Digests.sha256Hex(opened), "the digest of the opened file, not the new path");
            Optional<ZipArchive> archive = ZipArchive.open(opened, Limits.DEFAULT, "package", findings);
            archive.ifPresent(a -> {
                try {
                    a.close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        assertTrue(findings.stream().anyMatch(f -> f.code() == FindingCode.MALFORMED_PACKAGE && f.subject().equals("package")),
                "the hidden bytes of the opened file are found: " + findings);
        // and the clean archive now at the path has none: the finding came from the opened file
        List<Finding> cleanFindings = new ArrayList<>();
        ZipArchive.open(pkg, Limits.DEFAULT, "package", cleanFindings).orElseThrow().close();
        assertTrue(cleanFindings.isEmpty(), cleanFindings.toString());
    }
}
