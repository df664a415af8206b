package org.veripack.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.veripack.core.PolicyException;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;
import org.veripack.node.Node;
import org.veripack.node.NodeAccess;
import org.veripack.node.UnsafeNodeRootException;

/**
 * The checks {@code install} and {@code rollback} run before touching the node (TS 33.117, issue 4 item 6):
 * {@code NODE/config.yaml} protected (StrictModes) and readable, the caller an authorised installer (else
 * an audit event {@code install.unauthorized}/{@code rollback.unauthorized} and exit 4), then, for an
 * authorised caller, an existing node root passes the node-root guard ({@link Node#checkRoot}: a directory
 * owned by root or the caller, not group/world-writable, with safe {@code state/}, {@code slots/},
 * {@code audit/}; else exit 2), and every trust file protected (exit 2 naming the file).
 */
final class NodeGate {
    private NodeGate() { }

    /** The uid that owns the node root (the caller's when the root does not exist yet). */
    static long nodeOwner(Path root) throws IOException {
        return Files.exists(root) ? NodeAccess.ownerUid(root) : NodeAccess.Caller.current().uid();
    }

    /**
     * @return null to go on, else the exit code (a message is on {@code err})
     */
    static Integer authorize(String command, Path root, PrintStream err) {
        try {
            long owner = nodeOwner(root);
            Path config = root.resolve(NodeAccess.CONFIG_FILE);
            if (Files.exists(config)) {
                NodeAccess.requireProtected(config, owner);
            }
            NodeAccess.NodeConfig cfg = NodeAccess.loadConfig(config);
            NodeAccess.Caller caller = NodeAccess.Caller.current();
            if (NodeAccess.isAuthorizedInstaller(cfg, caller)) {
                return checkRoot(command, root, err);
            }
            err.println("veripack " + command + ": user " + caller.user() + " (uid " + caller.uid()
                    + ") is not an authorised installer of " + root + " (authorizedInstallers in " + config + ")");
            Path log = root.resolve("audit").resolve("events.jsonl");
            if (Files.isDirectory(root)) {
                try {
                    if (!Files.isDirectory(log.getParent())) {
                        Files.createDirectories(log.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---")));
                    }
                    AuditLog.forNode(root, Clock.systemUTC()).append(new AuditEvent(command.equals("install")
                            ? AuditEvent.INSTALL_UNAUTHORIZED : AuditEvent.ROLLBACK_UNAUTHORIZED, null, null, null,
                            "REFUSED", List.of(), "caller " + caller.user() + " uid " + caller.uid() + " groups " + caller.groups()));
                } catch (IOException e) {
                    err.println("veripack " + command + ": the refusal could not be written to the audit log: " + e.getMessage());
                }
            }
            return ExitCode.NOT_AUTHORISED;
        } catch (NodeAccess.UnsafeFileException e) {
            err.println("veripack " + command + ": refusing an unprotected file: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (PolicyException e) {
            err.println("veripack " + command + ": " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("veripack " + command + ": cannot check the node configuration: " + e);
            return ExitCode.IO;
        }
    }

    /** The node-root guard for an existing root (a file is refused too); null to go on, else the exit code. */
    private static Integer checkRoot(String command, Path root, PrintStream err) {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null; // install creates it
        }
        try {
            Node.checkRoot(root);
            return null;
        } catch (UnsafeNodeRootException e) {
            err.println("veripack " + command + ": refusing an unsafe node root: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("veripack " + command + ": cannot check the node root: " + e);
            return ExitCode.IO;
        }
    }

    /** StrictModes check of trust files; null to go on, else exit 2 with the file named. */
    static Integer requireProtected(String command, Path root, List<Path> files, PrintStream err) {
        try {
            long owner = nodeOwner(root);
            for (Path f : files) {
                if (Files.exists(f)) {
                    NodeAccess.requireProtected(f, owner);
                }
            }
            return null;
        } catch (NodeAccess.UnsafeFileException e) {
            err.println("veripack " + command + ": refusing an unprotected trust file: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("veripack " + command + ": cannot check trust files: " + e);
            return ExitCode.IO;
        }
    }
}
