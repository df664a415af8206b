package org.veripack.core;

/**
 * Stable warning codes of a {@link VerificationReport} ({@link Warning}). Like {@link FindingCode} they are part of the
 * public contract (JSON reports, audit log): add new ones, never rename or remove. A warning never changes the verdict.
 */
public enum WarningCode {
    /**
     * A key the manifest grammar does not define was ignored (an unknown {@code metadata:} key or top-level key,
     * SOL004 §4.3.2; subject = the key). Its value was not used for the package identity.
     */
    MANIFEST_KEY_UNKNOWN,
    /**
     * Policy {@code archiveExecuteBits: ignore} (the default): a zip entry of an option-1 artifact without
     * {@code Veripack-Mode} carries an execute bit nothing signs; it was not installed (subject = the artifact).
     */
    EXECUTE_BIT_IGNORED,
    /**
     * Policy {@code archiveExecuteBits: honour}: an artifact's execute bit was taken from the unsigned zip header and is
     * installed ({@link ArchiveExecuteBits#HONOUR}; subject = the artifact). The node records it in the
     * {@code install.accepted} audit entry.
     */
    EXECUTE_BIT_FROM_ARCHIVE,
    /**
     * A time-stamp token (RFC 3161) is present but the policy has no {@code timestampAnchors}: it was not trusted and
     * not used; certificates were validated at the verification time (subject = the signer).
     */
    TIMESTAMP_IGNORED,
    /**
     * Policy {@code revocation: prefer}: no revocation answer could be had for a certificate; accepted without one
     * (under {@code require} this is the finding {@code REVOCATION_UNKNOWN}; subject = the certificate).
     */
    REVOCATION_NOT_CHECKED,
    /**
     * A certificate was revoked after a trusted time-stamp for a reason that does not cast doubt on earlier
     * signatures (superseded, cessationOfOperation, affiliationChanged, privilegeWithdrawn; RFC 5280 §5.3.1), so the
     * time-stamped signature stands (subject = the certificate).
     */
    REVOKED_AFTER_TIMESTAMP,
    /**
     * Debian channel: a signature on {@code InRelease}/{@code Release.gpg} by a key outside the keyring, expired or
     * weak was ignored; another signature by a keyring key verified (subject = the signature's issuer key).
     */
    SIGNATURE_IGNORED,
    /**
     * External artifacts ({@code externalArtifacts: fetch}) were not downloaded because the package is rejected
     * already (subject = {@code package}).
     */
    EXTERNAL_NOT_FETCHED
}
