package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.VerificationReport;

/**
 * One verification opens the package once and closes it on every path (docs/architecture.md): after each of
 * a valid option-1 and option-2 package, a non-zip, a truncated zip, a zip over the entry limit and an install
 * whose sink fails, no descriptor of this process still names the package or the option-2 spool. Counted from
 * {@code /proc/self/fd} (Linux), so a leak on any path fails here rather than after a node ran out of descriptors.
 */
class PackageFileDescriptorTest {
    @TempDir Path tmp;

    /** The files this process holds open whose path starts with {@code prefix} (a deleted file keeps its name). */
    private static List<String> openUnder(Path prefix) throws IOException {
        List<String> open = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(prefix.toString())) {
                        open.add(target);
                    }
                } catch (IOException gone) {
                    // the listing's own descriptor, closed by now
                }
            }
        }
        return open;
    }

    private void assertNothingOpen(Path dir) throws IOException {
        assertEquals(List.of(), openUnder(dir), "descriptors left open on the package");
    }

    private static PackageVerifier digesting() {
        return Fixtures.verifier().withPackageDigest();
    }

    @Test
    void validOption1VerifyAndInstallCloseThePackage() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        assertTrue(digesting().verifyCsar(csar).accepted());
        assertNothingOpen(tmp);
        Fixtures.verifier().verifyAndExtract(csar, new CsarFormatsTest.RecordingSink());
        assertNothingOpen(tmp);
    }

    @Test
    void option2ClosesTheOuterPackageAndTheInnerSpool() throws Exception {
        Path outer = tmp.resolve("acme-mme-2.1.zip");
        Fixtures.signer(Fixtures.LEAF).build().writeOption2(Fixtures.packageDir(Files.createDirectory(tmp.resolve("src"))), outer);
        Path scratch = Files.createDirectory(tmp.resolve("scratch"));
        assertTrue(digesting().verifyCsar(outer).accepted());
        assertNothingOpen(tmp);
        Fixtures.verifier().verifyAndExtract(outer, new CsarFormatsTest.RecordingSink() {
            @Override public Path scratchDirectory() { return scratch; }
        });
        assertNothingOpen(tmp);
    }

    @Test
    void aNonZipAndATruncatedZipCloseThePackage() throws Exception {
        Path notZip = Files.write(tmp.resolve("not-a-zip.csar"), "this is not a zip archive\n".repeat(1000).getBytes());
        VerificationReport r = digesting().verifyCsar(notZip);
        assertTrue(r.has(FindingCode.MALFORMED_PACKAGE), r::toString);
        assertNothingOpen(tmp);
        PackageRejectedException e = assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(notZip, new CsarFormatsTest.RecordingSink()));
        assertTrue(e.report().has(FindingCode.MALFORMED_PACKAGE), e.report()::toString);
        assertNothingOpen(tmp);

        Path genuine = Fixtures.genuineCsar(tmp);
        byte[] bytes = Files.readAllBytes(genuine);
        Path truncated = Files.write(tmp.resolve("truncated.csar"), Arrays.copyOf(bytes, bytes.length - 30));
        assertTrue(digesting().verifyCsar(truncated).has(FindingCode.MALFORMED_PACKAGE));
        assertNothingOpen(tmp);
    }

    @Test
    void aZipOverTheEntryLimitClosesThePackage() throws Exception {
        Path over = HostileZips.emptyEntries(tmp.resolve("over.zip"), 101);
        Limits limits = new Limits(100, Limits.DEFAULT.maxTotalBytes(), Limits.DEFAULT.maxExpansionRatio(),
                Limits.DEFAULT.maxHeaderBytes());
        PackageVerifier v = Fixtures.verifier(Fixtures.policy().toBuilder().limits(limits).build()).withPackageDigest();
        assertTrue(v.verifyCsar(over).has(FindingCode.LIMIT_EXCEEDED));
        assertNothingOpen(tmp);
        Path headers = HostileZips.localExtraFields(tmp.resolve("extra.zip"), 40, 32_000);
        Limits small = new Limits(Limits.DEFAULT.maxEntries(), Limits.DEFAULT.maxTotalBytes(), Limits.DEFAULT.maxExpansionRatio(),
                1_000_000);
        assertTrue(Fixtures.verifier(Fixtures.policy().toBuilder().limits(small).build()).withPackageDigest()
                .verifyCsar(headers).has(FindingCode.LIMIT_EXCEEDED));
        assertNothingOpen(tmp);
    }

    @Test
    void anInstallWhoseSinkFailsClosesThePackage() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        IOException diskFull = new IOException("No space left on device");
        IOException thrown = assertThrows(IOException.class, () -> Fixtures.verifier().verifyAndExtract(csar,
                new CsarFormatsTest.RecordingSink() {
                    @Override public OutputStream file(String path, int mode, long sizeBytes) {
                        return new OutputStream() {
                            @Override public void write(int b) throws IOException { throw diskFull; }

                            @Override public void write(byte[] b, int off, int len) throws IOException { throw diskFull; }
                        };
                    }
                }));
        assertSame(diskFull, thrown, "the sink's failure, not one of a closed package");
        assertNothingOpen(tmp);
    }
}
