package org.veripack.core.internal.cms;

import static org.veripack.core.internal.cms.StepFindings.SIGNATURE;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.TreeSet;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.asn1.cms.SignerInfo;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.TrustPolicy;

/**
 * Step 3 of the CMS checklist, the algorithm policy (docs/reference.md "Policy keys"): a SignerInfo's digest
 * in {@code allowedDigestAlgorithms}, its signature algorithm one {@link SignatureValueVerifier} accepts with
 * an allowed hash, and every key (signer and path) accepted by {@link SignatureValueVerifier#publicKey} (RSA ≥
 * {@code minRsaKeyBits}, named EC curves only); every path certificate but the trust anchor signed with an
 * allowed hash (RFC 5280 §6.1.1 (d): the anchor's own signature is not relied upon). Else
 * {@code ALGORITHM_REJECTED}.
 */
final class AlgorithmPolicy {
    private final TrustPolicy policy;

    AlgorithmPolicy(TrustPolicy policy) {
        this.policy = policy;
    }

    /**
     * A SignerInfo's algorithms once checked.
     *
     * @param digestName JCA name of the digest algorithm, null when unknown
     * @param signature  the signature algorithm, null when rejected
     * @param key        the signer's public key, null when rejected or without a signer certificate
     */
    record SignerAlgorithms(String digestName, SignatureValueVerifier.SignatureAlgorithm signature,
                            AsymmetricKeyParameter key, StepFindings findings) {
        /** Whether a signature value can be checked (RFC 5652 §5.6) with these algorithms. */
        boolean usable() { return signature != null && key != null; }
    }

    /** A public key once checked: {@code key} null when rejected, then {@code findings} say why. */
    record KeyCheck(AsymmetricKeyParameter key, StepFindings findings) { }

    /** @param signerCert the signer's certificate, null when not found (then no key is checked) */
    SignerAlgorithms signerInfo(SignerInformation si, X509Certificate signerCert) {
        StepFindings.Builder findings = new StepFindings.Builder();
        String digestName = null;
        try {
            digestName = SignatureValueVerifier.digestName(si.getDigestAlgorithmID());
            if (!policy.allowedDigestAlgorithms().contains(digestName)) {
                findings.once(SIGNATURE + digestName, Finding.mismatch(FindingCode.ALGORITHM_REJECTED, SIGNATURE,
                        "digest algorithm " + digestName + " is not allowed by the trust policy",
                        String.join(",", new TreeSet<>(policy.allowedDigestAlgorithms())), digestName));
            }
        } catch (AlgorithmRejectedException e) {
            findings.add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, e.getMessage());
        }
        SignerInfo info = si.toASN1Structure();
        SignatureValueVerifier.SignatureAlgorithm signature = null;
        try {
            signature = SignatureValueVerifier.cmsSignatureAlgorithm(info.getDigestEncryptionAlgorithm(), info.getDigestAlgorithm());
            if (signature.hash() != null && !policy.allowedDigestAlgorithms().contains(signature.hash())) {
                findings.add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, "signature hash " + signature.hash()
                        + " is not allowed by the trust policy");
                signature = null;
            }
        } catch (AlgorithmRejectedException e) {
            findings.add(FindingCode.ALGORITHM_REJECTED, SIGNATURE, e.getMessage());
        }
        AsymmetricKeyParameter key = null;
        if (signerCert != null) {
            KeyCheck k = key(signerCert);
            key = k.key();
            findings.addAll(k.findings());
        }
        return new SignerAlgorithms(digestName, signature, key, findings.build());
    }

    /** The certificate's public key under the policy, the finding naming the certificate. */
    KeyCheck key(X509Certificate cert) {
        try {
            return new KeyCheck(SignatureValueVerifier.publicKey(SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded()),
                    policy.minRsaKeyBits()), StepFindings.NONE);
        } catch (AlgorithmRejectedException | RuntimeException e) {
            return new KeyCheck(null, StepFindings.of(FindingCode.ALGORITHM_REJECTED, CertificationPath.name(cert),
                    "public key rejected: " + e.getMessage()));
        }
    }

    /** A public key the JDK could not decode (the signer's, kept aside by the decoder), named {@code subject}. */
    StepFindings undecodableKey(SubjectPublicKeyInfo spki, String subject) {
        try {
            SignatureValueVerifier.publicKey(spki, policy.minRsaKeyBits());
            return StepFindings.NONE;
        } catch (AlgorithmRejectedException e) {
            return StepFindings.of(FindingCode.ALGORITHM_REJECTED, subject, "signer public key rejected: " + e.getMessage());
        }
    }

    /** The key of every certificate on {@code path} (signer first, anchor last), the signature of all but the anchor. */
    StepFindings path(List<X509Certificate> path) {
        StepFindings.Builder findings = new StepFindings.Builder();
        for (int i = 0; i < path.size(); i++) {
            X509Certificate c = path.get(i);
            findings.addAll(key(c).findings());
            if (i < path.size() - 1) {
                certificateSignature(c, findings);
            }
        }
        return findings.build();
    }

    private void certificateSignature(X509Certificate c, StepFindings.Builder findings) {
        String name = CertificationPath.name(c);
        try {
            AlgorithmIdentifier alg = new X509CertificateHolder(c.getEncoded()).getSignatureAlgorithm();
            SignatureValueVerifier.SignatureAlgorithm sa = SignatureValueVerifier.signatureAlgorithm(alg);
            if (sa.hash() != null && !policy.allowedDigestAlgorithms().contains(sa.hash())) {
                findings.add(FindingCode.ALGORITHM_REJECTED, name, "certificate signed with hash " + sa.hash()
                        + " not allowed by the trust policy");
            }
        } catch (AlgorithmRejectedException e) {
            findings.add(FindingCode.ALGORITHM_REJECTED, name, "certificate signature: " + e.getMessage());
        } catch (IOException | GeneralSecurityException e) {
            findings.add(FindingCode.ALGORITHM_REJECTED, name, "certificate signature algorithm unreadable");
        }
    }
}
