package org.veripack.core;

/** Trust policy {@code revocation:} setting. */
public enum RevocationMode {
    /** No revocation checking. */
    OFF,
    /** Check CRL/OCSP; when no answer can be had, accept with a warning in the report. */
    PREFER,
    /** Check CRL/OCSP; no answer is {@link FindingCode#REVOCATION_UNKNOWN}. */
    REQUIRE
}
