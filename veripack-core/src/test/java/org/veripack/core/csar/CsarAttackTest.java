package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.csar.Fixtures.E;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.PackageFormat;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/** Seed tests a)/b) for SOL004 option 1 and one real attack per finding code the CSAR reader raises. */
class CsarAttackTest {
    @TempDir Path tmp;

    private VerificationReport verify(Path csar) throws Exception {
        return Fixtures.verifier().verifyCsar(csar);
    }

    private static void assertRejectedWith(VerificationReport r, FindingCode code) {
        assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
        assertTrue(r.has(code), () -> "expected " + code + " in " + r);
    }

    private Path attack(String name, java.util.function.UnaryOperator<List<E>> change) throws Exception {
        return Fixtures.rewrite(Fixtures.genuineCsar(tmp), tmp.resolve(name + ".csar"), change);
    }

    // --- seed test b) and a) ---

    @Test
    void byteFlippedInTheMiddleOfALargeStoredArtifactIsFound() throws Exception {
        // 6 MiB STORED: hashed straight from the file through many read buffers; the flipped byte also makes the
        // entry's CRC-32 wrong, which is not what finds it: the manifest's SHA-256 is (docs/threat-model.md)
        Path dir = Fixtures.packageDir(Files.createTempDirectory(tmp, "src"));
        byte[] image = new byte[6 * 1024 * 1024];
        new java.util.Random(7).nextBytes(image);
        Files.write(dir.resolve("Files/image.bin"), image);
        Path csar = tmp.resolve("stored.csar");
        Fixtures.signer(Fixtures.LEAF).storeArtifacts(true).build().writeOption1(dir, csar);
        VerificationReport ok = verify(csar);
        assertEquals(Verdict.ACCEPTED, ok.verdict(), ok::toString);
        assertEquals(image.length, artifact(ok, "Files/image.bin").sizeBytes());

        byte[] zip = Files.readAllBytes(csar);
        byte[] probe = Arrays.copyOfRange(image, image.length / 2, image.length / 2 + 64);
        int at = indexOf(zip, probe);
        assertTrue(at > 0, "the stored image bytes are in the file as they are");
        zip[at + 10] ^= 0x01;
        Path flipped = Files.write(tmp.resolve("flipped.csar"), zip);
        VerificationReport bad = verify(flipped);
        assertRejectedWith(bad, FindingCode.DIGEST_MISMATCH);
        assertTrue(bad.findings().stream().anyMatch(f -> f.code() == FindingCode.DIGEST_MISMATCH
                && f.subject().equals("Files/image.bin")), bad::toString);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void packageDigestIsTheSha256OfTheWholeFileWhenAskedFor() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        VerificationReport r = Fixtures.verifier().withPackageDigest().verifyCsar(csar);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        String expected = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(csar)));
        assertEquals(expected, r.packageSha256().orElseThrow());
        // and it names these bytes: one byte more (an appended byte the zip reader may tolerate) changes it
        Path longer = tmp.resolve("longer.csar");
        Files.write(longer, Arrays.copyOf(Files.readAllBytes(csar), (int) Files.size(csar) + 1));
        assertFalse(Fixtures.verifier().withPackageDigest().verifyCsar(longer).packageSha256().orElse("").equals(expected));
    }

    @Test
    void genuineCsarIsAccepted() throws Exception {
        VerificationReport r = verify(Fixtures.genuineCsar(tmp));
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(PackageFormat.CSAR_OPTION_1, r.format());
        assertEquals("acme-mme", r.identity().orElseThrow().name());
        assertEquals("2.1", r.identity().orElseThrow().version());
        assertEquals("Acme", r.identity().orElseThrow().provider());
        assertFalse(r.signers().isEmpty());
        assertTrue(r.packageSha256().isEmpty(), "plain verification does not hash the whole file a second time");
        ArtifactRecord exe = artifact(r, "Files/bin/mmed");
        assertEquals(0755, exe.mode());
        assertEquals(ArtifactType.FILE, exe.type());
        ArtifactRecord link = artifact(r, "Files/bin/mme");
        assertEquals(ArtifactType.SYMLINK, link.type());
        assertEquals("mmed", link.linkTarget());
        assertEquals(ArtifactType.DIRECTORY, artifact(r, "Files/bin").type());
    }

    @Test
    void flippedByteInArtifactIsDigestMismatch() throws Exception {
        Path csar = attack("flip", l -> Fixtures.replace(l, "Files/mme.conf", e -> {
            byte[] d = e.data().clone();
            d[3] ^= 1;
            return e.withData(d);
        }));
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.DIGEST_MISMATCH);
        Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.DIGEST_MISMATCH).findFirst().orElseThrow();
        assertEquals("Files/mme.conf", f.subject());
        assertNotNull(f.expected());
        assertNotNull(f.actual());
        assertFalse(f.expected().equals(f.actual()));
    }

    @Test
    void addedFileIsUnlisted() throws Exception {
        VerificationReport r = verify(attack("added", l -> { l.add(E.file("Files/bin/backdoor", "rm -rf /")); return l; }));
        assertRejectedWith(r, FindingCode.ARTIFACT_UNLISTED);
    }

    @Test
    void removedFileIsMissing() throws Exception {
        VerificationReport r = verify(attack("removed", l -> { l.remove(Fixtures.indexOf(l, "Files/mme.conf")); return l; }));
        assertRejectedWith(r, FindingCode.ARTIFACT_MISSING);
    }

    @Test
    void editedManifestInvalidatesSignature() throws Exception {
        Path csar = attack("edited", l -> Fixtures.replace(l, Fixtures.manifestName(l),
                e -> e.withData(e.text().replace("vnf_package_version: 2.1", "vnf_package_version: 9.9").getBytes(StandardCharsets.UTF_8))));
        VerificationReport r = verify(csar);
        assertRejectedWith(r, FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void strippedCmsBlockIsSignatureMissing() throws Exception {
        Path csar = attack("stripped", l -> Fixtures.replace(l, Fixtures.manifestName(l),
                e -> e.withData(e.text().substring(0, e.text().indexOf("-----BEGIN CMS-----")).getBytes(StandardCharsets.UTF_8))));
        assertRejectedWith(verify(csar), FindingCode.SIGNATURE_MISSING);
    }

    @Test
    void dataAfterCmsBlockIsMalformed() throws Exception {
        Path csar = attack("trailing", l -> Fixtures.replace(l, Fixtures.manifestName(l),
                e -> e.withData((e.text() + "Source: Files/bin/backdoor\n").getBytes(StandardCharsets.UTF_8))));
        assertRejectedWith(verify(csar), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void zipSlipEntryIsUnsafePath() throws Exception {
        VerificationReport r = verify(attack("slip", l -> { l.add(E.file("Files/../../../etc/cron.d/evil", "* * * * * root sh")); return l; }));
        assertRejectedWith(r, FindingCode.UNSAFE_PATH);
    }

    @Test
    void absolutePathEntryIsUnsafePath() throws Exception {
        VerificationReport r = verify(attack("abs", l -> { l.add(E.file("/etc/passwd", "root::0:0::/:/bin/sh")); return l; }));
        assertRejectedWith(r, FindingCode.UNSAFE_PATH);
    }

    @Test
    void backslashAndDriveLetterEntriesAreUnsafePath() throws Exception {
        VerificationReport r = verify(attack("win", l -> {
            l.add(E.file("Files\\..\\..\\evil.bat", "x"));
            l.add(E.file("C:/Windows/evil.dll", "x"));
            return l;
        }));
        assertEquals(2, r.findings().stream().filter(f -> f.code() == FindingCode.UNSAFE_PATH).count(), r::toString);
    }

    @Test
    void escapingSymlinkIsUnsafePath() throws Exception {
        VerificationReport r = verify(attack("link", l -> Fixtures.replace(l, "Files/bin/mme",
                e -> e.withData("../../../etc/shadow".getBytes(StandardCharsets.UTF_8)))));
        assertRejectedWith(r, FindingCode.UNSAFE_PATH);
    }

    @Test
    void absoluteSymlinkIsUnsafePath() throws Exception {
        VerificationReport r = verify(attack("abslink", l -> { l.add(new E("Files/bin/sh", 0120777, "/bin/sh".getBytes(StandardCharsets.UTF_8))); return l; }));
        assertRejectedWith(r, FindingCode.UNSAFE_PATH);
    }

    @Test
    void setuidEntryIsUnsafePath() throws Exception {
        VerificationReport r = verify(attack("setuid", l -> Fixtures.replace(l, "Files/bin/mmed",
                e -> new E(e.name(), 0104755, e.data()))));
        assertRejectedWith(r, FindingCode.UNSAFE_PATH);
    }

    @Test
    void deviceAndFifoEntriesAreUnsafePath() throws Exception {
        VerificationReport r = verify(attack("dev", l -> {
            l.add(new E("Files/dev/sda", 0060600, new byte[0]));
            l.add(new E("Files/dev/fifo", 0010644, new byte[0]));
            return l;
        }));
        assertEquals(2, r.findings().stream().filter(f -> f.code() == FindingCode.UNSAFE_PATH).count(), r::toString);
    }

    @Test
    void exactDuplicateEntryCannotHide() throws Exception {
        VerificationReport r = verify(attack("dup", l -> { l.add(E.file("Files/mme.conf", "plmn: 99999\n")); return l; }));
        assertRejectedWith(r, FindingCode.ARTIFACT_DUPLICATE);
    }

    @Test
    void caseUnicodeAndDotSlashVariantsAreDuplicates() throws Exception {
        for (String variant : new String[] {"files/MME.conf", "./Files/mme.conf", "Files//mme.conf"}) {
            VerificationReport r = verify(attack("variant", l -> { l.add(E.file(variant, "plmn: 99999\n")); return l; }));
            assertRejectedWith(r, FindingCode.ARTIFACT_DUPLICATE);
        }
        VerificationReport nfc = verify(attack("nfc", l -> {
            l.add(E.file("Files/caf\u00e9.txt", "a"));
            l.add(E.file("Files/cafe\u0301.txt", "b"));
            return l;
        }));
        assertRejectedWith(nfc, FindingCode.ARTIFACT_DUPLICATE);
        VerificationReport dirVsFile = verify(attack("dirfile", l -> { l.add(new E("Files/mme.conf/", 040755, new byte[0])); return l; }));
        assertRejectedWith(dirVsFile, FindingCode.ARTIFACT_DUPLICATE);
    }

    @Test
    void truncatedZipIsMalformed() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        byte[] b = Files.readAllBytes(csar);
        Path cut = Files.write(tmp.resolve("cut.csar"), Arrays.copyOf(b, b.length / 2));
        VerificationReport r = verify(cut);
        assertRejectedWith(r, FindingCode.MALFORMED_PACKAGE);
        Path junk = Files.writeString(tmp.resolve("junk.csar"), "this is not a zip archive");
        assertRejectedWith(verify(junk), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void dataPrependedToTheZipIsMalformed() throws Exception {
        byte[] zip = Files.readAllBytes(Fixtures.genuineCsar(tmp));
        byte[] polyglot = new byte[zip.length + 16];
        System.arraycopy("#!/bin/sh\nexit 0\n".getBytes(StandardCharsets.US_ASCII), 0, polyglot, 0, 16);
        System.arraycopy(zip, 0, polyglot, 16, zip.length);
        Path p = Files.write(tmp.resolve("polyglot.csar"), polyglot);
        assertRejectedWith(verify(p), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void encryptedEntryIsMalformed() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        Fixtures.patchHeaders(csar, 1, null);
        assertRejectedWith(verify(csar), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void unsupportedCompressionMethodIsMalformed() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        Fixtures.patchHeaders(csar, null, 12);
        assertRejectedWith(verify(csar), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void tooManyEntriesIsLimitExceeded() throws Exception {
        VerificationReport r = Fixtures.verifier(Fixtures.policy().toBuilder().limits(new Limits(3, 1L << 30, 200, 1L << 20)).build())
                .verifyCsar(Fixtures.genuineCsar(tmp));
        assertRejectedWith(r, FindingCode.LIMIT_EXCEEDED);
    }

    @Test
    void totalBytesAboveLimitIsLimitExceeded() throws Exception {
        VerificationReport r = Fixtures.verifier(Fixtures.policy().toBuilder().limits(new Limits(100, 200, 200, 1L << 20)).build())
                .verifyCsar(Fixtures.genuineCsar(tmp));
        assertRejectedWith(r, FindingCode.LIMIT_EXCEEDED);
    }

    @Test
    void deflateBombIsLimitExceeded() throws Exception {
        Path dir = Fixtures.packageDir(tmp);
        Files.write(dir.resolve("Files/zeros.bin"), new byte[2 * 1024 * 1024]);
        Path csar = tmp.resolve("bomb.csar");
        Fixtures.signer(Fixtures.LEAF).build().writeOption1(dir, csar);
        assertEquals(Verdict.ACCEPTED, Fixtures.verifier(Fixtures.policy().toBuilder()
                .limits(new Limits(100, 1L << 30, 100_000, 1L << 20)).build()).verifyCsar(csar).verdict());
        VerificationReport r = Fixtures.verifier(Fixtures.policy().toBuilder().limits(new Limits(100, 1L << 30, 100, 1L << 20)).build())
                .verifyCsar(csar);
        assertRejectedWith(r, FindingCode.LIMIT_EXCEEDED);
        assertTrue(r.findings().stream().anyMatch(f -> f.subject().equals("Files/zeros.bin")), r::toString);
    }

    // --- signer and policy ---

    @Test
    void untrustedSignerIsRejected() throws Exception {
        Issued otherRoot = TestPki.cert("CN=Other Root").ca(true).build();
        VerificationReport r = Fixtures.verifier(org.veripack.core.TrustPolicy.withAnchors(List.of(otherRoot.certificate())))
                .verifyCsar(Fixtures.genuineCsar(tmp));
        assertRejectedWith(r, FindingCode.SIGNER_UNTRUSTED);
    }

    @Test
    void expiredSignerIsCertExpired() throws Exception {
        Issued old = TestPki.cert("CN=Old Code Signing,O=Acme").issuedBy(Fixtures.CA)
                .validity(TestPki.DEFAULT_NOW.minusSeconds(86400 * 400), TestPki.DEFAULT_NOW.minusSeconds(86400 * 30)).build();
        Path out = tmp.resolve("old.csar");
        Fixtures.signer(old).conformanceChecks(false).build().writeOption1(Fixtures.packageDir(tmp), out);
        assertRejectedWith(verify(out), FindingCode.CERT_EXPIRED);
    }

    @Test
    void signerWithoutCodeSigningEkuIsKeyUsageInvalid() throws Exception {
        Issued tls = TestPki.cert("CN=Not Code Signing,O=Acme").issuedBy(Fixtures.CA).codeSigningEku(false).build();
        Path out = tmp.resolve("eku.csar");
        Fixtures.signer(tls).conformanceChecks(false).build().writeOption1(Fixtures.packageDir(tmp), out);
        assertRejectedWith(verify(out), FindingCode.KEY_USAGE_INVALID);
    }

    @Test
    void digestAlgorithmOutsidePolicyIsAlgorithmRejected() throws Exception {
        VerificationReport r = Fixtures.verifier(Fixtures.policy().toBuilder().allowedDigestAlgorithms(Set.of("SHA-512")).build())
                .verifyCsar(Fixtures.genuineCsar(tmp));
        assertRejectedWith(r, FindingCode.ALGORITHM_REJECTED);
    }

    @Test
    void signerOutsidePolicySignersMapIsNotAuthorized() throws Exception {
        Path csar = Fixtures.genuineCsar(tmp);
        VerificationReport r = Fixtures.verifier(Fixtures.policy().toBuilder()
                .signers("acme-mme", List.of("CN=Someone Else,O=Acme")).build()).verifyCsar(csar);
        assertRejectedWith(r, FindingCode.SIGNER_NOT_AUTHORIZED);
        VerificationReport ok = Fixtures.verifier(Fixtures.policy().toBuilder()
                .signers("acme-mme", List.of("CN=Acme Code Signing,O=Acme")).build()).verifyCsar(csar);
        assertEquals(Verdict.ACCEPTED, ok.verdict(), ok::toString);
    }

    @Test
    void sha384AndSha512ManifestsVerify() throws Exception {
        for (String alg : new String[] {"SHA-384", "SHA512"}) {
            Path out = tmp.resolve("d" + alg + ".csar");
            Fixtures.signer(Fixtures.LEAF).digestAlgorithm(alg).build().writeOption1(Fixtures.packageDir(tmp.resolve(alg)), out);
            VerificationReport r = verify(out);
            assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
            assertTrue(r.artifacts().stream().anyMatch(a -> a.digestAlgorithm() != null && a.digestAlgorithm().startsWith("SHA-")));
        }
    }

    private static ArtifactRecord artifact(VerificationReport r, String path) {
        return r.artifacts().stream().filter(a -> a.path().equals(path)).findFirst()
                .orElseThrow(() -> new AssertionError("no artifact " + path + " in " + r.artifacts()));
    }
}
