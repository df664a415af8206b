package org.veripack.node;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The node's trust store cannot be used or changed as asked: it does not exist yet (the message says how a
 * trust administrator sets it), its policy is invalid, or a trust change was refused (an unreadable
 * certificate, an unknown fingerprint, a change that would leave no trust anchor). Nothing was changed.
 * CLI exit code 2; the message names the file. An unprotected trust file is {@link UnsafeNodeRootException}.
 */
public final class NodeTrustException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    public NodeTrustException(Path file, String message) {
        super(message);
        this.file = file;
    }

    /** The trust store's policy file or the input file concerned. */
    public Path file() { return file; }
}
