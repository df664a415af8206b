package org.veripack.scas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.scas.internal.CsarLayout;
import org.veripack.scas.internal.HarnessPki;
import org.veripack.scas.internal.TamperCase;
import org.veripack.scas.internal.TamperMatrix;
import org.veripack.scas.internal.ZipRewriter;

/** The tamper matrix is derived from the genuine package: each variant carries exactly its one defect. */
class TamperMatrixTest {
    private static final Instant NOW = Instant.now();
    @TempDir static Path dir;
    static GenuineCsar vendor;
    static Path genuine;
    static Path old;
    static HarnessPki pki;

    @BeforeAll
    static void packages() throws IOException {
        vendor = new GenuineCsar(NOW);
        genuine = vendor.write(dir.resolve("acme-mme-2.0.csar"), "2.0");
        old = vendor.write(dir.resolve("acme-mme-1.0.csar"), "1.0");
        pki = HarnessPki.generate(NOW, TestPki.KeyType.EC_P256, null, null);
    }

    private static Map<String, TamperCase> derive(Path oldCsar, String sub) throws IOException {
        List<TamperCase> cases = TamperMatrix.derive(CsarLayout.read(genuine),
                oldCsar == null ? null : CsarLayout.read(oldCsar), pki, Clock.systemUTC(), dir.resolve(sub));
        return cases.stream().collect(Collectors.toMap(TamperCase::id, Function.identity(), (a, b) -> a,
                java.util.LinkedHashMap::new));
    }

    @Test
    void everyCaseTheIssueListsIsDerived() throws IOException {
        Map<String, TamperCase> m = derive(old, "all");
        assertEquals(List.of("TAMPER.artifact-byte-flip", "TAMPER.manifest-byte-flip", "TAMPER.signature-byte-flip",
                "TAMPER.artifact-added", "TAMPER.artifact-removed", "TAMPER.artifact-renamed",
                "TAMPER.artifact-older-version", "TAMPER.resigned-untrusted-key", "TAMPER.resigned-expired-cert",
                "TAMPER.resigned-non-code-signing-cert", "TAMPER.signature-stripped", "TAMPER.downgrade",
                "TAMPER.zip-slip-entry", "TAMPER.symlink-escape"), new ArrayList<>(m.keySet()));
        m.values().forEach(c -> assertNotNull(c.variant(), c.id()));
    }

    @Test
    void withoutOldPackageDowngradeAndOlderArtifactAreNotRunWithReason() throws IOException {
        Map<String, TamperCase> m = derive(null, "no-old");
        assertNull(m.get("TAMPER.downgrade").variant());
        assertTrue(m.get("TAMPER.downgrade").notRunReason().contains("--downgrade-package"));
        assertNull(m.get("TAMPER.artifact-older-version").variant());
        assertEquals(12, m.values().stream().filter(c -> c.variant() != null).count());
    }

    @Test
    void artifactByteFlipChangesExactlyOneBitOfOneArtifact() throws IOException {
        Path v = derive(null, "flip").get("TAMPER.artifact-byte-flip").variant();
        byte[] a = ZipRewriter.read(genuine, "Files/mmed.bin", 1 << 20);
        byte[] b = ZipRewriter.read(v, "Files/mmed.bin", 1 << 20);
        assertEquals(a.length, b.length);
        int diffBits = 0;
        for (int i = 0; i < a.length; i++) {
            diffBits += Integer.bitCount((a[i] ^ b[i]) & 0xff);
        }
        assertEquals(1, diffBits);
        assertArrayEquals(ZipRewriter.read(genuine, "acme-mme.mf", 1 << 20), ZipRewriter.read(v, "acme-mme.mf", 1 << 20));
    }

    @Test
    void signatureByteFlipKeepsManifestBodyAndBreaksTheCmsSignature() throws Exception {
        Path v = derive(null, "sigflip").get("TAMPER.signature-byte-flip").variant();
        CsarLayout g = CsarLayout.read(genuine);
        CsarLayout t = CsarLayout.read(v);
        assertEquals(g.manifestBody(), t.manifestBody());
        assertTrue(verifies(g), "genuine signature must verify");
        assertFalse(verifies(t), "flipped signature must not verify");
    }

    @Test
    void resignedVariantsCarryAValidSignatureOfTheHarnessSignerOverTheTrojanDigest() throws Exception {
        Map<String, TamperCase> m = derive(null, "resign");
        Map<String, X509Certificate> expectedSigner = Map.of(
                "TAMPER.resigned-untrusted-key", pki.untrustedLeaf().certificate(),
                "TAMPER.resigned-expired-cert", pki.expiredLeaf().certificate(),
                "TAMPER.resigned-non-code-signing-cert", pki.nonCodeSigning().certificate());
        for (Map.Entry<String, X509Certificate> e : expectedSigner.entrySet()) {
            CsarLayout t = CsarLayout.read(m.get(e.getKey()).variant());
            assertTrue(verifies(t), e.getKey());
            assertEquals(e.getValue().getSubjectX500Principal(), signerCert(t).getSubjectX500Principal(), e.getKey());
            byte[] trojan = ZipRewriter.read(t.csar(), "Files/mmed.bin", 1 << 20);
            assertEquals(GenuineCsar.sha256(trojan), t.listed().get(0).hash(), e.getKey());
        }
        assertTrue(m.get("TAMPER.resigned-expired-cert").signedByTestCa());
        assertFalse(m.get("TAMPER.resigned-untrusted-key").signedByTestCa());
    }

    @Test
    void signatureStrippedHasConsistentDigestsAndNoCmsBlock() throws IOException {
        CsarLayout t = CsarLayout.read(derive(null, "strip").get("TAMPER.signature-stripped").variant());
        assertTrue(t.signatureBlock().isEmpty());
        assertEquals(GenuineCsar.sha256(ZipRewriter.read(t.csar(), "Files/mmed.bin", 1 << 20)), t.listed().get(0).hash());
    }

    @Test
    void zipSlipAndSymlinkEntriesAreListedAndSignedByAValidTestSigner() throws Exception {
        Map<String, TamperCase> m = derive(null, "paths");
        CsarLayout slip = CsarLayout.read(m.get("TAMPER.zip-slip-entry").variant());
        assertTrue(slip.entry("../../scas-zip-slip.txt").isPresent(), "zip entry name kept verbatim");
        assertTrue(slip.listed().stream().anyMatch(a -> a.source().equals("../../scas-zip-slip.txt")));
        assertTrue(verifies(slip));
        CsarLayout link = CsarLayout.read(m.get("TAMPER.symlink-escape").variant());
        ZipArchiveEntry e = link.entry("scas-escape").orElseThrow();
        assertTrue(e.isUnixSymlink());
        assertEquals("../../../../../../../../etc/passwd",
                new String(ZipRewriter.read(link.csar(), "scas-escape", 4096), StandardCharsets.UTF_8));
        assertTrue(verifies(link));
        assertEquals(pki.validLeaf().certificate().getSubjectX500Principal(), signerCert(link).getSubjectX500Principal());
    }

    @Test
    void addedRemovedRenamedChangeOnlyTheEntryList() throws IOException {
        Map<String, TamperCase> m = derive(old, "entries");
        List<String> g = names(genuine);
        List<String> added = names(m.get("TAMPER.artifact-added").variant());
        assertEquals(g.size() + 1, added.size());
        assertTrue(added.contains("scas-unlisted.sh"));
        assertFalse(names(m.get("TAMPER.artifact-removed").variant()).contains("Files/mmed.bin"));
        assertTrue(names(m.get("TAMPER.artifact-renamed").variant()).contains("Files/mmed.bin.renamed"));
        assertArrayEquals(ZipRewriter.read(old, "Files/mmed.bin", 1 << 20),
                ZipRewriter.read(m.get("TAMPER.artifact-older-version").variant(), "Files/mmed.bin", 1 << 20));
        assertEquals(old, m.get("TAMPER.downgrade").variant());
    }

    private static List<String> names(Path zip) throws IOException {
        return ZipRewriter.entries(zip).stream().map(ZipArchiveEntry::getName).toList();
    }

    private static CMSSignedData cms(CsarLayout l) throws Exception {
        String b64 = l.signatureBlock().orElseThrow().lines().filter(s -> !s.startsWith("-----"))
                .collect(Collectors.joining());
        return new CMSSignedData(new CMSProcessableByteArray(l.manifestBody().getBytes(StandardCharsets.UTF_8)),
                Base64.getDecoder().decode(b64));
    }

    private static X509Certificate signerCert(CsarLayout l) throws Exception {
        CMSSignedData s = cms(l);
        SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
        @SuppressWarnings("unchecked")
        X509CertificateHolder h = (X509CertificateHolder) s.getCertificates().getMatches(si.getSID()).iterator().next();
        return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(h);
    }

    private static boolean verifies(CsarLayout l) throws Exception {
        CMSSignedData s = cms(l);
        SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
        try {
            return si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signerCert(l).getPublicKey()));
        } catch (org.bouncycastle.cms.CMSException e) {
            return false;
        }
    }
}
