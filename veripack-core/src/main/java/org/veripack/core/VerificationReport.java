package org.veripack.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of one verification: every finding (the verifier does not stop at the first problem
 * when it can safely go on), what was checked and who signed. The verdict is derived: ACCEPTED
 * exactly when there is no finding (fail closed; warnings never accept or reject).
 * Immutable; build with {@link #builder(PackageFormat, Instant)}.
 */
public final class VerificationReport {
    private final PackageFormat format;
    private final Instant verificationTime;
    private final String packageSha256;
    private final PackageIdentity identity;
    private final List<SignerSummary> signers;
    private final List<ArtifactRecord> artifacts;
    private final List<Finding> findings;
    private final List<Warning> warnings;

    private VerificationReport(Builder b) {
        this.format = b.format;
        this.verificationTime = b.verificationTime;
        this.packageSha256 = b.packageSha256;
        this.identity = b.identity;
        this.signers = List.copyOf(b.signers);
        this.artifacts = List.copyOf(b.artifacts);
        this.findings = List.copyOf(b.findings);
        this.warnings = List.copyOf(b.warnings);
    }

    /** Starts a report for a package of {@code format} verified at {@code verificationTime}. */
    public static Builder builder(PackageFormat format, Instant verificationTime) {
        return new Builder(format, verificationTime);
    }

    public Verdict verdict() {
        return findings.isEmpty() ? Verdict.ACCEPTED : Verdict.REJECTED;
    }

    public boolean accepted() {
        return verdict() == Verdict.ACCEPTED;
    }

    public PackageFormat format() { return format; }

    /** The instant the certificates were validated at (the injected clock, or {@code --at}). */
    public Instant verificationTime() { return verificationTime; }

    /** Hex SHA-256 of the package file as read, when the verifier computed it. */
    public Optional<String> packageSha256() { return Optional.ofNullable(packageSha256); }

    /** Name/version/provider from the signed manifest; empty when no signed identity could be read. */
    public Optional<PackageIdentity> identity() { return Optional.ofNullable(identity); }

    public List<SignerSummary> signers() { return signers; }

    /** The artifacts whose digests were checked, with the digest found. */
    public List<ArtifactRecord> artifacts() { return artifacts; }

    public List<Finding> findings() { return findings; }

    /** Non-fatal notes, each with its {@link WarningCode} (e.g. revocation {@code prefer} without an answer). Never change the verdict. */
    public List<Warning> warnings() { return warnings; }

    /** True if some warning carries {@code code}. */
    public boolean hasWarning(WarningCode code) {
        return warnings.stream().anyMatch(w -> w.code() == code);
    }

    /** True if some finding carries {@code code}. */
    public boolean has(FindingCode code) {
        return findings.stream().anyMatch(f -> f.code() == code);
    }

    @Override
    public String toString() {
        return "VerificationReport[" + verdict() + ", " + format + ", findings=" + findings + "]";
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private final PackageFormat format;
        private final Instant verificationTime;
        private String packageSha256;
        private PackageIdentity identity;
        private final List<SignerSummary> signers = new ArrayList<>();
        private final List<ArtifactRecord> artifacts = new ArrayList<>();
        private final List<Finding> findings = new ArrayList<>();
        private final List<Warning> warnings = new ArrayList<>();

        private Builder(PackageFormat format, Instant verificationTime) {
            this.format = Objects.requireNonNull(format, "format");
            this.verificationTime = Objects.requireNonNull(verificationTime, "verificationTime");
        }

        public Builder packageSha256(String hex) { this.packageSha256 = hex; return this; }
        public Builder identity(PackageIdentity id) { this.identity = id; return this; }
        public Builder signer(SignerSummary s) { signers.add(Objects.requireNonNull(s)); return this; }
        public Builder artifact(ArtifactRecord a) { artifacts.add(Objects.requireNonNull(a)); return this; }
        public Builder finding(Finding f) { findings.add(Objects.requireNonNull(f)); return this; }
        public Builder warning(Warning w) { warnings.add(Objects.requireNonNull(w)); return this; }
        public Builder warning(WarningCode code, String subject, String detail) { return warning(new Warning(code, subject, detail)); }
        /** Whether any finding has been added so far. */
        public boolean hasFindings() { return !findings.isEmpty(); }
        public boolean has(FindingCode code) { return findings.stream().anyMatch(f -> f.code() == code); }

        public VerificationReport build() { return new VerificationReport(this); }
    }
}
