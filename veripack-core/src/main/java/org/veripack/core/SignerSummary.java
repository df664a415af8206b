package org.veripack.core;

import java.util.List;
import java.util.Objects;

/**
 * Who signed, as established by verification.
 *
 * @param subject           X.509 subject DN (RFC 4514) or OpenPGP user id
 * @param issuer            X.509 issuer DN, or null for OpenPGP
 * @param serialHex         certificate serial in hex, or null
 * @param fingerprintSha256 SHA-256 of the signer certificate DER (hex), or the OpenPGP key fingerprint
 * @param certificationPath subjects from the signer to the trust anchor (inclusive), empty when no path was built
 * @param certificatePolicies the certificate policy OIDs the certification path is valid for (RFC 5280 §6.1.6
 *                          user-constrained-policy-set, in the trust anchor's terms, within the trust policy's
 *                          {@code initialPolicies}; {@code 2.5.29.32.0} = anyPolicy), sorted; empty when the
 *                          path is valid for no policy, when no path was built, for a signer trusted directly
 *                          and for OpenPGP
 */
public record SignerSummary(String subject, String issuer, String serialHex, String fingerprintSha256,
                            List<String> certificationPath, List<String> certificatePolicies) {
    public SignerSummary {
        Objects.requireNonNull(subject, "subject");
        certificationPath = List.copyOf(certificationPath);
        certificatePolicies = List.copyOf(certificatePolicies);
    }

    /** A signer without certificate policies (OpenPGP, a signer trusted directly, no path). */
    public SignerSummary(String subject, String issuer, String serialHex, String fingerprintSha256,
                         List<String> certificationPath) {
        this(subject, issuer, serialHex, fingerprintSha256, certificationPath, List.of());
    }
}
