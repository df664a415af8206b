package org.veripack.core.cms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.cms.CmsFixtures.CLOCK;
import static org.veripack.core.cms.CmsFixtures.CONTENT;
import static org.veripack.core.cms.CmsFixtures.NOW;
import static org.veripack.core.cms.CmsFixtures.bcSign;
import static org.veripack.core.cms.CmsFixtures.codes;
import static org.veripack.core.cms.CmsFixtures.contentType;
import static org.veripack.core.cms.CmsFixtures.exactly;
import static org.veripack.core.cms.CmsFixtures.messageDigest;
import static org.veripack.core.cms.CmsFixtures.sha;
import static org.veripack.core.cms.CmsFixtures.sign;
import static org.veripack.core.cms.CmsFixtures.signingTime;
import static org.veripack.core.cms.CmsFixtures.trusting;
import static org.veripack.core.cms.CmsFixtures.verify;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.SignerSummary;
import org.veripack.core.TestResources;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.BcProvider;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestPki.KeyType;
import org.veripack.core.sign.CmsSigner;

/**
 * CMS SignedData verification: the genuine case per key type, and one test per attack on the CMS
 * structure, the signed attributes, the algorithms and the certification path (RFC 5652 §5.6, RFC 5280 §6; docs/threat-model.md T1).
 * Every fixture is generated here with TestPki and CmsSigner or BC generators.
 */
class CmsSignatureVerifierTest {
    static Issued root;
    static Issued ca;
    static Issued leaf;
    static TrustPolicy policy;

    @TempDir Path dir;

    @BeforeAll
    static void pki() {
        root = TestPki.cert("CN=Acme Root CA,O=Acme").ca(true).build();
        ca = TestPki.cert("CN=Acme Code Signing CA,O=Acme").pathLen(0).issuedBy(root).build();
        leaf = TestPki.cert("CN=Acme MME Release,O=Acme").issuedBy(ca).build();
        policy = trusting(root);
    }

    private static void assertOnly(SignatureCheckResult r, FindingCode... expected) {
        assertEquals(Set.of(expected), codes(r), () -> "findings: " + r.findings());
    }

    private static void assertHas(SignatureCheckResult r, FindingCode... expected) {
        assertTrue(codes(r).containsAll(Set.of(expected)), () -> "expected " + Arrays.toString(expected) + " in " + r.findings());
        assertFalse(r.valid());
    }

    private static Finding finding(SignatureCheckResult r, FindingCode code) {
        return r.findings().stream().filter(f -> f.code() == code).findFirst()
                .orElseThrow(() -> new AssertionError("no " + code + " in " + r.findings()));
    }

    // ---- genuine signatures ------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = KeyType.class, names = {"EC_P256", "EC_P384", "RSA_2048", "RSA_3072", "ED25519"})
    void genuineSignatureOfEveryKeyTypeIsValid(KeyType type) throws Exception {
        Issued r = TestPki.cert("CN=Root " + type).keyType(type).ca(true).build();
        Issued i = TestPki.cert("CN=CA " + type).keyType(type).ca(true).issuedBy(r).build();
        Issued l = TestPki.cert("CN=Signer " + type).keyType(type).issuedBy(i).build();
        SignatureCheckResult res = verify(sign(l, i.certificate()), trusting(r));
        assertTrue(res.valid(), () -> res.findings().toString());
        SignerSummary s = res.signers().get(0);
        assertEquals("CN=Signer " + type, s.subject());
        assertEquals("CN=CA " + type, s.issuer());
        assertEquals(l.certificate().getSerialNumber().toString(16), s.serialHex());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(l.certificate().getEncoded())),
                s.fingerprintSha256());
        assertEquals(List.of("CN=Signer " + type, "CN=CA " + type, "CN=Root " + type), s.certificationPath());
        assertEquals(List.of(l.certificate()), res.signerCertificates());
    }

    @Test
    void rsaPssAndEveryDigestAreValid() throws Exception {
        Issued r = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued l = TestPki.cert("CN=RSA Signer").keyType(KeyType.RSA_2048).issuedBy(r).build();
        for (String d : List.of("SHA-256", "SHA-384", "SHA-512")) {
            for (boolean pss : List.of(false, true)) {
                byte[] cms = CmsSigner.builder(l.identity()).digestAlgorithm(d).rsaPss(pss).clock(CLOCK).build()
                        .signDetached(new ByteArrayInputStream(CONTENT));
                SignatureCheckResult res = verify(cms, trusting(r));
                assertTrue(res.valid(), () -> d + " pss=" + pss + ": " + res.findings());
            }
        }
    }

    @Test
    void pemFormIsAccepted() throws Exception {
        SignatureCheckResult res = verify(CmsSigner.toPemBytes(sign(leaf, ca.certificate())), policy);
        assertTrue(res.valid(), () -> res.findings().toString());
        byte[] pkcs7 = CmsSigner.toPem(sign(leaf, ca.certificate())).replace("CMS-----", "PKCS7-----")
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(verify(pkcs7, policy).valid());
    }

    @Test
    void chainFromPackageCertificatesAndPolicyIntermediates() throws Exception {
        byte[] cms = sign(leaf); // CMS carries only the signer certificate
        assertHas(verify(cms, policy), FindingCode.SIGNER_UNTRUSTED);
        assertTrue(verify(cms, CONTENT, List.of(ca.certificate()), policy, NOW).valid());
        TrustPolicy withIntermediate = policy.toBuilder().intermediates(List.of(ca.certificate())).build();
        assertTrue(verify(cms, withIntermediate).valid());
    }

    // ---- content and structure -----------------------------------------------------------------

    @Test
    void tamperedContentIsSignatureInvalid() throws Exception {
        byte[] tampered = CONTENT.clone();
        tampered[3] ^= 0x20;
        SignatureCheckResult r = verify(sign(leaf, ca.certificate()), tampered, List.of(), policy, NOW);
        assertOnly(r, FindingCode.SIGNATURE_INVALID);
        Finding f = finding(r, FindingCode.SIGNATURE_INVALID);
        assertEquals(HexFormat.of().formatHex(sha("SHA-256", CONTENT)), f.expected(), "claimed digest");
        assertEquals(HexFormat.of().formatHex(sha("SHA-256", tampered)), f.actual(), "recomputed digest");
        assertEquals(1, r.signers().size(), "the signer is still named");
    }

    @Test
    void emptySignatureIsMissing() throws Exception {
        assertOnly(verify(new byte[0], policy), FindingCode.SIGNATURE_MISSING);
        assertOnly(verify(" \n".getBytes(StandardCharsets.US_ASCII), policy), FindingCode.SIGNATURE_MISSING);
        assertOnly(verify(null, policy), FindingCode.SIGNATURE_MISSING);
    }

    @Test
    void truncatedSignatureIsInvalid() throws Exception {
        byte[] der = sign(leaf, ca.certificate());
        assertOnly(verify(Arrays.copyOf(der, der.length / 2), policy), FindingCode.SIGNATURE_INVALID);
        assertOnly(verify(Arrays.copyOf(der, der.length - 1), policy), FindingCode.SIGNATURE_INVALID);
        String pem = CmsSigner.toPem(der);
        byte[] truncatedPem = pem.substring(0, pem.length() / 2).getBytes(StandardCharsets.US_ASCII);
        assertOnly(verify(truncatedPem, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void garbageAndNonCmsAreInvalid() throws Exception {
        // ONAP csar-option2-fake-cms.zip ships a text file as test.cms
        assertOnly(verify("empty cms, to simulate ziped csar options\n".getBytes(StandardCharsets.US_ASCII), policy),
                FindingCode.SIGNATURE_INVALID);
        assertOnly(verify(root.certificate().getEncoded(), policy), FindingCode.SIGNATURE_INVALID);
        byte[] certPem = ("-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder().encodeToString(root.certificate().getEncoded())
                + "\n-----END CERTIFICATE-----\n").getBytes(StandardCharsets.US_ASCII);
        assertOnly(verify(certPem, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void dataAppendedAfterTheCmsIsInvalid() throws Exception {
        byte[] der = sign(leaf, ca.certificate());
        byte[] appended = Arrays.copyOf(der, der.length + 4);
        assertOnly(verify(appended, policy), FindingCode.SIGNATURE_INVALID);
        byte[] pemAppended = (CmsSigner.toPem(der) + "trailing text\n").getBytes(StandardCharsets.US_ASCII);
        assertOnly(verify(pemAppended, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void zeroSignerInfosIsInvalid() throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(List.of(leaf.certificate())));
        byte[] cms = gen.generate(new CMSProcessableByteArray(CONTENT), false).getEncoded("DER");
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void attachedContentIsInvalidForADetachedCheck() throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder()
                .build("SHA256withECDSA", leaf.keyPair().getPrivate(), leaf.certificate()));
        byte[] cms = gen.generate(new CMSProcessableByteArray(CONTENT), true).getEncoded("DER");
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void twoSignerInfosOneBadIsInvalid() throws Exception {
        Issued second = TestPki.cert("CN=Acme Second Signer,O=Acme").issuedBy(ca).build();
        CMSSignedData good = new CMSSignedData(sign(leaf, ca.certificate()));
        CMSSignedData bad = new CMSSignedData(bcSign("other content".getBytes(StandardCharsets.UTF_8), second,
                "SHA256withECDSA", null));
        List<SignerInformation> both = new ArrayList<>(good.getSignerInfos().getSigners());
        both.addAll(bad.getSignerInfos().getSigners());
        CMSSignedData merged = CMSSignedData.replaceSigners(good, new SignerInformationStore(both));
        merged = CMSSignedData.replaceCertificatesAndCRLs(merged, new org.bouncycastle.cert.jcajce.JcaCertStore(
                List.of(leaf.certificate(), ca.certificate(), second.certificate())), null, null);
        SignatureCheckResult r = verify(merged.getEncoded("DER"), policy);
        assertOnly(r, FindingCode.SIGNATURE_INVALID);
        assertEquals(2, r.signers().size());

        // both good: valid
        CMSSignedData good2 = new CMSSignedData(CmsSigner.builder(second.identity(ca.certificate())).clock(CLOCK).build()
                .signDetached(new ByteArrayInputStream(CONTENT)));
        List<SignerInformation> twoGood = new ArrayList<>(good.getSignerInfos().getSigners());
        twoGood.addAll(good2.getSignerInfos().getSigners());
        CMSSignedData ok = CMSSignedData.replaceCertificatesAndCRLs(
                CMSSignedData.replaceSigners(good, new SignerInformationStore(twoGood)),
                new org.bouncycastle.cert.jcajce.JcaCertStore(List.of(leaf.certificate(), ca.certificate(), second.certificate())),
                null, null);
        assertTrue(verify(ok.getEncoded("DER"), policy).valid());
    }

    @Test
    void signatureValueFlippedIsInvalid() throws Exception {
        byte[] der = sign(leaf, ca.certificate());
        CMSSignedData sd = new CMSSignedData(der);
        byte[] sig = sd.getSignerInfos().getSigners().iterator().next().getSignature();
        int at = indexOf(der, sig);
        der[at + sig.length - 3] ^= 1;
        assertOnly(verify(der, policy), FindingCode.SIGNATURE_INVALID);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    // ---- signed attributes (RFC 5652 §5.4, §11) ------------------------------------------------------

    @Test
    void signatureOverOtherContentIsMessageDigestMismatch() throws Exception {
        byte[] cms = bcSign("a different release".getBytes(StandardCharsets.UTF_8), leaf, "SHA256withECDSA", null,
                ca.certificate());
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void validSignatureOverTamperedMessageDigestAttributeIsInvalid() throws Exception {
        // the attacker's signed attributes claim the digest of other content; the signature itself verifies
        byte[] cms = bcSign(CONTENT, leaf, "SHA256withECDSA", exactly(contentType(CMSObjectIdentifiers.data),
                signingTime(), messageDigest(sha("SHA-256", "evil".getBytes(StandardCharsets.UTF_8)))), ca.certificate());
        SignatureCheckResult r = verify(cms, policy);
        assertOnly(r, FindingCode.SIGNATURE_INVALID);
        assertEquals(HexFormat.of().formatHex(sha("SHA-256", CONTENT)), finding(r, FindingCode.SIGNATURE_INVALID).actual());
    }

    @Test
    void messageDigestMissingIsInvalid() throws Exception {
        byte[] cms = bcSign(CONTENT, leaf, "SHA256withECDSA", exactly(contentType(CMSObjectIdentifiers.data), signingTime()),
                ca.certificate());
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void contentTypeMismatchIsInvalid() throws Exception {
        byte[] cms = bcSign(CONTENT, leaf, "SHA256withECDSA", exactly(contentType(CMSObjectIdentifiers.signedData),
                signingTime(), messageDigest(sha("SHA-256", CONTENT))), ca.certificate());
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
        byte[] missing = bcSign(CONTENT, leaf, "SHA256withECDSA", exactly(signingTime(), messageDigest(sha("SHA-256", CONTENT))),
                ca.certificate());
        assertOnly(verify(missing, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void duplicateMessageDigestAttributeIsInvalid() throws Exception {
        byte[] cms = bcSign(CONTENT, leaf, "SHA256withECDSA", exactly(contentType(CMSObjectIdentifiers.data),
                messageDigest(sha("SHA-256", CONTENT)), messageDigest(sha("SHA-256", new byte[1]))), ca.certificate());
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    @Test
    void noSignedAttributesIsInvalid() throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder(
                new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build())
                .setDirectSignature(true)
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                        .build(leaf.keyPair().getPrivate()), leaf.certificate()));
        gen.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(List.of(leaf.certificate(), ca.certificate())));
        byte[] cms = gen.generate(new CMSProcessableByteArray(CONTENT), false).getEncoded("DER");
        assertOnly(verify(cms, policy), FindingCode.SIGNATURE_INVALID);
    }

    // ---- algorithms ----------------------------------------------------------------------------

    @Test
    void rsa1024SignerIsAlgorithmRejected() throws Exception {
        Issued r = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued weak = TestPki.cert("CN=Weak Signer").keyType(KeyType.RSA_1024).issuedBy(r).build();
        byte[] cms = bcSign(CONTENT, weak, "SHA256withRSA", null);
        SignatureCheckResult res = verify(cms, trusting(r));
        assertOnly(res, FindingCode.ALGORITHM_REJECTED);
        assertEquals("CN=Weak Signer", finding(res, FindingCode.ALGORITHM_REJECTED).subject());
    }

    @Test
    void sha1DigestIsAlgorithmRejected() throws Exception {
        Issued r = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued l = TestPki.cert("CN=RSA Signer").keyType(KeyType.RSA_2048).issuedBy(r).build();
        assertOnly(verify(bcSign(CONTENT, l, "SHA1withRSA", null), trusting(r)), FindingCode.ALGORITHM_REJECTED);
        assertOnly(verify(bcSign(CONTENT, leaf, "SHA1withECDSA", null, ca.certificate()), policy),
                FindingCode.ALGORITHM_REJECTED);
        assertOnly(verify(bcSign(CONTENT, l, "MD5withRSA", null), trusting(r)), FindingCode.ALGORITHM_REJECTED);
    }

    @Test
    void digestOutsideThePolicyIsAlgorithmRejected() throws Exception {
        TrustPolicy only384 = policy.toBuilder().allowedDigestAlgorithms(Set.of("SHA-384", "SHA-512")).build();
        assertHas(verify(sign(leaf, ca.certificate()), only384), FindingCode.ALGORITHM_REJECTED);
    }

    @Test
    void sha1SignedCertificateIsAlgorithmRejected() throws Exception {
        Issued r = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued l = TestPki.cert("CN=SHA1 Certified Signer").keyType(KeyType.RSA_2048).issuedBy(r)
                .signatureAlgorithm("SHA1withRSA").build();
        SignatureCheckResult res = verify(CmsSigner.builder(l.identity()).clock(CLOCK).build()
                .signDetached(new ByteArrayInputStream(CONTENT)), trusting(r));
        assertOnly(res, FindingCode.ALGORITHM_REJECTED);
        assertEquals("CN=SHA1 Certified Signer", finding(res, FindingCode.ALGORITHM_REJECTED).subject());
    }

    @Test
    void weakIntermediateKeyIsAlgorithmRejected() throws Exception {
        Issued r = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued weakCa = TestPki.cert("CN=Weak CA").keyType(KeyType.RSA_1024).ca(true).issuedBy(r).build();
        Issued l = TestPki.cert("CN=Signer").issuedBy(weakCa).build();
        SignatureCheckResult res = verify(sign(l, weakCa.certificate()), trusting(r));
        assertOnly(res, FindingCode.ALGORITHM_REJECTED);
        assertEquals("CN=Weak CA", finding(res, FindingCode.ALGORITHM_REJECTED).subject());
    }

    /**
     * CurveBall (CVE-2020-0601): a certificate that copies the trusted root's name and public point Q
     * but carries explicit curve parameters with generator G' = Q, so the attacker's private key is 1.
     * Its CMS signature is mathematically valid under those parameters.
     */
    @Test
    void explicitCurveParametersCopyingATrustedKeyAreRejected() throws Exception {
        X9ECParameters p256 = ECNamedCurveTable.getByName("P-256");
        java.security.spec.ECPoint w = ((ECPublicKey) root.keyPair().getPublic()).getW();
        ECPoint q = p256.getCurve().createPoint(w.getAffineX(), w.getAffineY());
        X9ECParameters evil = new X9ECParameters(p256.getCurve(), new org.bouncycastle.asn1.x9.X9ECPoint(q, false),
                p256.getN(), p256.getH());
        ECDomainParameters domain = new ECDomainParameters(p256.getCurve(), q, p256.getN(), p256.getH());
        SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
                new X962Parameters(evil)), q.getEncoded(false));
        X500Name name = X500Name.getInstance(root.certificate().getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(name, BigInteger.valueOf(7), Date.from(TestPki.DEFAULT_NOT_BEFORE),
                Date.from(TestPki.DEFAULT_NOT_AFTER), name, spki);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
        X509CertificateHolder holder = b.build(new CmsFixtures.ExplicitCurveSigner(domain));
        // the JDK cannot even parse explicit curve parameters; BC can, as an attacker's tool would
        X509Certificate fake = new JcaX509CertificateConverter().setProvider(BcProvider.INSTANCE).getCertificate(holder);
        byte[] cms = CmsFixtures.bcSign(CONTENT, new CmsFixtures.ExplicitCurveSigner(domain), fake, null);

        // the forgery is real: the signature verifies under the certificate's own (explicit) parameters
        SignerInformation si = new CMSSignedData(cms).getSignerInfos().getSigners().iterator().next();
        ECDSASigner check = new ECDSASigner();
        check.init(false, new ECPublicKeyParameters(q, domain));
        BigInteger[] rs = StandardDSAEncoding.INSTANCE.decode(p256.getN(), si.getSignature());
        assertTrue(check.verifySignature(sha("SHA-256", si.getEncodedSignedAttributes()), rs[0], rs[1]));

        SignatureCheckResult r = verify(cms, policy);
        assertHas(r, FindingCode.ALGORITHM_REJECTED, FindingCode.SIGNER_UNTRUSTED);
    }

    // ---- certification path (RFC 5280 §6) ------------------------------------------------------------

    @Test
    void untrustedSignerIsSignerUntrusted() throws Exception {
        Issued otherRoot = TestPki.cert("CN=Mallory Root").ca(true).build();
        Issued mallory = TestPki.cert("CN=Acme MME Release,O=Acme").issuedBy(otherRoot).build();
        SignatureCheckResult r = verify(sign(mallory, otherRoot.certificate()), policy);
        assertOnly(r, FindingCode.SIGNER_UNTRUSTED);
        assertEquals(List.of(), r.signers().get(0).certificationPath());
    }

    @Test
    void selfSignedSignerIsSignerUntrusted() throws Exception {
        Issued self = TestPki.cert("CN=Self Signed Signer").build();
        assertOnly(verify(sign(self), policy), FindingCode.SIGNER_UNTRUSTED);
    }

    @Test
    void expiredSignerIsCertExpired() throws Exception {
        Issued old = TestPki.cert("CN=Expired Signer").issuedBy(ca)
                .validity(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z")).build();
        SignatureCheckResult r = verify(sign(old, ca.certificate()), policy);
        assertOnly(r, FindingCode.CERT_EXPIRED);
        assertEquals("CN=Expired Signer", finding(r, FindingCode.CERT_EXPIRED).subject());
        // inside the validity it is fine: the verification time is what counts
        assertTrue(verify(sign(old, ca.certificate()), CONTENT, List.of(), policy, Instant.parse("2024-06-01T00:00:00Z")).valid());
    }

    @Test
    void expiredIntermediateIsCertExpiredNamingIt() throws Exception {
        Issued oldCa = TestPki.cert("CN=Old CA").ca(true).issuedBy(root)
                .validity(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-06-01T00:00:00Z")).build();
        Issued l = TestPki.cert("CN=Signer Under Old CA").issuedBy(oldCa).build();
        SignatureCheckResult r = verify(sign(l, oldCa.certificate()), policy);
        assertOnly(r, FindingCode.CERT_EXPIRED);
        assertEquals("CN=Old CA", finding(r, FindingCode.CERT_EXPIRED).subject());
    }

    @Test
    void notYetValidSignerIsCertNotYetValid() throws Exception {
        Issued future = TestPki.cert("CN=Future Signer").issuedBy(ca)
                .validity(Instant.parse("2027-01-01T00:00:00Z"), Instant.parse("2030-01-01T00:00:00Z")).build();
        SignatureCheckResult r = verify(sign(future, ca.certificate()), policy);
        assertOnly(r, FindingCode.CERT_NOT_YET_VALID);
        assertEquals("CN=Future Signer", finding(r, FindingCode.CERT_NOT_YET_VALID).subject());
    }

    @Test
    void expiredAndWithoutCodeSigningEkuListsBoth() throws Exception {
        Issued bad = TestPki.cert("CN=Expired TLS Server").issuedBy(ca).extendedKeyUsage(KeyPurposeId.id_kp_serverAuth)
                .validity(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z")).build();
        assertOnly(verify(sign(bad, ca.certificate()), policy), FindingCode.CERT_EXPIRED, FindingCode.KEY_USAGE_INVALID);
    }

    @Test
    void nonCodeSigningEkuIsKeyUsageInvalid() throws Exception {
        Issued tls = TestPki.cert("CN=TLS Server").issuedBy(ca).extendedKeyUsage(KeyPurposeId.id_kp_serverAuth).build();
        assertOnly(verify(sign(tls, ca.certificate()), policy), FindingCode.KEY_USAGE_INVALID);
        Issued noEku = TestPki.cert("CN=No EKU").issuedBy(ca).codeSigningEku(false).build();
        assertOnly(verify(sign(noEku, ca.certificate()), policy), FindingCode.KEY_USAGE_INVALID);
        TrustPolicy lenient = policy.toBuilder().requireCodeSigningEku(false).build();
        assertTrue(verify(sign(tls, ca.certificate()), lenient).valid());
    }

    @Test
    void keyUsageWithoutDigitalSignatureIsKeyUsageInvalid() throws Exception {
        Issued l = TestPki.cert("CN=Key Encipherment Only").issuedBy(ca).keyUsage(KeyUsage.keyEncipherment).build();
        assertOnly(verify(sign(l, ca.certificate()), policy), FindingCode.KEY_USAGE_INVALID);
    }

    @Test
    void leafUsedAsCaIsKeyUsageInvalid() throws Exception {
        Issued fake = TestPki.cert("CN=Issued By A Leaf").issuedBy(leaf).build();
        SignatureCheckResult r = verify(sign(fake, leaf.certificate(), ca.certificate()), policy);
        assertOnly(r, FindingCode.KEY_USAGE_INVALID);
        assertEquals("CN=Acme MME Release,O=Acme", finding(r, FindingCode.KEY_USAGE_INVALID).subject());
    }

    @Test
    void issuerWithoutBasicConstraintsIsKeyUsageInvalid() throws Exception {
        // an X.509 v1 "CA" (no basicConstraints at all) may not issue certificates (RFC 5280 §6.1.4 k)
        Issued v1Ca = TestPki.cert("CN=Version 1 CA").noExtensions().issuedBy(root).build();
        Issued l = TestPki.cert("CN=Signer Under V1 CA").issuedBy(v1Ca).build();
        SignatureCheckResult r = verify(sign(l, v1Ca.certificate()), policy);
        assertOnly(r, FindingCode.KEY_USAGE_INVALID);
        assertEquals("CN=Version 1 CA", finding(r, FindingCode.KEY_USAGE_INVALID).subject());
    }

    @Test
    void pathLengthExceededIsKeyUsageInvalid() throws Exception {
        // ca has pathLen 0: it may not certify another CA
        Issued sub = TestPki.cert("CN=Sub CA").ca(true).issuedBy(ca).build();
        Issued l = TestPki.cert("CN=Signer Too Deep").issuedBy(sub).build();
        assertOnly(verify(sign(l, sub.certificate(), ca.certificate()), policy), FindingCode.KEY_USAGE_INVALID);
    }

    @Test
    void unknownCriticalExtensionIsSignerUntrusted() throws Exception {
        Issued l = TestPki.cert("CN=Critical Surprise").issuedBy(ca).criticalUnknownExtension().build();
        SignatureCheckResult r = verify(sign(l, ca.certificate()), policy);
        assertOnly(r, FindingCode.SIGNER_UNTRUSTED);
        Issued oddCa = TestPki.cert("CN=Odd CA").ca(true).issuedBy(root).criticalUnknownExtension().build();
        Issued l2 = TestPki.cert("CN=Under Odd CA").issuedBy(oddCa).build();
        SignatureCheckResult r2 = verify(sign(l2, oddCa.certificate()), policy);
        assertOnly(r2, FindingCode.SIGNER_UNTRUSTED);
        assertEquals("CN=Odd CA", finding(r2, FindingCode.SIGNER_UNTRUSTED).subject());
    }

    @Test
    void nameChainingWithoutKeyChainingIsSignerUntrusted() throws Exception {
        // the attacker's CA has the real intermediate's name but its own key
        Issued fakeCa = TestPki.cert("CN=Acme Code Signing CA,O=Acme").ca(true).build();
        Issued l = TestPki.cert("CN=Acme MME Release,O=Acme").issuedBy(fakeCa).build();
        assertOnly(verify(sign(l, ca.certificate()), policy), FindingCode.SIGNER_UNTRUSTED);
        // and a fake root with the anchor's name
        Issued fakeRoot = TestPki.cert("CN=Acme Root CA,O=Acme").ca(true).build();
        Issued l2 = TestPki.cert("CN=Acme MME Release,O=Acme").issuedBy(fakeRoot).build();
        assertOnly(verify(sign(l2, fakeRoot.certificate()), policy), FindingCode.SIGNER_UNTRUSTED);
    }

    @Test
    void directTrustOfAVersion1SignerCertificate() throws Exception {
        // ONAP style: X.509 v1, issuer name = subject name, signed by a root that is not distributed
        Issued hiddenRoot = TestPki.cert("C=AU,O=Internet Widgits Pty Ltd").keyType(KeyType.RSA_2048).ca(true).build();
        Issued signer = TestPki.cert("C=AU,O=Internet Widgits Pty Ltd").keyType(KeyType.RSA_2048).noExtensions()
                .issuedBy(hiddenRoot).validity(Instant.parse("2025-12-15T00:00:00Z"), Instant.parse("2026-01-15T00:00:00Z")).build();
        TrustPolicy direct = TrustPolicy.builder().trustAnchors(List.of(signer.certificate()))
                .requireCodeSigningEku(false).build();
        byte[] cms = CmsSigner.builder(signer.identity()).clock(CLOCK).build().signDetached(new ByteArrayInputStream(CONTENT));
        SignatureCheckResult ok = verify(cms, direct);
        assertTrue(ok.valid(), () -> ok.findings().toString());
        assertEquals(List.of("C=AU,O=Internet Widgits Pty Ltd"), ok.signers().get(0).certificationPath());
        assertOnly(verify(cms, CONTENT, List.of(), direct, Instant.parse("2026-02-01T00:00:00Z")), FindingCode.CERT_EXPIRED);
        assertOnly(verify(cms, direct.toBuilder().requireCodeSigningEku(true).build()), FindingCode.KEY_USAGE_INVALID);
    }

    // ---- interop: openssl-signed ------------------------------------------------------------------

    @Test
    void opensslSignedDerAndPemVerify() throws Exception {
        Files.write(dir.resolve("content.bin"), CONTENT);
        TestPki.writeCertificatesPem(dir.resolve("leaf.pem"), leaf.certificate());
        TestPki.writeCertificatesPem(dir.resolve("ca.pem"), ca.certificate());
        TestPki.writePrivateKeyPem(dir.resolve("key.pem"), leaf.keyPair().getPrivate());
        for (String form : List.of("DER", "PEM")) {
            Openssl.ok(dir, "cms", "-sign", "-binary", "-in", "content.bin", "-signer", "leaf.pem", "-inkey", "key.pem",
                    "-certfile", "ca.pem", "-outform", form, "-out", "sig." + form);
            byte[] sig = Files.readAllBytes(dir.resolve("sig." + form));
            SignatureCheckResult r = verify(sig, policy);
            assertTrue(r.valid(), () -> form + ": " + r.findings());
            byte[] tampered = CONTENT.clone();
            tampered[0] ^= 1;
            assertOnly(verify(sig, tampered, List.of(), policy, NOW), FindingCode.SIGNATURE_INVALID);
        }
        // SignerInfo version 3, identified by subjectKeyIdentifier
        Openssl.ok(dir, "cms", "-sign", "-binary", "-keyid", "-in", "content.bin", "-signer", "leaf.pem", "-inkey", "key.pem",
                "-certfile", "ca.pem", "-outform", "DER", "-out", "keyid.der");
        SignatureCheckResult keyid = verify(Files.readAllBytes(dir.resolve("keyid.der")), policy);
        assertTrue(keyid.valid(), () -> keyid.findings().toString());
        // RSA with openssl's rsaEncryption signatureAlgorithm, and RSA-PSS
        Issued rsaRoot = TestPki.cert("CN=RSA Root").keyType(KeyType.RSA_2048).ca(true).build();
        Issued rsa = TestPki.cert("CN=RSA Signer").keyType(KeyType.RSA_2048).issuedBy(rsaRoot).build();
        TestPki.writeCertificatesPem(dir.resolve("rsa.pem"), rsa.certificate());
        TestPki.writePrivateKeyPem(dir.resolve("rsakey.pem"), rsa.keyPair().getPrivate());
        Openssl.ok(dir, "cms", "-sign", "-binary", "-in", "content.bin", "-signer", "rsa.pem", "-inkey", "rsakey.pem",
                "-outform", "DER", "-out", "rsa.p7s");
        assertTrue(verify(Files.readAllBytes(dir.resolve("rsa.p7s")), trusting(rsaRoot)).valid());
        Openssl.ok(dir, "cms", "-sign", "-binary", "-in", "content.bin", "-signer", "rsa.pem", "-inkey", "rsakey.pem",
                "-keyopt", "rsa_padding_mode:pss", "-md", "sha384", "-outform", "DER", "-out", "pss.p7s");
        SignatureCheckResult pss = verify(Files.readAllBytes(dir.resolve("pss.p7s")), trusting(rsaRoot));
        assertTrue(pss.valid(), () -> pss.findings().toString());
    }

    @Test
    void opensslSha1SignatureIsAlgorithmRejected() throws Exception {
        Files.write(dir.resolve("content.bin"), CONTENT);
        TestPki.writeCertificatesPem(dir.resolve("leaf.pem"), leaf.certificate());
        TestPki.writePrivateKeyPem(dir.resolve("key.pem"), leaf.keyPair().getPrivate());
        Openssl.ok(dir, "cms", "-sign", "-binary", "-md", "sha1", "-in", "content.bin", "-signer", "leaf.pem",
                "-inkey", "key.pem", "-outform", "DER", "-out", "sig.der");
        assertHas(verify(Files.readAllBytes(dir.resolve("sig.der")), CONTENT, List.of(ca.certificate()), policy, NOW),
                FindingCode.ALGORITHM_REJECTED);
    }

    // ---- real third-party samples: ONAP SOL004 option 2 ----------------------------------------------

    static Path onap() {
        return TestResources.path("interop/onap-sol004");
    }

    private static byte[] zipEntry(Path zip, String suffix) throws Exception {
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(Files.newInputStream(zip))) {
            java.util.zip.ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.getName().endsWith(suffix)) {
                    return in.readAllBytes();
                }
            }
        }
        throw new AssertionError(suffix + " not in " + zip);
    }

    @Test
    void onapOption2SamplesVerifyAsTheirReadmeSays() throws Exception {
        X509Certificate anchor0619 = org.veripack.core.sign.SigningIdentities.readCertificates(onap().resolve("anchor-2019-06.pem")).get(0);
        X509Certificate anchor0519 = org.veripack.core.sign.SigningIdentities.readCertificates(onap().resolve("anchor-2019-05.pem")).get(0);
        Path valid = onap().resolve("signed-package-valid-signature.zip");
        X509Certificate cert = org.veripack.core.sign.SigningIdentities.readCertificates(writeTemp(zipEntry(valid, ".cert"))).get(0);
        TrustPolicy direct = TrustPolicy.builder().trustAnchors(List.of(anchor0619)).requireCodeSigningEku(false).build();
        SignatureCheckResult ok = verify(zipEntry(valid, ".cms"), zipEntry(valid, ".csar"), List.of(cert), direct,
                Instant.parse("2019-07-01T00:00:00Z"));
        assertTrue(ok.valid(), () -> ok.findings().toString());
        assertOnly(verify(zipEntry(valid, ".cms"), zipEntry(valid, ".csar"), List.of(cert), direct, NOW), FindingCode.CERT_EXPIRED);

        Path invalid = onap().resolve("signed-package-invalid-signature.zip");
        X509Certificate cert2 = org.veripack.core.sign.SigningIdentities.readCertificates(writeTemp(zipEntry(invalid, ".cert"))).get(0);
        TrustPolicy direct2 = TrustPolicy.builder().trustAnchors(List.of(anchor0519)).requireCodeSigningEku(false).build();
        assertOnly(verify(zipEntry(invalid, ".cms"), zipEntry(invalid, ".csar"), List.of(cert2), direct2,
                Instant.parse("2019-06-15T00:00:00Z")), FindingCode.SIGNATURE_INVALID);
    }

    private Path writeTemp(byte[] bytes) throws Exception {
        Path p = Files.createTempFile(dir, "cert", ".pem");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void unknownContentTypeOidStaysConsistent() throws Exception {
        // eContentType other than id-data with a matching content-type attribute is still a valid signature
        ASN1ObjectIdentifier custom = new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.2");
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder()
                .build("SHA256withECDSA", leaf.keyPair().getPrivate(), leaf.certificate()));
        gen.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(List.of(leaf.certificate(), ca.certificate())));
        byte[] cms = gen.generate(new org.bouncycastle.cms.CMSProcessableByteArray(custom, CONTENT), false).getEncoded("DER");
        SignatureCheckResult r = verify(cms, policy);
        assertTrue(r.valid(), () -> r.findings().toString());
        assertNotNull(r.signers().get(0));
    }
}
