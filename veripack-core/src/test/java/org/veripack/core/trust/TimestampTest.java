package org.veripack.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageVerifier;
import org.veripack.core.RevocationMode;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestTsa;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.TimestampAuthority;

/**
 * RFC 3161 trusted time against a real TSA on 127.0.0.1 (Bouncy Castle's TimeStampResponseGenerator behind
 * the JDK HTTP server, {@link TestTsa}): the signer certificate is valid 2024-01-01..2025-06-01, the package
 * is signed and time-stamped at 2025-01-01 and verified at 2026-01-01, after the certificate expired.
 */
class TimestampTest {
    static final Instant SIGNED = Instant.parse("2025-01-01T00:00:00Z");
    static final Instant EXPIRY = Instant.parse("2025-06-01T00:00:00Z");
    static final Instant VERIFIED = Instant.parse("2026-01-01T00:00:00Z");
    static final Clock SIGN_CLOCK = Clock.fixed(SIGNED, ZoneOffset.UTC);
    static final Clock VERIFY_CLOCK = Clock.fixed(VERIFIED, ZoneOffset.UTC);

    static final Issued ROOT = TestPki.cert("CN=Vendor Root,O=Acme").ca(true).build();
    static final Issued LEAF = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ROOT)
            .validity(TestPki.DEFAULT_NOT_BEFORE, EXPIRY).build();
    static final Issued TSA_ROOT = TestPki.cert("CN=TSA Root,O=Time").ca(true).build();
    static final Issued TSA = TestPki.cert("CN=Test TSA,O=Time").issuedBy(TSA_ROOT)
            .extendedKeyUsage(KeyPurposeId.id_kp_timeStamping).criticalExtendedKeyUsage(true).build();
    static final Issued OTHER_TSA_ROOT = TestPki.cert("CN=Other TSA Root").ca(true).build();

    @TempDir static Path tmp;
    static TestTsa tsa;
    static Path stamped;
    static Path unstamped;

    @BeforeAll
    static void signPackages() throws Exception {
        tsa = TestTsa.start(TSA, () -> SIGNED);
        TimestampAuthority client = TimestampAuthority.http(tsa.url(), java.time.Duration.ofSeconds(10));
        stamped = TrustFixtures.csar(tmp, null, SIGN_CLOCK, CsarSigner.builder(LEAF.identity()).timestampAuthority(client));
        unstamped = TrustFixtures.csar(tmp, LEAF.identity(), SIGN_CLOCK);
        assertEquals(1, tsa.requests());
    }

    @AfterAll
    static void stop() {
        if (tsa != null) {
            tsa.close();
        }
    }

    static TrustPolicy.Builder policy() {
        return TrustPolicy.builder().trustAnchors(List.of(ROOT.certificate())).timestampAnchors(List.of(TSA_ROOT.certificate()));
    }

    static VerificationReport verify(Path csar, TrustPolicy policy) throws Exception {
        return PackageVerifier.create(policy, VERIFY_CLOCK, RevocationSource.offline()).verifyCsar(csar);
    }

    @Test
    void timeStampedPackageStaysAcceptedAfterTheSignerCertificateExpired() throws Exception {
        VerificationReport r = verify(stamped, policy().build());
        assertTrue(r.accepted(), r.toString());
    }

    @Test
    void samePackageWithoutTimeStampIsCertExpired() throws Exception {
        VerificationReport r = verify(unstamped, policy().build());
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.CERT_EXPIRED), r.toString());
    }

    @Test
    void timeStampIsNotTrustedWithoutTimestampAnchors() throws Exception {
        TrustPolicy p = TrustPolicy.builder().trustAnchors(List.of(ROOT.certificate())).build();
        VerificationReport r = verify(stamped, p);
        assertTrue(r.has(FindingCode.CERT_EXPIRED), r.toString());
        assertEquals(List.of(org.veripack.core.WarningCode.TIMESTAMP_IGNORED), r.warnings().stream().map(w -> w.code()).toList());
    }

    @Test
    void timeStampFromAnUntrustedTsaIsSignerUntrusted() throws Exception {
        TrustPolicy p = TrustPolicy.builder().trustAnchors(List.of(ROOT.certificate()))
                .timestampAnchors(List.of(OTHER_TSA_ROOT.certificate())).build();
        VerificationReport r = verify(stamped, p);
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.SIGNER_UNTRUSTED), r.toString());
    }

    @Test
    void timeStampTokenTransplantedFromAnotherSignatureIsSignatureInvalid() throws Exception {
        TimestampAuthority client = TimestampAuthority.http(tsa.url(), java.time.Duration.ofSeconds(10));
        Path a = java.nio.file.Files.writeString(tmp.resolve("a.bin"), "first");
        Path b = java.nio.file.Files.writeString(tmp.resolve("b.bin"), "second");
        CsarSigner.writeDetached(LEAF.identity(), SIGN_CLOCK, client, a, tmp.resolve("a.p7s"));
        CsarSigner.writeDetached(LEAF.identity(), SIGN_CLOCK, client, b, tmp.resolve("b.p7s"));
        var sigA = new org.bouncycastle.cms.CMSSignedData(java.nio.file.Files.readAllBytes(tmp.resolve("a.p7s")));
        var sigB = new org.bouncycastle.cms.CMSSignedData(java.nio.file.Files.readAllBytes(tmp.resolve("b.p7s")));
        var infoA = sigA.getSignerInfos().getSigners().iterator().next();
        var infoB = sigB.getSignerInfos().getSigners().iterator().next();
        var forged = org.bouncycastle.cms.CMSSignedData.replaceSigners(sigB, new org.bouncycastle.cms.SignerInformationStore(
                org.bouncycastle.cms.SignerInformation.replaceUnsignedAttributes(infoB, infoA.getUnsignedAttributes())));
        java.nio.file.Files.write(tmp.resolve("b-forged.p7s"), forged.getEncoded("DER"));
        PackageVerifier v = PackageVerifier.create(policy().build(), VERIFY_CLOCK, RevocationSource.offline());
        assertTrue(v.verifyDetached(b, tmp.resolve("b.p7s")).accepted());
        VerificationReport r = v.verifyDetached(b, tmp.resolve("b-forged.p7s"));
        assertTrue(r.has(FindingCode.SIGNATURE_INVALID), r.toString());
    }

    @Test
    void timeStampOutsideTheSignerValidityDoesNotHelp() throws Exception {
        try (TestTsa late = TestTsa.start(TSA, () -> Instant.parse("2025-09-01T00:00:00Z"))) {
            Path csar = TrustFixtures.csar(tmp, null, SIGN_CLOCK, CsarSigner.builder(LEAF.identity())
                    .timestampAuthority(TimestampAuthority.http(late.url(), java.time.Duration.ofSeconds(10))));
            assertTrue(verify(csar, policy().build()).has(FindingCode.CERT_EXPIRED));
        }
    }

    @Test
    void revocationAfterTheTimeStampForKeyCompromiseRejects() throws Exception {
        assertTrue(verify(stamped, revokedPolicy(Instant.parse("2025-03-01T00:00:00Z"), CRLReason.keyCompromise))
                .has(FindingCode.CERT_REVOKED));
    }

    @Test
    void revocationAfterTheTimeStampAsSupersededIsAccepted() throws Exception {
        VerificationReport r = verify(stamped, revokedPolicy(Instant.parse("2025-03-01T00:00:00Z"), CRLReason.superseded));
        assertTrue(r.accepted(), r.toString());
        assertEquals(List.of(org.veripack.core.WarningCode.REVOKED_AFTER_TIMESTAMP), r.warnings().stream().map(w -> w.code()).toList());
    }

    @Test
    void revocationBeforeTheTimeStampRejectsWhateverTheReason() throws Exception {
        assertTrue(verify(stamped, revokedPolicy(Instant.parse("2024-12-01T00:00:00Z"), CRLReason.superseded))
                .has(FindingCode.CERT_REVOKED));
    }

    @Test
    void revocationWithUnspecifiedReasonAfterTheTimeStampRejects() throws Exception {
        assertTrue(verify(stamped, revokedPolicy(Instant.parse("2025-03-01T00:00:00Z"), CRLReason.unspecified))
                .has(FindingCode.CERT_REVOKED));
    }

    @Test
    void crlIssuedAfterTheSignerExpiredIsNoEvidence() throws Exception {
        // RFC 5280 §3.3: a CA may drop a certificate from the CRLs it issues after the certificate expired, so
        // such a CRL neither clears nor convicts it; the expired signer needs older evidence (or OCSP)
        X509CRL afterExpiry = TestPki.crl(ROOT, VERIFIED.minusSeconds(3600), VERIFIED.plusSeconds(86400),
                new TestPki.Revoked(LEAF.certificate().getSerialNumber(), Instant.parse("2025-03-01T00:00:00Z"),
                        CRLReason.superseded));
        VerificationReport r = verify(stamped, policy().revocation(RevocationMode.REQUIRE).crls(List.of(afterExpiry)).build());
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
    }

    /**
     * A policy with revocation required and a root CRL revoking the signer at {@code when}: issued before the
     * signer certificate expired and still current at the verification time.
     */
    static TrustPolicy revokedPolicy(Instant when, int reason) {
        return policy().revocation(RevocationMode.REQUIRE).crls(List.of(TestPki.crl(ROOT, Instant.parse("2025-05-01T00:00:00Z"),
                Instant.parse("2026-02-01T00:00:00Z"), new TestPki.Revoked(LEAF.certificate().getSerialNumber(), when, reason)))).build();
    }
}
