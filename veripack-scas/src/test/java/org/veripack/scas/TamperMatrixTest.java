package org.veripack.scas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestTsa;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.TimestampAuthority;
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
        pki = HarnessPki.generate(NOW, ScasHarness.KeyType.EC_P256, null, null);
    }

    private static Map<String, TamperCase> derive(Path oldCsar, String sub) throws IOException {
        return derive(genuine, oldCsar, sub);
    }

    private static Map<String, TamperCase> derive(Path genuine, Path oldCsar, String sub) throws IOException {
        List<TamperCase> cases = TamperMatrix.derive(CsarLayout.read(genuine),
                oldCsar == null ? null : CsarLayout.read(oldCsar), pki, Clock.systemUTC(), dir.resolve(sub));
        return cases.stream().collect(Collectors.toMap(TamperCase::id, Function.identity(), (a, b) -> a,
                java.util.LinkedHashMap::new));
    }

    @Test
    void everyCaseTheIssueListsIsDerived() throws IOException {
        Map<String, TamperCase> m = derive(old, "all");
        assertEquals(List.of("TAMPER.artifact-byte-flip", "TAMPER.manifest-byte-flip", "TAMPER.signature-byte-flip",
                "TAMPER.signed-attribute-byte-flip", "TAMPER.artifact-added", "TAMPER.artifact-removed", "TAMPER.artifact-renamed",
                "TAMPER.artifact-older-version", "TAMPER.resigned-untrusted-key", "TAMPER.resigned-expired-cert",
                "TAMPER.resigned-non-code-signing-cert", "TAMPER.signature-stripped", "TAMPER.downgrade",
                "TAMPER.zip-slip-entry", "TAMPER.symlink-escape"), new ArrayList<>(m.keySet()));
        m.values().forEach(c -> assertNotNull(c.variant(), c.id()));
        m.values().forEach(c -> assertFalse(c.precondition().isBlank(), c.id()));
    }

    @Test
    void withoutOldPackageDowngradeAndOlderArtifactAreNotRunWithReason() throws IOException {
        Map<String, TamperCase> m = derive(null, "no-old");
        assertNull(m.get("TAMPER.downgrade").variant());
        assertTrue(m.get("TAMPER.downgrade").notRunReason().contains("--downgrade-package"));
        assertNull(m.get("TAMPER.artifact-older-version").variant());
        assertTrue(m.get("TAMPER.artifact-older-version").notRunReason().contains("--downgrade-package"));
        assertEquals(13, m.values().stream().filter(c -> c.variant() != null).count());
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
    void manifestByteFlipChangesOneHexDigitOfTheSignedPrefixIntoAnother() throws Exception {
        Path v = derive(null, "mfflip").get("TAMPER.manifest-byte-flip").variant();
        CsarLayout g = CsarLayout.read(genuine);
        byte[] before = ZipRewriter.read(genuine, "acme-mme.mf", 1 << 20);
        byte[] after = ZipRewriter.read(v, "acme-mme.mf", 1 << 20);
        List<Integer> d = differingBytes(before, after);
        assertEquals(1, d.size(), "exactly one byte changed");
        int pos = d.get(0);
        int prefix = g.manifestBody().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(pos < prefix, "the flip lies in the signed prefix (" + pos + " < " + prefix + ")");
        String hex = "0123456789abcdefABCDEF";
        assertTrue(hex.indexOf(before[pos]) >= 0 && hex.indexOf(after[pos]) >= 0,
                "a hexadecimal digit became another one, no whitespace: " + before[pos] + " -> " + after[pos]);
        assertEquals(1, Integer.bitCount((before[pos] ^ after[pos]) & 0xff));
        assertNotEquals(Character.toLowerCase((char) before[pos]), Character.toLowerCase((char) after[pos]));
        CsarLayout t = CsarLayout.read(v);
        assertEquals(g.signatureBlock(), t.signatureBlock());
        assertFalse(verifies(t), "the genuine signature must not verify over the altered prefix");
    }

    /**
     * A SignerInfo with an RFC 3161 time-stamp token (an unsigned attribute a verifier may ignore) from a real
     * TSA on 127.0.0.1: the signature flip lands in the signature value, the signed-attribute flip in the
     * message-digest value, both located here independently by Bouncy Castle; the token is untouched.
     */
    @Test
    void cmsFlipsLandInTheSignatureValueOrSignedAttributesNeverInTheTimestampToken() throws Exception {
        Issued tsaRoot = TestPki.cert("CN=SCAS Test TSA Root").keyType(TestPki.KeyType.EC_P256).ca(true)
                .validity(NOW.minusSeconds(86400), NOW.plusSeconds(86400)).build();
        Issued tsaCert = TestPki.cert("CN=SCAS Test TSA").keyType(TestPki.KeyType.EC_P256).issuedBy(tsaRoot)
                .validity(NOW.minusSeconds(86400), NOW.plusSeconds(86400))
                .extendedKeyUsage(KeyPurposeId.id_kp_timeStamping).criticalExtendedKeyUsage(true).build();
        Path stamped;
        try (TestTsa tsa = TestTsa.start(tsaCert, () -> NOW)) {
            stamped = vendor.write(dir.resolve("acme-mme-2.0-stamped.csar"), "2.0",
                    TimestampAuthority.http(tsa.url(), Duration.ofSeconds(10)));
            assertEquals(1, tsa.requests());
        }
        byte[] der = der(CsarLayout.read(stamped));
        SignerInformation si = new CMSSignedData(der).getSignerInfos().getSigners().iterator().next();
        Attribute token = si.getUnsignedAttributes().get(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        assertNotNull(token, "the fixture carries a time-stamp token");
        byte[] tokenDer = token.getAttrValues().getObjectAt(0).toASN1Primitive().getEncoded("DER");
        int tokenAt = indexOf(der, tokenDer);
        byte[] signature = si.getSignature();
        byte[] digest = ((ASN1OctetString) si.getSignedAttributes().get(CMSAttributes.messageDigest)
                .getAttrValues().getObjectAt(0)).getOctets();
        byte[] signedAttrs = si.getEncodedSignedAttributes();

        Map<String, TamperCase> m = derive(stamped, null, "tsa");
        Map<String, byte[]> target = Map.of("TAMPER.signature-byte-flip", signature,
                "TAMPER.signed-attribute-byte-flip", digest);
        for (Map.Entry<String, byte[]> e : target.entrySet()) {
            CsarLayout t = CsarLayout.read(m.get(e.getKey()).variant());
            byte[] flipped = der(t);
            List<Integer> d = differingBytes(der, flipped);
            assertEquals(1, d.size(), e.getKey());
            int pos = d.get(0);
            int at = indexOf(der, e.getValue());
            assertTrue(pos >= at && pos < at + e.getValue().length, e.getKey() + ": flip at " + pos
                    + " outside the located bytes " + at + "+" + e.getValue().length);
            assertFalse(pos >= tokenAt && pos < tokenAt + tokenDer.length, e.getKey() + ": flip inside the time-stamp token");
            if (e.getKey().contains("signed-attribute")) {
                int attrsAt = indexOf(der, Arrays.copyOfRange(signedAttrs, 1, signedAttrs.length));
                assertTrue(pos >= attrsAt && pos < attrsAt + signedAttrs.length - 1, "inside the signed attributes");
            }
            assertEquals(tokenAt, indexOf(flipped, tokenDer), "the token is unchanged and in place");
            assertFalse(verifies(t), e.getKey() + " must not verify");
            assertEquals(CsarLayout.read(stamped).manifestBody(), t.manifestBody());
        }
        assertTrue(verifies(CsarLayout.read(stamped)));
    }

    @Test
    void signatureFlipHitsEverySignerInfoOfACountersignedManifest() throws Exception {
        CsarLayout g = CsarLayout.read(genuine);
        Issued operator = TestPki.cert("CN=Operator,O=Telco").keyType(TestPki.KeyType.EC_P256).codeSigningEku(true)
                .validity(NOW.minusSeconds(86400), NOW.plusSeconds(86400)).build();
        byte[] two = CmsSigner.builder(operator.identity()).build().addSignerTo(der(g),
                new java.io.ByteArrayInputStream(g.manifestBody().getBytes(StandardCharsets.UTF_8)));
        Path countersigned = dir.resolve("acme-mme-2.0-countersigned.csar");
        new ZipRewriter().replace("acme-mme.mf", (g.manifestBody() + CmsSigner.toPem(two)).getBytes(StandardCharsets.UTF_8))
                .write(genuine, countersigned);
        byte[] flipped = der(CsarLayout.read(derive(countersigned, null, "cosign").get("TAMPER.signature-byte-flip").variant()));
        List<Integer> d = differingBytes(two, flipped);
        assertEquals(2, d.size());
        int i = 0;
        for (SignerInformation si : new CMSSignedData(two).getSignerInfos().getSigners()) {
            int at = indexOf(two, si.getSignature());
            int pos = d.get(i++);
            assertTrue(pos >= at && pos < at + si.getSignature().length, "SignerInfo " + i + " hit in its signature value");
        }
    }

    /**
     * Two versions signed by {@code veripack sign} from the same tree, as the MME demo builds them: the
     * generated TOSCA.meta and change log (listed artifacts) differ, every payload artifact is identical. No
     * case may touch TOSCA.meta or the change log, and the older-artifact case has nothing to substitute.
     */
    @Test
    void versionsSharingEveryArtifactGiveNoOlderArtifactCaseAndNeverTouchToscaMeta() throws IOException {
        Path tree = Files.createDirectories(dir.resolve("shared-tree/bin"));
        Files.writeString(tree.resolve("mmed"), "#!/bin/sh\necho mme\n");
        Files.createDirectories(tree.resolveSibling("etc"));
        Files.writeString(tree.resolveSibling("etc").resolve("mme.conf"), "plmn: 00101\n" + "y".repeat(100));
        Path v1 = dir.resolve("shared-1.0.csar");
        Path v2 = dir.resolve("shared-2.0.csar");
        for (Path out : List.of(v1, v2)) {
            String version = out.getFileName().toString().replace("shared-", "").replace(".csar", "");
            CsarSigner.builder(vendor.vendorSigner.identity(vendor.vendorRoot.certificate())).name("acme-mme")
                    .version(version).build().writeOption1(tree.getParent(), out);
        }
        CsarLayout g = CsarLayout.read(v2);
        assertNotEquals(listedHash(g, "TOSCA-Metadata/TOSCA.meta"), listedHash(CsarLayout.read(v1), "TOSCA-Metadata/TOSCA.meta"),
                "the fixture lists TOSCA.meta, and it differs");
        assertNotEquals(listedHash(g, "Files/ChangeLog.txt"), listedHash(CsarLayout.read(v1), "Files/ChangeLog.txt"),
                "so does the generated change log, package metadata as well");
        Map<String, TamperCase> m = derive(v2, v1, "shared");
        TamperCase older = m.get("TAMPER.artifact-older-version");
        assertNull(older.variant());
        assertTrue(older.notRunReason().contains("same content"), older.notRunReason());
        for (TamperCase c : m.values()) {
            assertFalse(String.join(" ", c.notes()).contains("TOSCA-Metadata"), c.id() + " touches TOSCA.meta: " + c.notes());
            assertFalse(String.join(" ", c.notes()).contains("ChangeLog"), c.id() + " touches the change log: " + c.notes());
        }
        assertArrayEquals(ZipRewriter.read(v2, "TOSCA-Metadata/TOSCA.meta", 4096),
                ZipRewriter.read(m.get("TAMPER.artifact-byte-flip").variant(), "TOSCA-Metadata/TOSCA.meta", 4096));
        assertEquals("bin/mmed", g.payloadArtifacts().get(0).source());
    }

    private static String listedHash(CsarLayout layout, String source) {
        return layout.listed().stream().filter(e -> e.source().equals(source)).findFirst().orElseThrow().hash();
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
        String target = new String(ZipRewriter.read(link.csar(), "scas-escape", 4096), StandardCharsets.UTF_8);
        assertEquals("/tmp", Path.of("/srv/node/slots/x/a/b").resolve(target).normalize().toString(),
                "the link leaves any install directory of fewer than 10 levels");
        ZipArchiveEntry through = link.entry("scas-escape/scas-written-through-symlink.txt").orElseThrow();
        assertFalse(through.isUnixSymlink(), "a file is written through the link: a link alone may be legitimate");
        assertTrue(link.listed().stream().anyMatch(a -> a.source().equals(through.getName())));
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

    private static byte[] der(CsarLayout l) {
        return Base64.getDecoder().decode(l.signatureBlock().orElseThrow().lines().filter(x -> !x.startsWith("-----"))
                .collect(Collectors.joining()));
    }

    private static List<Integer> differingBytes(byte[] a, byte[] b) {
        assertEquals(a.length, b.length, "same length");
        List<Integer> d = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                d.add(i);
            }
        }
        return d;
    }

    /** The one index of {@code needle} in {@code hay} (fails on none or several). */
    private static int indexOf(byte[] hay, byte[] needle) {
        int found = -1;
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                assertEquals(-1, found, "found more than once");
                found = i;
            }
        }
        assertTrue(found >= 0, "not found");
        return found;
    }

    private static List<String> names(Path zip) throws IOException {
        return ZipRewriter.entries(zip).stream().map(ZipArchiveEntry::getName).toList();
    }

    private static CMSSignedData cms(CsarLayout l) throws Exception {
        return new CMSSignedData(new CMSProcessableByteArray(l.manifestBody().getBytes(StandardCharsets.UTF_8)), der(l));
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
