package org.veripack.core.internal.cms;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampToken;
import org.bouncycastle.tsp.TimeStampTokenInfo;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.revocation.RevocationChecker;

/**
 * Checks an RFC 3161 time-stamp token carried as the unsigned attribute id-aa-signatureTimeStampToken
 * (RFC 3161 Appendix A, OID 1.2.840.113549.1.9.16.2.14) of a SignerInfo:
 * <ol>
 *   <li>exactly one such attribute with one value, a parsable TimeStampToken → else {@code SIGNATURE_INVALID} (subject {@code timestamp});</li>
 *   <li>the message imprint uses a digest the policy allows and equals the digest of the SignerInfo's
 *       signature value → else {@code SIGNATURE_INVALID}/{@code ALGORITHM_REJECTED};</li>
 *   <li>the token signature verifies with the TSA certificate named by the token (ESS signing-certificate
 *       binding, TSA certificate valid at genTime, EKU id-kp-timeStamping present and critical: RFC 3161
 *       §2.3, checked by Bouncy Castle's {@code TimeStampToken.validate}) → else {@code SIGNATURE_INVALID};</li>
 *   <li>the TSA certificate chains (JDK PKIX at genTime, no revocation) to a policy {@code timestampAnchors}
 *       root → else {@code SIGNER_UNTRUSTED} naming the TSA;</li>
 *   <li>genTime is not later than the verification instant plus {@link RevocationChecker#CLOCK_SKEW}.</li>
 * </ol>
 * Without {@code timestampAnchors} in the policy a token is not trusted and not used (a warning says so).
 */
final class TimestampTokenVerifier {
    static final String SUBJECT = "timestamp";

    /** Outcome: the trusted genTime, or findings, or a warning; all empty/null = no token. */
    record Result(Instant genTime, List<Finding> findings, Warning warning) { }

    private TimestampTokenVerifier() { }

    static Result check(SignerInformation si, TrustPolicy policy, Instant at) {
        AttributeTable unsigned = si.getUnsignedAttributes();
        if (unsigned == null) {
            return new Result(null, List.of(), null);
        }
        var attrs = unsigned.getAll(PKCSObjectIdentifiers.id_aa_signatureTimeStampToken);
        if (attrs.size() == 0) {
            return new Result(null, List.of(), null);
        }
        if (policy.timestampAnchors().isEmpty()) {
            return new Result(null, List.of(), new Warning(WarningCode.TIMESTAMP_IGNORED, "signature",
                    "a time-stamp token is present but the trust policy has no timestampAnchors: certificates are validated at the"
                            + " verification time"));
        }
        List<Finding> findings = new ArrayList<>();
        if (attrs.size() != 1 || Attribute.getInstance(attrs.get(0)).getAttrValues().size() != 1) {
            findings.add(Finding.of(FindingCode.SIGNATURE_INVALID, SUBJECT, "more than one signatureTimeStampToken"));
            return new Result(null, findings, null);
        }
        ASN1Encodable value = Attribute.getInstance(attrs.get(0)).getAttrValues().getObjectAt(0);
        TimeStampToken token;
        try {
            token = new TimeStampToken(ContentInfo.getInstance(value));
        } catch (TSPException | IOException | RuntimeException e) {
            findings.add(Finding.of(FindingCode.SIGNATURE_INVALID, SUBJECT, "unparsable time-stamp token: " + e.getMessage()));
            return new Result(null, findings, null);
        }
        TimeStampTokenInfo info = token.getTimeStampInfo();
        Instant genTime = info.getGenTime().toInstant();
        checkImprint(info, si.getSignature(), policy, findings);
        X509Certificate tsa = tsaCertificate(token, policy, findings);
        if (tsa != null) {
            checkTsaPath(tsa, token, policy, genTime, findings);
        }
        if (genTime.isAfter(at.plus(RevocationChecker.CLOCK_SKEW))) {
            findings.add(Finding.mismatch(FindingCode.SIGNATURE_INVALID, SUBJECT, "time-stamp genTime is after the verification time",
                    "genTime <= " + at, genTime.toString()));
        }
        return findings.isEmpty() ? new Result(genTime, List.of(), null) : new Result(null, findings, null);
    }

    private static void checkImprint(TimeStampTokenInfo info, byte[] signatureValue, TrustPolicy policy, List<Finding> findings) {
        AlgorithmIdentifier alg = info.getHashAlgorithm();
        try {
            String name = SignatureValueVerifier.digestName(alg);
            if (!policy.allowedDigestAlgorithms().contains(name)) {
                findings.add(Finding.of(FindingCode.ALGORITHM_REJECTED, SUBJECT, "time-stamp imprint digest " + name + " not allowed"));
                return;
            }
            byte[] expected = MessageDigest.getInstance(name).digest(signatureValue);
            if (!MessageDigest.isEqual(expected, info.getMessageImprintDigest())) {
                findings.add(Finding.of(FindingCode.SIGNATURE_INVALID, SUBJECT,
                        "time-stamp message imprint is not the digest of the signature value (RFC 3161 §2.4.1)"));
            }
        } catch (AlgorithmRejectedException | GeneralSecurityException e) {
            findings.add(Finding.of(FindingCode.ALGORITHM_REJECTED, SUBJECT, "time-stamp imprint digest: " + e.getMessage()));
        }
    }

    private static X509Certificate tsaCertificate(TimeStampToken token, TrustPolicy policy, List<Finding> findings) {
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
        List<X509CertificateHolder> candidates = new ArrayList<>(token.getCertificates().getMatches(null));
        for (X509Certificate a : policy.timestampAnchors()) {
            try {
                candidates.add(new X509CertificateHolder(a.getEncoded()));
            } catch (IOException | GeneralSecurityException e) {
                // not decodable: cannot be the TSA
            }
        }
        for (X509CertificateHolder h : candidates) {
            if (!token.getSID().match(h)) {
                continue;
            }
            try {
                token.validate(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BcProvider.INSTANCE).build(h));
                return conv.getCertificate(h);
            } catch (TSPException | GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException
                     | RuntimeException e) {
                findings.add(Finding.of(FindingCode.SIGNATURE_INVALID, SUBJECT, "time-stamp token does not verify: " + e.getMessage()));
                return null;
            }
        }
        findings.add(Finding.of(FindingCode.SIGNER_UNTRUSTED, SUBJECT, "the TSA certificate is neither in the token nor a timestampAnchor"));
        return null;
    }

    private static void checkTsaPath(X509Certificate tsa, TimeStampToken token, TrustPolicy policy, Instant genTime,
                                     List<Finding> findings) {
        if (policy.timestampAnchors().contains(tsa)) {
            return;
        }
        try {
            Set<TrustAnchor> anchors = new LinkedHashSet<>();
            for (X509Certificate a : policy.timestampAnchors()) {
                anchors.add(new TrustAnchor(a, null));
            }
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(tsa);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(genTime));
            List<X509Certificate> store = new ArrayList<>();
            JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
            for (X509CertificateHolder h : token.getCertificates().getMatches(null)) {
                store.add(conv.getCertificate(h));
            }
            store.add(tsa);
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(store)));
            CertPathBuilder.getInstance("PKIX").build(params);
        } catch (GeneralSecurityException | RuntimeException e) {
            findings.add(Finding.of(FindingCode.SIGNER_UNTRUSTED, tsa.getSubjectX500Principal().getName(X500Principal.RFC2253),
                    "TSA certificate does not chain to a timestampAnchors root at genTime: " + e.getMessage()));
        }
    }
}
