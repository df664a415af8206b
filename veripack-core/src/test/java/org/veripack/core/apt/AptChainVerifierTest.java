package org.veripack.core.apt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.FindingCode;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;

/**
 * The Debian repository chain, genuine and under attack (docs/guide.md "Verify through the Debian channel"): every attack is performed on real
 * files (a dpkg-deb built package, a Packages index, a clearsigned InRelease by a Bouncy Castle key)
 * and asserted by finding code.
 */
class AptChainVerifierTest {
    static final Instant KEY_CREATED = Instant.parse("2025-01-01T00:00:00Z");
    static final Instant SIGNED_AT = Instant.parse("2026-02-01T00:00:00Z");
    static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");

    static OpenPgpTestKey archiveKey;
    static OpenPgpTestKey outsiderKey;
    static Path builtDeb;

    @TempDir
    static Path shared;
    @TempDir
    Path dir;
    AptRepoFixture repo;

    @BeforeAll
    static void keysAndPackage() throws Exception {
        archiveKey = OpenPgpTestKey.generate("Veripack Test Archive Signing Key <archive@veripack.invalid>", KEY_CREATED, 0);
        outsiderKey = OpenPgpTestKey.generate("Mallory <mallory@attacker.invalid>", KEY_CREATED, 0);
        builtDeb = AptRepoFixture.buildDeb(shared);
    }

    @BeforeEach
    void repository() throws IOException {
        Path deb = dir.resolve(builtDeb.getFileName());
        Files.copy(builtDeb, deb);
        repo = new AptRepoFixture(dir, deb, SIGNED_AT);
    }

    private Path keyring(OpenPgpTestKey... keys) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (OpenPgpTestKey k : keys) {
            out.writeBytes(k.binary());
        }
        Path file = dir.resolve("keyring.gpg");
        Files.write(file, out.toByteArray());
        return file;
    }

    private AptChainVerifier verifier(Path keyring) throws PolicyException {
        return AptChainVerifier.create(TrustPolicy.withKeyrings(List.of(keyring)), Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private VerificationReport verifyInRelease(AptRepoFixture.Written w, OpenPgpTestKey... trusted) throws Exception {
        return verifier(keyring(trusted)).verifyInRelease(w.inRelease(), w.packages(), w.deb());
    }

    private static void assertRejectedWith(VerificationReport r, FindingCode code) {
        assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
        assertTrue(r.has(code), () -> "expected " + code + " in " + r);
    }

    private static void flipByte(Path file, long offset) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int i = (int) (offset < 0 ? b.length + offset : offset);
        b[i] ^= 0x01;
        Files.write(file, b);
    }

    // --- genuine chains ---

    @Test
    void genuineChainIsAcceptedAndReportsSignerAndDigestChain() throws Exception {
        VerificationReport r = verifyInRelease(repo.write("plain", archiveKey), archiveKey);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(1, r.signers().size());
        String subkeyFpr = HexFormat.of().withUpperCase().formatHex(archiveKey.subkey.getPublicKey().getFingerprint());
        String primaryFpr = HexFormat.of().withUpperCase().formatHex(archiveKey.primary.getPublicKey().getFingerprint());
        assertEquals(subkeyFpr, r.signers().get(0).fingerprintSha256());
        assertEquals(List.of(subkeyFpr, primaryFpr), r.signers().get(0).certificationPath());
        List<String> paths = r.artifacts().stream().map(ArtifactRecord::path).toList();
        assertEquals(List.of("InRelease", "main/binary-amd64/Packages", AptRepoFixture.POOL_PATH), paths);
        String debSha = AptRepoFixture.sha256(Files.readAllBytes(repo.deb));
        assertEquals(debSha, r.artifacts().get(2).digestHex());
        assertEquals(debSha, r.packageSha256().orElseThrow());
        assertEquals("vp-mme", r.identity().orElseThrow().name());
        assertEquals("1.0-1", r.identity().orElseThrow().version());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gz", "xz", "lz4"})
    void compressedPackagesIndexIsCheckedOnItsUncompressedBytes(String compression) throws Exception {
        VerificationReport r = verifyInRelease(repo.write(compression, archiveKey), archiveKey);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals("main/binary-amd64/Packages", r.artifacts().get(1).path());
        assertEquals(repo.packagesText.length(), r.artifacts().get(1).sizeBytes());
    }

    @Test
    void detachedReleaseGpgIsAccepted() throws Exception {
        AptRepoFixture.Written w = repo.write("xz", archiveKey);
        VerificationReport r = verifier(keyring(archiveKey)).verifyRelease(w.release(), w.releaseGpg(), w.packages(), w.deb());
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals("Release", r.artifacts().get(0).path());
    }

    @Test
    void armoredKeyringIsAccepted() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Path asc = dir.resolve("archive.asc");
        Files.write(asc, archiveKey.armored());
        VerificationReport r = verifier(asc).verifyInRelease(w.inRelease(), w.packages(), w.deb());
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    @Test
    void secondSignatureByUnknownKeyIsIgnoredWhenOneSignatureIsGood() throws Exception {
        VerificationReport r = verifyInRelease(repo.write("plain", outsiderKey, archiveKey), archiveKey);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
        assertEquals(1, r.signers().size());
        assertEquals(List.of(org.veripack.core.WarningCode.SIGNATURE_IGNORED), r.warnings().stream().map(w -> w.code()).toList());
    }

    @Test
    void epochEncodedDebFileNameStillFindsItsStanza() throws Exception {
        // apt-get download writes an epoch colon as %3a; the stanza is found from the .deb's control anyway.
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Path renamed = Files.move(w.deb(), dir.resolve("vp-mme_0%3a1.0-1_amd64.deb"));
        VerificationReport r = verifier(keyring(archiveKey)).verifyInRelease(w.inRelease(), w.packages(), renamed);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    @Test
    void gpgvAgreesOnTheGenuineAndTamperedFixture() throws Exception {
        // interop peer: GnuPG's gpgv verifies the fixture InRelease like Veripack does
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/gpgv")), "gpgv not installed");
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Path keyring = keyring(archiveKey);
        assertEquals(0, gpgv(keyring, w.inRelease()));
        Files.writeString(w.inRelease(), Files.readString(w.inRelease()).replace("Suite: stable", "Suite: stabke"));
        assertTrue(gpgv(keyring, w.inRelease()) != 0);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.SIGNATURE_INVALID);
    }

    private int gpgv(Path keyring, Path file) throws Exception {
        Process p = new ProcessBuilder("gpgv", "--homedir", dir.toString(), "--keyring", keyring.toString(), file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("gpgv.log").toFile()).start();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        return p.exitValue();
    }

    // --- tampering with the chain's bytes ---

    @Test
    void byteChangedInDebIsDigestMismatch() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        flipByte(w.deb(), -100);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.DIGEST_MISMATCH);
    }

    @Test
    void byteChangedInDebControlIsStillDigestMismatch() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        flipByte(w.deb(), 140); // inside the control.tar.xz member: the stanza is then found by file name
        VerificationReport r = verifyInRelease(w, archiveKey);
        assertRejectedWith(r, FindingCode.DIGEST_MISMATCH);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "gz", "xz", "lz4"})
    void byteChangedInPackagesIsRejected(String compression) throws Exception {
        AptRepoFixture.Written w = repo.write(compression, archiveKey);
        if (compression.equals("plain")) {
            // the .deb's SHA256 line: a different hash for the same package
            String text = Files.readString(w.packages()).replace("SHA256: " + AptRepoFixture.sha256(Files.readAllBytes(w.deb())),
                    "SHA256: " + "00".repeat(32));
            Files.writeString(w.packages(), text);
            assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.DIGEST_MISMATCH);
        } else {
            // a flipped compressed byte: either a corrupt stream or different uncompressed bytes
            flipByte(w.packages(), Files.size(w.packages()) / 2);
            VerificationReport r = verifyInRelease(w, archiveKey);
            assertEquals(Verdict.REJECTED, r.verdict(), r::toString);
            assertTrue(r.has(FindingCode.DIGEST_MISMATCH) || r.has(FindingCode.MALFORMED_PACKAGE), r::toString);
        }
    }

    @Test
    void byteChangedInInReleaseIsSignatureInvalid() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String text = Files.readString(w.inRelease());
        Files.writeString(w.inRelease(), text.replace("Suite: stable", "Suite: stabke"));
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void indexDigestChangedInInReleaseIsSignatureInvalid() throws Exception {
        // the attacker swaps the Packages digest in InRelease to match a forged index
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String genuine = AptRepoFixture.sha256(repo.packagesText.getBytes(StandardCharsets.UTF_8));
        String forgedIndex = repo.packagesText.replace("Version: 1.0-1", "Version: 1.0-2");
        Files.writeString(w.packages(), forgedIndex);
        String text = Files.readString(w.inRelease())
                .replace(genuine, AptRepoFixture.sha256(forgedIndex.getBytes(StandardCharsets.UTF_8)));
        Files.writeString(w.inRelease(), text);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.SIGNATURE_INVALID);
    }

    // --- clearsigned framing (CVE-2013-1051 / CVE-2016-1252 class) ---

    @Test
    void unsignedTextAppendedToInReleaseIsMalformed() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Files.writeString(w.inRelease(), Files.readString(w.inRelease()) + "SHA256:\n " + "ee".repeat(32)
                + " 10 main/binary-amd64/Packages\n");
        VerificationReport r = verifyInRelease(w, archiveKey);
        assertRejectedWith(r, FindingCode.MALFORMED_PACKAGE);
        assertTrue(r.signers().isEmpty());
    }

    @Test
    void unsignedTextPrependedToInReleaseIsMalformed() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Files.writeString(w.inRelease(), "Origin: Evil\n\n" + Files.readString(w.inRelease()));
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void secondSignedBlockInInReleaseIsMalformed() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String one = Files.readString(w.inRelease());
        Files.writeString(w.inRelease(), one + one);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void dashEscapingErrorInInReleaseIsMalformed() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String text = Files.readString(w.inRelease()).replace("Suite: stable\n", "Suite: stable\n-not-escaped\n");
        Files.writeString(w.inRelease(), text);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void nestedSignedMessageHeaderInsideInReleaseIsMalformed() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String text = Files.readString(w.inRelease()).replace("Suite: stable\n",
                "Suite: stable\n-----BEGIN PGP SIGNED MESSAGE-----\n");
        Files.writeString(w.inRelease(), text);
        assertRejectedWith(verifyInRelease(w, archiveKey), FindingCode.MALFORMED_PACKAGE);
    }

    @Test
    void dashEscapedLinesAreSignedUnescaped() throws Exception {
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        String release = repo.releaseText(repo.packagesText.getBytes(StandardCharsets.UTF_8))
                .replace("Suite: stable\n", "Suite: stable\n-X-Comment: a line the clearsigner dash-escapes\n");
        Files.write(w.inRelease(), repo.clearsign(release, archiveKey));
        assertTrue(Files.readString(w.inRelease()).contains("\n- -X-Comment"));
        VerificationReport r = verifyInRelease(w, archiveKey);
        assertEquals(Verdict.ACCEPTED, r.verdict(), r::toString);
    }

    // --- keys and algorithms ---

    @Test
    void signatureByKeyOutsideKeyringIsSignerUntrusted() throws Exception {
        assertRejectedWith(verifyInRelease(repo.write("plain", outsiderKey), archiveKey), FindingCode.SIGNER_UNTRUSTED);
    }

    @Test
    void expiredKeyIsCertExpired() throws Exception {
        OpenPgpTestKey expiring = OpenPgpTestKey.generate("Expired <expired@veripack.invalid>", KEY_CREATED, 86_400L * 365);
        // signed while valid (2025-06), verified after expiry (2026-03)
        repo.signedAt = Instant.parse("2025-06-01T00:00:00Z");
        assertRejectedWith(verifyInRelease(repo.write("plain", expiring), expiring), FindingCode.CERT_EXPIRED);
    }

    @Test
    void revokedKeyIsCertRevoked() throws Exception {
        OpenPgpTestKey revoked = OpenPgpTestKey.generate("Revoked <revoked@veripack.invalid>", KEY_CREATED, 0);
        revoked.revoke(Instant.parse("2026-01-15T00:00:00Z"));
        assertRejectedWith(verifyInRelease(repo.write("plain", revoked), revoked), FindingCode.CERT_REVOKED);
    }

    @Test
    void expiredValidUntilIsMetadataExpired() throws Exception {
        repo.validUntil = AptRepoFixture.RFC2822.format(Instant.parse("2026-02-08T00:00:00Z"));
        VerificationReport r = verifyInRelease(repo.write("plain", archiveKey), archiveKey);
        assertRejectedWith(r, FindingCode.METADATA_EXPIRED);
        assertEquals(1, r.findings().size(), r::toString);
    }

    @Test
    void futureValidUntilIsAccepted() throws Exception {
        repo.validUntil = AptRepoFixture.RFC2822.format(Instant.parse("2026-03-08T00:00:00Z"));
        assertEquals(Verdict.ACCEPTED, verifyInRelease(repo.write("plain", archiveKey), archiveKey).verdict());
    }

    @Test
    void sha1SignatureIsAlgorithmRejected() throws Exception {
        repo.signatureHash = HashAlgorithmTags.SHA1;
        assertRejectedWith(verifyInRelease(repo.write("plain", archiveKey), archiveKey), FindingCode.ALGORITHM_REJECTED);
    }

    @Test
    void md5DetachedSignatureIsAlgorithmRejected() throws Exception {
        repo.signatureHash = HashAlgorithmTags.MD5;
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        VerificationReport r = verifier(keyring(archiveKey)).verifyRelease(w.release(), w.releaseGpg(), w.packages(), w.deb());
        assertRejectedWith(r, FindingCode.ALGORITHM_REJECTED);
    }

    @Test
    void graftedSubkeyIsSignerUntrusted() throws Exception {
        // Mallory grafts her own subkey (bound to her primary key) onto the archive certificate in the
        // keyring, and signs with it: the subkey has no binding signature by the archive's primary key.
        OpenPgpTestKey grafted = OpenPgpTestKey.generate("Archive <archive@veripack.invalid>", KEY_CREATED, 0);
        PGPPublicKey mallorySubkey = outsiderKey.ring.getPublicKey(outsiderKey.subkey.getKeyID());
        grafted.ring = PGPPublicKeyRing.insertPublicKey(
                PGPPublicKeyRing.removePublicKey(grafted.ring, grafted.ring.getPublicKey(grafted.subkey.getKeyID())),
                mallorySubkey);
        AptRepoFixture.Written w = repo.write("plain", outsiderKey); // signed by the grafted (Mallory's) subkey
        assertRejectedWith(verifyInRelease(w, grafted), FindingCode.SIGNER_UNTRUSTED);
    }

    @Test
    void subkeyWithoutBackSignatureIsSignerUntrusted() throws Exception {
        // the archive primary key binds a subkey whose owner never cross-certified it (no 0x19 back-signature)
        OpenPgpTestKey k = OpenPgpTestKey.generate("Archive <archive@veripack.invalid>", KEY_CREATED, 0);
        PGPPublicKey sub = k.subkey.getPublicKey(); // bare subkey, then a binding without embedded back-signature
        org.bouncycastle.openpgp.PGPSignatureGenerator g = new org.bouncycastle.openpgp.PGPSignatureGenerator(
                new org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder(
                        org.bouncycastle.bcpg.PublicKeyAlgorithmTags.EDDSA_LEGACY, HashAlgorithmTags.SHA512),
                k.primary.getPublicKey());
        g.init(org.bouncycastle.openpgp.PGPSignature.SUBKEY_BINDING, k.primary.getPrivateKey());
        org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator h = new org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, java.util.Date.from(KEY_CREATED));
        h.setKeyFlags(true, org.bouncycastle.bcpg.sig.KeyFlags.SIGN_DATA);
        g.setHashedSubpackets(h.generate());
        PGPPublicKey bound = PGPPublicKey.addCertification(sub, g.generateCertification(k.primary.getPublicKey(), sub));
        k.ring = new PGPPublicKeyRing(List.of(k.ring.getPublicKey(), bound));
        assertRejectedWith(verifyInRelease(repo.write("plain", k), k), FindingCode.SIGNER_UNTRUSTED);
    }

    // --- the Packages index content ---

    @Test
    void secondStanzaSameNameDifferentHashIsArtifactDuplicate() throws Exception {
        repo.packagesText = repo.packagesText + "\n" + AptRepoFixture.stanza("11".repeat(32), Files.size(repo.deb));
        VerificationReport r = verifyInRelease(repo.write("plain", archiveKey), archiveKey);
        assertRejectedWith(r, FindingCode.ARTIFACT_DUPLICATE);
    }

    @Test
    void debAbsentFromIndexIsArtifactUnlisted() throws Exception {
        repo.packagesText = AptRepoFixture.otherStanza("vp-other");
        assertRejectedWith(verifyInRelease(repo.write("plain", archiveKey), archiveKey), FindingCode.ARTIFACT_UNLISTED);
    }

    @Test
    void trustedStateIsUnchangedAfterARejection() throws Exception {
        // a rejected chain leaves the verifier (keyring, policy) usable for the genuine chain
        AptChainVerifier v = verifier(keyring(archiveKey));
        AptRepoFixture.Written w = repo.write("plain", archiveKey);
        Path tampered = dir.resolve("tampered.deb");
        Files.copy(w.deb(), tampered);
        flipByte(tampered, -10);
        assertFalse(v.verifyInRelease(w.inRelease(), w.packages(), tampered).accepted());
        assertTrue(v.verifyInRelease(w.inRelease(), w.packages(), w.deb()).accepted());
    }

    // --- configuration ---

    @Test
    void policyWithoutKeyringCannotVerifyAptChains() {
        List<Path> none = new ArrayList<>();
        assertThrows(IllegalArgumentException.class, () -> TrustPolicy.withKeyrings(none));
    }

    @Test
    void unreadableOrNonOpenPgpKeyringIsPolicyException() throws Exception {
        Path missing = dir.resolve("missing.gpg");
        assertThrows(PolicyException.class, () -> verifier(missing));
        Path junk = dir.resolve("junk.gpg");
        Files.writeString(junk, "not a keyring\n");
        assertThrows(PolicyException.class, () -> verifier(junk));
    }
}
