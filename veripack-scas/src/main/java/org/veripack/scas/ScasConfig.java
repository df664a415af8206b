package org.veripack.scas;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.veripack.core.ProgressListener;

/**
 * Everything one SCAS run needs. Build with {@link #builder()}; {@link Builder#build()} rejects
 * contradictory or missing settings with {@link IllegalArgumentException} (CLI exit code 2).
 */
public final class ScasConfig {
    private final Path genuinePackage;
    private final Path downgradePackage;
    private final List<Path> trustAnchors;
    private final Path policyFile;
    private final Target target;
    private final Path outDir;
    private final String asUserTemplate;
    private final Duration commandTimeout;
    private final Path testCaCertificate;
    private final Path testCaPrivateKey;
    private final List<Path> protectedPaths;
    private final Clock clock;
    private final ProgressListener progress;

    private ScasConfig(Builder b) {
        this.genuinePackage = b.genuinePackage;
        this.downgradePackage = b.downgradePackage;
        this.trustAnchors = List.copyOf(b.trustAnchors);
        this.policyFile = b.policyFile;
        this.target = b.target;
        this.outDir = b.outDir;
        this.asUserTemplate = b.asUserTemplate;
        this.commandTimeout = b.commandTimeout;
        this.testCaCertificate = b.testCaCertificate;
        this.testCaPrivateKey = b.testCaPrivateKey;
        this.protectedPaths = List.copyOf(b.protectedPaths);
        this.clock = b.clock;
        this.progress = b.progress;
    }

    public static Builder builder() { return new Builder(); }

    /** The vendor's genuinely signed CSAR (SOL004 option 1) the tamper matrix is derived from. */
    public Path genuinePackage() { return genuinePackage; }
    /** A genuinely signed lower version of the same package, or null (downgrade cases are then NOT_RUN). */
    public Path downgradePackage() { return downgradePackage; }
    /** Trust anchor PEM files ({@code --trust}); empty when {@link #policyFile()} is set. */
    public List<Path> trustAnchors() { return trustAnchors; }
    /** Trust policy YAML ({@code --policy}), or null. */
    public Path policyFile() { return policyFile; }
    public Target target() { return target; }
    /** Directory receiving {@code report.html}, {@code junit.xml}, {@code report.json} and the variants. */
    public Path outDir() { return outDir; }
    /**
     * Wrapper running a command as an unauthorised user; {@code {command}} is replaced by the install command
     * quoted as one shell word (e.g. {@code runuser -u nobody -- /bin/sh -c {command}}), or null (step 1 NOT_RUN).
     */
    public String asUserTemplate() { return asUserTemplate; }
    /** Timeout of every command run against the target. */
    public Duration commandTimeout() { return commandTimeout; }
    /** PEM certificate of a test CA the target trusts (lab-provisioned), or null to generate one. */
    public Path testCaCertificate() { return testCaCertificate; }
    /** PEM PKCS#8 private key of {@link #testCaCertificate()}, or null. */
    public Path testCaPrivateKey() { return testCaPrivateKey; }
    /** Files of the checking program and trusted-key list whose access control step 3 inspects. */
    public List<Path> protectedPaths() { return protectedPaths; }
    /** Clock for certificate validity of the harness's signers and report times. */
    public Clock clock() { return clock; }

    /** Told the step {@code "running cases"} (unit: cases; total: every case that runs a command), one case at a time. */
    public ProgressListener progress() { return progress; }

    /** Validating builder. */
    public static final class Builder {
        private Path genuinePackage;
        private Path downgradePackage;
        private final List<Path> trustAnchors = new ArrayList<>();
        private Path policyFile;
        private Target target;
        private Path outDir;
        private String asUserTemplate;
        private Duration commandTimeout = Duration.ofMinutes(5);
        private Path testCaCertificate;
        private Path testCaPrivateKey;
        private final List<Path> protectedPaths = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private ProgressListener progress = ProgressListener.NONE;

        private Builder() { }

        public Builder genuinePackage(Path p) { genuinePackage = p; return this; }
        public Builder downgradePackage(Path p) { downgradePackage = p; return this; }
        public Builder trustAnchors(List<Path> p) { trustAnchors.addAll(p); return this; }
        public Builder policyFile(Path p) { policyFile = p; return this; }
        public Builder target(Target t) { target = t; return this; }
        public Builder outDir(Path p) { outDir = p; return this; }
        public Builder asUserTemplate(String t) { asUserTemplate = t; return this; }
        public Builder commandTimeout(Duration d) { commandTimeout = d; return this; }
        public Builder testCa(Path certificate, Path privateKey) {
            testCaCertificate = certificate;
            testCaPrivateKey = privateKey;
            return this;
        }
        public Builder protectedPaths(List<Path> p) { protectedPaths.addAll(p); return this; }
        public Builder clock(Clock c) { clock = Objects.requireNonNull(c); return this; }
        /** Where case progress goes; default {@link ProgressListener#NONE}. */
        public Builder progress(ProgressListener p) { progress = Objects.requireNonNull(p); return this; }

        /** @throws IllegalArgumentException when a required setting is missing or settings contradict */
        public ScasConfig build() {
            require(genuinePackage != null, "--package is required");
            require(target != null, "--target is required");
            require(outDir != null, "--out is required");
            require(trustAnchors.isEmpty() != (policyFile == null), "exactly one of --trust or --policy is required");
            require((testCaCertificate == null) == (testCaPrivateKey == null),
                    "--test-ca-cert and --test-ca-key go together");
            require(commandTimeout != null && !commandTimeout.isNegative() && !commandTimeout.isZero(),
                    "the command timeout must be positive");
            require(asUserTemplate == null || !asUserTemplate.isBlank(), "--as-user is blank");
            return new ScasConfig(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
