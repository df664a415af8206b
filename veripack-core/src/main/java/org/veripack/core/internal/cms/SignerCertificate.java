package org.veripack.core.internal.cms;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformation;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.SignerSummary;
import org.veripack.core.TrustPolicy;

/**
 * The signer's certificate: found by the SignerInfo's sid (RFC 5652 §5.3) among the CMS certificates, the
 * package's, the policy's intermediates and trust anchors (else {@code SIGNER_UNTRUSTED}); its key usage
 * (step 6: EKU id-kp-codeSigning when the policy requires it, keyUsage with digitalSignature when present,
 * RFC 5280 §4.2.1.3, §4.2.1.12 → else {@code KEY_USAGE_INVALID}); and the report's {@link SignerSummary}.
 */
final class SignerCertificate {
    private static final HexFormat HEX = HexFormat.of();

    private SignerCertificate() { }

    /**
     * @param certificate the signer's certificate, null when not found or not decodable
     * @param undecodable the summary of a signer whose certificate only Bouncy Castle decodes, else null
     */
    record Located(X509Certificate certificate, SignerSummary undecodable, StepFindings findings) { }

    /**
     * @param pool        CMS, package and policy certificates
     * @param undecodable the CMS certificates the JDK does not decode ({@link SignedDataDecoder.Decoded#undecodable})
     */
    static Located locate(SignerInformation si, int index, List<X509Certificate> pool, List<X509CertificateHolder> undecodable,
                          TrustPolicy policy, AlgorithmPolicy algorithms) {
        List<X509Certificate> all = new ArrayList<>(pool);
        for (X509Certificate anchor : policy.trustAnchors()) {
            if (!all.contains(anchor)) {
                all.add(anchor);
            }
        }
        for (X509Certificate c : all) {
            try {
                if (si.getSID().match(new X509CertificateHolder(c.getEncoded()))) {
                    return new Located(c, null, StepFindings.NONE);
                }
            } catch (IOException | GeneralSecurityException e) {
                // not decodable by Bouncy Castle: cannot be the signer
            }
        }
        X509CertificateHolder unusable = undecodable.stream().filter(h -> si.getSID().match(h)).findFirst().orElse(null);
        if (unusable == null) {
            return new Located(null, null, StepFindings.of(FindingCode.SIGNER_UNTRUSTED, StepFindings.SIGNATURE, "SignerInfo " + index
                    + ": the signer certificate is neither in the CMS, in the package nor in the trust policy"));
        }
        String subject = rfc2253(unusable.getSubject());
        StepFindings findings = new StepFindings.Builder()
                .addAll(algorithms.undecodableKey(unusable.getSubjectPublicKeyInfo(), subject))
                .add(FindingCode.SIGNER_UNTRUSTED, subject, "the signer certificate cannot be decoded as an X.509 certificate")
                .build();
        String fingerprint;
        try {
            fingerprint = HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(unusable.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            fingerprint = "";
        }
        SignerSummary summary = new SignerSummary(subject, rfc2253(unusable.getIssuer()),
                unusable.getSerialNumber().toString(16), fingerprint, List.of());
        return new Located(null, summary, findings);
    }

    private static String rfc2253(X500Name name) {
        try {
            return new X500Principal(name.getEncoded()).getName(X500Principal.RFC2253);
        } catch (IOException e) {
            throw new IllegalArgumentException("unencodable name", e);
        }
    }

    /** Step 6: EKU and keyUsage of the signer certificate (RFC 5280 §4.2.1.3, §4.2.1.12). */
    static StepFindings keyUsage(X509Certificate signer, TrustPolicy policy) {
        StepFindings.Builder findings = new StepFindings.Builder();
        String name = CertificationPath.name(signer);
        if (policy.requireCodeSigningEku()) {
            List<String> eku;
            try {
                eku = signer.getExtendedKeyUsage();
            } catch (CertificateParsingException e) {
                eku = null;
            }
            if (eku == null || !eku.contains(KeyPurposeId.id_kp_codeSigning.getId())) {
                findings.once(name + "eku", Finding.mismatch(FindingCode.KEY_USAGE_INVALID, name,
                        "signer certificate lacks extended key usage id-kp-codeSigning",
                        KeyPurposeId.id_kp_codeSigning.getId(), eku == null ? "none" : String.join(",", eku)));
            }
        }
        boolean[] ku = signer.getKeyUsage();
        if (ku != null && (ku.length == 0 || !ku[0])) {
            findings.add(FindingCode.KEY_USAGE_INVALID, name, "signer certificate keyUsage lacks digitalSignature");
        }
        return findings.build();
    }

    /** The report's signer: subject, issuer, serial (hex), SHA-256 fingerprint, path subjects, certificate policies. */
    static SignerSummary summary(X509Certificate cert, List<X509Certificate> path, List<String> policies) {
        String fingerprint;
        try {
            fingerprint = HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        List<String> subjects = new ArrayList<>();
        for (X509Certificate c : path) {
            subjects.add(CertificationPath.name(c));
        }
        return new SignerSummary(CertificationPath.name(cert), cert.getIssuerX500Principal().getName(X500Principal.RFC2253),
                cert.getSerialNumber().toString(16), fingerprint, subjects, policies);
    }
}
