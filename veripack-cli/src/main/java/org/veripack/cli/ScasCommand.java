package org.veripack.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.ScasConfig;
import org.veripack.scas.ScasHarness;
import org.veripack.scas.ScasReport;
import org.veripack.scas.ScasReports;
import org.veripack.scas.Target;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code veripack scas --package GENUINE.csar (--trust CA.pem...|--policy P) --target (node:NODE|cmd) --out DIR}:
 * runs TC_SW_PKG_INTEGRITY_1 (TS 33.117 §4.2.3.3.5) and the tamper matrix against a product and writes
 * {@code report.html}, {@code junit.xml} and {@code report.json}. Exit 0 when no case FAILed,
 * 1 when some did, 2 usage error, 3 I/O error.
 */
@Command(name = "scas", mixinStandardHelpOptions = true, description = "Run the SCAS software-package-integrity test case and tamper matrix against an installer; write HTML/JUnit/JSON evidence.")
final class ScasCommand implements Callable<Integer> {
    @Option(names = "--package", required = true, paramLabel = "GENUINE.csar", description = "the vendor's genuinely signed CSAR (SOL004 option 1)")
    Path pkg;

    @Option(names = "--trust", paramLabel = "CA.pem", description = "trust anchor(s) the product trusts (repeatable)")
    List<Path> trust = new ArrayList<>();

    @Option(names = "--policy", paramLabel = "POLICY.yaml", description = "trust policy the product uses")
    Path policy;

    @Option(names = "--target", required = true, paramLabel = "node:NODE|cmd", description = "node:PATH drives a Veripack node root through the veripack CLI; cmd drives --install-cmd templates")
    String target;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "report directory")
    Path out;

    @Option(names = "--downgrade-package", paramLabel = "OLD.csar", description = "a genuinely signed lower version (downgrade and older-artifact cases)")
    Path downgrade;

    @Option(names = "--install-cmd", paramLabel = "TEMPLATE", description = "cmd target: install command; {package} = absolute path, {file} = file name")
    String installCmd;

    @Option(names = "--status-cmd", paramLabel = "CMD", description = "cmd target: prints the active version (compared before/after)")
    String statusCmd;

    @Option(names = "--run-cmd", paramLabel = "CMD", description = "cmd target: exits 0 when the active version runs")
    String runCmd;

    @Option(names = "--success-regex", paramLabel = "REGEX", description = "cmd target: an install succeeded iff its output matches (instead of exit 0)")
    String successRegex;

    @Option(names = "--as-user", paramLabel = "WRAPPER", description = "runs the install as an unauthorised user; {command} = the install command as one shell word")
    String asUser;

    @Option(names = "--veripack", paramLabel = "CMD", description = "node target: command starting the veripack CLI (default: this JVM's java and class path)")
    String veripack;

    @Option(names = "--probe", paramLabel = "'EXE [ARGS]'", description = "node target: executable in the slot (and its arguments, split on blanks) run through 'veripack run' to show the active version runs")
    String probe;

    @Option(names = "--probe-env", paramLabel = "K=V", description = "node target: environment variable for --probe (veripack run --env; repeatable)")
    List<String> probeEnv = new ArrayList<>();

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", description = "timeout of every command (default 300)")
    long timeoutSeconds;

    @Option(names = "--test-ca-cert", paramLabel = "PEM", description = "a test CA the product trusts (signs the expired/non-code-signing/unsafe-path variants)")
    Path testCaCert;

    @Option(names = "--test-ca-key", paramLabel = "PEM", description = "private key (PKCS#8 PEM) of --test-ca-cert")
    Path testCaKey;

    @Option(names = "--protect", paramLabel = "PATH", description = "files of the product's checking program / trusted-key list for the access-control step (repeatable)")
    List<Path> protect = new ArrayList<>();

    @Mixin
    ProgressOptions progress = new ProgressOptions();

    @Override
    public Integer call() {
        ScasConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("veripack scas: " + e.getMessage());
            return ExitCode.USAGE;
        }
        try {
            ScasReport report = ScasHarness.run(config);
            ScasReports.writeAll(report, out);
            System.err.printf("veripack scas: PASS %d, FAIL %d, NOT_RUN %d of %d cases; report: %s%n",
                    report.count(CaseVerdict.PASS), report.count(CaseVerdict.FAIL), report.count(CaseVerdict.NOT_RUN),
                    report.cases().size(), out.resolve(ScasReports.HTML));
            return report.exitCode() == 0 ? ExitCode.OK : ExitCode.REJECTED;
        } catch (IllegalArgumentException e) {
            System.err.println("veripack scas: " + e.getMessage());
            return ExitCode.USAGE;
        } catch (IOException | UncheckedIOException e) {
            System.err.println("veripack scas: I/O error: " + e.getMessage());
            return ExitCode.IO;
        }
    }

    private ScasConfig config() {
        for (Path p : inputs()) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read " + p);
            }
        }
        if (timeoutSeconds <= 0) {
            throw new IllegalArgumentException("--timeout must be positive");
        }
        boolean cmdOptions = installCmd != null || statusCmd != null || runCmd != null || successRegex != null;
        Target t;
        if (target.startsWith("node:")) {
            if (cmdOptions) {
                throw new IllegalArgumentException("--install-cmd/--status-cmd/--run-cmd/--success-regex are for --target cmd");
            }
            String root = target.substring("node:".length());
            if (root.isBlank()) {
                throw new IllegalArgumentException("--target node:PATH needs a path");
            }
            List<String> probeArgv = probe == null || probe.isBlank() ? List.of() : List.of(probe.trim().split("\\s+"));
            if (probeArgv.isEmpty() && !probeEnv.isEmpty()) {
                throw new IllegalArgumentException("--probe-env needs --probe");
            }
            for (String kv : probeEnv) {
                if (kv.indexOf('=') <= 0) {
                    throw new IllegalArgumentException("--probe-env needs K=V: " + kv);
                }
            }
            t = new Target.Node(Path.of(root).toAbsolutePath(), veripackCommand(), probeArgv, probeEnv);
        } else if (target.equals("cmd")) {
            if (installCmd == null) {
                throw new IllegalArgumentException("--target cmd needs --install-cmd");
            }
            if (veripack != null || probe != null || !probeEnv.isEmpty()) {
                throw new IllegalArgumentException("--veripack/--probe/--probe-env are for --target node:PATH");
            }
            Pattern regex;
            try {
                regex = successRegex == null ? null : Pattern.compile(successRegex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("--success-regex: " + e.getDescription());
            }
            t = new Target.Command(installCmd, statusCmd, runCmd, regex);
        } else {
            throw new IllegalArgumentException("--target must be node:PATH or cmd, not " + target);
        }
        return ScasConfig.builder().genuinePackage(pkg).downgradePackage(downgrade).trustAnchors(trust)
                .policyFile(policy).target(t).outDir(out).asUserTemplate(asUser)
                .commandTimeout(Duration.ofSeconds(timeoutSeconds)).testCa(testCaCert, testCaKey)
                .protectedPaths(protect).progress(progress.listener(new java.io.PrintWriter(System.err, true), "scas", false)).build();
    }

    private List<Path> inputs() {
        List<Path> in = new ArrayList<>(trust);
        in.add(pkg);
        for (Path p : new Path[] {policy, downgrade, testCaCert, testCaKey}) {
            if (p != null) {
                in.add(p);
            }
        }
        return in;
    }

    /** {@code --veripack} split on blanks; else this JVM's java, class path and main class; else {@code ./veripack}. */
    private List<String> veripackCommand() {
        if (veripack != null) {
            List<String> argv = List.of(veripack.trim().split("\\s+"));
            if (argv.get(0).isEmpty()) {
                throw new IllegalArgumentException("--veripack is blank");
            }
            return argv;
        }
        String cp = System.getProperty("java.class.path", "");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (!cp.isBlank() && Files.isExecutable(java)) {
            // short-lived CLI launches: C1 only and the serial GC start noticeably faster
            return List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", cp,
                    Main.class.getName());
        }
        Path launcher = Path.of("veripack").toAbsolutePath();
        if (Files.isExecutable(launcher)) {
            return List.of(launcher.toString());
        }
        throw new IllegalArgumentException("cannot tell how to start veripack: pass --veripack CMD");
    }
}
