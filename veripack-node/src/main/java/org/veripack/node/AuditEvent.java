package org.veripack.node;

import java.util.List;
import java.util.Objects;

/**
 * One security event for the audit log (before the log adds time, user, host and {@code prev_sha256}).
 *
 * @param event    event type, one of the constants below ({@code install.accepted}, ...)
 * @param packageName package name from the signed manifest, or null when unknown (e.g. unreadable package)
 * @param version  package version, or null
 * @param slot     slot concerned, or null
 * @param verdict  {@code ACCEPTED}/{@code REJECTED} for verifications, {@code ALLOWED}/{@code REFUSED} for the guard,
 *                 {@link #ERROR} for an install that ended in an exception before a verdict, else null
 * @param findings stable finding codes ({@code DIGEST_MISMATCH}, ...), empty when none
 * @param detail   short free text (what recovery did, the program the guard ran), or null
 */
public record AuditEvent(String event, String packageName, String version, String slot, String verdict,
                         List<String> findings, String detail) {
    public static final String INSTALL_ACCEPTED = "install.accepted";
    public static final String INSTALL_REJECTED = "install.rejected";
    /** An install attempt that ended in an exception (I/O, node busy, internal error); verdict {@link #ERROR}. */
    public static final String INSTALL_FAILED = "install.failed";
    /** The verdict of an {@link #INSTALL_FAILED} event. */
    public static final String ERROR = "ERROR";
    public static final String ACTIVATION = "activation";
    /** Re-install of the active version over its tampered slot: fresh verified bytes in a new slot, {@code current} switched. */
    public static final String INSTALL_REPAIR = "install.repair";
    public static final String ROLLBACK = "rollback";
    public static final String ROLLBACK_REFUSED = "rollback.refused";
    public static final String GUARD_ALLOWED = "guard.allowed";
    public static final String GUARD_REFUSED = "guard.refused";
    public static final String SCAN = "scan";
    public static final String RECOVERY = "recovery";
    /** install attempted by a caller not in {@code authorizedInstallers} (TS 33.117). */
    public static final String INSTALL_UNAUTHORIZED = "install.unauthorized";
    /** rollback attempted by a caller not in {@code authorizedInstallers}. */
    public static final String ROLLBACK_UNAUTHORIZED = "rollback.unauthorized";
    /**
     * The node's trust store changed ({@code trust set}, {@code add-anchor}, {@code remove-anchor}); the detail
     * names the command, the old and new policy digests and the trust anchors' SHA-256 fingerprints.
     */
    public static final String TRUST_CHANGED = "trust.changed";
    /** A trust store change attempted by a caller not in {@code trustAdministrators} (TS 33.117). */
    public static final String TRUST_UNAUTHORIZED = "trust.unauthorized";
    /** {@code --trust}/{@code --policy} given to a node command: refused, the node's trust comes from its trust store. */
    public static final String TRUST_OPTION_REFUSED = "trust.option-refused";

    /**
     * {@code veripack update} refreshed the repository metadata the node trusts (TUF §5); the detail gives the
     * trusted versions and what the update decided (up to date, or the target it installs).
     */
    public static final String UPDATE_REFRESHED = "update.refreshed";
    /** {@code veripack update} refused repository metadata or a target ({@code REPO_*} finding codes); nothing trusted changed. */
    public static final String UPDATE_REFUSED = "update.refused";
    /** {@code veripack update} could not read the repository or write its state ({@code REPO_UNREACHABLE}, I/O); verdict {@link #ERROR}. */
    public static final String UPDATE_FAILED = "update.failed";
    /** The repository's first root pinned on first use ({@code --repo-root}); the detail gives its SHA-256. */
    public static final String UPDATE_PINNED = "update.pinned";

    public AuditEvent {
        Objects.requireNonNull(event, "event");
        findings = List.copyOf(findings);
    }
}
