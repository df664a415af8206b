package org.veripack.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.ReportFormat;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.repo.RepositoryKeys;
import org.veripack.repo.TufRepository;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code veripack repo (init|add|sign|rotate-root|timestamp|status) DIR ...}: the publisher side of a TUF package
 * repository (docs/repository.md), a directory any static web server serves as it is. Exit codes: 0 done (published,
 * or staged awaiting signatures), 1 {@code add}: the package does not verify (nothing published), 2 usage, bad keys, a
 * snapshot or timestamp key missing, not a repository, 3 I/O.
 */
@Command(name = "repo", mixinStandardHelpOptions = true,
        description = "Publish packages in a TUF repository (init, add, sign, rotate-root, timestamp, status).",
        subcommands = {RepoCommand.Init.class, RepoCommand.Add.class, RepoCommand.Sign.class, RepoCommand.RotateRoot.class,
                RepoCommand.Timestamp.class, RepoCommand.Status.class})
final class RepoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (init, add, sign, rotate-root, timestamp, status)");
    }

    /** A publisher action that may fail with the usual errors. */
    @FunctionalInterface
    interface Action {
        int run() throws IOException, PolicyException, VerifyCommand.UsageError;
    }

    static int run(String command, Action a) {
        try {
            return a.run();
        } catch (PolicyException | VerifyCommand.UsageError | IllegalArgumentException e) {
            System.err.println("veripack repo " + command + ": " + e.getMessage());
            return ExitCode.USAGE;
        } catch (NoSuchFileException e) {
            System.err.println("veripack repo " + command + ": " + e.getFile() + (e.getReason() == null ? ": not found" : ": " + e.getReason()));
            return ExitCode.USAGE;
        } catch (IOException e) {
            System.err.println("veripack repo " + command + ": I/O error: " + e);
            return ExitCode.IO;
        }
    }

    /** {@code ROLE=VALUE} options: role names checked, values parsed by {@code parse}. */
    static <T> Map<TufRepository.Role, T> byRole(Map<String, String> raw, java.util.function.Function<String, T> parse) {
        Map<TufRepository.Role, T> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            TufRepository.Role role;
            try {
                role = TufRepository.Role.valueOf(e.getKey().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException x) {
                throw new IllegalArgumentException("unknown role " + e.getKey() + " (root, targets, snapshot, timestamp)");
            }
            out.put(role, parse.apply(e.getValue()));
        }
        return out;
    }

    /** {@code 7d}, {@code 12h}, {@code 30m} or an ISO-8601 duration ({@code P1D}). */
    static Duration duration(String s) {
        try {
            if (s.matches("[0-9]+[dhm]")) {
                long n = Long.parseLong(s.substring(0, s.length() - 1));
                return switch (s.charAt(s.length() - 1)) {
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofMinutes(n);
                };
            }
            return Duration.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: " + s + " (e.g. 7d, 12h, P1D)");
        }
    }

    /** The expiry of each role: the defaults with {@code --expires} applied. */
    static Map<TufRepository.Role, Duration> expiries(Map<String, String> raw) {
        Map<TufRepository.Role, Duration> m = new LinkedHashMap<>();
        TufRepository.defaultRoles().forEach((r, s) -> m.put(r, s.expiry()));
        m.putAll(byRole(raw, RepoCommand::duration));
        return m;
    }

    static final String EXPIRES_HELP = "ROLE=DURATION: validity of new metadata of that role (7d, 12h, P1D); "
            + "defaults root=365d, targets=90d, snapshot=7d, timestamp=1d; repeatable";

    @Command(name = "init", mixinStandardHelpOptions = true, description = "Create a TUF repository: keys missing in KEYDIR, "
            + "then version 1 of root, targets, snapshot and timestamp (consistent snapshots).")
    static final class Init implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "the repository directory (created; served as it is)")
        Path dir;

        @Option(names = "--keys", paramLabel = "KEYDIR", required = true,
                description = "private keys <role>-<n>.pem (created when missing, mode 0600); never inside DIR")
        Path keys;

        @Option(names = "--key-type", paramLabel = "TYPE", description = "type of keys created: ed25519 (default) or ecdsa-p256")
        String keyType = "ed25519";

        @Option(names = "--role-keys", paramLabel = "ROLE=N", description = "number of keys of a role (default 1); repeatable")
        Map<String, String> roleKeys = new LinkedHashMap<>();

        @Option(names = "--threshold", paramLabel = "ROLE=N", description = "signatures a role needs (default 1); repeatable")
        Map<String, String> thresholds = new LinkedHashMap<>();

        @Option(names = "--expires", paramLabel = "ROLE=DURATION", description = EXPIRES_HELP)
        Map<String, String> expires = new LinkedHashMap<>();

        @picocli.CommandLine.Mixin
        RepoTokenOptions token;

        @Option(names = "--pkcs11-role", paramLabel = "ROLE",
                description = "the --pkcs11 token's key is the first key of this role (instead of KEYDIR/<role>-1.pem); repeatable")
        List<String> tokenRoles = new ArrayList<>();

        @Override
        public Integer call() {
            return run("init", () -> {
                RepositoryKeys.KeyType type = switch (keyType.toLowerCase(Locale.ROOT)) {
                    case "ed25519" -> RepositoryKeys.KeyType.ED25519;
                    case "ecdsa-p256", "ecdsa" -> RepositoryKeys.KeyType.ECDSA_P256;
                    default -> throw new IllegalArgumentException("--key-type " + keyType + ": ed25519 or ecdsa-p256");
                };
                Map<TufRepository.Role, Integer> n = byRole(roleKeys, Integer::parseInt);
                Map<TufRepository.Role, Integer> t = byRole(thresholds, Integer::parseInt);
                Map<TufRepository.Role, Duration> e = expiries(expires);
                Map<TufRepository.Role, TufRepository.RoleSpec> roles = new LinkedHashMap<>();
                for (TufRepository.Role r : TufRepository.Role.values()) {
                    roles.put(r, new TufRepository.RoleSpec(n.getOrDefault(r, 1), t.getOrDefault(r, 1), e.get(r)));
                }
                java.util.Set<TufRepository.Role> onToken = java.util.EnumSet.noneOf(TufRepository.Role.class);
                tokenRoles.forEach(r -> onToken.add(role(r)));
                RepositoryKeys.Token hsm = token.token();
                if (hsm == null && !onToken.isEmpty()) {
                    throw new VerifyCommand.UsageError("--pkcs11-role needs --pkcs11 and --key-label");
                }
                TufRepository repo = TufRepository.init(dir, keys, hsm, onToken, roles, type, Clock.systemUTC());
                RepoTokenOptions.loadKeys(keys); // the keys it found, for the warning
                System.err.println("veripack repo init: " + dir + ": root, targets, snapshot, timestamp version 1; keys in " + keys);
                printStatus(repo);
                return ExitCode.OK;
            });
        }
    }

    /** Where the publisher's trust in vendor packages comes from (as {@code verify}). */
    static final class Trust {
        @Option(names = "--trust", paramLabel = "CA.pem", required = true, description = "vendor trust anchor(s); repeatable")
        List<Path> anchors = new ArrayList<>();

        @Option(names = "--policy", paramLabel = "POLICY.yaml", required = true, description = "trust policy file (YAML), as verify --policy")
        Path policy;

        TrustPolicy load() throws PolicyException, VerifyCommand.UsageError {
            if (policy != null) {
                VerifyCommand.requireFile(policy, "--policy");
                return TrustPolicyLoader.load(policy);
            }
            List<X509Certificate> certs = new ArrayList<>();
            for (Path p : anchors) {
                VerifyCommand.requireFile(p, "--trust");
                certs.addAll(TrustPolicyLoader.readCertificates(null, "--trust", p));
            }
            return TrustPolicy.withAnchors(certs);
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Verify PACKAGE with the normal verifier and, only if "
            + "ACCEPTED, publish it: targets/<sha256>.<file name>, new targets, snapshot and timestamp.")
    static final class Add implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "the repository directory")
        Path dir;

        @Parameters(index = "1", paramLabel = "PACKAGE", description = "the CSAR; its file name is the target name")
        Path pkg;

        @Option(names = "--keys", paramLabel = "KEYDIR", required = true, description = "the publisher's private keys")
        Path keys;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Trust trust;

        @Option(names = "--expires", paramLabel = "ROLE=DURATION", description = EXPIRES_HELP)
        Map<String, String> expires = new LinkedHashMap<>();

        @Option(names = "--replace", description = "publish this package even when its name and version (or its file name) "
                + "are already published with other bytes, replacing that listing")
        boolean replace;

        @picocli.CommandLine.Mixin
        RepoTokenOptions token;

        @Override
        public Integer call() {
            return run("add", () -> {
                VerifyCommand.requireFile(pkg, "PACKAGE");
                Map<TufRepository.Role, Duration> e = expiries(expires);
                TufRepository repo = TufRepository.open(dir, token.keys(keys), Clock.systemUTC());
                PackageVerifier verifier = PackageVerifier.create(trust.load(), Clock.systemUTC()); // as verify
                try {
                    TufRepository.Added a = repo.add(pkg, verifier, e.get(TufRepository.Role.TARGETS),
                            e.get(TufRepository.Role.SNAPSHOT), e.get(TufRepository.Role.TIMESTAMP), replace);
                    if (a.pending() != null) {
                        System.err.println("veripack repo add: " + a.target() + " copied to " + a.file() + "; not published yet: ");
                        printPending(dir, a.pending());
                        return ExitCode.OK;
                    }
                    System.err.println("veripack repo add: published " + a.target() + " as " + a.file() + " (targets v" + a.targetsVersion() + ", snapshot v" + a.snapshotVersion()
                            + ", timestamp v" + a.timestampVersion() + ")");
                    return ExitCode.OK;
                } catch (TufRepository.Rejected r) {
                    System.err.print(ReportFormat.toText(r.report()));
                    System.err.println("veripack repo add: not published: the package does not verify");
                    return ExitCode.REJECTED;
                } catch (TufRepository.AlreadyPublished p) {
                    System.err.println("veripack repo add: not published: " + p.getMessage()
                            + "; a new build takes a new version (--replace publishes it under the same one)");
                    return ExitCode.REJECTED;
                }
            });
        }
    }

    /** Tells what staged metadata still needs and the command that adds a signature. */
    static void printPending(Path dir, TufRepository.Pending p) {
        System.err.println("  staged/" + p.file() + " needs " + p.needs());
        System.err.println("  each key holder runs: veripack repo sign " + dir + " --role " + p.role() + " --key KEY.pem --keys KEYDIR");
    }

    /** {@code ROLE=VALUE} items of a repeatable option, in order. */
    static Map<TufRepository.Role, List<String>> roleValues(List<String> items, String option) {
        Map<TufRepository.Role, List<String>> out = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException(option + " " + item + ": ROLE=VALUE");
            }
            byRole(Map.of(item.substring(0, eq), item.substring(eq + 1)), v -> v)
                    .forEach((r, v) -> out.computeIfAbsent(r, x -> new ArrayList<>()).add(v));
        }
        return out;
    }

    static TufRepository.Role role(String name) {
        return byRole(Map.of(name, ""), v -> v).keySet().iterator().next();
    }

    @Command(name = "sign", mixinStandardHelpOptions = true, description = "Add one key holder's signature to the staged root or "
            + "targets metadata; once its threshold is met it is published with a new snapshot and timestamp.")
    static final class Sign implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "the repository directory")
        Path dir;

        @Option(names = "--role", paramLabel = "ROLE", required = true, description = "root or targets: the staged metadata to sign")
        String role;

        @Option(names = "--key", paramLabel = "KEY.pem",
                description = "the key holder's private key (PKCS#8 PEM, Ed25519 or ECDSA P-256), one of the role's keys; or --pkcs11")
        Path key;

        @picocli.CommandLine.Mixin
        RepoTokenOptions token;

        @Option(names = "--keys", paramLabel = "KEYDIR", required = true,
                description = "the online keys (snapshot, timestamp) that publish the metadata once complete")
        Path keys;

        @Option(names = "--expires", paramLabel = "ROLE=DURATION", description = "validity of the new snapshot and timestamp, as repo init")
        Map<String, String> expires = new LinkedHashMap<>();

        @Override
        public Integer call() {
            return run("sign", () -> {
                RepositoryKeys.Token holder = token.token();
                if ((holder == null) == (key == null)) {
                    throw new VerifyCommand.UsageError("one signing key: --key KEY.pem or --pkcs11 CONFIG --key-label L");
                }
                if (holder == null) {
                    VerifyCommand.requireFile(key, "--key");
                    RepositoryKeys.requireOutside(dir, key, "--key");
                    holder = new RepositoryKeys.Token(org.veripack.core.sign.SigningIdentities.readPrivateKey(key), RepositoryKeys.readPublicKey(key));
                }
                Map<TufRepository.Role, Duration> e = expiries(expires);
                RepositoryKeys online = RepoTokenOptions.loadKeys(keys);
                if (token.pkcs11 != null) {
                    online.add(holder); // the token's key also signs the online roles whose root lists it
                }
                TufRepository repo = TufRepository.open(dir, online, Clock.systemUTC());
                TufRepository.Signing s = repo.sign(role(role), holder.privateKey(), holder.publicKey(),
                        e.get(TufRepository.Role.SNAPSHOT), e.get(TufRepository.Role.TIMESTAMP));
                return signed("sign", dir, s);
            });
        }
    }

    static int signed(String command, Path dir, TufRepository.Signing s) {
        if (s.pending() != null) {
            System.err.println("veripack repo " + command + ": signed " + s.file() + "; not published yet:");
            printPending(dir, s.pending());
        } else {
            System.err.println("veripack repo " + command + ": published metadata/" + s.file() + " with a new snapshot and timestamp");
        }
        return ExitCode.OK;
    }

    @Command(name = "rotate-root", mixinStandardHelpOptions = true, description = "Write the next root version (keys added or "
            + "removed, thresholds, new expiry) signed by the old root's keys and the new root's keys that KEYDIR holds; staged "
            + "until both thresholds are met (repo sign --role root).")
    static final class RotateRoot implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "the repository directory")
        Path dir;

        @Option(names = "--keys", paramLabel = "KEYDIR", required = true,
                description = "root keys (old or new) that sign now, and the online keys that publish")
        Path keys;

        @Option(names = "--add-key", paramLabel = "ROLE=KEY.pem",
                description = "add this key (a PEM public key, or a private key whose public half is used) to a role; repeatable")
        List<String> addKeys = new ArrayList<>();

        @Option(names = "--remove-key", paramLabel = "ROLE=KEYID",
                description = "remove a key (its key id, or a PEM key file) from a role; repeatable")
        List<String> removeKeys = new ArrayList<>();

        @Option(names = "--threshold", paramLabel = "ROLE=N", description = "new threshold of a role; repeatable")
        Map<String, String> thresholds = new LinkedHashMap<>();

        @Option(names = "--expires", paramLabel = "ROLE=DURATION", description = "validity of the new root (and of the new snapshot "
                + "and timestamp), as repo init")
        Map<String, String> expires = new LinkedHashMap<>();

        @picocli.CommandLine.Mixin
        RepoTokenOptions token;

        @Override
        public Integer call() {
            return run("rotate-root", () -> {
                Map<TufRepository.Role, List<org.veripack.repo.tuf.TufKey>> add = new LinkedHashMap<>();
                for (var e : roleValues(addKeys, "--add-key").entrySet()) {
                    for (String f : e.getValue()) {
                        VerifyCommand.requireFile(Path.of(f), "--add-key");
                        add.computeIfAbsent(e.getKey(), x -> new ArrayList<>())
                                .add(org.veripack.repo.tuf.TufKey.of(RepositoryKeys.readPublicKey(Path.of(f))));
                    }
                }
                Map<TufRepository.Role, List<String>> remove = new LinkedHashMap<>();
                for (var e : roleValues(removeKeys, "--remove-key").entrySet()) {
                    for (String v : e.getValue()) {
                        remove.computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(java.nio.file.Files.isRegularFile(Path.of(v))
                                ? org.veripack.repo.tuf.TufKey.of(RepositoryKeys.readPublicKey(Path.of(v))).keyId() : v);
                    }
                }
                Map<TufRepository.Role, Duration> e = expiries(expires);
                TufRepository repo = TufRepository.open(dir, token.keys(keys), Clock.systemUTC());
                TufRepository.Signing s = repo.rotateRoot(new TufRepository.RootChange(add, remove, byRole(thresholds, Integer::parseInt)),
                        e.get(TufRepository.Role.ROOT), e.get(TufRepository.Role.SNAPSHOT), e.get(TufRepository.Role.TIMESTAMP));
                return signed("rotate-root", dir, s);
            });
        }
    }

    @Command(name = "timestamp", mixinStandardHelpOptions = true, description = "Renew the timestamp (same snapshot, next "
            + "version, new expiry): run it from cron more often than the timestamp expires.")
    static final class Timestamp implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "the repository directory")
        Path dir;

        @Option(names = "--keys", paramLabel = "KEYDIR", required = true, description = "holds the timestamp key(s)")
        Path keys;

        @Option(names = "--expires", paramLabel = "DURATION", description = "validity of the new timestamp (default 1d)")
        String expires = "1d";

        @picocli.CommandLine.Mixin
        RepoTokenOptions token;

        @Override
        public Integer call() {
            return run("timestamp", () -> {
                TufRepository repo = TufRepository.open(dir, token.keys(keys), Clock.systemUTC());
                TufRepository.Timestamped t = repo.timestamp(duration(expires));
                if (t.servedOlder()) {
                    System.err.println("veripack repo timestamp: warning: metadata/timestamp.json is version " + t.served()
                            + ", older than version " + t.issued() + " this repository issued (replaced by an older copy?)");
                }
                System.err.println("veripack repo timestamp: timestamp version " + t.version());
                return ExitCode.OK;
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Each role's version and expiry, and the targets.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "the repository directory")
        Path dir;

        @Option(names = "--json", description = "one JSON document on stdout")
        boolean json;

        @Override
        public Integer call() {
            return run("status", () -> {
                TufRepository repo = TufRepository.open(dir, RepositoryKeys.load(Path.of("/nonexistent")), Clock.systemUTC());
                if (json) {
                    var o = NodeOutput.JSON.createObjectNode();
                    ArrayNode roles = o.putArray("roles");
                    for (TufRepository.RoleStatus s : repo.status()) {
                        roles.addObject().put("role", s.role()).put("file", s.file()).put("version", s.version())
                                .put("expires", s.expires().toString());
                    }
                    ArrayNode targets = o.putArray("targets");
                    repo.targets().forEach((name, t) -> targets.addObject().put("name", name).put("length", t.length())
                            .put("sha256", t.hashes().get("sha256")).set("custom", t.custom()));
                    ArrayNode staged = o.putArray("staged");
                    for (TufRepository.Pending p : repo.staged()) {
                        staged.addObject().put("role", p.role()).put("file", "staged/" + p.file()).put("version", p.version())
                                .put("needs", p.needs());
                    }
                    System.out.println(o.toPrettyString());
                } else {
                    printStatus(repo);
                }
                return ExitCode.OK;
            });
        }
    }

    static void printStatus(TufRepository repo) throws IOException {
        for (TufRepository.RoleStatus s : repo.status()) {
            System.out.printf("%-9s %-18s version %-5d expires %s%n", s.role(), s.file(), s.version(), s.expires());
        }
        repo.targets().forEach((name, t) -> System.out.printf("target    %s %d bytes %s %s%n", name, t.length(),
                t.custom() == null ? "" : t.custom().path("veripack").path("name").asText(""),
                t.custom() == null ? "" : t.custom().path("veripack").path("version").asText("")));
        for (TufRepository.Pending p : repo.staged()) {
            System.out.printf("staged    %-18s version %-5d needs %s%n", "staged/" + p.file(), p.version(), p.needs());
        }
    }
}
