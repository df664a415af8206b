package org.veripack.core;

/**
 * Stable finding codes of a {@link VerificationReport}. Codes are part of the public contract
 * (CLI output, JSON reports, audit log, test-lab evidence): add new ones, never rename or remove.
 * The list and meaning are in docs/reference.md "Finding codes" ({@code ReferenceDocTest} keeps it complete).
 */
public enum FindingCode {
    /** An artifact's recomputed digest differs from the digest in the signed manifest. */
    DIGEST_MISMATCH,
    /** The manifest lists an artifact that the package does not contain. */
    ARTIFACT_MISSING,
    /** The package contains a file the manifest does not list (SOL004 §5.3: every file must be listed). */
    ARTIFACT_UNLISTED,
    /** The same artifact name appears twice (in the archive or in the manifest), including case/Unicode/path variants. */
    ARTIFACT_DUPLICATE,
    /** No signature where the format or policy requires one. */
    SIGNATURE_MISSING,
    /** A signature does not verify over its content, or its CMS structure/signed attributes are inconsistent (RFC 5652 §5.4, §11). */
    SIGNATURE_INVALID,
    /** No certification path from the signer to a trust anchor (RFC 5280 §6), or an OpenPGP key outside the keyring. */
    SIGNER_UNTRUSTED,
    /** A certificate on the path was expired at the verification time. */
    CERT_EXPIRED,
    /** A certificate on the path was not yet valid at the verification time. */
    CERT_NOT_YET_VALID,
    /** A certificate on the path is revoked (CRL RFC 5280 §5 or OCSP RFC 6960). */
    CERT_REVOKED,
    /** Revocation status could not be determined and the policy requires it. */
    REVOCATION_UNKNOWN,
    /** keyUsage/extendedKeyUsage/basicConstraints do not allow the certificate's role (code signing EKU, CA flag). */
    KEY_USAGE_INVALID,
    /** A digest, signature algorithm or key size not allowed by the trust policy (MD5, SHA-1, RSA &lt; 2048, unknown OIDs). */
    ALGORITHM_REJECTED,
    /** A trusted signer signed a package it is not authorised for in the policy's {@code signers} map. */
    SIGNER_NOT_AUTHORIZED,
    /**
     * The package version is lower than the highest version ever activated on the node, or is read from another
     * manifest metadata key than that version (e.g. {@code vnf_software_version} after {@code vnf_package_version}:
     * the two have no order); for the latter expected = the floor's key, actual = the package's key.
     */
    VERSION_ROLLBACK,
    /**
     * The container or a structure in it cannot be parsed, is truncated or ambiguous (e.g. a manifest whose
     * metadata lacks the package name or version, repeats a key, or mixes the keys of VNF, PNF and NS packages).
     */
    MALFORMED_PACKAGE,
    /** An archive entry is an absolute path, contains {@code ..}, is a device/FIFO, has setuid/setgid/sticky bits, or a link leaves the package. */
    UNSAFE_PATH,
    /** A policy limit (artifact count, total bytes, expansion ratio, entry size) is exceeded. */
    LIMIT_EXCEEDED,
    /** An installed slot no longer matches its sealed manifest (content, mode, extra or missing file). */
    INSTALLATION_TAMPERED,
    /** Signed repository metadata is past its {@code Valid-Until} (Debian InRelease). */
    METADATA_EXPIRED,
    /**
     * An archive entry's type or permission bits differ from the {@code Veripack-Mode} its signed manifest
     * block gives (e.g. an executable bit added or removed, a signed regular file re-marked as a symlink).
     * Subject: the artifact path; expected/actual: git-style octal modes ({@code 100755}, {@code 120000}).
     */
    MODE_MISMATCH,
    /**
     * The package's signed name is not the product this node runs (one node, one product: the name is fixed
     * by the first activation or by {@code product:} in {@code NODE/config.yaml}); expected = the node's
     * product, actual = the package name. Stops a validly signed package of another product (with its own,
     * lower version floor) from replacing the active one.
     */
    PACKAGE_MISMATCH,
    /**
     * An installed slot that is intact (it matches its sealed record and re-verifies with the trust sealed at
     * install) is not accepted by the node's current trust store any more: an anchor was removed or a rule
     * tightened since (docs/node.md "Sealed trust and current trust"). {@code verify-installed} reports it (exit
     * 5) and {@code rollback} refuses to activate such a slot; the guard still runs the active one. Subject: the
     * slot; actual: the finding codes the current policy gives (e.g. {@code SIGNER_UNTRUSTED}).
     */
    SIGNER_NO_LONGER_TRUSTED,
    /**
     * The manifest lists an external artifact (its {@code Source} is a URI, SOL004 §4.3.3) that the trust policy does
     * not let Veripack fetch: {@code externalArtifacts: reject} (the default), or under {@code fetch} a URI that is
     * neither {@code https} nor {@code http} from a host in {@code externalArtifactHttpHosts}, or one that has no
     * place in the slot (a query, fragment, user-info or no file name). Subject: the URI as written; the detail names
     * the policy key. Never raised for a URI that was fetched: its bytes are checked like any artifact's
     * ({@link #DIGEST_MISMATCH}; {@link #LIMIT_EXCEEDED} for the size and time bounds; {@link #ARTIFACT_MISSING} when
     * it cannot be had).
     */
    ARTIFACT_EXTERNAL,
    /*
     * Package repository (TUF, spec v1.0.x; docs/repository.md "Finding codes"): raised by the TUF client core
     * (org.veripack.repo.tuf.TrustedMetadata) for repository metadata or a downloaded target. Subject: the metadata file or the target name.
     */
    /** Repository metadata cannot be parsed, is not the expected role type, or lacks a required field (TUF §4). */
    REPO_MALFORMED,
    /**
     * Too few valid signatures on repository metadata and at least one signature by a key of the role does not
     * verify (a changed byte in the metadata or in the signature; TUF §5.3.4, §5.4.2, §5.5.3, §5.6.3).
     */
    REPO_SIGNATURE_INVALID,
    /**
     * Fewer distinct keys of the role than its threshold signed the metadata (each key counted once however many
     * key ids or signatures name it; TUF §4.3 threshold, §5.3.4 ff.). expected/actual: threshold / keys that verified.
     */
    REPO_THRESHOLD_UNMET,
    /**
     * Repository metadata older than what the node already trusts: a timestamp, snapshot or targets version lower
     * than the trusted one, a root that is not the next version, or a targets file dropped from the snapshot (TUF
     * §5.3.5, §5.4.3, §5.5.5). expected/actual: the versions.
     */
    REPO_ROLLBACK,
    /** Repository metadata past its {@code expires} at the node's clock (freeze attack; TUF §5.3.10, §5.4.4, §5.5.6, §5.6.5). */
    REPO_EXPIRED,
    /**
     * Metadata that does not match what the metadata above it says about it: a snapshot or targets whose version,
     * length or hashes differ from the timestamp's or snapshot's record (mix-and-match; TUF §5.5.2, §5.5.4, §5.6.2,
     * §5.6.4).
     */
    REPO_METADATA_MISMATCH,
    /** A downloaded target's length or hash differs from the signed targets metadata (TUF §5.7.3). */
    REPO_TARGET_MISMATCH,
    /**
     * The repository could not be read: connection refused or timed out, an HTTP status other than 200, a missing
     * metadata file, a response cut short ({@code veripack update}, exit 3). Nothing the node trusts changed.
     */
    REPO_UNREACHABLE,
    /**
     * A repository response crossed a bound before it ended: larger than the signed length of a target or of
     * metadata the parent records, larger than the client's limit for metadata of unknown length, or slower than the
     * time bounds (endless data and slow retrieval; TUF §5.3.3, §5.4.1, §5.5.1, §5.6.1, §5.7.3). The download was
     * abandoned.
     */
    REPO_LIMIT_EXCEEDED,
    /** The trusted targets metadata lists no package by the asked name, or several packages when none was named. */
    REPO_TARGET_UNKNOWN,
    /**
     * The repository root given to pin differs from the one the node pinned before ({@code NODE/config/repository-root.json}):
     * changing the pinned root is a trust administrator's act, never a side effect of an update. expected/actual:
     * SHA-256 of the pinned and of the given root.
     */
    REPO_ROOT_MISMATCH,
    /**
     * A target whose signed claims ({@code custom.veripack} name and version in the targets metadata, by which the node
     * chose it: {@code --package}, {@code --to}, the newest version, the agent's failed versions) differ from the
     * package's own vendor-signed identity: the node refuses it before anything is activated (docs/repository.md
     * "The node's update"). expected/actual: the target's claim and the package's identity, {@code name version}.
     */
    REPO_TARGET_IDENTITY_MISMATCH
}
