package org.veripack.core.internal.cms;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CRLReason;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.PolicyNode;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAlgorithmProtection;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerId;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.Finding;
import org.veripack.core.RevocationMode;
import org.veripack.core.RevocationSource;
import org.veripack.core.internal.revocation.RevocationChecker;
import org.veripack.core.FindingCode;
import org.veripack.core.SignerSummary;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.io.Streams;

/**
 * Checks a detached CMS SignedData (RFC 5652) over some content under a trust policy: structure,
 * signed attributes (messageDigest, content-type; RFC 5652 §5.4, §11), signature value, algorithm
 * policy, certification path to a trust anchor (RFC 5280 §6), validity at {@code at}, key usage/EKU.
 *
 * <p>Checklist, each step a method below; every SignerInfo is checked and every finding that can be
 * determined is reported (an expired signer without codeSigning EKU gets both findings):
 * <ol>
 *   <li>{@link #decode}: empty input → {@code SIGNATURE_MISSING}; PEM ({@code CMS}, {@code PKCS7},
 *       {@code PKCS #7 SIGNED DATA}) or DER/BER ContentInfo; anything unparsable, trailing bytes,
 *       a content type other than id-signedData, encapsulated content (a detached signature is
 *       expected) or zero SignerInfos → {@code SIGNATURE_INVALID}. Structural problems of the CMS are
 *       always {@code SIGNATURE_INVALID}, never {@code MALFORMED_PACKAGE} (that code is for containers).</li>
 *   <li>{@link #contentDigests}: the content is streamed once through every digest the SignerInfos name (each
 *       alternative of {@link #verifyOneOf}; a SignerInfo is checked against the one its messageDigest names).</li>
 *   <li>{@link #checkAlgorithms}: digest in {@code policy.allowedDigestAlgorithms()}, signature algorithm
 *       allowed by {@link SignatureValueVerifier}, signer key allowed (RSA ≥ {@code minRsaKeyBits}, named
 *       EC curves only) → else {@code ALGORITHM_REJECTED}.</li>
 *   <li>{@link #checkSignedAttributes}: signed attributes required; exactly one content-type equal to
 *       eContentType (RFC 5652 §11.1), exactly one messageDigest equal to the content digest (§11.2),
 *       CMSAlgorithmProtection, when present, naming the SignerInfo's algorithms (RFC 6211 §3)
 *       → else {@code SIGNATURE_INVALID}.</li>
 *   <li>{@link #checkSignatureValue}: the signature over the DER signed attributes (§5.4), via
 *       {@link SignatureValueVerifier} → else {@code SIGNATURE_INVALID}.</li>
 *   <li>{@link #checkSignerKeyUsage}: EKU id-kp-codeSigning when the policy requires it; keyUsage, when
 *       present, with digitalSignature (RFC 5280 §4.2.1.3, §4.2.1.12) → else {@code KEY_USAGE_INVALID}.</li>
 *   <li>{@link #checkCertificationPath}: direct trust when the signer certificate is itself a trust
 *       anchor; otherwise JDK PKIX {@code CertPathBuilder} at {@code at} (JDK revocation checking off; step 9 checks revocation)
 *       over the CMS certificates, {@code packageCerts} and {@code policy.intermediates()}, with the policy's
 *       certificate-policy inputs (RFC 5280 §6.1.1 (c), (e)-(g)); when the initial policy set is not any-policy,
 *       Bouncy Castle's PKIX {@code CertPathValidator} re-validates the built path and decides (docs/pkix.md). When no path
 *       is built, a diagnosis (see {@link #diagnose}) names the reason. Mapping: no path, name chaining
 *       without key chaining, unknown critical extension, no valid certificate policy where one is
 *       required, other PKIX failures → {@code SIGNER_UNTRUSTED};
 *       validity of any path certificate (the anchor included) → {@code CERT_EXPIRED} /
 *       {@code CERT_NOT_YET_VALID} naming it; issuer not a CA (basicConstraints CA:FALSE or absent), path
 *       length exceeded, issuer without keyCertSign → {@code KEY_USAGE_INVALID}; weak signature or key
 *       on a path certificate (except the anchor's own self-signature) → {@code ALGORITHM_REJECTED}.
 *       With a trusted RFC 3161 time-stamp on the SignerInfo ({@link #checkTimestamp}) the path is built
 *       and validity checked at the token's genTime instead of {@code at}.</li>
 *   <li>{@link #checkRevocation}: when the policy's revocation mode is not OFF, every non-anchor path
 *       certificate through {@link RevocationChecker} → {@code CERT_REVOKED} / {@code REVOCATION_UNKNOWN}.</li>
 * </ol>
 */
public final class CmsSignatureVerifier {
    private static final String SIGNATURE = "signature";
    private static final int MAX_PATH_DEPTH = 8;
    private static final int MAX_CHAIN_ATTEMPTS = 2000;
    private static final Set<String> PEM_TYPES = Set.of("CMS", "PKCS7", "PKCS #7 SIGNED DATA");
    private static final HexFormat HEX = HexFormat.of();
    private static final Set<CRLReason> BENIGN_REASONS = Set.of(CRLReason.SUPERSEDED, CRLReason.CESSATION_OF_OPERATION,
            CRLReason.AFFILIATION_CHANGED, CRLReason.PRIVILEGE_WITHDRAWN);

    private final TrustPolicy policy;
    private final Instant at;
    private final RevocationSource revocationSource;
    /** The instant the current signer's path is validated at: its trusted time-stamp, else {@link #at}. */
    private Instant pathTime;
    /** The certificate policies the current signer's path is valid for, from the deciding validator's policy tree. */
    private List<String> pathPolicies = List.of();
    private final Map<String, Finding> findings = new LinkedHashMap<>();
    private final List<SignerSummary> signers = new ArrayList<>();
    private final List<X509Certificate> signerCertificates = new ArrayList<>();
    private final List<Warning> warnings = new ArrayList<>();
    private final Set<X509Certificate> keysChecked = new HashSet<>();
    private final Set<X509Certificate> algorithmsChecked = new HashSet<>();
    private final List<X509CertificateHolder> undecodable = new ArrayList<>();
    private String alsoDigest;
    private byte[] alsoDigestValue;
    private long contentBytes;

    private CmsSignatureVerifier(TrustPolicy policy, Instant at, RevocationSource revocationSource) {
        this.policy = policy;
        this.at = at;
        this.pathTime = at;
        this.revocationSource = revocationSource;
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
        v.run(cms == null ? new byte[0] : cms, contents, packageCerts);
        return new SignatureCheckResult(List.copyOf(v.findings.values()), v.signers, v.signerCertificates, v.warnings);
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
        v.alsoDigest = jcaDigest;
        v.run(cms == null ? new byte[0] : cms, List.of(content), packageCerts);
        SignatureCheckResult r = new SignatureCheckResult(List.copyOf(v.findings.values()), v.signers, v.signerCertificates, v.warnings);
        return new DigestedResult(r, v.alsoDigestValue, v.contentBytes);
    }

    private void run(byte[] cms, List<SignedContent> contents, List<X509Certificate> packageCerts) throws IOException {
        CMSSignedData signed = decode(cms);
        if (signed == null) {
            return;
        }
        List<SignerInformation> infos;
        List<X509Certificate> cmsCerts;
        ASN1ObjectIdentifier eContentType;
        try {
            infos = new ArrayList<>(signed.getSignerInfos().getSigners());
            cmsCerts = certificates(signed);
            eContentType = new ASN1ObjectIdentifier(signed.getSignedContentTypeOID());
        } catch (RuntimeException e) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "malformed CMS SignedData: " + e.getMessage());
            return;
        }
        if (signed.getSignedContent() != null) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                    "CMS SignedData encapsulates content; a detached signature was expected (RFC 5652 §5.2)");
            return;
        }
        if (infos.isEmpty()) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "CMS SignedData has no SignerInfo");
            return;
        }
        int version = signed.getVersion();
        if (version != 1 && version != 3 && version != 4 && version != 5) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignedData version " + version + " is not 1, 3, 4 or 5 (RFC 5652 §5.1)");
        }
        List<X509Certificate> pool = new ArrayList<>(cmsCerts);
        addAllNew(pool, packageCerts);
        addAllNew(pool, policy.intermediates());
        List<Map<String, byte[]>> digests = new ArrayList<>();
        for (SignedContent content : contents) {
            digests.add(contentDigests(infos, content, digests.isEmpty()));
        }
        int index = 0;
        for (SignerInformation si : infos) {
            try {
                checkSigner(si, index++, eContentType, digests, pool);
            } catch (RuntimeException e) {
                // fail closed: a provider or parser failure on hostile input is a finding, never a crash
                add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo could not be checked: " + e);
            }
        }
    }

    /** Step 1: PEM or DER ContentInfo(id-signedData) without trailing data. Null after a finding. */
    private CMSSignedData decode(byte[] cms) {
        String text = new String(cms, StandardCharsets.ISO_8859_1);
        if (text.isBlank()) {
            add(FindingCode.SIGNATURE_MISSING, SIGNATURE, "the signature is empty");
            return null;
        }
        byte[] der = cms;
        String trimmed = text.strip();
        if (trimmed.startsWith("-----BEGIN ")) {
            der = pemContent(trimmed);
            if (der == null) {
                return null;
            }
        }
        try {
            ASN1Primitive p = ASN1Primitive.fromByteArray(der);
            ContentInfo ci = ContentInfo.getInstance(p);
            if (!CMSObjectIdentifiers.signedData.equals(ci.getContentType())) {
                add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "CMS content type is " + ci.getContentType().getId()
                        + ", not id-signedData (RFC 5652 §5.1)");
                return null;
            }
            return new CMSSignedData(ci);
        } catch (IOException | CMSException | RuntimeException e) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "the signature is not a parsable CMS SignedData: " + e.getMessage());
            return null;
        }
    }

    private byte[] pemContent(String trimmed) {
        int endMarker = trimmed.indexOf("-----END ");
        int endLine = endMarker < 0 ? -1 : trimmed.indexOf("-----", endMarker + 9);
        if (endLine < 0) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "truncated PEM signature (no END line)");
            return null;
        }
        if (!trimmed.substring(endLine + 5).isBlank()) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "data after the PEM END line");
            return null;
        }
        try (PemReader reader = new PemReader(new StringReader(trimmed))) {
            PemObject obj = reader.readPemObject();
            if (obj == null || !PEM_TYPES.contains(obj.getType())) {
                add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "PEM block is not CMS/PKCS7: "
                        + (obj == null ? "none" : obj.getType()));
                return null;
            }
            if (reader.readPemObject() != null) {
                add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "more than one PEM block");
                return null;
            }
            return obj.getContent();
        } catch (IOException | RuntimeException e) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "malformed PEM signature: " + e.getMessage());
            return null;
        }
    }

    /**
     * The CMS certificates the JDK can decode. Others (e.g. explicit EC curve parameters, which the JDK
     * refuses to parse) are kept aside in {@link #undecodable}: they can never be on a path, but when one
     * is the signer's certificate the finding says why.
     */
    private List<X509Certificate> certificates(CMSSignedData signed) {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        List<X509Certificate> out = new ArrayList<>();
        for (X509CertificateHolder h : signed.getCertificates().getMatches(null)) {
            try {
                out.add(conv.getCertificate(h));
            } catch (GeneralSecurityException | RuntimeException e) {
                undecodable.add(h);
            }
        }
        return out;
    }

    /**
     * Step 2: one pass over the content through every digest the SignerInfos name (known OIDs only), and
     * through {@link #alsoDigest} when {@code withAlso}.
     */
    private Map<String, byte[]> contentDigests(List<SignerInformation> infos, SignedContent content, boolean withAlso)
            throws IOException {
        Map<String, MessageDigest> mds = new LinkedHashMap<>();
        for (SignerInformation si : infos) {
            try {
                String name = SignatureValueVerifier.digestName(si.getDigestAlgorithmID());
                if (!mds.containsKey(name)) {
                    mds.put(name, MessageDigest.getInstance(name));
                }
            } catch (AlgorithmRejectedException | NoSuchAlgorithmException e) {
                // reported per signer by checkAlgorithms
            }
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        MessageDigest also = null;
        if (alsoDigest != null && withAlso) {
            also = mds.get(alsoDigest);
            if (also == null) {
                try {
                    also = MessageDigest.getInstance(alsoDigest);
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalArgumentException("the JDK lacks " + alsoDigest, e);
                }
            }
        }
        if (mds.isEmpty() && also == null) {
            return out;
        }
        boolean alsoSeparate = also != null && !mds.containsValue(also);
        List<MessageDigest> all = new ArrayList<>(mds.values());
        if (alsoSeparate) {
            all.add(also);
        }
        long n = content.writeTo(Streams.updating(all.toArray(MessageDigest[]::new)));
        if (withAlso) {
            contentBytes = n;
        }
        mds.forEach((name, md) -> out.put(name, md.digest()));
        if (also != null) {
            alsoDigestValue = alsoSeparate ? also.digest() : out.get(alsoDigest).clone();
        }
        return out;
    }

    private void checkSigner(SignerInformation si, int index, ASN1ObjectIdentifier eContentType,
                             List<Map<String, byte[]>> alternatives, List<X509Certificate> pool) {
        X509Certificate signerCert = findSignerCertificate(si.getSID(), pool);
        if (signerCert == null) {
            X509CertificateHolder unusable = undecodable.stream().filter(h -> si.getSID().match(h)).findFirst().orElse(null);
            if (unusable != null) {
                rejectUndecodableSigner(unusable);
            } else {
                add(FindingCode.SIGNER_UNTRUSTED, SIGNATURE, "SignerInfo " + index
                        + ": the signer certificate is neither in the CMS, in the package nor in the trust policy");
            }
        }
        checkSignerInfoVersion(si, index);
        Algorithms algs = checkAlgorithms(si, signerCert);
        Map<String, byte[]> digests = signedAlternative(si, algs.digestName, alternatives);
        boolean attributesPresent = checkSignedAttributes(si, index, eContentType, algs.digestName, digests);
        if (attributesPresent && algs.signature != null && algs.key != null) {
            checkSignatureValue(si, index, algs);
        }
        if (signerCert == null) {
            return;
        }
        signerCertificates.add(signerCert);
        checkSignerKeyUsage(signerCert);
        pathTime = checkTimestamp(si);
        List<X509Certificate> path = checkCertificationPath(signerCert, pool);
        if (path.size() > 1) {
            checkRevocation(path, pool);
        }
        pathTime = at;
        signers.add(summary(signerCert, path, pathPolicies));
        pathPolicies = List.of();
    }

    /**
     * Step 8 (RFC 3161, {@link TimestampTokenVerifier}): a trusted time-stamp over the signature value moves
     * the instant the signer's path is validated at to the token's genTime; revocation is still checked
     * with current data. Returns the instant to validate the path at.
     */
    private Instant checkTimestamp(SignerInformation si) {
        TimestampTokenVerifier.Result r = TimestampTokenVerifier.check(si, policy, at);
        for (Finding f : r.findings()) {
            findings.putIfAbsent(key(f.code(), f.subject() + "\u0000" + f.detail()), f);
        }
        if (r.warning() != null && !warnings.contains(r.warning())) {
            warnings.add(r.warning());
        }
        return r.genTime() != null ? r.genTime() : at;
    }

    /**
     * Step 9 (RFC 5280 §6.3, RFC 6960; {@link RevocationChecker}), when the policy's revocation mode is not
     * OFF: every certificate of the path but the trust anchor, with current revocation data as of the
     * verification time. REVOKED → {@code CERT_REVOKED} when the revocation date is not after the validation
     * instant (the time-stamp's genTime, else the verification time), is unknown, or the reason gives no
     * such assurance (none, unspecified, keyCompromise, cACompromise, aACompromise, certificateHold: the key
     * may have been misused earlier); revocations after a trusted time-stamp for superseded,
     * cessationOfOperation, affiliationChanged or privilegeWithdrawn do not reject. No answer →
     * {@code REVOCATION_UNKNOWN} under {@code require}, a report warning under {@code prefer}.
     */
    private void checkRevocation(List<X509Certificate> path, List<X509Certificate> pool) {
        if (policy.revocation() == RevocationMode.OFF) {
            return;
        }
        RevocationChecker checker = new RevocationChecker(policy, revocationSource, at, pool);
        for (int i = 0; i < path.size() - 1; i++) {
            X509Certificate c = path.get(i);
            RevocationChecker.Outcome o = checker.check(path, i);
            switch (o.status()) {
                case REVOKED:
                    boolean afterSigning = o.revocationTime() != null && o.revocationTime().isAfter(pathTime);
                    String when = o.revocationTime() == null ? "at an unstated date" : o.revocationTime().toString();
                    if (!afterSigning || o.reason() == null || !BENIGN_REASONS.contains(o.reason())) {
                        findings.putIfAbsent(key(FindingCode.CERT_REVOKED, name(c)), Finding.mismatch(FindingCode.CERT_REVOKED,
                                name(c), "certificate revoked (" + o.detail() + ")", "not revoked at " + pathTime,
                                "revoked " + when + (o.reason() == null ? "" : " reason " + o.reason())));
                    } else {
                        warnings.add(new Warning(WarningCode.REVOKED_AFTER_TIMESTAMP, name(c), "revoked " + when + " (" + o.reason()
                                + ") after the time-stamped signing time " + pathTime));
                    }
                    break;
                case UNKNOWN:
                    if (policy.revocation() == RevocationMode.REQUIRE) {
                        add(FindingCode.REVOCATION_UNKNOWN, name(c), "no revocation answer: " + o.detail());
                    } else {
                        warnings.add(new Warning(WarningCode.REVOCATION_NOT_CHECKED, name(c),
                                "revocation status unknown (revocation: prefer): " + o.detail()));
                    }
                    break;
                default:
                    break;
            }
        }
    }

    /** RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier. */
    private void checkSignerInfoVersion(SignerInformation si, int index) {
        boolean bySki = si.getSID().getSubjectKeyIdentifier() != null;
        int expected = bySki ? 3 : 1;
        if (si.getVersion() != expected) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index + " version " + si.getVersion()
                    + " does not match its signer identifier (RFC 5652 §5.3)");
        }
    }

    private void rejectUndecodableSigner(X509CertificateHolder h) {
        String subject = new X500Principal(encoded(h.getSubject())).getName(X500Principal.RFC2253);
        try {
            SignatureValueVerifier.publicKey(h.getSubjectPublicKeyInfo(), policy.minRsaKeyBits());
        } catch (AlgorithmRejectedException e) {
            add(FindingCode.ALGORITHM_REJECTED, subject, "signer public key rejected: " + e.getMessage());
        }
        add(FindingCode.SIGNER_UNTRUSTED, subject, "the signer certificate cannot be decoded as an X.509 certificate");
        String fingerprint;
        try {
            fingerprint = HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(h.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            fingerprint = "";
        }
        signers.add(new SignerSummary(subject, new X500Principal(encoded(h.getIssuer())).getName(X500Principal.RFC2253),
                h.getSerialNumber().toString(16), fingerprint, List.of()));
    }

    private static byte[] encoded(org.bouncycastle.asn1.x500.X500Name name) {
        try {
            return name.getEncoded();
        } catch (IOException e) {
            throw new IllegalArgumentException("unencodable name", e);
        }
    }

    private X509Certificate findSignerCertificate(SignerId sid, List<X509Certificate> pool) {
        List<X509Certificate> all = new ArrayList<>(pool);
        addAllNew(all, policy.trustAnchors());
        for (X509Certificate c : all) {
            try {
                if (sid.match(new X509CertificateHolder(c.getEncoded()))) {
                    return c;
                }
            } catch (IOException | GeneralSecurityException e) {
                // not decodable by BC: cannot be the signer
            }
        }
        return null;
    }

    /** The algorithms of one SignerInfo once checked; null members were rejected. */
    private static final class Algorithms {
        String digestName;
        SignatureValueVerifier.SignatureAlgorithm signature;
        AsymmetricKeyParameter key;
    }

    /** Step 3: digest, signature algorithm and signer key against the policy. */
    private Algorithms checkAlgorithms(SignerInformation si, X509Certificate signerCert) {
        Algorithms a = new Algorithms();
        try {
            a.digestName = SignatureValueVerifier.digestName(si.getDigestAlgorithmID());
            if (!policy.allowedDigestAlgorithms().contains(a.digestName)) {
                findings.putIfAbsent(key(FindingCode.ALGORITHM_REJECTED, SIGNATURE + a.digestName),
                        Finding.mismatch(FindingCode.ALGORITHM_REJECTED, SIGNATURE,
                                "digest algorithm " + a.digestName + " is not allowed by the trust policy",
                                String.join(",", new java.util.TreeSet<>(policy.allowedDigestAlgorithms())), a.digestName));
            }
        } catch (AlgorithmRejectedException e) {
            add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, e.getMessage());
        }
        SignerInfo info = si.toASN1Structure();
        try {
            a.signature = SignatureValueVerifier.cmsSignatureAlgorithm(info.getDigestEncryptionAlgorithm(),
                    info.getDigestAlgorithm());
            if (a.signature.hash() != null && !policy.allowedDigestAlgorithms().contains(a.signature.hash())) {
                add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, "signature hash " + a.signature.hash()
                        + " is not allowed by the trust policy");
                a.signature = null;
            }
        } catch (AlgorithmRejectedException e) {
            add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, e.getMessage());
        }
        if (signerCert != null) {
            a.key = checkKey(signerCert);
        }
        return a;
    }

    private AsymmetricKeyParameter checkKey(X509Certificate cert) {
        try {
            AsymmetricKeyParameter k = SignatureValueVerifier.publicKey(SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded()),
                    policy.minRsaKeyBits());
            keysChecked.add(cert);
            return k;
        } catch (AlgorithmRejectedException | RuntimeException e) {
            if (keysChecked.add(cert)) {
                add(FindingCode.ALGORITHM_REJECTED, name(cert), "public key rejected: " + e.getMessage());
            }
            return null;
        }
    }

    /**
     * The content digests of the alternative whose {@code digestName} digest equals the SignerInfo's single
     * messageDigest attribute, else those of the first alternative (step 4 then reports the mismatch).
     */
    private static Map<String, byte[]> signedAlternative(SignerInformation si, String digestName,
                                                          List<Map<String, byte[]>> alternatives) {
        ASN1Set attrs = si.toASN1Structure().getAuthenticatedAttributes();
        if (alternatives.size() > 1 && digestName != null && attrs != null) {
            List<byte[]> claimed = new ArrayList<>();
            for (ASN1Encodable e : attrs) {
                Attribute a = Attribute.getInstance(e);
                if (CMSAttributes.messageDigest.equals(a.getAttrType()) && a.getAttrValues().size() == 1
                        && a.getAttrValues().getObjectAt(0) instanceof ASN1OctetString o) {
                    claimed.add(o.getOctets());
                }
            }
            if (claimed.size() == 1) {
                for (Map<String, byte[]> alternative : alternatives) {
                    byte[] actual = alternative.get(digestName);
                    if (actual != null && SignatureValueVerifier.digestsEqual(claimed.get(0), actual)) {
                        return alternative;
                    }
                }
            }
        }
        return alternatives.get(0);
    }

    /**
     * Step 4 (RFC 5652 §5.3, §5.4, §11.1, §11.2; RFC 6211 §3). Returns whether signed attributes exist
     * (without them no signature value is checked: Veripack requires them).
     */
    private boolean checkSignedAttributes(SignerInformation si, int index, ASN1ObjectIdentifier eContentType,
                                          String digestName, Map<String, byte[]> digests) {
        ASN1Set attrs = si.toASN1Structure().getAuthenticatedAttributes();
        if (attrs == null || attrs.size() == 0) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index
                    + " has no signed attributes; Veripack requires content-type and messageDigest (RFC 5652 §5.3)");
            return false;
        }
        List<Attribute> contentTypes = new ArrayList<>();
        List<Attribute> messageDigests = new ArrayList<>();
        List<Attribute> protections = new ArrayList<>();
        for (ASN1Encodable e : attrs) {
            Attribute a = Attribute.getInstance(e);
            if (CMSAttributes.contentType.equals(a.getAttrType())) {
                contentTypes.add(a);
            } else if (CMSAttributes.messageDigest.equals(a.getAttrType())) {
                messageDigests.add(a);
            } else if (CMSAttributes.cmsAlgorithmProtect.equals(a.getAttrType())) {
                protections.add(a);
            }
        }
        String where = "SignerInfo " + index + ": ";
        // RFC 5652 §11.1: content-type present, single-valued, equal to eContentType
        if (contentTypes.size() != 1 || contentTypes.get(0).getAttrValues().size() != 1) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "content-type signed attribute missing or not single-valued");
        } else {
            ASN1Encodable v = contentTypes.get(0).getAttrValues().getObjectAt(0);
            if (!(v instanceof ASN1ObjectIdentifier) || !v.equals(eContentType)) {
                findings.putIfAbsent(key(FindingCode.SIGNATURE_INVALID, "contentType" + index),
                        Finding.mismatch(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                                where + "content-type signed attribute differs from eContentType (RFC 5652 §11.1)",
                                String.valueOf(eContentType), String.valueOf(v)));
            }
        }
        // RFC 5652 §11.2: messageDigest present, single-valued, equal to the digest of the content
        if (messageDigests.size() != 1 || messageDigests.get(0).getAttrValues().size() != 1
                || !(messageDigests.get(0).getAttrValues().getObjectAt(0) instanceof ASN1OctetString)) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "messageDigest signed attribute missing or malformed");
        } else if (digestName != null && digests.containsKey(digestName)) {
            byte[] claimed = ((ASN1OctetString) messageDigests.get(0).getAttrValues().getObjectAt(0)).getOctets();
            byte[] actual = digests.get(digestName);
            if (!SignatureValueVerifier.digestsEqual(claimed, actual)) {
                findings.putIfAbsent(key(FindingCode.SIGNATURE_INVALID, "messageDigest" + index),
                        Finding.mismatch(FindingCode.SIGNATURE_INVALID, SIGNATURE,
                                where + "messageDigest does not match the " + digestName + " of the content (RFC 5652 §11.2)",
                                HEX.formatHex(claimed), HEX.formatHex(actual)));
            }
        }
        // RFC 6211 §3: when present, the protected algorithms must be the ones the SignerInfo uses
        if (protections.size() > 1 || (protections.size() == 1 && protections.get(0).getAttrValues().size() != 1)) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "CMSAlgorithmProtection not single-valued");
        } else if (protections.size() == 1) {
            try {
                CMSAlgorithmProtection p = CMSAlgorithmProtection.getInstance(protections.get(0).getAttrValues().getObjectAt(0));
                SignerInfo info = si.toASN1Structure();
                if (!sameAlgorithm(p.getDigestAlgorithm(), info.getDigestAlgorithm())
                        || !sameAlgorithm(p.getSignatureAlgorithm(), info.getDigestEncryptionAlgorithm())) {
                    add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where
                            + "CMSAlgorithmProtection names other algorithms than the SignerInfo (RFC 6211 §3)");
                }
            } catch (RuntimeException e) {
                add(FindingCode.SIGNATURE_INVALID, SIGNATURE, where + "malformed CMSAlgorithmProtection");
            }
        }
        return true;
    }

    private static boolean sameAlgorithm(AlgorithmIdentifier a, AlgorithmIdentifier b) {
        if (a == null || b == null || !a.getAlgorithm().equals(b.getAlgorithm())) {
            return false;
        }
        ASN1Encodable pa = a.getParameters() == null ? DERNull.INSTANCE : a.getParameters();
        ASN1Encodable pb = b.getParameters() == null ? DERNull.INSTANCE : b.getParameters();
        return pa.toASN1Primitive().equals(pb.toASN1Primitive());
    }

    /** Step 5: the signature value over the DER encoding of the signed attributes (RFC 5652 §5.4). */
    private void checkSignatureValue(SignerInformation si, int index, Algorithms algs) {
        byte[] signedAttributes;
        try {
            signedAttributes = si.getEncodedSignedAttributes();
        } catch (IOException e) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index + ": signed attributes cannot be DER-encoded");
            return;
        }
        if (!SignatureValueVerifier.verify(algs.signature, algs.key, signedAttributes, si.getSignature())) {
            add(FindingCode.SIGNATURE_INVALID, SIGNATURE, "SignerInfo " + index
                    + ": the signature value does not verify with the signer's key (RFC 5652 §5.6)");
        }
    }

    /** Step 6: EKU and keyUsage of the signer certificate (RFC 5280 §4.2.1.3, §4.2.1.12). */
    private void checkSignerKeyUsage(X509Certificate signer) {
        if (policy.requireCodeSigningEku()) {
            List<String> eku;
            try {
                eku = signer.getExtendedKeyUsage();
            } catch (CertificateParsingException e) {
                eku = null;
            }
            if (eku == null || !eku.contains(KeyPurposeId.id_kp_codeSigning.getId())) {
                findings.putIfAbsent(key(FindingCode.KEY_USAGE_INVALID, name(signer) + "eku"),
                        Finding.mismatch(FindingCode.KEY_USAGE_INVALID, name(signer),
                                "signer certificate lacks extended key usage id-kp-codeSigning",
                                KeyPurposeId.id_kp_codeSigning.getId(), eku == null ? "none" : String.join(",", eku)));
            }
        }
        boolean[] ku = signer.getKeyUsage();
        if (ku != null && (ku.length == 0 || !ku[0])) {
            add(FindingCode.KEY_USAGE_INVALID, name(signer), "signer certificate keyUsage lacks digitalSignature");
        }
    }

    /** Step 7. Returns the path signer → anchor (inclusive), empty when none was found. */
    private List<X509Certificate> checkCertificationPath(X509Certificate signer, List<X509Certificate> pool) {
        if (isTrustAnchor(signer)) {
            // direct trust: the operator trusts this very certificate (e.g. ONAP's v1 signer certificates)
            checkValidity(signer);
            checkKey(signer);
            return List.of(signer);
        }
        List<X509Certificate> path;
        try {
            path = buildPath(signer, pool);
        } catch (CertPathBuilderException e) {
            int before = findings.size();
            path = diagnose(signer, pool);
            if (findings.size() == before) {
                add(FindingCode.SIGNER_UNTRUSTED, name(signer), "no certification path to a trust anchor: " + e.getMessage());
            }
            return path;
        }
        for (X509Certificate c : path) {
            checkValidity(c); // PKIX checked all but the anchor; the anchor is checked too (fail closed)
        }
        checkPathAlgorithms(path);
        return path;
    }

    private boolean isTrustAnchor(X509Certificate cert) {
        return policy.trustAnchors().contains(cert);
    }

    /**
     * JDK PKIX CertPathBuilder (RFC 5280 §6) at {@code at}, revocation disabled, with the policy's
     * certificate-policy inputs, then Bouncy Castle's validator ({@link #validatePath}) when the initial policy set is not
     * any-policy (its failure is thrown as a {@code CertPathBuilderException}, which {@link #diagnose} then
     * names); sets {@link #pathPolicies}.
     */
    private List<X509Certificate> buildPath(X509Certificate signer, List<X509Certificate> pool) throws CertPathBuilderException {
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(signer);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors(), target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(pathTime));
            params.setMaxPathLength(MAX_PATH_DEPTH);
            applyPolicyInputs(params);
            List<X509Certificate> store = new ArrayList<>(pool);
            addAllNew(store, List.of(signer));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            PKIXCertPathBuilderResult r = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
            List<X509Certificate> path = new ArrayList<>();
            r.getCertPath().getCertificates().forEach(c -> path.add((X509Certificate) c));
            path.add(r.getTrustAnchor().getTrustedCert());
            PolicyNode tree = r.getPolicyTree();
            if (!anyPolicyInitial()) {
                try {
                    tree = validatePath(path, pathTime, true).getPolicyTree();
                } catch (CertPathValidatorException e) {
                    throw new CertPathBuilderException("certification path invalid (RFC 5280 §6.1): " + e.getMessage(), e);
                }
            }
            pathPolicies = validPolicies(tree, path.size() - 1, policy.initialPolicies());
            return path;
        } catch (GeneralSecurityException e) {
            if (e instanceof CertPathBuilderException) {
                throw (CertPathBuilderException) e;
            }
            throw new CertPathBuilderException("PKIX builder unavailable: " + e.getMessage(), e);
        }
    }

    /** Whether the user-initial-policy-set is any-policy (RFC 5280 §6.1.1 (c): empty, or naming anyPolicy). */
    private boolean anyPolicyInitial() {
        return policy.initialPolicies().isEmpty() || policy.initialPolicies().contains(TrustPolicy.ANY_POLICY);
    }

    /**
     * A PKIX CertPathValidator over {@code path} (signer first, trust anchor last) at {@code when}, revocation
     * off, with the policy's certificate-policy inputs: the JDK's ({@code bouncyCastle} false) or Bouncy
     * Castle's. Bouncy Castle's decides the certificate-policy outcome when the initial policy set is not
     * any-policy: then the JDK's validator intersects the valid_policy_tree with the initial set at every
     * certificate instead of once after the last (RFC 5280 §6.1.5 (g)(iii)), so a node it deleted early no
     * longer takes a mapped policy at the next certificate (§6.1.3 (d)(1)(i)), which falls through to anyPolicy
     * ((d)(1)(ii)) and is accepted where the RFC rejects (PKITS 4.10.13; docs/pkix.md). With the default set
     * the JDK's result stands and Bouncy Castle's validator is not run.
     *
     * @throws CertPathValidatorException the validator's failure, or its absence
     */
    private PKIXCertPathValidatorResult validatePath(List<X509Certificate> path, Instant when, boolean bouncyCastle)
            throws CertPathValidatorException {
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path.subList(0, path.size() - 1));
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(path.get(path.size() - 1), null)));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(when));
            applyPolicyInputs(params);
            CertPathValidator validator = bouncyCastle ? CertPathValidator.getInstance("PKIX", BcProvider.INSTANCE)
                    : CertPathValidator.getInstance("PKIX");
            return (PKIXCertPathValidatorResult) validator.validate(cp, params);
        } catch (CertPathValidatorException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new CertPathValidatorException("PKIX validator unavailable: " + e.getMessage(), e);
        }
    }

    /** RFC 5280 §6.1.1 (c), (e), (f), (g): the trust policy's certificate-policy inputs. */
    private void applyPolicyInputs(PKIXParameters params) {
        params.setInitialPolicies(policy.initialPolicies());
        params.setExplicitPolicyRequired(policy.requireExplicitPolicy());
        params.setPolicyMappingInhibited(policy.inhibitPolicyMapping());
        params.setAnyPolicyInhibited(policy.inhibitAnyPolicy());
    }

    /**
     * RFC 5280 §6.1.5 (g) and §6.1.6, read from the valid_policy_tree the validator returned: the
     * user-constrained-policy-set, i.e. the valid_policy of every node whose parent is anyPolicy and that has
     * a descendant at depth {@code n} (the policies in the trust anchor's terms, before any mapping), limited
     * to {@code initial} unless it is any-policy; an anyPolicy node at depth {@code n} stands for
     * {@code initial} (anyPolicy when that is any-policy). Sorted; empty for a null tree.
     *
     * @param n the number of certificates on the path below the trust anchor
     */
    static List<String> validPolicies(PolicyNode root, int n, Set<String> initial) {
        Set<String> out = new java.util.TreeSet<>();
        if (root != null) {
            boolean anyInitial = initial.isEmpty() || initial.contains(TrustPolicy.ANY_POLICY);
            collectPolicies(root, n, anyInitial, initial, out);
        }
        return List.copyOf(out);
    }

    /** Adds the user-constrained policies under {@code node}; returns whether it has a node at depth n. */
    private static boolean collectPolicies(PolicyNode node, int n, boolean anyInitial, Set<String> initial, Set<String> out) {
        boolean reaches = node.getDepth() == n;
        for (var it = node.getChildren(); it.hasNext(); ) {
            reaches |= collectPolicies(it.next(), n, anyInitial, initial, out);
        }
        PolicyNode parent = node.getParent();
        if (!reaches || parent == null || !TrustPolicy.ANY_POLICY.equals(parent.getValidPolicy())) {
            return reaches;
        }
        String p = node.getValidPolicy();
        if (!TrustPolicy.ANY_POLICY.equals(p)) {
            if (anyInitial || initial.contains(p)) {
                out.add(p);
            }
        } else if (node.getDepth() == n) {
            out.addAll(anyInitial ? Set.of(TrustPolicy.ANY_POLICY) : initial);
        }
        return true;
    }

    private Set<TrustAnchor> anchors() {
        Set<TrustAnchor> set = new LinkedHashSet<>();
        for (X509Certificate a : policy.trustAnchors()) {
            set.add(new TrustAnchor(a, null));
        }
        return set;
    }

    /**
     * Why no path was built: find a candidate path by name <em>and</em> key chaining (the issuer's
     * subject equals the certificate's issuer and the issuer's key verifies the certificate's signature),
     * then report the validity of every certificate on it and let the JDK PKIX CertPathValidator name the
     * first structural failure, at {@code at} and — when only validity failed there — at an instant inside
     * every certificate's validity, so that e.g. an expired certificate issued by a non-CA gets both
     * findings. No candidate → {@code SIGNER_UNTRUSTED}.
     */
    private List<X509Certificate> diagnose(X509Certificate signer, List<X509Certificate> pool) {
        boolean[] nameOnly = new boolean[1];
        int[] budget = {MAX_CHAIN_ATTEMPTS};
        List<X509Certificate> candidate = chain(signer, pool, new ArrayList<>(List.of(signer)), nameOnly, budget);
        if (candidate == null) {
            add(FindingCode.SIGNER_UNTRUSTED, name(signer), nameOnly[0]
                    ? "an issuer with the right name exists but its key did not sign the certificate (name chaining without key chaining)"
                    : "no certification path to a trust anchor");
            return List.of();
        }
        for (X509Certificate c : candidate) {
            checkValidity(c);
        }
        checkPathAlgorithms(candidate);
        CertPathValidatorException failure = validate(candidate, pathTime);
        if (failure != null && isValidityReason(failure)) {
            Instant probe = insideAllValidity(candidate);
            failure = probe == null ? null : validate(candidate, probe);
        }
        if (failure != null && !isValidityReason(failure)) {
            X509Certificate subject = failure.getIndex() >= 0 && failure.getIndex() < candidate.size() - 1
                    ? candidate.get(failure.getIndex()) : signer;
            add(mapPkixFailure(failure), name(subject), "certification path invalid (RFC 5280 §6.1): " + failure.getMessage());
        }
        return candidate;
    }

    private List<X509Certificate> chain(X509Certificate cert, List<X509Certificate> pool, List<X509Certificate> path,
                                        boolean[] nameOnly, int[] budget) {
        if (path.size() > MAX_PATH_DEPTH + 1) {
            return null;
        }
        X500Principal issuer = cert.getIssuerX500Principal();
        for (X509Certificate anchor : policy.trustAnchors()) {
            if (anchor.getSubjectX500Principal().equals(issuer)) {
                if (signedBy(cert, anchor, budget)) {
                    List<X509Certificate> full = new ArrayList<>(path);
                    full.add(anchor);
                    return full;
                }
                nameOnly[0] = true;
            }
        }
        for (X509Certificate c : pool) {
            if (!path.contains(c) && c.getSubjectX500Principal().equals(issuer)) {
                if (signedBy(cert, c, budget)) {
                    path.add(c);
                    List<X509Certificate> r = chain(c, pool, path, nameOnly, budget);
                    if (r != null) {
                        return r;
                    }
                    path.remove(path.size() - 1);
                } else {
                    nameOnly[0] = true;
                }
            }
        }
        return null;
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer, int[] budget) {
        if (budget[0]-- <= 0) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private CertPathValidatorException validate(List<X509Certificate> candidate, Instant when) {
        try {
            validatePath(candidate, when, false);
            if (!anyPolicyInitial()) {
                validatePath(candidate, when, true);
            }
            return null;
        } catch (CertPathValidatorException e) {
            return e;
        }
    }

    private static boolean isValidityReason(CertPathValidatorException e) {
        return e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID;
    }

    private static Instant insideAllValidity(List<X509Certificate> path) {
        Instant from = Instant.MIN;
        Instant to = Instant.MAX;
        for (X509Certificate c : path) {
            Instant nb = c.getNotBefore().toInstant();
            Instant na = c.getNotAfter().toInstant();
            from = nb.isAfter(from) ? nb : from;
            to = na.isBefore(to) ? na : to;
        }
        return from.isAfter(to) ? null : from;
    }

    private static FindingCode mapPkixFailure(CertPathValidatorException e) {
        CertPathValidatorException.Reason r = e.getReason();
        if (r == PKIXReason.NOT_CA_CERT || r == PKIXReason.PATH_TOO_LONG || r == PKIXReason.INVALID_KEY_USAGE) {
            return FindingCode.KEY_USAGE_INVALID;
        }
        if (r == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED) {
            return FindingCode.ALGORITHM_REJECTED;
        }
        if (r == CertPathValidatorException.BasicReason.EXPIRED) {
            return FindingCode.CERT_EXPIRED;
        }
        if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return FindingCode.CERT_NOT_YET_VALID;
        }
        return FindingCode.SIGNER_UNTRUSTED;
    }

    /** RFC 5280 §4.1.2.5 at {@code at}, naming the certificate. */
    private void checkValidity(X509Certificate c) {
        try {
            c.checkValidity(Date.from(pathTime));
        } catch (CertificateExpiredException e) {
            findings.putIfAbsent(key(FindingCode.CERT_EXPIRED, name(c)), Finding.mismatch(FindingCode.CERT_EXPIRED, name(c),
                    "certificate expired before the verification time", "notAfter >= " + pathTime,
                    c.getNotAfter().toInstant().toString()));
        } catch (CertificateNotYetValidException e) {
            findings.putIfAbsent(key(FindingCode.CERT_NOT_YET_VALID, name(c)), Finding.mismatch(FindingCode.CERT_NOT_YET_VALID,
                    name(c), "certificate not yet valid at the verification time", "notBefore <= " + pathTime,
                    c.getNotBefore().toInstant().toString()));
        }
    }

    /** Signature algorithm of every non-anchor certificate and key of every certificate on the path. */
    private void checkPathAlgorithms(List<X509Certificate> path) {
        for (int i = 0; i < path.size(); i++) {
            X509Certificate c = path.get(i);
            checkKey(c);
            if (i == path.size() - 1 || !algorithmsChecked.add(c)) {
                continue; // the trust anchor's own signature is not relied upon (RFC 5280 §6.1.1 d)
            }
            try {
                AlgorithmIdentifier alg = new X509CertificateHolder(c.getEncoded()).getSignatureAlgorithm();
                SignatureValueVerifier.SignatureAlgorithm sa = SignatureValueVerifier.signatureAlgorithm(alg);
                if (sa.hash() != null && !policy.allowedDigestAlgorithms().contains(sa.hash())) {
                    add(FindingCode.ALGORITHM_REJECTED, name(c), "certificate signed with hash " + sa.hash()
                            + " not allowed by the trust policy");
                }
            } catch (AlgorithmRejectedException e) {
                add(FindingCode.ALGORITHM_REJECTED, name(c), "certificate signature: " + e.getMessage());
            } catch (IOException | GeneralSecurityException e) {
                add(FindingCode.ALGORITHM_REJECTED, name(c), "certificate signature algorithm unreadable");
            }
        }
    }

    private static SignerSummary summary(X509Certificate cert, List<X509Certificate> path, List<String> policies) {
        String fingerprint;
        try {
            fingerprint = HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        List<String> subjects = new ArrayList<>();
        for (X509Certificate c : path) {
            subjects.add(name(c));
        }
        return new SignerSummary(name(cert), cert.getIssuerX500Principal().getName(X500Principal.RFC2253),
                cert.getSerialNumber().toString(16), fingerprint, subjects, policies);
    }

    /** Certificate subject DN (RFC 2253/4514 string) as used in findings. */
    static String name(X509Certificate c) {
        return c.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    private static void addAllNew(List<X509Certificate> to, List<X509Certificate> from) {
        for (X509Certificate c : from) {
            if (!to.contains(c)) {
                to.add(c);
            }
        }
    }

    private static String key(FindingCode code, String subject) {
        return code + "\u0000" + subject;
    }

    private void add(FindingCode code, String subject, String detail) {
        findings.putIfAbsent(key(code, subject + "\u0000" + detail), Finding.of(code, subject, detail));
    }
}
