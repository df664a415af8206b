package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageVerifier;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;

/**
 * Issue 5 item 1: every archive attack of {@link ArchiveAttackCorpus} through {@code verify}. Each case
 * is named after its attack; the corpus cites the public case it reproduces. The node's
 * {@code ArchiveAttackInstallTest} runs the same corpus through {@code install}.
 */
class ArchiveAttackCorpusTest {
    @TempDir Path tmp;

    static List<ArchiveAttackCorpus.Case> cases() {
        return ArchiveAttackCorpus.cases();
    }

    /** The baseline: RawZip's faithful copy of a genuine CSAR is ACCEPTED, so every rejection below is the attack's. */
    @Test
    void rawZipCopyOfGenuineCsarIsAccepted() throws Exception {
        Path copy = RawZip.of(ArchiveAttackCorpus.genuineCsar(tmp)).write(tmp.resolve("copy.csar"));
        VerificationReport r = Fixtures.verifier().verifyCsar(copy);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        RawZip deflated = RawZip.of(ArchiveAttackCorpus.genuineCsar(Files.createDirectories(tmp.resolve("d"))));
        deflated.entries.forEach(e -> e.deflate = true);
        deflated.entries.forEach(e -> e.zip64 = true);
        VerificationReport r2 = Fixtures.verifier().verifyCsar(deflated.write(tmp.resolve("zip64.csar")));
        assertEquals(Verdict.ACCEPTED, r2.verdict(), r2::toString);
    }

    /**
     * Streamed zips (data descriptors after each DEFLATED entry, as a writer on a non-seekable stream
     * produces them) are honest layouts too. Commons Compress on a plain {@code OutputStream}, because
     * the entries must keep their Unix modes: they are signed ({@code Veripack-Mode}), and
     * java.util.zip cannot write them (a copy without modes is {@code MODE_MISMATCH}, see below).
     */
    @Test
    void dataDescriptorZipIsAccepted() throws Exception {
        RawZip genuine = RawZip.of(ArchiveAttackCorpus.genuineCsar(tmp));
        Path streamed = tmp.resolve("streamed.csar");
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(Files.newOutputStream(streamed))) {
            for (RawZip.Entry e : genuine.entries) {
                ZipArchiveEntry z = new ZipArchiveEntry(e.name);
                z.setUnixMode(e.unixMode);
                out.putArchiveEntry(z);
                out.write(e.data);
                out.closeArchiveEntry();
            }
        }
        VerificationReport r = Fixtures.verifier().verifyCsar(streamed);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);

        Path noModes = tmp.resolve("streamed-without-modes.csar");
        try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(noModes))) {
            for (RawZip.Entry e : genuine.entries) {
                out.putNextEntry(new java.util.zip.ZipEntry(e.name));
                out.write(e.data);
                out.closeEntry();
            }
        }
        VerificationReport lost = Fixtures.verifier().verifyCsar(noModes);
        assertEquals(Verdict.REJECTED, lost.verdict(), lost::toString);
        assertTrue(lost.findings().stream().allMatch(f -> f.code() == FindingCode.MODE_MISMATCH), lost::toString);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void attackIsRejectedByVerify(ArchiveAttackCorpus.Case c) throws Exception {
        Path csar = c.build(tmp);
        VerificationReport r = PackageVerifier.create(ArchiveAttackCorpus.policy(c.limits()), ArchiveAttackCorpus.clock())
                .verifyCsar(csar);
        assertEquals(Verdict.REJECTED, r.verdict(), () -> c.name() + " (" + c.reproduces() + "): " + r);
        assertTrue(r.has(c.expected()), () -> c.name() + ": expected " + c.expected() + " in " + r);
    }
}
