package org.veripack.core.internal.cms;

import static org.veripack.core.internal.cms.StepFindings.SIGNATURE;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.cms.SignerInformation;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.SignerSummary;
import org.veripack.core.TrustPolicy;
import org.veripack.core.Warning;

/**
 * Checks a detached CMS SignedData (RFC 5652) over some content under a trust policy. It reads as the
 * checklist of RFC 5652 §5.6 and RFC 5280 §6; each step is a type that returns an immutable result, and
 * this class only composes them. Every SignerInfo is checked and every finding that can be determined is
 * reported (an expired signer without codeSigning EKU gets both findings); a finding reached twice (a
 * certificate on two signers' paths) is reported once.
 * <ol>
 *   <li>{@link SignedDataDecoder}: PEM/DER ContentInfo → detached SignedData (RFC 5652 §5.1, §5.2) →
 *       {@code SIGNATURE_MISSING} / {@code SIGNATURE_INVALID}.</li>
 *   <li>{@link ContentDigests}: each alternative content read once through every digest the SignerInfos name.</li>
 *   <li>{@link SignerCertificate#locate}: the signer's certificate by its sid (§5.3) → else {@code SIGNER_UNTRUSTED}.</li>
 *   <li>{@link AlgorithmPolicy}: digest, signature algorithm and key → else {@code ALGORITHM_REJECTED}.</li>
 *   <li>{@link SignedAttributesCheck}: version, content-type, messageDigest, CMSAlgorithmProtection (§5.3,
 *       §11.1, §11.2, RFC 6211 §3) and the signature value over the signed attributes (§5.4, §5.6) → else
 *       {@code SIGNATURE_INVALID}.</li>
 *   <li>{@link SignerCertificate#keyUsage}: EKU and keyUsage (RFC 5280 §4.2.1.3, §4.2.1.12) → else
 *       {@code KEY_USAGE_INVALID}.</li>
 *   <li>{@link TimestampTokenVerifier}: a trusted RFC 3161 time-stamp moves the validation instant to its genTime.</li>
 *   <li>{@link CertificationPath} (+ {@link PathDiagnosis}): RFC 5280 §6.1 by the JDK's PKIX builder, Bouncy
 *       Castle's validator deciding certificate policies when the initial set names policies (docs/pkix.md)
 *       → {@code SIGNER_UNTRUSTED}, {@code CERT_EXPIRED}, {@code CERT_NOT_YET_VALID}, {@code KEY_USAGE_INVALID},
 *       {@code ALGORITHM_REJECTED}.</li>
 *   <li>{@link RevocationStep}: RFC 5280 §6.3 / RFC 6960 → {@code CERT_REVOKED} / {@code REVOCATION_UNKNOWN}.</li>
 * </ol>
 */
public final class CmsSignatureVerifier {
    private final TrustPolicy policy;
    /** The verification time; a signer's path is validated at its trusted time-stamp's genTime instead. */
    private final Instant at;
    private final AlgorithmPolicy algorithms;
    private final CertificationPath paths;
    private final RevocationStep revocation;
    private final Report report = new Report();

    private CmsSignatureVerifier(TrustPolicy policy, Instant at, RevocationSource revocationSource) {
        this.policy = policy;
        this.at = at;
        this.algorithms = new AlgorithmPolicy(policy);
        this.paths = new CertificationPath(policy, algorithms);
        this.revocation = new RevocationStep(policy, revocationSource, at);
    }

    /**
     * @param cms          the SignedData, DER or PEM ({@code -----BEGIN CMS-----}/{@code PKCS7}); may be empty
     *                     (then {@code SIGNATURE_MISSING})
     * @param content      the detached content the signature covers
     * @param packageCerts certificates shipped beside the signature (e.g. a SOL004 {@code .cert}); may be empty
     * @param policy       trust policy
     * @param at           verification instant
     * @return findings and signers; never throws for malformed input
     * @throws IOException only when {@code content} cannot be read
     */
    public static SignatureCheckResult verify(byte[] cms, SignedContent content, List<X509Certificate> packageCerts,
                                              TrustPolicy policy, Instant at) throws IOException {
        return verify(cms, content, packageCerts, policy, at, RevocationSource.http());
    }

    /**
     * As {@link #verify(byte[], SignedContent, List, TrustPolicy, Instant)}, with revocation data (used
     * when {@code policy.revocation()} is not OFF) from {@code revocation}.
     */
    public static SignatureCheckResult verify(byte[] cms, SignedContent content, List<X509Certificate> packageCerts,
                                              TrustPolicy policy, Instant at, RevocationSource revocation) throws IOException {
        Objects.requireNonNull(content, "content");
        return verifyOneOf(cms, List.of(content), packageCerts, policy, at, revocation);
    }

    /**
     * As {@link #verify(byte[], SignedContent, List, TrustPolicy, Instant, RevocationSource)} where the signed
     * content may be any one of {@code contents} (SOL004 option 1: the manifest bytes before the CMS block, or
     * those bytes less the line break before it; {@code Manifest#signedContents()}). Each SignerInfo is checked
     * against the alternative whose digest equals its messageDigest signed attribute (RFC 5652 §11.2 binds the
     * signature to exactly one content), or against the first when none does (then {@code SIGNATURE_INVALID}
     * names the first alternative's digest). Every alternative is read once.
     *
     * @param contents one or more alternatives, the preferred (reported) one first
     * @throws IOException only when an alternative cannot be read
     */
    public static SignatureCheckResult verifyOneOf(byte[] cms, List<SignedContent> contents, List<X509Certificate> packageCerts,
                                                   TrustPolicy policy, Instant at, RevocationSource revocation) throws IOException {
        Objects.requireNonNull(contents, "contents");
        Objects.requireNonNull(packageCerts, "packageCerts");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(revocation, "revocation");
        if (contents.isEmpty()) {
            throw new IllegalArgumentException("no signed content given");
        }
        contents.forEach(c -> Objects.requireNonNull(c, "content"));
        CmsSignatureVerifier v = new CmsSignatureVerifier(policy, at, revocation);
        v.run(cms == null ? new byte[0] : cms, contents, packageCerts, null);
        return v.report.result();
    }

    /** {@link #verify}'s result plus a digest of the content from the same single read of it. */
    public record DigestedResult(SignatureCheckResult check, byte[] contentDigest, long contentBytes) {
        /** @return true when the content was read and {@link #contentDigest()} holds its digest */
        public boolean digested() { return contentDigest != null; }
    }

    /**
     * As {@link #verify}, and also digests the content with {@code jcaDigest} (a JDK SHA-2 name) in the same
     * single pass that computes the CMS message digests: when a SignerInfo names the same algorithm the
     * one digest serves both, so a detached package is read and hashed once (docs/reference.md "Performance").
     * When the CMS is unusable before its content would be read (empty, not CMS, encapsulated content,
     * no SignerInfo), the content is not read and {@link DigestedResult#digested()} is false.
     *
     * @param revocation revocation data, as for {@link #verify(byte[], SignedContent, List, TrustPolicy, Instant, RevocationSource)}
     * @throws IOException only when {@code content} cannot be read
     */
    public static DigestedResult verifyAndDigest(byte[] cms, SignedContent content, List<X509Certificate> packageCerts,
                                                 TrustPolicy policy, Instant at, RevocationSource revocation,
                                                 String jcaDigest) throws IOException {
        Objects.requireNonNull(revocation, "revocation");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(packageCerts, "packageCerts");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(jcaDigest, "jcaDigest");
        CmsSignatureVerifier v = new CmsSignatureVerifier(policy, at, revocation);
        ContentDigests digests = v.run(cms == null ? new byte[0] : cms, List.of(content), packageCerts, jcaDigest);
        return digests == null ? new DigestedResult(v.report.result(), null, 0)
                : new DigestedResult(v.report.result(), digests.extraDigest(), digests.contentBytes());
    }

    /** The checklist over every SignerInfo; returns the content digests, null when the CMS was unusable before them. */
    private ContentDigests run(byte[] cms, List<SignedContent> contents, List<X509Certificate> packageCerts,
                               String extraDigest) throws IOException {
        SignedDataDecoder.Decoded decoded = SignedDataDecoder.decode(cms); // step 1, RFC 5652 §5.1-§5.2
        report.add(decoded.findings());
        if (!decoded.usable()) {
            return null;
        }
        List<X509Certificate> pool = new ArrayList<>(decoded.certificates());
        addAllNew(pool, packageCerts);
        addAllNew(pool, policy.intermediates());
        ContentDigests digests = ContentDigests.compute(decoded.signerInfos(), contents, extraDigest); // step 2, §5.6
        int index = 0;
        for (SignerInformation si : decoded.signerInfos()) {
            try {
                checkSigner(si, index++, decoded, digests, pool);
            } catch (RuntimeException e) {
                // fail closed: a provider or parser failure on hostile input is a finding, never a crash
                report.add(StepFindings.of(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo could not be checked: " + e));
            }
        }
        return digests;
    }

    /** RFC 5652 §5.6 for one SignerInfo, then RFC 5280 §6 for its signer's certificate. */
    private void checkSigner(SignerInformation si, int index, SignedDataDecoder.Decoded decoded, ContentDigests content,
                             List<X509Certificate> pool) {
        // §5.3 sid: the signer's certificate
        SignerCertificate.Located signer = SignerCertificate.locate(si, index, pool, decoded.undecodable(), policy, algorithms);
        report.add(signer.findings());
        if (signer.undecodable() != null) {
            report.signers.add(signer.undecodable());
        }
        report.add(SignedAttributesCheck.version(si, index));
        // algorithm policy: digest, signature algorithm, signer key
        AlgorithmPolicy.SignerAlgorithms algs = algorithms.signerInfo(si, signer.certificate());
        report.add(algs.findings());
        // §5.4, §11.1, §11.2: signed attributes over the content alternative the messageDigest names
        SignedAttributesCheck.Result attributes = SignedAttributesCheck.attributes(si, index, decoded.eContentType(),
                algs.digestName(), content.signedAlternative(si, algs.digestName()));
        report.add(attributes.findings());
        // §5.6: the signature value over the DER signed attributes
        if (attributes.present() && algs.usable()) {
            report.add(SignedAttributesCheck.signatureValue(si, index, algs));
        }
        X509Certificate cert = signer.certificate();
        if (cert == null) {
            return;
        }
        report.signerCertificates.add(cert);
        // RFC 5280 §4.2.1.3, §4.2.1.12: the signer's key usage
        report.add(SignerCertificate.keyUsage(cert, policy));
        // RFC 3161: a trusted time-stamp is the instant the path is validated at
        Instant when = timestamp(si);
        // RFC 5280 §6.1: the certification path at that instant
        CertificationPath.Result path = paths.check(cert, pool, when);
        if (!report.add(path.findings()) && path.unbuilt() != null) {
            report.add(StepFindings.of(List.of(path.unbuilt())));
        }
        // RFC 5280 §6.3, RFC 6960: revocation of the path's certificates
        if (path.path().size() > 1) {
            RevocationStep.Result revoked = revocation.check(path.path(), pool, when);
            report.add(revoked.findings());
            report.warnings.addAll(revoked.warnings());
        }
        report.signers.add(SignerCertificate.summary(cert, path.path(), path.policies()));
    }

    /** {@link TimestampTokenVerifier}'s findings and warning; returns its trusted genTime, else the verification time. */
    private Instant timestamp(SignerInformation si) {
        TimestampTokenVerifier.Result r = TimestampTokenVerifier.check(si, policy, at);
        report.add(StepFindings.of(r.findings()));
        if (r.warning() != null && !report.warnings.contains(r.warning())) {
            report.warnings.add(r.warning());
        }
        return r.genTime() != null ? r.genTime() : at;
    }

    private static void addAllNew(List<X509Certificate> to, List<X509Certificate> from) {
        for (X509Certificate c : from) {
            if (!to.contains(c)) {
                to.add(c);
            }
        }
    }

    /** The result being composed: the first of equal findings (by {@link StepFindings} key), signers, warnings. */
    private static final class Report {
        private final Map<String, Finding> findings = new LinkedHashMap<>();
        private final List<SignerSummary> signers = new ArrayList<>();
        private final List<X509Certificate> signerCertificates = new ArrayList<>();
        private final List<Warning> warnings = new ArrayList<>();

        /** @return whether a finding not reported before was added */
        boolean add(StepFindings step) {
            boolean added = false;
            for (StepFindings.Entry e : step.entries()) {
                added |= findings.putIfAbsent(e.key(), e.finding()) == null;
            }
            return added;
        }

        SignatureCheckResult result() {
            return new SignatureCheckResult(List.copyOf(findings.values()), signers, signerCertificates, warnings);
        }
    }
}
