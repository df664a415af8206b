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
 */
public record SignerSummary(String subject, String issuer, String serialHex, String fingerprintSha256,
                            List<String> certificationPath) {
    public SignerSummary {
        Objects.requireNonNull(subject, "subject");
        certificationPath = List.copyOf(certificationPath);
    }
}
