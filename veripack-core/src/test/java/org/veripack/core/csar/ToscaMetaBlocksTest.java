package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArtifactSink;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;

/**
 * TOSCA.meta per-file blocks ({@code Name}, {@code Content-Type}, {@code Algorithm}, {@code Hash}, as OpenStack
 * Tacker writes and checks them) in an otherwise genuine signed package: each digest is checked like a manifest
 * digest (docs/signed-metadata.md "TOSCA.meta file blocks").
 */
class ToscaMetaBlocksTest {
    @TempDir Path tmp;

    private static final String HEAD = "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: a vendor\n"
            + "Entry-Definitions: Definitions/mme.yaml\nETSI-Entry-Manifest: acme-mme.mf\n";

    /** A package signed by {@code veripack sign} whose TOSCA.meta has {@code blocks} after its first block. */
    private Path signed(String name, String blocks) throws Exception {
        Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, name));
        Files.createDirectories(dir.resolve("TOSCA-Metadata"));
        Files.writeString(dir.resolve("TOSCA-Metadata/TOSCA.meta"), HEAD + blocks);
        Path out = tmp.resolve(name + ".csar");
        Fixtures.signer(Fixtures.LEAF).conformanceChecks(false).build().writeOption1(dir, out); // sign refuses wrong block hashes
        return out;
    }

    private static String block(String name, String algorithm, String hash) {
        return "\nName: " + name + "\nContent-Type: application/x-sh\n" + (algorithm == null ? "" : "Algorithm: " + algorithm + "\n")
                + (hash == null ? "" : "Hash: " + hash + "\n");
    }

    private String digest(String path, String alg) throws Exception {
        Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, "ref"));
        return Digests.fileHex(dir.resolve(path), alg, org.veripack.core.ProgressListener.NONE);
    }

    @Test
    void rightDigestsInToscaMetaBlocksAreAccepted() throws Exception {
        String conf = digest("Files/mme.conf", "SHA-256");
        String exe512 = digest("Files/bin/mmed", "SHA-512");
        VerificationReport r = Fixtures.verifier().verifyCsar(signed("right",
                block("Files/mme.conf", "SHA-256", conf) + block("Files/bin/mmed", "sha-512", exe512.toUpperCase())
                        + "\nName: Definitions/mme.yaml\nContent-Type: text/yaml\n"));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    /** The Done-when case: one wrong hash in a block (another algorithm than the manifest's too) is DIGEST_MISMATCH. */
    @Test
    void aWrongHashInAToscaMetaBlockIsDigestMismatch() throws Exception {
        String conf = digest("Files/mme.conf", "SHA-256");
        String wrong = conf.substring(0, conf.length() - 1) + (conf.endsWith("0") ? "1" : "0");
        String exe512 = digest("Files/bin/mmed", "SHA-512");
        String wrong512 = "0".repeat(128);
        Path csar = signed("wrong", block("Files/mme.conf", "SHA-256", wrong) + block("Files/bin/mmed", "SHA-512", wrong512));
        VerificationReport r = Fixtures.verifier().verifyCsar(csar);
        List<Finding> mismatches = r.findings().stream().filter(f -> f.code() == FindingCode.DIGEST_MISMATCH).toList();
        assertEquals(Set.of(FindingCode.DIGEST_MISMATCH), codes(r), r::toString);
        // in the manifest's order (sorted by path)
        assertEquals(List.of("Files/bin/mmed", "Files/mme.conf"), mismatches.stream().map(Finding::subject).toList());
        assertEquals(List.of(wrong512, wrong), mismatches.stream().map(Finding::expected).toList());
        assertEquals(List.of(exe512, conf), mismatches.stream().map(Finding::actual).toList());

        // install: the verdict is the same, and the sink's files are untrusted (the caller discards them)
        PackageRejectedException e = org.junit.jupiter.api.Assertions.assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(csar, ArtifactSink.DISCARD));
        assertEquals(Set.of(FindingCode.DIGEST_MISMATCH), codes(e.report()));
    }

    @Test
    void blocksThatCannotBeCheckedAreRejectedWithTheirCode() throws Exception {
        String conf = digest("Files/mme.conf", "SHA-256");
        record Case(String name, String blocks, FindingCode code, String subject) { }
        List<Case> cases = List.of(
                new Case("sha224", block("Files/mme.conf", "SHA-224", "ab".repeat(28)), FindingCode.ALGORITHM_REJECTED, "Files/mme.conf"),
                new Case("md5", block("Files/mme.conf", "MD5", "ab".repeat(16)), FindingCode.ALGORITHM_REJECTED, "Files/mme.conf"),
                new Case("missing", block("Files/none.conf", "SHA-256", conf), FindingCode.ARTIFACT_MISSING, "Files/none.conf"),
                new Case("hash-only", block("Files/mme.conf", null, conf), FindingCode.MALFORMED_PACKAGE, "Files/mme.conf"),
                new Case("no-name", "\nContent-Type: text/plain\nAlgorithm: SHA-256\nHash: " + conf + "\n", FindingCode.MALFORMED_PACKAGE,
                        "TOSCA-Metadata/TOSCA.meta"),
                new Case("escape", block("../etc/passwd", "SHA-256", conf), FindingCode.UNSAFE_PATH, "../etc/passwd"));
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            VerificationReport r = Fixtures.verifier().verifyCsar(signed(c.name(), c.blocks()));
            boolean found = r.findings().stream().anyMatch(f -> f.code() == c.code() && f.subject().equals(c.subject()));
            if (r.verdict() != Verdict.REJECTED || !found || !codes(r).equals(Set.of(c.code()))) {
                failures.add(c.name() + ": " + r);
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    /** The TOSCA.meta file itself and the manifest may be named by a block: hashed separately, compared all the same. */
    @Test
    void aBlockNamingAFileNoManifestEntryHashesIsChecked() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(signed("manifest-block", block("acme-mme.mf", "SHA-256", "00".repeat(32))));
        assertTrue(r.findings().stream().anyMatch(f -> f.code() == FindingCode.DIGEST_MISMATCH && f.subject().equals("acme-mme.mf")),
                r::toString);
    }

    private static Set<FindingCode> codes(VerificationReport r) {
        return r.findings().stream().map(Finding::code).collect(Collectors.toCollection(TreeSet::new));
    }
}
