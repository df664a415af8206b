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
import java.util.List;
import java.util.Optional;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.Target;

/**
 * Drives a Veripack node root through the {@code veripack} CLI contract (DESIGN.md): {@code install}
 * (exit 1 = REJECTED), {@code status --json}, {@code run}, the {@code current} symlink and
 * {@code audit/events.jsonl}.
 */
final class NodeDriver implements TargetDriver {
    private static final int MAX_AUDIT_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Target.Node node;
    private final ProcessRunner runner;
    private final List<String> trustArgs;
    private final List<String> trustArgsWithTestCa;

    NodeDriver(Target.Node node, ProcessRunner runner, List<String> trustArgs, List<String> trustArgsWithTestCa) {
        this.node = node;
        this.runner = runner;
        this.trustArgs = List.copyOf(trustArgs);
        this.trustArgsWithTestCa = List.copyOf(trustArgsWithTestCa);
    }

    @Override
    public String productIdentity() {
        return "Veripack node " + node.root() + " driven by: " + new CommandRecord("", node.veripack(), 0, false, "", "", 0, 0)
                .commandLine();
    }

    @Override
    public CommandRecord install(String purpose, Path pkg, boolean trustTestCa, String asUserTemplate) {
        List<String> argv = new ArrayList<>(node.veripack());
        argv.add("install");
        argv.add("--root");
        argv.add(node.root().toString());
        // PACKAGE before the trust options: a multi-value --trust would otherwise take it as another anchor
        argv.add(pkg.toAbsolutePath().toString());
        argv.addAll(trustTestCa ? trustArgsWithTestCa : trustArgs);
        if (asUserTemplate != null) {
            String line = new CommandRecord(purpose, argv, 0, false, "", "", 0, 0).commandLine();
            return runner.run(purpose, TargetDriver.wrapAsUser(asUserTemplate, line));
        }
        return runner.run(purpose, argv);
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
        List<String> argv = new ArrayList<>(node.veripack());
        argv.addAll(List.of("status", "--root", node.root().toString(), "--json"));
        CommandRecord r = runner.run(purpose, argv);
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
        List<String> argv = new ArrayList<>(node.veripack());
        argv.addAll(List.of("run", "--root", node.root().toString()));
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
