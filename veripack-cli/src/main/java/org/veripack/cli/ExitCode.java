package org.veripack.cli;

/** Process exit codes of the {@code veripack} CLI (docs/reference.md "Exit codes"). */
public final class ExitCode {
    /** Success (ACCEPTED, installed, activated). */
    public static final int OK = 0;
    /** Verdict REJECTED: nothing installed, active version unchanged. */
    public static final int REJECTED = 1;
    /** Usage or configuration error: bad arguments, missing/unreadable input, invalid or unsafe policy. */
    public static final int USAGE = 2;
    /**
     * I/O or system error while working (disk full, node root unwritable, node busy), or an unexpected
     * internal error: one line on stderr, the stack trace only with {@code VERIPACK_DEBUG=1}
     * ({@link Main#internalError}).
     */
    public static final int IO = 3;
    /** Caller not authorised (TS 33.117: only authorised users install). */
    public static final int NOT_AUTHORISED = 4;
    /**
     * {@code verify-installed}: the active slot is intact but the node's current trust store no longer accepts its
     * signature ({@code SIGNER_NO_LONGER_TRUSTED}: an anchor was retired); the guard still runs it.
     */
    public static final int NOT_TRUSTED_NOW = 5;
    /**
     * The node has no version to act on: {@code verify-installed} found nothing installed (nothing to check; not 1,
     * which a monitor reads as "tampered"); {@code rollback} found no version to roll back to (nothing installed, a
     * single version, or the active version was reached by a rollback). Nothing changed.
     */
    public static final int NO_VERSION = 6;
    /** {@code run}: the guard refused to execute a tampered slot. */
    public static final int TAMPERED = 126;

    private ExitCode() { }
}
