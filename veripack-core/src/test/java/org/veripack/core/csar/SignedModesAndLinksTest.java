package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.csar.Fixtures.E;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArchiveExecuteBits;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactSink;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.VerifiedPackage;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.sign.CmsSigner;

/**
 * Entry types, permission bits, directories and symlinks of the zip are
 * only installed as the signature says. Each test performs the attack on a genuinely signed package (the
 * manifest and its signature stay intact) and asserts the finding code, and for install that the sink
 * received nothing.
 */
class SignedModesAndLinksTest {
    private static final String HEAD = "metadata:\n    vnf_product_name: app\n    vnf_provider_id: Acme\n    vnf_package_version: 1.0\n\n";

    @TempDir Path tmp;

    // --- helpers: genuine packages, hand-written signed manifests, a recording sink ---

    private Path genuine() throws Exception {
        return Fixtures.genuineCsar(Files.createTempDirectory(tmp, "g"));
    }

    private Path attack(String name, java.util.function.UnaryOperator<List<E>> change) throws Exception {
        return Fixtures.rewrite(genuine(), tmp.resolve(name + ".csar"), change);
    }

    private static VerificationReport verify(Path csar) throws Exception {
        return Fixtures.verifier().verifyCsar(csar);
    }

    private static void assertRejectedWith(VerificationReport r, FindingCode code, String subject) {
        assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
        assertTrue(r.findings().stream().anyMatch(f -> f.code() == code && f.subject().equals(subject)),
                () -> "expected " + code + " on " + subject + " in " + r);
    }

    private static Finding finding(VerificationReport r, FindingCode code, String subject) {
        return r.findings().stream().filter(f -> f.code() == code && f.subject().equals(subject)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + code + " on " + subject + " in " + r));
    }

    /** One artifact of a hand-written manifest: zip entry plus the Veripack-Mode line to sign (null: none). */
    private record A(String path, int zipMode, String content, String signedMode) { }

    /** A CSAR whose manifest lists {@code artifacts} (digest over content; a symlink's content is its target), signed by the test leaf. */
    private Path handBuilt(String name, List<A> artifacts, E... unlisted) throws Exception {
        StringBuilder mf = new StringBuilder(HEAD);
        List<E> entries = new ArrayList<>();
        for (A a : artifacts) {
            mf.append("Source: ").append(a.path()).append("\nAlgorithm: SHA-256\nHash: ")
                    .append(Digests.hex("SHA-256", a.content().getBytes(StandardCharsets.UTF_8))).append('\n');
            if (a.signedMode() != null) {
                mf.append("Veripack-Mode: ").append(a.signedMode()).append('\n');
            }
            mf.append('\n');
            entries.add(new E(a.path(), a.zipMode(), a.content().getBytes(StandardCharsets.UTF_8)));
        }
        byte[] prefix = mf.toString().getBytes(StandardCharsets.UTF_8);
        byte[] cms = CmsSigner.toPemBytes(CmsSigner.builder(Fixtures.LEAF.identity(Fixtures.CA.certificate())).clock(Fixtures.CLOCK)
                .build().signDetached(new ByteArrayInputStream(prefix)));
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        manifest.write(prefix);
        manifest.write(cms);
        entries.add(0, new E("app.mf", 0100644, manifest.toByteArray()));
        entries.addAll(List.of(unlisted));
        Path csar = tmp.resolve(name + ".csar");
        Fixtures.write(csar, entries);
        return csar;
    }

    private static A file(String path, String content) {
        return new A(path, 0100644, content, "100644");
    }

    private static A link(String path, String target) {
        return new A(path, 0120777, target, "120000");
    }

    /** Records every sink call. */
    private static final class RecordingSink implements ArtifactSink {
        final Map<String, Integer> dirs = new LinkedHashMap<>();
        final Map<String, Integer> files = new LinkedHashMap<>();
        final Map<String, String> links = new LinkedHashMap<>();

        @Override public void directory(String path, int mode) { dirs.put(path, mode); }

        @Override public OutputStream file(String path, int mode, long sizeBytes) {
            files.put(path, mode);
            return OutputStream.nullOutputStream();
        }

        @Override public void symlink(String path, String target) { links.put(path, target); }

        boolean empty() { return dirs.isEmpty() && files.isEmpty() && links.isEmpty(); }
    }

    private static void assertInstallRefused(Path csar, FindingCode code) throws Exception {
        RecordingSink sink = new RecordingSink();
        PackageRejectedException e = assertThrows(PackageRejectedException.class,
                () -> Fixtures.verifier().verifyAndExtract(csar, sink));
        assertTrue(e.report().has(code), e.report()::toString);
        assertTrue(sink.empty(), "the sink received " + sink.dirs + sink.files + sink.links);
    }

    // --- A: modes and types are signed ---

    @Test
    void signerWritesVeripackModeForEveryArtifact() throws Exception {
        String mf = Fixtures.read(genuine()).stream().filter(e -> e.name().endsWith(".mf")).findFirst().orElseThrow().text();
        assertTrue(mf.contains("Source: Files/bin/mmed\nAlgorithm: SHA-256\nHash: "), mf);
        assertTrue(mf.matches("(?s).*Source: Files/bin/mmed\n[^\n]*\n[^\n]*\nVeripack-Mode: 100755\n.*"), mf);
        assertTrue(mf.matches("(?s).*Source: Files/mme.conf\n[^\n]*\n[^\n]*\nVeripack-Mode: 100644\n.*"), mf);
        assertTrue(mf.matches("(?s).*Source: Files/bin/mme\n[^\n]*\n[^\n]*\nVeripack-Mode: 120000\n.*"), mf);
        assertTrue(mf.matches("(?s).*Source: TOSCA-Metadata/TOSCA.meta\n[^\n]*\n[^\n]*\nVeripack-Mode: 100644\n.*"), mf);
    }

    @Test
    void modeFlipIsModeMismatch() throws Exception {
        Path csar = attack("modeflip", l -> {
            Fixtures.replace(l, "Files/bin/mmed", e -> new E(e.name(), 0100644, e.data()));
            return Fixtures.replace(l, "Files/mme.conf", e -> new E(e.name(), 0100755, e.data()));
        });
        VerificationReport r = verify(csar);
        Finding exe = finding(r, FindingCode.MODE_MISMATCH, "Files/bin/mmed");
        assertEquals("100755", exe.expected());
        assertEquals("100644", exe.actual());
        Finding conf = finding(r, FindingCode.MODE_MISMATCH, "Files/mme.conf");
        assertEquals("100644", conf.expected());
        assertEquals("100755", conf.actual());
        assertFalse(r.has(FindingCode.DIGEST_MISMATCH), r::toString);
        assertInstallRefused(csar, FindingCode.MODE_MISMATCH);
    }

    @Test
    void groupWritableOrOtherPermissionBitsAreModeMismatch() throws Exception {
        VerificationReport r = verify(attack("g+w", l -> Fixtures.replace(l, "Files/mme.conf", e -> new E(e.name(), 0100664, e.data()))));
        assertEquals("100664", finding(r, FindingCode.MODE_MISMATCH, "Files/mme.conf").actual());
    }

    @Test
    void signedRegularFileRemarkedAsSymlinkIsModeMismatch() throws Exception {
        // a signed file whose content is a path, re-marked as a symlink: the digest still matches
        // (docs/signed-metadata.md "Modes, directories and links")
        Path csar = handBuilt("typeconfusion", List.of(new A("etc/ref", 0120777, "../bin/mmed", "100644"),
                new A("bin/mmed", 0100755, "#!/bin/sh\n", "100755")));
        VerificationReport r = verify(csar);
        Finding f = finding(r, FindingCode.MODE_MISMATCH, "etc/ref");
        assertEquals("100644", f.expected());
        assertEquals("120777", f.actual());
        assertFalse(r.has(FindingCode.DIGEST_MISMATCH), r::toString);
        assertInstallRefused(csar, FindingCode.MODE_MISMATCH);
    }

    @Test
    void signedSymlinkStoredAsRegularFileIsModeMismatch() throws Exception {
        VerificationReport r = verify(attack("linkasfile", l -> Fixtures.replace(l, "Files/bin/mme", e -> new E(e.name(), 0100644, e.data()))));
        Finding f = finding(r, FindingCode.MODE_MISMATCH, "Files/bin/mme");
        assertEquals("120000", f.expected());
        assertEquals("100644", f.actual());
    }

    @Test
    void unsignedSymlinkTypeIsUnsafePath() throws Exception {
        // a third-party manifest (no Veripack-Mode): a symlink entry for a listed artifact is not covered
        Path csar = handBuilt("unsignedlink", List.of(new A("etc/ref", 0120777, "../bin/mmed", null),
                new A("bin/mmed", 0100755, "#!/bin/sh\n", null)));
        assertRejectedWith(verify(csar), FindingCode.UNSAFE_PATH, "etc/ref");
        assertInstallRefused(csar, FindingCode.UNSAFE_PATH);
    }

    @Test
    void unsignedExecBitIsIgnoredWithAWarningAndInstalledNonExecutable() throws Exception {
        Path csar = handBuilt("unsignedexec", List.of(new A("bin/mmed", 0100755, "#!/bin/sh\n", null),
                new A("etc/mme.conf", 0100600, "plmn: 00101\n", null)));
        RecordingSink sink = new RecordingSink();
        VerifiedPackage p = Fixtures.verifier().verifyAndExtract(csar, sink);
        assertEquals(List.of(new Warning(WarningCode.EXECUTE_BIT_IGNORED, "bin/mmed", "")), codesOf(p.report().warnings()), p.report()::toString);
        assertEquals(Map.of("bin/mmed", 0644, "etc/mme.conf", 0644), sink.files);
        ArtifactRecord exe = p.artifacts().stream().filter(a -> a.path().equals("bin/mmed")).findFirst().orElseThrow();
        assertEquals(0644, exe.mode());
    }

    /**
     * {@code archiveExecuteBits: honour}: the zip's owner-execute bit of an artifact without Veripack-Mode is
     * installed (0755) with a warning; only the owner bit counts; a signed Veripack-Mode still wins; setuid
     * stays UNSAFE_PATH under both settings.
     */
    @Test
    void honouredArchiveExecuteBitIsInstalledWithAWarningOnlyWhereNothingSignsTheMode() throws Exception {
        VerifiedPackage p;
        PackageVerifier honour = Fixtures.verifier(Fixtures.policy().toBuilder().archiveExecuteBits(ArchiveExecuteBits.HONOUR).build());
        Path csar = handBuilt("honoured", List.of(new A("bin/mmed", 0100755, "#!/bin/sh\n", null),
                new A("bin/other-only", 0100645, "#!/bin/sh\n", null), new A("etc/mme.conf", 0100600, "plmn: 00101\n", null),
                new A("bin/signed", 0100755, "#!/bin/sh\necho signed\n", "100644")));
        VerificationReport signedWins = honour.verifyCsar(csar);
        assertRejectedWith(signedWins, FindingCode.MODE_MISMATCH, "bin/signed");

        csar = handBuilt("honoured2", List.of(new A("bin/mmed", 0100700, "#!/bin/sh\n", null),
                new A("bin/other-only", 0100645, "#!/bin/sh\n", null), new A("etc/mme.conf", 0100600, "plmn: 00101\n", null),
                new A("bin/signed", 0100644, "#!/bin/sh\necho signed\n", "100644")));
        RecordingSink sink = new RecordingSink();
        p = honour.verifyAndExtract(csar, sink);
        assertEquals(Map.of("bin/mmed", 0755, "bin/other-only", 0644, "etc/mme.conf", 0644, "bin/signed", 0644), sink.files);
        assertEquals(0755, p.artifacts().stream().filter(a -> a.path().equals("bin/mmed")).findFirst().orElseThrow().mode());
        assertEquals(List.of(new Warning(WarningCode.EXECUTE_BIT_FROM_ARCHIVE, "bin/mmed", ""),
                new Warning(WarningCode.EXECUTE_BIT_IGNORED, "bin/other-only", "")), codesOf(p.report().warnings()), p.report()::toString);

        // the same package under the default: nothing executable
        RecordingSink ignored = new RecordingSink();
        Fixtures.verifier().verifyAndExtract(csar, ignored);
        assertEquals(0644, ignored.files.get("bin/mmed"));

        Path setuid = handBuilt("setuid", List.of(new A("bin/mmed", 0104755, "#!/bin/sh\n", null)));
        for (PackageVerifier v : List.of(honour, Fixtures.verifier())) {
            assertRejectedWith(v.verifyCsar(setuid), FindingCode.UNSAFE_PATH, "bin/mmed");
        }
    }

    @Test
    void installedRecordsAndSinkCarryTheSignedModes() throws Exception {
        Path csar = handBuilt("signed", List.of(new A("bin/mmed", 0100750, "#!/bin/sh\n", "100750"),
                new A("etc/mme.conf", 0100640, "plmn: 00101\n", "100640"), link("bin/mme", "mmed")));
        RecordingSink sink = new RecordingSink();
        VerifiedPackage p = Fixtures.verifier().verifyAndExtract(csar, sink);
        assertEquals(Map.of("bin/mmed", 0750, "etc/mme.conf", 0640), sink.files);
        assertEquals(Map.of("bin/mme", "mmed"), sink.links);
        assertEquals(Map.of("bin", 0755, "etc", 0755), sink.dirs);
        Map<String, ArtifactRecord> byPath = new LinkedHashMap<>();
        p.artifacts().forEach(a -> byPath.put(a.path(), a));
        assertEquals(0750, byPath.get("bin/mmed").mode());
        assertEquals(ArtifactType.SYMLINK, byPath.get("bin/mme").type());
        assertEquals(ArtifactType.DIRECTORY, byPath.get("bin").type());
    }

    @Test
    void option2InnerModesAreCoveredByTheOuterSignature() throws Exception {
        // no Veripack-Mode in the inner manifest: the outer CMS signs the inner zip's bytes, modes included
        Path inner = handBuilt("inner", List.of(new A("bin/mmed", 0100755, "#!/bin/sh\n", null),
                new A("bin/mme", 0120777, "mmed", null)));
        byte[] cms = CmsSigner.toPemBytes(CmsSigner.builder(Fixtures.LEAF.identity(Fixtures.CA.certificate()))
                .clock(Fixtures.CLOCK).build().signDetached(inner));
        Path outer = tmp.resolve("option2.zip");
        Fixtures.write(outer, List.of(new E("app.csar", 0100644, Files.readAllBytes(inner)),
                new E("app.cms", 0100644, cms)));
        RecordingSink sink = new RecordingSink();
        VerifiedPackage p = Fixtures.verifier().verifyAndExtract(outer, sink);
        assertEquals(Map.of("bin/mmed", 0755), sink.files);
        assertEquals(Map.of("bin/mme", "mmed"), sink.links);
        assertEquals(Verdict.ACCEPTED, p.report().verdict());

        Path withDir = tmp.resolve("option2dir.zip");
        Fixtures.write(withDir, List.of(new E("app.csar", 0100644, Files.readAllBytes(inner)),
                new E("app.cms", 0100644, cms), new E("extra/", 040755, new byte[0])));
        assertRejectedWith(verify(withDir), FindingCode.ARTIFACT_UNLISTED, "extra");
    }

    @Test
    void invalidVeripackModeValueIsMalformed() throws Exception {
        Path csar = handBuilt("badmode", List.of(new A("bin/mmed", 0104755, "#!/bin/sh\n", "104755")));
        assertTrue(verify(csar).has(FindingCode.MALFORMED_PACKAGE));
        Path dir = handBuilt("dirmode", List.of(new A("bin/mmed", 0100755, "#!/bin/sh\n", "040755")));
        assertTrue(verify(dir).has(FindingCode.MALFORMED_PACKAGE));
    }

    // --- B: directories ---

    @Test
    void unlistedDirectoryEntriesAreUnlisted() throws Exception {
        // empty directories the manifest never names would be created on the node (docs/signed-metadata.md)
        Path csar = attack("unlisteddirs", l -> {
            l.add(new E("Files/etc/mme.d/debug-enabled/", 040755, new byte[0]));
            l.add(new E("Files/bin/mmed.d/", 040755, new byte[0]));
            return l;
        });
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.ARTIFACT_UNLISTED, "Files/etc/mme.d/debug-enabled");
        assertRejectedWith(r, FindingCode.ARTIFACT_UNLISTED, "Files/bin/mmed.d");
        assertInstallRefused(csar, FindingCode.ARTIFACT_UNLISTED);
    }

    @Test
    void directoryEntriesThatAreAncestorsAreAllowedAndDirectoriesComeFromArtifactPaths() throws Exception {
        // the signer writes ancestor directory entries; their zip modes are not used
        Path csar = attack("ancestordirs", l -> Fixtures.replace(l, "Files/", e -> new E(e.name(), 040700, e.data())));
        RecordingSink sink = new RecordingSink();
        VerifiedPackage p = Fixtures.verifier().verifyAndExtract(csar, sink);
        assertEquals(Verdict.ACCEPTED, p.report().verdict());
        assertEquals(Map.of("Definitions", 0755, "Files", 0755, "Files/bin", 0755, "TOSCA-Metadata", 0755), sink.dirs);
    }

    @Test
    void directoryEntryWithDataIsMalformed() throws Exception {
        // an S_IFDIR entry with a name without '/' and content (docs/signed-metadata.md "Modes, directories and links")
        Path csar = attack("dirwithdata", l -> {
            l.add(new E("Files/hidden", 040755, "payload".getBytes(StandardCharsets.UTF_8)));
            l.add(new E("Files/bin/", 040755, "payload".getBytes(StandardCharsets.UTF_8)));
            return l;
        });
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.MALFORMED_PACKAGE, "Files/hidden");
        assertInstallRefused(csar, FindingCode.MALFORMED_PACKAGE);
    }

    // --- C: symlinks against the package's link graph ---

    @Test
    void symlinkChainEscapeIsUnsafePath() throws Exception {
        // a/b/up -> .. and lib/esc -> ../a/b/up/b/up/../../../../../etc: as text inside, on disk /etc
        Path csar = handBuilt("chainescape", List.of(file("a/b/f", "x"), link("a/b/up", ".."),
                link("lib/esc", "../a/b/up/b/up/../../../../../etc"), file("lib/x", "y")));
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.UNSAFE_PATH, "lib/esc");
        assertFalse(r.findings().stream().anyMatch(f -> f.subject().equals("a/b/up")), "a/b/up -> .. alone stays inside: " + r);
        assertInstallRefused(csar, FindingCode.UNSAFE_PATH);
    }

    @Test
    void fileThroughSymlinkIsUnsafePath() throws Exception {
        // verify and install must agree: a package verify accepts must not fail to install with an I/O error
        Path lib = handBuilt("libthrough", List.of(file("real/y", "y"), link("lib", "real"), file("lib/x", "x")));
        assertRejectedWith(verify(lib), FindingCode.UNSAFE_PATH, "lib/x");
        assertInstallRefused(lib, FindingCode.UNSAFE_PATH);
        Path usr = handBuilt("usrthrough", List.of(file("real/lib/bar", "b"), link("usr", "real"), file("usr/lib/foo", "f")));
        assertRejectedWith(verify(usr), FindingCode.UNSAFE_PATH, "usr/lib/foo");
        assertInstallRefused(usr, FindingCode.UNSAFE_PATH);
    }

    @Test
    void loopingAndDanglingSymlinksAreUnsafePath() throws Exception {
        Path csar = handBuilt("loops", List.of(file("x", "x"), link("a", "b"), link("b", "a"), link("gone", "nothing/here")));
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.UNSAFE_PATH, "a");
        assertRejectedWith(r, FindingCode.UNSAFE_PATH, "gone");
    }

    @Test
    void symlinksThatResolveInsideAreAccepted() throws Exception {
        Path csar = handBuilt("goodlinks", List.of(file("usr/lib/libx.so.1", "elf"), link("usr/lib/libx.so", "libx.so.1"),
                link("a/b/up", ".."), link("a/to-lib", "../usr/lib"), link("a/via", "b/up/to-lib/libx.so"), file("a/b/f", "f")));
        VerificationReport r = verify(csar);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    @Test
    void signerRefusesDirectoriesWithLinksThatDoNotResolveInside() throws Exception {
        Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, "src"));
        Files.createDirectories(dir.resolve("a/b"));
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("a/b/f"), "x");
        Files.createSymbolicLink(dir.resolve("a/b/up"), Path.of(".."));
        Files.createSymbolicLink(dir.resolve("lib/esc"), Path.of("../a/b/up/b/up/../../../../../etc"));
        assertThrows(IllegalArgumentException.class,
                () -> Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, tmp.resolve("out.csar")));
    }

    @Test
    void signerLeavesOutEmptyDirectoriesAndKeepsPermissionBits() throws Exception {
        Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, "src"));
        Files.createDirectories(dir.resolve("Files/empty"));
        Path conf = dir.resolve("Files/mme.conf");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r-----"));
        Path out = tmp.resolve("perm.csar");
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, out);
        assertTrue(Fixtures.read(out).stream().noneMatch(e -> e.name().startsWith("Files/empty")));
        VerificationReport r = verify(out);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(0640, r.artifacts().stream().filter(a -> a.path().equals("Files/mme.conf")).findFirst().orElseThrow().mode());
    }

    // --- D: link targets installed byte-exactly, links to the root, refused entries ---

    @Test
    void nonCanonicalSymlinkTargetsAreUnsafePathOnVerifyAndInstall() throws Exception {
        // `ln -s docs/ doc` signed, verified and installed, then the node's own check said
        // TAMPERED (java.nio.file.Path had stored "docs"); now refused before anything is installed
        String[] targets = {"docs/", "./docs/guide", "docs//guide", "docs/./guide", "docs/guide/"};
        for (int i = 0; i < targets.length; i++) {
            Path csar = handBuilt("noncanon" + i, List.of(file("docs/guide", "g"), link("doc", targets[i])));
            VerificationReport r = verify(csar);
            assertRejectedWith(r, FindingCode.UNSAFE_PATH, "doc");
            assertFalse(r.has(FindingCode.ARTIFACT_MISSING), r::toString);
            assertInstallRefused(csar, FindingCode.UNSAFE_PATH);
        }
    }

    @Test
    void signerRefusesDirectoriesWithNonCanonicalLinkTargets() throws Exception {
        for (String target : new String[] {"docs/", "./Files//bin/mmed", "."}) {
            Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, "src"));
            Files.createDirectories(dir.resolve("docs"));
            Files.writeString(dir.resolve("docs/guide"), "g");
            // ln(1), not Files.createSymbolicLink: java.nio.file.Path would normalise the target first
            Process ln = new ProcessBuilder("ln", "-s", target, dir.resolve("doc").toString()).inheritIO().start();
            assertEquals(0, ln.waitFor());
            assertEquals(target, Files.readSymbolicLink(dir.resolve("doc")).toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, tmp.resolve("out.csar")));
            assertTrue(e.getMessage().startsWith("doc "), e::getMessage);
        }
    }

    @Test
    void linksToThePackageRootAreUnsafePathOnVerifyAndInstallAndKeepTheIdentity() throws Exception {
        // `m -> .` verified ACCEPTED but install refused it; the text header lost name/version
        for (A link : List.of(link("m", "."), link("Files/self", ".."), link("a/b/up", "../.."))) {
            Path csar = handBuilt("root-" + link.path().replace('/', '_'), List.of(file("Files/f", "f"), file("a/b/g", "g"), link));
            VerificationReport r = verify(csar);
            assertRejectedWith(r, FindingCode.UNSAFE_PATH, link.path());
            assertTrue(org.veripack.core.ReportFormat.toText(r).startsWith("REJECTED app 1.0 "), () -> org.veripack.core.ReportFormat.toText(r));
            assertInstallRefused(csar, FindingCode.UNSAFE_PATH);
        }
    }

    @Test
    void refusedEntriesAreNotAlsoReportedMissing() throws Exception {
        // an entry that is present but refused gets its own finding only
        List<A> refused = List.of(new A("setuid", 0104755, "x", "100755"), new A("setgid", 0102755, "x", "100755"),
                new A("sock", 0140644, "x", "100644"), new A("fifo", 0010644, "x", "100644"),
                new A("dev", 0020644, "x", "100644"), link("abs", "/etc/passwd"), link("empty", ""),
                link("slash", "f/"));
        for (A a : refused) {
            Path csar = handBuilt("refused-" + a.path(), List.of(file("f", "f"), a));
            VerificationReport r = verify(csar);
            assertRejectedWith(r, FindingCode.UNSAFE_PATH, a.path());
            assertFalse(r.has(FindingCode.ARTIFACT_MISSING), r::toString);
        }
    }

    /** Warnings reduced to code and subject (the detail is prose), sorted by subject. */
    private static List<Warning> codesOf(List<Warning> warnings) {
        return warnings.stream().map(w -> new Warning(w.code(), w.subject(), "")).sorted(java.util.Comparator.comparing(Warning::subject)).toList();
    }
}
