package org.veripack.scas.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.Target;

/**
 * Drives a Veripack node root through the {@code veripack} CLI contract (docs/reference.md "Commands"): {@code install
 * --json} (exit 1 = REJECTED; the finding codes read from the report it prints, never from its human text) under the
 * node's own trust store, {@code status --json}, {@code run}, {@code trust set},
 * the {@code current} symlink and {@code audit/events.jsonl}. The node's trust is its configuration: the harness
 * sets it (from the lab's {@code --trust}/{@code --policy}) only when the node has none, and for a case signed
 * under the harness test CA sets the node's own policy plus that CA (and the harness's test signers when the
 * policy has a {@code signers:} map) for the one install, then restores the node's policy ({@code trust set},
 * as the trust administrator the harness runs as).
 */
final class NodeDriver implements TargetDriver {
    private static final int MAX_AUDIT_BYTES = 64 * 1024;
    /** Bytes of an {@code install --json} document read for its finding codes (a report lists every artifact). */
    private static final int MAX_JSON_BYTES = 8 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Target.Node node;
    private final ProcessRunner runner;
    private final List<String> trustSetArgs;
    private final Path testCaPem;
    private final String packageName;
    private final List<String> testSigners;
    private final Path harnessDir;
    private boolean trustEnsured;
    /** The finding codes each {@code --json} install reported (docs/reference.md "JSON documents"), by its record. */
    private final Map<CommandRecord, List<String>> reportedCodes = new IdentityHashMap<>();

    /**
     * @param trustSetArgs {@code --trust A ...} or {@code --policy P}: the node's trust when it has none yet
     * @param testCaPem    the harness test CA, trusted for the installs of cases signed under it
     * @param packageName  the genuine package's name (its {@code signers:} entry gets {@code testSigners}), or null
     * @param testSigners  subject DNs of the harness's test signers
     * @param harnessDir   where the derived and saved policies are written
     */
    NodeDriver(Target.Node node, ProcessRunner runner, List<String> trustSetArgs, Path testCaPem, String packageName,
               List<String> testSigners, Path harnessDir) {
        this.node = node;
        this.runner = runner;
        this.trustSetArgs = List.copyOf(trustSetArgs);
        this.testCaPem = testCaPem;
        this.packageName = packageName;
        this.testSigners = List.copyOf(testSigners);
        this.harnessDir = harnessDir;
    }

    private List<String> veripack(String... args) {
        List<String> argv = new ArrayList<>(node.veripack());
        argv.addAll(List.of(args));
        return argv;
    }

    /** The node's trust policy file ({@code NODE/config/policy.yaml}), when the node has a trust store. */
    @Override
    public Optional<Path> trustPolicy() {
        ensureTrust();
        Path p = node.root().resolve("config").resolve("policy.yaml");
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** Runs {@code veripack ARGS} as the identity the harness drives the node with. */
    CommandRecord veripackRun(String purpose, String... args) {
        return run(purpose, veripack(args));
    }

    /** Runs {@code argv}, keeping the finding codes of the report it prints when it is a {@code --json} install. */
    private CommandRecord run(String purpose, List<String> argv) {
        ProcessRunner.Output o = runner.runKeepingStdout(purpose, argv, MAX_JSON_BYTES);
        try {
            JsonNode findings = JSON.readTree(o.stdout()).path("report").path("findings");
            if (findings.isArray()) {
                List<String> codes = new ArrayList<>();
                findings.forEach(f -> codes.add(f.path("code").asText()));
                reportedCodes.put(o.record(), codes.stream().distinct().toList());
            }
        } catch (IOException e) {
            // no JSON document (a usage error prints none): no codes reported
        }
        return o.record();
    }

    /** The codes of the report the install printed with {@code --json}; none when it printed no report. */
    @Override
    public Optional<List<String>> findingCodes(CommandRecord install) {
        return Optional.of(reportedCodes.getOrDefault(install, List.of()));
    }

    /** {@code install}'s documented refusals of a user: 4 not authorised, 3 node root not writable. */
    @Override
    public Optional<String> unauthorisedExitProblem(int exitCode) {
        return exitCode == 3 || exitCode == 4 ? Optional.empty()
                : Optional.of("exit code " + exitCode + " is neither 4 (not authorised) nor 3 (node root not writable)");
    }

    /** The node's own record of what it activated ({@code status --json} {@code active.packageSha256}). */
    @Override
    public boolean recordsActive(ActiveState after, String packageSha256, BiConsumer<String, String> evidence) {
        Optional<String> activeSha = activePackageSha256(after.record());
        evidence.accept("active package SHA-256 (status --json)", activeSha.orElse("(none)"));
        return activeSha.filter(packageSha256::equalsIgnoreCase).isPresent();
    }

    @Override
    public String testCaTrust(HarnessPki pki) {
        return "for this install the harness sets the node's trust store to its own policy plus the harness test CA "
                + HarnessPki.subject(pki.testCa()) + " (and, when the policy has a signers: map, the harness's test signers for the"
                + " package) with veripack trust set as trust administrator, and restores the node's policy afterwards,"
                + " so only this case's defect can cause a refusal";
    }

    @Override
    public String programFilesDescription() {
        return ", NODE/state, NODE/slots, NODE/audit, NODE/staging, the veripack program files";
    }

    @Override
    public CaseResult keyListAccessControl(KeyListAccessControl c) throws IOException {
        return c.run(this, node.root().toString());
    }

    /** The {@code policyDigest} that {@code trust show --json} printed, or empty when it failed. */
    static Optional<String> policyDigest(CommandRecord show) {
        if (show == null || show.exitCode() != 0) {
            return Optional.empty();
        }
        try {
            JsonNode d = JSON.readTree(show.stdoutExcerpt()).path("policyDigest");
            return d.isTextual() ? Optional.of(d.asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The {@code user} field of the last audit-log line among {@code lines}, or empty. */
    static Optional<String> auditUser(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            try {
                JsonNode u = JSON.readTree(lines.get(i)).path("user");
                if (u.isTextual()) {
                    return Optional.of(u.asText());
                }
            } catch (IOException e) {
                // not a JSON line: keep looking
            }
        }
        return Optional.empty();
    }

    /** Once: a node without a trust store gets the lab's trust ({@code trust set}). */
    private void ensureTrust() {
        if (trustEnsured) {
            return;
        }
        trustEnsured = true;
        if (!Files.exists(node.root().resolve("config").resolve("policy.yaml"))) {
            List<String> argv = veripack("trust", "set", "--root", node.root().toString());
            argv.addAll(trustSetArgs);
            runner.run("set the node's trust store (it had none) from the lab's trust", argv);
        }
    }

    @Override
    public String productIdentity() {
        return "Veripack node " + node.root() + " driven by: " + new CommandRecord("", node.veripack(), 0, false, "", "", 0, 0)
                .commandLine();
    }

    @Override
    public CommandRecord install(String purpose, Path pkg, boolean trustTestCa, String asUserTemplate) {
        ensureTrust();
        List<String> argv = veripack("install", "--root", node.root().toString(), "--json", pkg.toAbsolutePath().toString());
        if (asUserTemplate != null) {
            String line = new CommandRecord(purpose, argv, 0, false, "", "", 0, 0).commandLine();
            return run(purpose, TargetDriver.wrapAsUser(asUserTemplate, line));
        }
        Optional<Path> policy = trustPolicy();
        boolean trusted;
        try {
            trusted = policy.isEmpty() || PolicyFiles.trusts(policy.get(), testCaPem, packageName, testSigners);
        } catch (IOException e) {
            trusted = false; // an unreadable policy: let trust set say why
        }
        if (!trustTestCa || trusted) {
            return run(purpose, argv); // the node already trusts the (lab's) test CA and its signers
        }
        Path saved = harnessDir.resolve("node-policy-saved.yaml");
        Path derived = harnessDir.resolve("node-policy-with-harness-test-ca.yaml");
        try {
            PolicyFiles.copy(policy.get(), null, null, List.of(), saved);
            PolicyFiles.copy(policy.get(), testCaPem, packageName, testSigners, derived);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        runner.run("trust the harness test CA for this install", veripack("trust", "set", "--root", node.root().toString(),
                "--policy", derived.toString()));
        try {
            return run(purpose, argv);
        } finally {
            runner.run("restore the node's trust store", veripack("trust", "set", "--root", node.root().toString(),
                    "--policy", saved.toString()));
        }
    }

    @Override
    public boolean installSucceeded(CommandRecord r) {
        return r.exitCode() == 0;
    }

    @Override
    public Integer rejectionExitCode() {
        return 1;
    }

    @Override
    public ActiveState active(String purpose) {
        ensureTrust();
        CommandRecord r = runner.run(purpose, veripack("status", "--root", node.root().toString(), "--json"));
        Path current = node.root().resolve("current");
        String active;
        try {
            active = Files.isSymbolicLink(current) ? Files.readSymbolicLink(current).toString() : "(none)";
        } catch (IOException e) {
            active = null;
        }
        return new ActiveState(r, r.exitCode() == 0 ? active : null);
    }

    @Override
    public Optional<CommandRecord> runCheck(String purpose) {
        if (node.probe().isEmpty()) {
            return Optional.empty();
        }
        List<String> argv = veripack("run", "--root", node.root().toString());
        for (String kv : node.probeEnv()) {
            argv.addAll(List.of("--env", kv));
        }
        argv.add("--");
        argv.addAll(node.probe());
        return Optional.of(runner.run(purpose, argv));
    }

    /**
     * The {@code active.packageSha256} that {@code status --json} printed, or empty
     * when the status failed, printed no JSON or shows no active slot.
     */
    static Optional<String> activePackageSha256(CommandRecord status) {
        if (status == null || status.exitCode() != 0) {
            return Optional.empty();
        }
        try {
            JsonNode sha = JSON.readTree(status.stdoutExcerpt()).path("active").path("packageSha256");
            return sha.isTextual() ? Optional.of(sha.asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Path auditLog() {
        return node.root().resolve("audit").resolve("events.jsonl");
    }

    @Override
    public long auditPosition() {
        try {
            return Files.exists(auditLog()) ? Files.size(auditLog()) : 0;
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public List<String> auditLinesSince(long position) {
        if (position < 0 || !Files.exists(auditLog())) {
            return List.of();
        }
        try (SeekableByteChannel ch = Files.newByteChannel(auditLog())) {
            ch.position(position);
            InputStream in = Channels.newInputStream(ch);
            String text = new String(in.readNBytes(MAX_AUDIT_BYTES), StandardCharsets.UTF_8);
            return text.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            return List.of("(audit log unreadable: " + e.getMessage() + ")");
        }
    }

    @Override
    public List<Path> programFiles() {
        List<Path> files = new ArrayList<>();
        Path root = node.root();
        files.add(root.resolve("state"));
        files.add(root.resolve("slots"));
        files.add(root.resolve("audit"));
        files.add(root.resolve("staging"));
        files.add(root.resolve("config")); // the node's trust store
        files.add(root.resolve("config.yaml"));
        List<String> cmd = node.veripack();
        int cp = cmd.indexOf("-cp") >= 0 ? cmd.indexOf("-cp") : cmd.indexOf("-classpath");
        if (cp >= 0 && cp + 1 < cmd.size()) {
            for (String e : cmd.get(cp + 1).split(java.io.File.pathSeparator)) {
                if (!e.isBlank()) {
                    files.add(Path.of(e));
                }
            }
        }
        int jar = cmd.indexOf("-jar");
        if (jar >= 0 && jar + 1 < cmd.size()) {
            files.add(Path.of(cmd.get(jar + 1)));
        }
        Path exe = Path.of(cmd.get(0));
        if (Files.isRegularFile(exe)) {
            files.add(exe);
        }
        return files;
    }
}
