package org.veripack.node;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The node root cannot be used safely: it is not a directory or cannot be created (a bad {@code --root}),
 * or it or one of its {@code state/}, {@code slots/}, {@code audit/}, {@code staging/} directories is
 * owned by someone other than root or the invoking user, is writable by group or others, or is a
 * symbolic link; or {@code config.yaml} or a file of the trust store ({@link NodeTrust}) is owned by someone
 * other than root or the node root's owner or writable by group or others (sshd StrictModes, via
 * {@link NodeAccess}). Nothing was read from or written to the node. CLI exit code 2, the message names the path.
 */
public final class UnsafeNodeRootException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path path;

    public UnsafeNodeRootException(Path path, String why) {
        super(path + ": " + why);
        this.path = path;
    }

    /** The offending path. */
    public Path path() { return path; }
}
