package org.veripack.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
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
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;

/**
 * Revocation against real peers: {@code openssl ocsp} responders started by the test (CA-signed, delegated,
 * and one signing with an unrelated key), CRLs made by {@code openssl ca -gencrl} and by Bouncy Castle, and
 * a CRL distribution point served by the JDK HTTP server. The verification instant is the test's start
 * (openssl stamps OCSP answers with the real time), fixed for the whole class.
 */
class RevocationTest {
    static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final BigInteger GOOD = BigInteger.valueOf(0x1001);
    static final BigInteger REVOKED = BigInteger.valueOf(0x1002);
    static final Instant REVOKED_AT = NOW.minus(Duration.ofDays(3));

    static final Issued ROOT = TestPki.cert("CN=Revocation Root,O=Acme").ca(true).build();
    static final Issued CA = TestPki.cert("CN=Revocation CA,O=Acme").ca(true).issuedBy(ROOT).build();
    static final Issued DELEGATED = TestPki.cert("CN=Acme OCSP Responder,O=Acme").issuedBy(CA)
            .extendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning).build();
    static final Issued ROGUE = TestPki.cert("CN=Rogue Responder").build();
    /** Fresh CRL of the root, revoking nothing: answers for the intermediate CA. */
    static final X509CRL ROOT_CRL = TestPki.crl(ROOT, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)));

    @TempDir static Path tmp;
    static OpensslOcspResponder caSigned;
    static OpensslOcspResponder delegated;
    static OpensslOcspResponder rogue;

    @BeforeAll
    static void startResponders() throws Exception {
        List<OpensslOcspResponder.Entry> index = List.of(OpensslOcspResponder.Entry.valid(GOOD),
                OpensslOcspResponder.Entry.revoked(REVOKED, REVOKED_AT, "keyCompromise"));
        caSigned = OpensslOcspResponder.start(tmp.resolve("ocsp-ca"), CA, CA, index);
        delegated = OpensslOcspResponder.start(tmp.resolve("ocsp-delegated"), CA, DELEGATED, index);
        rogue = OpensslOcspResponder.start(tmp.resolve("ocsp-rogue"), CA, ROGUE, index);
    }

    @AfterAll
    static void stopResponders() throws Exception {
        for (OpensslOcspResponder r : new OpensslOcspResponder[] {caSigned, delegated, rogue}) {
            if (r != null) {
                r.close();
            }
        }
    }

    static Issued leaf(BigInteger serial, String ocspUrl, String crlUrl) {
        TestPki.CertSpec spec = TestPki.cert("CN=Acme Code Signing " + serial + ",O=Acme").issuedBy(CA).serial(serial);
        if (ocspUrl != null) {
            spec.ocspResponder(ocspUrl);
        }
        if (crlUrl != null) {
            spec.crlDistributionPoint(crlUrl);
        }
        return spec.build();
    }

    static TrustPolicy.Builder policy(RevocationMode mode) {
        return TrustPolicy.builder().trustAnchors(List.of(ROOT.certificate())).revocation(mode).crls(List.of(ROOT_CRL));
    }

    static VerificationReport verify(Issued leaf, TrustPolicy policy, RevocationSource source) throws Exception {
        Path csar = TrustFixtures.csar(tmp, leaf.identity(CA.certificate()), CLOCK);
        return PackageVerifier.create(policy, CLOCK, source).verifyCsar(csar);
    }

    static VerificationReport verify(Issued leaf, TrustPolicy policy) throws Exception {
        return verify(leaf, policy, RevocationSource.http(Duration.ofSeconds(5), 1 << 20, null));
    }

    // --- OCSP ---

    @Test
    void goodSignerThroughCaSignedOcspIsAccepted() throws Exception {
        VerificationReport r = verify(leaf(GOOD, caSigned.url(), null), policy(RevocationMode.REQUIRE).build());
        assertTrue(r.accepted(), r.toString());
        assertEquals(List.of(), r.warnings());
    }

    @Test
    void goodSignerThroughDelegatedOcspResponderIsAccepted() throws Exception {
        VerificationReport r = verify(leaf(GOOD, delegated.url(), null), policy(RevocationMode.REQUIRE).build());
        assertTrue(r.accepted(), r.toString());
    }

    @Test
    void revokedSignerThroughOcspIsCertRevoked() throws Exception {
        VerificationReport r = verify(leaf(REVOKED, caSigned.url(), null), policy(RevocationMode.REQUIRE).build());
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.CERT_REVOKED), r.toString());
    }

    @Test
    void revokedSignerThroughOcspIsCertRevokedUnderPreferToo() throws Exception {
        VerificationReport r = verify(leaf(REVOKED, delegated.url(), null), policy(RevocationMode.PREFER).build());
        assertTrue(r.has(FindingCode.CERT_REVOKED), r.toString());
    }

    /**
     * Replay: an attacker between Veripack and the responder keeps a genuine "good" answer and returns it to
     * every later request. Each request carries a fresh nonce (RFC 8954), which openssl's responder echoes, so
     * the kept answer names the first request's nonce and is not believed for the second (no answer, not good).
     */
    @Test
    void replayedOcspResponseIsNotBelieved() throws Exception {
        RevocationSource http = RevocationSource.http(Duration.ofSeconds(5), 1 << 20, null);
        byte[][] kept = new byte[1][];
        RevocationSource replaying = new RevocationSource() {
            @Override public byte[] fetchCrl(java.net.URI uri) throws java.io.IOException {
                return http.fetchCrl(uri);
            }

            @Override public byte[] ocsp(java.net.URI responder, byte[] request) throws java.io.IOException {
                if (kept[0] == null) {
                    kept[0] = http.ocsp(responder, request);
                }
                return kept[0];
            }
        };
        Issued signer = leaf(GOOD, caSigned.url(), null);
        VerificationReport first = verify(signer, policy(RevocationMode.REQUIRE).build(), replaying);
        assertTrue(first.accepted(), first.toString());
        VerificationReport replayed = verify(signer, policy(RevocationMode.REQUIRE).build(), replaying);
        assertFalse(replayed.accepted());
        assertEquals(java.util.Set.of(FindingCode.REVOCATION_UNKNOWN),
                replayed.findings().stream().map(f -> f.code()).collect(java.util.stream.Collectors.toSet()), replayed.toString());
    }

    @Test
    void ocspResponseSignedByTheWrongKeyIsNotTrusted() throws Exception {
        VerificationReport good = verify(leaf(GOOD, rogue.url(), null), policy(RevocationMode.REQUIRE).build());
        assertTrue(good.has(FindingCode.REVOCATION_UNKNOWN), good.toString());
        assertFalse(good.accepted());
        // a forged "revoked" from the rogue key is not believed either: no answer, not a revocation
        VerificationReport revoked = verify(leaf(REVOKED, rogue.url(), null), policy(RevocationMode.REQUIRE).build());
        assertFalse(revoked.has(FindingCode.CERT_REVOKED), revoked.toString());
        assertTrue(revoked.has(FindingCode.REVOCATION_UNKNOWN));
    }

    @Test
    void responderDownUnderPreferIsAcceptedWithWarning() throws Exception {
        String down = "http://127.0.0.1:" + TrustFixtures.deadPort() + "/";
        VerificationReport r = verify(leaf(GOOD, down, null), policy(RevocationMode.PREFER).build());
        assertTrue(r.accepted(), r.toString());
        assertEquals(List.of(org.veripack.core.WarningCode.REVOCATION_NOT_CHECKED), r.warnings().stream().map(x -> x.code()).toList(),
                r.warnings().toString());
    }

    @Test
    void responderDownUnderRequireIsRevocationUnknown() throws Exception {
        String down = "http://127.0.0.1:" + TrustFixtures.deadPort() + "/";
        VerificationReport r = verify(leaf(GOOD, down, null), policy(RevocationMode.REQUIRE).build());
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
    }

    @Test
    void policyOcspResponderIsAskedInsteadOfTheAiaOne() throws Exception {
        String down = "http://127.0.0.1:" + TrustFixtures.deadPort() + "/";
        TrustPolicy p = policy(RevocationMode.REQUIRE).ocspResponder(java.net.URI.create(caSigned.url())).build();
        assertTrue(verify(leaf(REVOKED, down, null), p).has(FindingCode.CERT_REVOKED));
    }

    @Test
    void noRevocationDataAtAllUnderRequireIsRevocationUnknown() throws Exception {
        VerificationReport r = verify(leaf(GOOD, null, null), policy(RevocationMode.REQUIRE).build(), RevocationSource.offline());
        assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
    }

    @Test
    void revocationOffDoesNotLookAtRevocationData() throws Exception {
        VerificationReport r = verify(leaf(REVOKED, caSigned.url(), null), policy(RevocationMode.OFF).build());
        assertTrue(r.accepted(), r.toString());
    }

    // --- CRL ---

    @Test
    void revokedSignerThroughOpensslCaCrlIsCertRevoked() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("openssl-ca"));
        TestPki.writeCertificatesPem(dir.resolve("ca.pem"), CA.certificate());
        TestPki.writePrivateKeyPem(dir.resolve("ca.key"), CA.keyPair().getPrivate());
        Files.writeString(dir.resolve("index.txt"), "R\t440101000000Z\t240601000000Z,keyCompromise\t1002\tunknown\t/CN=x\n"
                + "V\t440101000000Z\t\t1001\tunknown\t/CN=y\n");
        Files.writeString(dir.resolve("crlnumber"), "01\n");
        Files.writeString(dir.resolve("ca.cnf"), "[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = index.txt\ncrlnumber = crlnumber\n"
                + "default_md = sha256\ndefault_crl_days = 7\n");
        Openssl.ok(dir, "ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "ca.key", "-cert", "ca.pem", "-out", "crl.pem");
        X509CRL crl = readCrl(dir.resolve("crl.pem"));
        TrustPolicy p = policy(RevocationMode.REQUIRE).crls(List.of(crl)).build();
        VerificationReport revoked = verify(leaf(REVOKED, null, null), p, RevocationSource.offline());
        assertTrue(revoked.has(FindingCode.CERT_REVOKED), revoked.toString());
        VerificationReport good = verify(leaf(GOOD, null, null), p, RevocationSource.offline());
        assertTrue(good.accepted(), good.toString());
    }

    @Test
    void revokedIntermediateIsCertRevoked() throws Exception {
        X509CRL rootRevokesCa = TestPki.crl(ROOT, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)),
                new TestPki.Revoked(CA.certificate().getSerialNumber(), REVOKED_AT, CRLReason.cACompromise));
        X509CRL caCrl = TestPki.crl(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)));
        TrustPolicy p = TrustPolicy.builder().trustAnchors(List.of(ROOT.certificate())).revocation(RevocationMode.REQUIRE)
                .crls(List.of(rootRevokesCa, caCrl)).build();
        VerificationReport r = verify(leaf(GOOD, null, null), p, RevocationSource.offline());
        assertTrue(r.findings().stream().anyMatch(f -> f.code() == FindingCode.CERT_REVOKED
                && f.subject().equals(CA.subject())), r.toString());
    }

    @Test
    void staleCrlIsNoAnswer() throws Exception {
        X509CRL stale = TestPki.crl(CA, NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(23)));
        TrustPolicy require = policy(RevocationMode.REQUIRE).crls(List.of(stale)).build();
        VerificationReport r = verify(leaf(GOOD, null, null), require, RevocationSource.offline());
        assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
        TrustPolicy prefer = policy(RevocationMode.PREFER).crls(List.of(stale)).build();
        VerificationReport w = verify(leaf(GOOD, null, null), prefer, RevocationSource.offline());
        assertTrue(w.accepted(), w.toString());
        assertEquals(List.of(org.veripack.core.WarningCode.REVOCATION_NOT_CHECKED), w.warnings().stream().map(x -> x.code()).toList());
    }

    @Test
    void staleCrlStillProvesARevocation() throws Exception {
        X509CRL stale = TestPki.crl(CA, NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofDays(1)),
                new TestPki.Revoked(REVOKED, REVOKED_AT, CRLReason.keyCompromise));
        TrustPolicy p = policy(RevocationMode.PREFER).crls(List.of(stale)).build();
        assertTrue(verify(leaf(REVOKED, null, null), p, RevocationSource.offline()).has(FindingCode.CERT_REVOKED));
    }

    @Test
    void revocationAsOfAnInstantAfterTheMachineClockIsUnknown() throws Exception {
        // a CRL current then would answer, but nobody knows today what will be revoked by tomorrow
        X509CRL caCrl = TestPki.crl(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)));
        TrustPolicy p = policy(RevocationMode.REQUIRE).crls(List.of(caCrl)).build();
        Path csar = TrustFixtures.csar(tmp, leaf(GOOD, null, null).identity(CA.certificate()), CLOCK);
        Clock tomorrow = Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC);
        VerificationReport r = PackageVerifier.create(p, tomorrow, RevocationSource.offline()).verifyCsar(csar);
        assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
        assertTrue(PackageVerifier.create(p, CLOCK, RevocationSource.offline()).verifyCsar(csar).accepted());
    }

    @Test
    void crlSignedByAnotherKeyIsIgnored() throws Exception {
        Issued impostor = TestPki.cert(CA.subject()).ca(true).issuedBy(ROOT).build(); // same name, other key
        X509CRL forged = TestPki.crl(impostor, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(1)));
        TrustPolicy p = policy(RevocationMode.REQUIRE).crls(List.of(forged)).build();
        assertTrue(verify(leaf(GOOD, null, null), p, RevocationSource.offline()).has(FindingCode.REVOCATION_UNKNOWN));
    }

    @Test
    void crlDistributionPointIsFetchedOverHttpAndCached() throws Exception {
        X509CRL crl = TestPki.crl(CA, NOW.minus(Duration.ofHours(1)), NOW.plus(Duration.ofDays(7)),
                new TestPki.Revoked(REVOKED, REVOKED_AT, -1));
        Path cache = tmp.resolve("revocation-cache");
        Issued leaf;
        TrustPolicy p = policy(RevocationMode.REQUIRE).build();
        try (TrustFixtures.BytesServer dp = new TrustFixtures.BytesServer(() -> encoded(crl))) {
            leaf = leaf(REVOKED, null, dp.url("ca.crl"));
            VerificationReport r = verify(leaf, p, RevocationSource.http(Duration.ofSeconds(5), 1 << 20, cache));
            assertTrue(r.has(FindingCode.CERT_REVOKED), r.toString());
            assertEquals(1, dp.hits.get());
        }
        // the distribution point is gone: the cached CRL (still fresh at the verification instant) answers
        VerificationReport cached = verify(leaf, p, RevocationSource.http(Duration.ofSeconds(5), 1 << 20, cache));
        assertTrue(cached.has(FindingCode.CERT_REVOKED), cached.toString());
        VerificationReport uncached = verify(leaf, p, RevocationSource.http(Duration.ofSeconds(5), 1 << 20, null));
        assertTrue(uncached.has(FindingCode.REVOCATION_UNKNOWN), uncached.toString());
    }

    @Test
    void oversizedCrlDownloadIsRefused() throws Exception {
        byte[] huge = new byte[2 << 20];
        try (TrustFixtures.BytesServer dp = new TrustFixtures.BytesServer(() -> huge)) {
            VerificationReport r = verify(leaf(GOOD, null, dp.url("big.crl")), policy(RevocationMode.REQUIRE).build(),
                    RevocationSource.http(Duration.ofSeconds(5), 1 << 20, null));
            assertTrue(r.has(FindingCode.REVOCATION_UNKNOWN), r.toString());
        }
    }

    static byte[] encoded(X509CRL crl) {
        try {
            return crl.getEncoded();
        } catch (CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    static X509CRL readCrl(Path p) throws Exception {
        try (var in = Files.newInputStream(p)) {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
    }
}
