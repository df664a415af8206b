package org.veripack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.ReportFormat;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.VerificationReport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code veripack verify (--trust CA.pem ... | --policy POLICY.yaml) [--at INSTANT] [--json] PACKAGE [--signature SIG]}
 * (docs/reference.md "verify"). Exit 0 ACCEPTED, 1 REJECTED, 2 usage/configuration error (bad option, missing
 * input file, invalid policy), 3 I/O error. {@code --json} prints exactly one JSON report on stdout; the
 * short text report always goes to stderr.
 *
 * <p>Adding a package format: add its options (e.g. {@code --apt-release}) and a branch in
 * {@link #verify(PackageVerifier)}; policy, clock, input checks and output stay shared.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Verify a package (SOL004 CSAR option 1/2, or any file with --signature) against a trust policy.")
final class VerifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Trust trust;

    /** Where trust comes from: anchors on the command line, or a policy file. */
    static final class Trust {
        @Option(names = "--trust", paramLabel = "CA.pem", required = true,
                description = "Trust anchor certificate(s) (PEM/DER); repeatable. Every other policy setting is the default.")
        List<Path> anchors = new ArrayList<>();

        @Option(names = "--policy", paramLabel = "POLICY.yaml", required = true, description = "Trust policy file (YAML).")
        Path policy;

        @Option(names = "--keyring", paramLabel = "KEYRING", required = true,
                description = "OpenPGP keyring (binary or armored) for --apt-release; repeatable. A policy with only these keyrings.")
        List<Path> keyrings = new ArrayList<>();
    }

    @Mixin
    AptOptions apt = new AptOptions();

    @Mixin
    ProgressOptions progress = new ProgressOptions();

    @Option(names = "--at", paramLabel = "INSTANT", description = "Verification time, ISO-8601 (e.g. 2026-01-01T00:00:00Z), 1950..9999; default now.")
    String at;

    @Option(names = "--json", description = "Print the report as one JSON document on stdout.")
    boolean json;

    @Option(names = "--package-digest", description = "Also record the SHA-256 of the whole CSAR file in the report "
            + "(packageSha256; one more pass over the file). Detached reports always carry it.")
    boolean packageDigest;

    @Parameters(index = "0", paramLabel = "PACKAGE", arity = "0..1", description = "The package file (CSAR, zip, or any signed file).")
    Path packageFile;

    @Option(names = "--signature", paramLabel = "SIG", description = "Detached CMS signature (DER or PEM) over PACKAGE.")
    Path signature;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (apt.requested() || !trust.keyrings.isEmpty()) {
            try {
                return AptVerification.run(apt, trust.policy, trust.keyrings, clock(), json, packageFile,
                        spec.commandLine().getOut(), err, progress.listener(err, "verify", json));
            } catch (UsageError e) {
                err.println("veripack verify: " + e.getMessage());
                err.flush();
                return ExitCode.USAGE;
            }
        }
        try {
            TrustPolicy policy = policy();
            Clock clock = clock();
            requireFile(packageFile, "PACKAGE");
            if (signature != null) {
                requireFile(signature, "--signature");
            }
            PackageVerifier verifier = PackageVerifier.create(policy, clock).withProgress(progress.listener(err, "verify", json));
            VerificationReport report = verify(packageDigest ? verifier.withPackageDigest() : verifier);
            if (json) {
                PrintWriter out = spec.commandLine().getOut();
                out.println(ReportFormat.toJson(report));
                out.flush();
            }
            err.print(ReportFormat.toText(report));
            String hint = signature == null && !report.accepted() ? notACsarHint(packageFile, "verify") : null;
            if (hint != null) {
                err.println(hint);
            }
            err.flush();
            return report.accepted() ? ExitCode.OK : ExitCode.REJECTED;
        } catch (UsageError | PolicyException e) {
            err.println("veripack verify: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        } catch (IOException | RuntimeException e) {
            err.println("veripack verify: I/O error: " + describe(e));
            err.flush();
            return ExitCode.IO;
        }
    }

    /**
     * A one-line description of an I/O failure for users: the file and the reason, without a Java
     * exception class name ({@code "no such file: /x"}, {@code "permission denied: /x"}).
     */
    static String describe(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return "no such file or directory: " + f.getFile();
        }
        if (e instanceof java.nio.file.AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return (f.getReason() != null ? f.getReason() : "file system error") + ": " + f.getFile();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /**
     * Checks an output file option before anything is computed: it must not be a directory and its parent
     * directory must exist.
     *
     * @throws UsageError (exit 2) naming the path otherwise
     */
    static void requireWritableTarget(Path p, String what) throws UsageError {
        if (Files.isDirectory(p)) {
            throw new UsageError(what + ": " + p + " is a directory; give a file name");
        }
        Path parent = p.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageError(what + ": directory " + parent + " does not exist (for " + p + ")");
        }
    }

    /** Dispatches on the package format the options name. */
    VerificationReport verify(PackageVerifier verifier) throws IOException {
        if (signature != null) {
            return verifier.verifyDetached(packageFile, signature);
        }
        return verifier.verifyCsar(packageFile);
    }

    TrustPolicy policy() throws PolicyException, UsageError {
        if (trust.policy != null) {
            requireFile(trust.policy, "--policy");
            return TrustPolicyLoader.load(trust.policy);
        }
        List<X509Certificate> anchors = new ArrayList<>();
        for (Path p : trust.anchors) {
            requireFile(p, "--trust");
            anchors.addAll(TrustPolicyLoader.readCertificates(null, "--trust", p));
        }
        return TrustPolicy.withAnchors(anchors);
    }

    /** Earliest {@code --at}: X.509 UTCTime starts in 1950 (RFC 5280 §4.1.2.5.1). */
    static final Instant EARLIEST_AT = Instant.parse("1950-01-01T00:00:00Z");
    /** Latest {@code --at}: the last instant a four-digit GeneralizedTime year can say (RFC 5280 §4.1.2.5.2). */
    static final Instant LATEST_AT = Instant.parse("9999-12-31T23:59:59Z");

    Clock clock() throws UsageError {
        return clock(at);
    }

    /**
     * The verification clock of an {@code --at} value: the system clock when null, else that instant, which
     * must be ISO-8601 ({@code 2026-01-01T00:00:00Z}) between {@link #EARLIEST_AT} and {@link #LATEST_AT}.
     *
     * @throws UsageError (exit 2) for anything else, naming the value
     */
    static Clock clock(String at) throws UsageError {
        if (at == null) {
            return Clock.systemUTC();
        }
        Instant instant;
        try {
            instant = Instant.parse(at);
        } catch (DateTimeParseException e) {
            throw new UsageError("--at must be an ISO-8601 instant such as 2026-01-01T00:00:00Z: " + at);
        }
        if (instant.isBefore(EARLIEST_AT) || instant.isAfter(LATEST_AT)) {
            throw new UsageError("--at must lie between " + EARLIEST_AT + " and " + LATEST_AT
                    + " (the range X.509 certificate times can express): " + at);
        }
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    static void requireFile(Path p, String what) throws UsageError {
        if (p == null) {
            throw new UsageError(what + " is required");
        }
        if (p.toString().isEmpty()) {
            // an empty argument is the current directory to the JDK ("is a directory" named no file)
            throw new UsageError(what + " is an empty file name");
        }
        if (Files.isDirectory(p)) {
            throw new UsageError(what + ": " + p + " is a directory; give the file");
        }
        if (!Files.exists(p)) {
            throw new UsageError(what + ": no such file " + p);
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new UsageError(what + ": no readable file " + p);
        }
    }

    /**
     * The next step for a package that is not a zip archive, so cannot be a SOL004 CSAR (read from its first
     * bytes): a Debian package ({@code !<arch>}, deb(5)) is verified through its repository's signed chain; any
     * other file by a detached signature. {@code install} takes only CSARs. Null when the file is a zip.
     */
    static String notACsarHint(Path file, String command) {
        byte[] head = new byte[8];
        int n;
        try (var in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            return null;
        }
        String magic = new String(head, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (magic.startsWith("PK")) {
            return null;
        }
        String apt = "veripack verify --apt-release InRelease --apt-packages Packages (--keyring KEYRING | --policy POLICY.yaml) "
                + file.getFileName();
        if (magic.startsWith("!<arch>")) {
            return "hint: " + file.getFileName() + " is a Debian package, not a CSAR; verify it through its repository's signed chain: " + apt;
        }
        return command.equals("install")
                ? "hint: " + file.getFileName() + " is not a zip archive; install takes a SOL004 CSAR (make one with veripack sign --csar DIR)"
                : "hint: " + file.getFileName() + " is not a zip archive, so not a CSAR; to verify any other file against a detached CMS"
                        + " signature: veripack verify ... --signature SIG " + file.getFileName();
    }

    /** A usage or configuration error (exit code 2). */
    static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) { super(message); }
    }
}
