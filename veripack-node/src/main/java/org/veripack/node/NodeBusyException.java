package org.veripack.node;

import java.io.IOException;

/** Another installer (or rollback) holds the node lock ({@code NODE/lock}); CLI exit code 3. */
public final class NodeBusyException extends IOException {
    private static final long serialVersionUID = 1L;

    public NodeBusyException(String message) {
        super(message);
    }
}
