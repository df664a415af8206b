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
 * The checks node commands run before touching the node (TS 33.117 §4.2.3.3.5): {@code NODE/config.yaml}
 * protected (StrictModes) and readable; for {@code install}, {@code update} and {@code rollback} the caller an
 * authorised installer (else an audit event {@code install.unauthorized}/{@code rollback.unauthorized} and exit 4), then an
 * existing node root passes the node-root guard ({@link Node#checkRoot}: a directory owned by root or the caller,
 * not group/world-writable, with safe {@code state/}, {@code slots/}, {@code audit/} and trust store; else exit
 * 2); for the {@code trust} commands and {@code update --repo-root} pinning a repository root the caller a trust
 * administrator (else {@code trust.unauthorized}, exit 4).
 */
final class NodeGate {
    private NodeGate() { }

    /** The uid that owns the node root (the caller's when the root does not exist yet). */
    static long nodeOwner(Path root) throws IOException {
        return Files.exists(root) ? NodeAccess.ownerUid(root) : NodeAccess.Caller.current().uid();
    }

    /**
     * An installer's gate ({@code install}, {@code rollback}): {@code authorizedInstallers}, then the node-root guard.
     *
     * @return null to go on, else the exit code (a message is on {@code err})
     */
    static Integer authorize(String command, Path root, PrintStream err) {
        Integer refused = authorize(command, root, false, err);
        return refused != null ? refused : checkRoot(command, root, err);
    }

    /**
     * A trust administrator's gate ({@code trust set|add-anchor|remove-anchor}): {@code trustAdministrators} in
     * {@code NODE/config.yaml} (root always; default nobody else), else exit 4 and a {@code trust.unauthorized}
     * audit event. The trust commands check the node root themselves ({@code NodeTrust}).
     *
     * @return null to go on, else the exit code (a message is on {@code err})
     */
    static Integer authorizeTrust(String command, Path root, PrintStream err) {
        return authorize(command, root, true, err);
    }

    private static Integer authorize(String command, Path root, boolean trust, PrintStream err) {
        try {
            long owner = nodeOwner(root);
            Path config = root.resolve(NodeAccess.CONFIG_FILE);
            if (Files.exists(config)) {
                NodeAccess.requireProtected(config, owner);
            }
            NodeAccess.NodeConfig cfg = NodeAccess.loadConfig(config);
            NodeAccess.Caller caller = NodeAccess.Caller.current();
            if (trust ? NodeAccess.isTrustAdministrator(cfg, caller) : NodeAccess.isAuthorizedInstaller(cfg, caller)) {
                return null;
            }
            String role = trust ? "trustAdministrators" : "authorizedInstallers";
            err.println("veripack " + command + ": user " + caller.user() + " (uid " + caller.uid() + ") is not "
                    + (trust ? "a trust administrator" : "an authorised installer") + " of " + root + " (" + role + " in " + config + ")");
            audit(command, root, trust ? AuditEvent.Type.TRUST_UNAUTHORIZED
                    : command.equals("rollback") ? AuditEvent.Type.ROLLBACK_UNAUTHORIZED : AuditEvent.Type.INSTALL_UNAUTHORIZED,
                    (trust ? command + ": " : "") + "caller " + caller.user() + " uid " + caller.uid() + " groups " + caller.groups(), err);
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

    /**
     * Appends a refusal to the node's audit log (verdict {@code REFUSED}) when the node root exists, creating
     * {@code audit/} if needed; a caller who cannot write it gets the failure on {@code err} (the refusal stands).
     */
    static void audit(String command, Path root, AuditEvent.Type event, String detail, PrintStream err) {
        if (!Files.isDirectory(root)) {
            return;
        }
        AuditLog log = AuditLog.forNode(root, Clock.systemUTC());
        try {
            if (!Files.isDirectory(log.file().getParent())) {
                Files.createDirectories(log.file().getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---")));
            }
            log.append(new AuditEvent(event, null, null, null, AuditEvent.Verdict.REFUSED, List.of(), detail));
        } catch (IOException e) {
            err.println("veripack " + command + ": the refusal could not be written to the audit log: " + e.getMessage());
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
}
