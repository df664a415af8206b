package org.veripack.node;

import java.util.List;
import java.util.Objects;

/**
 * One security event for the audit log (before the log adds time, user, host and {@code prev_sha256}). The event
 * types and verdicts are the audit log's contract (docs/node.md, docs/reference.md "Audit events"): written as
 * {@link Type#wireName()} and {@link Verdict#name()}.
 *
 * @param event       event type
 * @param packageName package name from the signed manifest, or null when unknown (e.g. unreadable package)
 * @param version     package version, or null
 * @param slot        slot concerned, or null
 * @param verdict     {@code ACCEPTED}/{@code REJECTED} for verifications, {@code ALLOWED}/{@code REFUSED} for the guard
 *                    and refused callers, {@code ERROR} for an install that ended in an exception before a verdict,
 *                    {@code UNSEALED} for a log that did not match its head, else null
 * @param findings    stable finding codes ({@code DIGEST_MISMATCH}, ...), empty when none
 * @param detail      short free text (what recovery did, the program the guard ran), or null
 */
public record AuditEvent(Type event, String packageName, String version, String slot, Verdict verdict,
                         List<String> findings, String detail) {
    /** The event types; {@link #wireName()} is what the log's {@code event} field holds. */
    public enum Type {
        INSTALL_ACCEPTED("install.accepted"),
        INSTALL_REJECTED("install.rejected"),
        /** An install attempt that ended in an exception (I/O, node busy, internal error); verdict {@link Verdict#ERROR}. */
        INSTALL_FAILED("install.failed"),
        ACTIVATION("activation"),
        /** Re-install of the active version over its tampered slot: fresh verified bytes in a new slot, {@code current} switched. */
        INSTALL_REPAIR("install.repair"),
        ROLLBACK("rollback"),
        ROLLBACK_REFUSED("rollback.refused"),
        GUARD_ALLOWED("guard.allowed"),
        GUARD_REFUSED("guard.refused"),
        SCAN("scan"),
        RECOVERY("recovery"),
        /** install attempted by a caller not in {@code authorizedInstallers} (TS 33.117). */
        INSTALL_UNAUTHORIZED("install.unauthorized"),
        /** rollback attempted by a caller not in {@code authorizedInstallers}. */
        ROLLBACK_UNAUTHORIZED("rollback.unauthorized"),
        /**
         * The node's trust store changed ({@code trust set}, {@code add-anchor}, {@code remove-anchor}); the detail
         * names the command, the old and new policy digests and the trust anchors' SHA-256 fingerprints.
         */
        TRUST_CHANGED("trust.changed"),
        /** A trust store change attempted by a caller not in {@code trustAdministrators} (TS 33.117). */
        TRUST_UNAUTHORIZED("trust.unauthorized"),
        /** {@code --trust}/{@code --policy} given to a node command: refused, the node's trust comes from its trust store. */
        TRUST_OPTION_REFUSED("trust.option-refused"),
        /**
         * {@code veripack update} refreshed the repository metadata the node trusts (TUF §5); the detail gives the
         * trusted versions and what the update decided (up to date, or the target it installs).
         */
        UPDATE_REFRESHED("update.refreshed"),
        /** {@code veripack update} refused repository metadata or a target ({@code REPO_*} finding codes); nothing trusted changed. */
        UPDATE_REFUSED("update.refused"),
        /** {@code veripack update} could not read the repository or write its state ({@code REPO_UNREACHABLE}, I/O); verdict {@link Verdict#ERROR}. */
        UPDATE_FAILED("update.failed"),
        /** The repository's first root pinned on first use ({@code --repo-root}); the detail gives its SHA-256. */
        UPDATE_PINNED("update.pinned"),
        /** {@code veripack agent} started (the detail names its configuration file and digest) or reloaded it on SIGHUP. */
        AGENT_STARTED("agent.started"),
        /** {@code veripack agent} stopped cleanly (SIGTERM). */
        AGENT_STOPPED("agent.stopped"),
        /**
         * The agent's health check after an activation: verdict {@link Verdict#ACCEPTED} marks the slot good,
         * {@link Verdict#REJECTED} (exit status or time-out in the detail) is followed by the automatic rollback.
         */
        AGENT_HEALTH("agent.health"),
        /** The agent ran its {@code onTamper.stopCommand} after a scan found the active slot tampered (its exit status in the detail). */
        AGENT_TAMPER_ACTION("agent.tamper-action");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /** The {@code event} field's value, e.g. {@code install.accepted}. */
        public String wireName() {
            return wireName;
        }
    }

    /** The verdicts; the log's {@code verdict} field holds {@link #name()}. */
    public enum Verdict {
        ACCEPTED, REJECTED, ALLOWED, REFUSED,
        /** An install attempt that ended in an exception ({@link Type#INSTALL_FAILED}). */
        ERROR,
        /** A recovery line: the log did not match its head. */
        UNSEALED
    }

    public AuditEvent {
        Objects.requireNonNull(event, "event");
        findings = List.copyOf(findings);
    }
}
