package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.node.AuditEvent;
import org.veripack.node.AuditLog;
import org.veripack.node.NodeAccess;
import org.veripack.node.NodeTrust;
import org.veripack.node.NodeTrustException;
import org.veripack.node.UnsafeNodeRootException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code veripack trust (set|show|add-anchor|remove-anchor) --root NODE ...}: the node's trust store
 * ({@link NodeTrust}, {@code NODE/config/policy.yaml} and the files it names), which {@code install},
 * {@code rollback}, {@code run} and {@code verify-installed} use and never take from their caller (TS 33.117
 * §4.2.3.3.5). Changing it is its own privileged act: only trust administrators ({@code trustAdministrators} in
 * {@code NODE/config.yaml}; root always, default nobody else) may; anyone else gets exit 4 and an audited
 * {@code trust.unauthorized}. Every change is written atomically and audited {@code trust.changed} with the old
 * and new policy digests and the trust anchors' SHA-256 fingerprints. Exit codes: 0 done (or nothing to change),
 * 2 usage, unreadable or invalid input, no trust store (add/remove/show), unknown fingerprint, a change leaving no
 * anchor, an unsafe node root or trust store, 3 I/O, 4 not a trust administrator.
 */
@Command(name = "trust", mixinStandardHelpOptions = true, description = "The node's trust store: set, show, add or remove trust anchors (trust administrators only).",
        subcommands = {TrustCommand.Set.class, TrustCommand.Show.class, TrustCommand.AddAnchor.class, TrustCommand.RemoveAnchor.class})
final class TrustCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (set, show, add-anchor, remove-anchor)");
    }

    /** One change of the store, applied after the trust administrator's gate. */
    @FunctionalInterface
    interface Edit {
        NodeTrust.Change apply(NodeTrust trust) throws IOException;
    }

    /**
     * The trust administrator's gate, the change, its audit event and the summary on stderr.
     *
     * @return the exit code
     */
    static int change(String command, Path root, Edit edit) {
        PrintStream err = System.err;
        Integer refused = NodeGate.authorizeTrust(command, root, err);
        if (refused != null) {
            return refused;
        }
        NodeTrust trust = NodeTrust.of(root);
        NodeTrust.Change c;
        try {
            c = edit.apply(trust);
        } catch (NodeTrustException e) {
            err.println("veripack " + command + ": " + e.getMessage() + "; the trust store is unchanged");
            return ExitCode.USAGE;
        } catch (UnsafeNodeRootException e) {
            err.println("veripack " + command + ": refusing an unsafe node root: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException e) {
            err.println("veripack " + command + ": I/O error: " + VerifyCommand.describe(e));
            return ExitCode.IO;
        }
        if (!c.changed()) {
            err.println("veripack " + command + ": nothing to change: " + trust.policyFile() + " (policy sha256 " + c.newDigest() + ")");
            return ExitCode.OK;
        }
        try {
            AuditLog.forNode(root, Clock.systemUTC()).append(new AuditEvent(AuditEvent.Type.TRUST_CHANGED, null, null, null, AuditEvent.Verdict.ACCEPTED,
                    List.of(), command + ": " + c.describe()));
        } catch (IOException e) {
            err.println("veripack " + command + ": the trust store changed but the audit log could not be written: " + VerifyCommand.describe(e));
            return ExitCode.IO;
        }
        err.println("veripack " + command + ": " + trust.policyFile() + " policy sha256 " + c.oldDigest() + " -> " + c.newDigest());
        for (String fp : c.anchorFingerprints()) {
            err.println("  trust anchor sha256 " + fp);
        }
        return ExitCode.OK;
    }

    /** {@code trust set --root NODE (--policy POLICY.yaml | --trust CA.pem ...)}. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Replace the node's trust: copy a trust policy and the files it names (or trust anchors) into NODE/config/.")
    static final class Set implements Callable<Integer> {
        @Mixin
        NodeRootOption root;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Source source;

        static final class Source {
            @Option(names = "--policy", required = true, paramLabel = "POLICY.yaml",
                    description = "trust policy (the schema of 'verify --policy'); it and every file it names are copied")
            Path policy;

            @Option(names = "--trust", required = true, paramLabel = "CA.pem",
                    description = "trust anchor certificate(s), PEM or DER (repeatable): a policy with these anchors and every default")
            List<Path> anchors;
        }

        @Override
        public Integer call() {
            return change("trust set", root.root, t -> source.policy != null ? t.set(source.policy) : t.setAnchors(source.anchors));
        }
    }

    /** {@code trust add-anchor --root NODE CA.pem}. */
    @Command(name = "add-anchor", mixinStandardHelpOptions = true, description = "Add the certificate(s) of CA.pem to the node's trust anchors.")
    static final class AddAnchor implements Callable<Integer> {
        @Mixin
        NodeRootOption root;

        @Parameters(paramLabel = "CA.pem", description = "certificate file, PEM or DER (every certificate in it is added)")
        Path anchor;

        @Override
        public Integer call() {
            return change("trust add-anchor", root.root, t -> t.addAnchors(anchor));
        }
    }

    /** {@code trust remove-anchor --root NODE SHA256_FINGERPRINT}. */
    @Command(name = "remove-anchor", mixinStandardHelpOptions = true,
            description = "Remove the trust anchor with this SHA-256 fingerprint ('trust show' lists them).")
    static final class RemoveAnchor implements Callable<Integer> {
        @Mixin
        NodeRootOption root;

        @Parameters(paramLabel = "SHA256_FINGERPRINT", description = "64 hex digits of the certificate's SHA-256 (colons and case ignored)")
        String fingerprint;

        @Override
        public Integer call() {
            return change("trust remove-anchor", root.root, t -> t.removeAnchor(fingerprint));
        }
    }

    /**
     * {@code trust show --root NODE [--json]}: the node's trust store. JSON shape: {@code {"root", "policyFile",
     * "policyDigest", "trustAnchors": [{subject, issuer, sha256, notBefore, notAfter}], "intermediates": [...],
     * "timestampAnchors": [...], "crls": count, "openpgpKeyrings": [paths], "revocation", "ocspResponder",
     * "antiRollback", "archiveExecuteBits", "requireCodeSigningEku", "minRsaKeyBits", "allowedDigestAlgorithms", "signers", "signerGroups",
     * "requireSigners", "limits", "initialPolicies", "requireExplicitPolicy", "inhibitPolicyMapping", "inhibitAnyPolicy",
     * "files": [paths], "trustAdministrators": {users, groups}}}.
     */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show the node's trust store: anchors with fingerprints, rules, policy digest, trust administrators.")
    static final class Show implements Callable<Integer> {
        @Mixin
        NodeRootOption root;

        @Option(names = "--json", description = "one JSON document on stdout")
        boolean json;

        @Override
        public Integer call() {
            Path r = root.root;
            if (!Files.isDirectory(r, LinkOption.NOFOLLOW_LINKS)) {
                System.err.println("veripack trust show: not a node root: " + r);
                return ExitCode.USAGE;
            }
            NodeTrust trust = NodeTrust.of(r);
            TrustPolicy p;
            String digest;
            NodeAccess.NodeConfig cfg;
            try {
                p = trust.load();
                digest = trust.digest();
                Path config = r.resolve(NodeAccess.CONFIG_FILE);
                if (Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
                    NodeAccess.requireProtected(config, NodeAccess.ownerUid(r));
                }
                cfg = NodeAccess.loadConfig(config);
            } catch (NodeTrustException | PolicyException e) {
                System.err.println("veripack trust show: " + e.getMessage());
                return ExitCode.USAGE;
            } catch (UnsafeNodeRootException | NodeAccess.UnsafeFileException e) {
                System.err.println("veripack trust show: refusing an unprotected file: " + e.getMessage());
                return ExitCode.USAGE;
            } catch (IOException e) {
                System.err.println("veripack trust show: I/O error: " + VerifyCommand.describe(e));
                return ExitCode.IO;
            }
            ObjectNode o = NodeOutput.JSON.createObjectNode();
            o.put("root", r.toAbsolutePath().toString());
            o.put("policyFile", trust.policyFile().toString());
            o.put("policyDigest", digest);
            certificates(o.putArray("trustAnchors"), p.trustAnchors());
            certificates(o.putArray("intermediates"), p.intermediates());
            certificates(o.putArray("timestampAnchors"), p.timestampAnchors());
            o.put("crls", p.crls().size());
            ArrayNode keyrings = o.putArray("openpgpKeyrings");
            p.openpgpKeyrings().forEach(k -> keyrings.add(k.toString()));
            o.put("revocation", p.revocation().name());
            o.put("ocspResponder", p.ocspResponder().map(Object::toString).orElse(null));
            o.put("antiRollback", p.antiRollback());
            o.put("archiveExecuteBits", p.archiveExecuteBits().name().toLowerCase(Locale.ROOT));
            o.put("requireCodeSigningEku", p.requireCodeSigningEku());
            o.put("minRsaKeyBits", p.minRsaKeyBits());
            ArrayNode algs = o.putArray("allowedDigestAlgorithms");
            p.allowedDigestAlgorithms().stream().sorted().forEach(algs::add);
            o.set("signers", NodeOutput.JSON.valueToTree(p.signers()));
            o.set("signerGroups", NodeOutput.JSON.valueToTree(p.signerGroups()));
            o.set("requireSigners", p.requireSigners().map(x -> (com.fasterxml.jackson.databind.JsonNode) NodeOutput.JSON.createObjectNode()
                    .put("threshold", x.threshold()).set("of", NodeOutput.JSON.valueToTree(x.groups()))).orElse(null));
            o.set("limits", NodeOutput.JSON.valueToTree(p.limits()));
            o.set("initialPolicies", NodeOutput.JSON.valueToTree(p.initialPolicies()));
            o.put("requireExplicitPolicy", p.requireExplicitPolicy());
            o.put("inhibitPolicyMapping", p.inhibitPolicyMapping());
            o.put("inhibitAnyPolicy", p.inhibitAnyPolicy());
            ArrayNode files = o.putArray("files");
            p.sourceFiles().forEach(f -> files.add(f.toString()));
            ObjectNode admins = o.putObject("trustAdministrators");
            admins.set("users", NodeOutput.JSON.valueToTree(sorted(cfg.trustAdministrators().users())));
            admins.set("groups", NodeOutput.JSON.valueToTree(sorted(cfg.trustAdministrators().groups())));
            if (json) {
                System.out.println(o.toPrettyString());
                return ExitCode.OK;
            }
            System.out.println("trust store:   " + trust.policyFile() + "  (policy sha256 " + digest + ")");
            print("trust anchor", p.trustAnchors());
            print("intermediate", p.intermediates());
            print("TSA anchor", p.timestampAnchors());
            p.openpgpKeyrings().forEach(k -> System.out.println("keyring:       " + k));
            System.out.println("rules:         revocation " + p.revocation() + ", antiRollback " + p.antiRollback()
                    + ", archiveExecuteBits " + p.archiveExecuteBits().name().toLowerCase(Locale.ROOT)
                    + ", requireCodeSigningEku " + p.requireCodeSigningEku() + ", minRsaKeyBits " + p.minRsaKeyBits()
                    + ", digests " + p.allowedDigestAlgorithms().stream().sorted().toList() + ", CRLs " + p.crls().size());
            if (!p.initialPolicies().isEmpty() || p.requireExplicitPolicy() || p.inhibitPolicyMapping() || p.inhibitAnyPolicy()) {
                System.out.println("policies:      initialPolicies " + p.initialPolicies() + ", requireExplicitPolicy "
                        + p.requireExplicitPolicy() + ", inhibitPolicyMapping " + p.inhibitPolicyMapping() + ", inhibitAnyPolicy "
                        + p.inhibitAnyPolicy());
            }
            if (!p.signers().isEmpty()) {
                System.out.println("signers:       " + p.signers());
            }
            if (p.requireSigners().isPresent()) {
                System.out.println("requireSigners: " + p.requireSigners().get().threshold() + " of " + p.requireSigners().get().groups()
                        + " " + p.signerGroups());
            }
            System.out.println("administrators: root" + (cfg.trustAdministrators().users().isEmpty() ? "" : ", users "
                    + sorted(cfg.trustAdministrators().users())) + (cfg.trustAdministrators().groups().isEmpty() ? ""
                    : ", groups " + sorted(cfg.trustAdministrators().groups())) + "  (trustAdministrators in " + r.resolve(NodeAccess.CONFIG_FILE) + ")");
            return ExitCode.OK;
        }

        private static List<String> sorted(java.util.Set<String> s) {
            return s.stream().sorted().toList();
        }

        private static void certificates(ArrayNode a, List<X509Certificate> certs) {
            for (X509Certificate c : certs) {
                a.addObject().put("subject", c.getSubjectX500Principal().getName()).put("issuer", c.getIssuerX500Principal().getName())
                        .put("sha256", NodeTrust.fingerprint(c)).put("notBefore", c.getNotBefore().toInstant().toString())
                        .put("notAfter", c.getNotAfter().toInstant().toString());
            }
        }

        private static void print(String label, List<X509Certificate> certs) {
            for (X509Certificate c : certs) {
                System.out.println(String.format("%-15s", label + ":") + c.getSubjectX500Principal().getName() + "  sha256 "
                        + NodeTrust.fingerprint(c) + "  valid until " + c.getNotAfter().toInstant());
            }
        }
    }
}
