package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.core.ReportFormat;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.node.Node;
import org.veripack.node.NodeBusyException;
import org.veripack.node.NodeFiles;
import org.veripack.node.NodeTrustException;
import org.veripack.node.UnsafeNodeRootException;
import org.veripack.repo.NodeUpdate;
import org.veripack.repo.tuf.RepositoryException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack update --root NODE --repo URL|DIR [--repo-root ROOT.json] [--package NAME] [--json]}: refresh the
 * node's trusted metadata from a TUF repository (docs/repository.md "The node's update") and install the newest
 * version of the package through the normal install. Exit 0 installed or up to date, 1 refused (a {@code REPO_*}
 * finding, or the node rejected the package: nothing activated), 2 usage (no pinned root, no trust store, unsafe
 * node root), 3 I/O ({@code REPO_UNREACHABLE}, node busy), 4 caller not an authorised installer (or, pinning a
 * root, not a trust administrator).
 */
@Command(name = "update", mixinStandardHelpOptions = true,
        description = "Refresh the node's trusted metadata from a TUF package repository and install the newest version of the package.")
final class UpdateCommand implements Callable<Integer> {
    @Mixin
    NodeOptions node;

    @Option(names = "--repo", required = true, paramLabel = "URL|DIR",
            description = "the repository: an http(s) base URL or a directory (holding metadata/ and targets/)")
    String repo;

    @Option(names = "--repo-root", paramLabel = "ROOT.json",
            description = "pin this repository root on first use (a trust administrator's act; later runs use the pinned root and refuse a different one)")
    Path repoRoot;

    @Option(names = "--package", paramLabel = "NAME",
            description = "the package to install (custom.veripack.name or the target name); default: the node's product, else the repository's only package")
    String packageName;

    @Option(names = "--to", paramLabel = "VERSION",
            description = "install this version of the package (custom.veripack.version) instead of the newest; the node's anti-rollback still applies")
    String toVersion;

    @Option(names = "--json", description = "print the outcome as one JSON document on stdout")
    boolean json;

    @Override
    public Integer call() {
        NodeUpdate.Transport transport;
        try {
            transport = NodeUpdate.Transport.of(repo, TrustPolicy.FetchTimeouts.DEFAULT);
        } catch (IllegalArgumentException e) {
            System.err.println("veripack update: --repo " + e.getMessage());
            return ExitCode.USAGE;
        }
        Integer refused = node.admitInstall("update", System.err, () ->
                repoRoot != null && !Files.exists(NodeFiles.repositoryRoot(node.root))
                        ? NodeGate.authorizeTrust("update --repo-root", node.root, System.err) // writes into config/
                        : null);
        if (refused != null) {
            return refused;
        }
        byte[] pin = null;
        if (repoRoot != null) {
            try (InputStream in = Files.newInputStream(repoRoot)) {
                pin = in.readNBytes((int) NodeUpdate.MAX_ROOT_BYTES + 1);
                if (pin.length > NodeUpdate.MAX_ROOT_BYTES) {
                    System.err.println("veripack update: --repo-root " + repoRoot + " is larger than " + NodeUpdate.MAX_ROOT_BYTES + " bytes");
                    return ExitCode.USAGE;
                }
            } catch (IOException e) {
                System.err.println("veripack update: cannot read --repo-root " + repoRoot + ": " + e.getMessage());
                return ExitCode.USAGE;
            }
        }
        NodeUpdate.Result r;
        try {
            Node opened = Node.open(node.root, Clock.systemUTC());
            RevocationSource revocation = RevocationSource.http(java.time.Duration.ofSeconds(10), 10L << 20,
                    node.root.resolve("cache").resolve("revocation"));
            NodeUpdate update = new NodeUpdate(opened, transport, Clock.systemUTC(), revocation);
            if (pin != null) {
                try {
                    if (update.pin(pin)) {
                        System.err.println("pinned the repository root " + repoRoot + " as " + NodeFiles.repositoryRoot(node.root));
                    }
                } catch (RepositoryException e) {
                    ReportFormat.findingLines(java.util.List.of(e.finding())).forEach(System.err::println);
                    System.err.println("veripack update: repository root not pinned; nothing changed");
                    return ExitCode.REJECTED;
                }
            }
            r = update.update(packageName, toVersion);
        } catch (NodeTrustException e) {
            System.err.println("veripack update: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (NodeBusyException e) {
            System.err.println("veripack update: node busy: " + e.getMessage());
            return ExitCode.IO;
        } catch (NoSuchFileException e) {
            System.err.println("veripack update: " + e.getFile() + (e.getReason() == null ? ": not found" : ": " + e.getReason()));
            return ExitCode.USAGE;
        } catch (UnsafeNodeRootException e) {
            System.err.println("veripack update: refusing an unsafe node root: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack update: I/O error (nothing activated): " + e);
            return ExitCode.IO;
        }
        return report(r);
    }

    private int report(NodeUpdate.Result r) {
        if (json) {
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("outcome", r.outcome().name());
            o.put("trusted", r.trusted());
            o.put("target", r.target());
            o.put("version", r.version());
            o.set("finding", r.finding() == null ? null : ReportFormat.findingsJson(java.util.List.of(r.finding())).get(0));
            o.set("install", r.install() == null ? null : NodeOutput.JSON.createObjectNode()
                    .put("outcome", r.install().outcome().name()).put("slot", r.install().slot()).put("previous", r.install().previousSlot())
                    .set("report", ReportFormat.toJsonTree(r.install().report())));
            o.set("requests", NodeOutput.JSON.valueToTree(r.requests()));
            System.out.println(o.toPrettyString());
        }
        if (r.finding() != null) {
            ReportFormat.findingLines(java.util.List.of(r.finding())).forEach(System.err::println);
        }
        if (r.install() != null) {
            System.err.print(ReportFormat.toText(r.install().report()));
        }
        String trusted = r.trusted() == null ? "" : " (trusted repository metadata: " + r.trusted() + ")";
        switch (r.outcome()) {
            case UP_TO_DATE -> System.err.println("up to date: " + r.target() + trusted);
            case INSTALLED -> System.err.println("updated: " + r.target() + " " + r.install().outcome().name().toLowerCase(java.util.Locale.ROOT)
                    + ", current -> slots/" + r.install().slot() + trusted);
            case REJECTED -> System.err.println("not installed: the node rejected " + r.target()
                    + (r.install() == null ? " without downloading it (the version the repository lists is below the node's floor)" : "")
                    + "; active version unchanged" + trusted);
            case REFUSED -> System.err.println("update refused; active version unchanged" + trusted);
            case UNREACHABLE -> System.err.println("repository unreachable; active version unchanged" + trusted);
            default -> throw new IllegalStateException("unknown outcome " + r.outcome());
        }
        return switch (r.outcome()) {
            case UP_TO_DATE, INSTALLED -> ExitCode.OK;
            case REJECTED, REFUSED -> ExitCode.REJECTED;
            case UNREACHABLE -> ExitCode.IO;
        };
    }
}
