package org.veripack.core;

/**
 * Trust policy {@code archiveExecuteBits:} setting: what becomes of the execute bit a zip entry carries
 * when nothing signs it — an artifact of an option-1 CSAR whose manifest block has no {@code Veripack-Mode}
 * (third-party packages, ETSI GS NFV-SOL 004 §5: the option-1 signature covers the manifest only, not the
 * zip headers). A signed {@code Veripack-Mode} always wins, and option-2 inner entries are signed by the
 * outer signature, so neither depends on this setting; setuid/setgid/sticky bits, devices and FIFOs are
 * {@link FindingCode#UNSAFE_PATH} under every setting.
 */
public enum ArchiveExecuteBits {
    /** Default: the artifact is recorded {@code 0644} (installed {@code 0444}); an execute bit in the zip is the report warning {@link WarningCode#EXECUTE_BIT_IGNORED}. */
    IGNORE,
    /**
     * The zip entry's owner-execute bit is installed: the artifact is recorded {@code 0755} (installed
     * {@code 0555}, so {@code veripack run} may start it), with the report warning
     * {@link WarningCode#EXECUTE_BIT_FROM_ARCHIVE}, also in the node's audit entry; the node seals that mode and its
     * guard checks it like a signed one.
     */
    HONOUR
}
