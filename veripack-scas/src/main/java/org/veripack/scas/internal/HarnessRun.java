package org.veripack.scas.internal;

import static org.veripack.scas.internal.CaseResults.add;
import static org.veripack.scas.internal.CaseResults.notRun;
import static org.veripack.scas.internal.CaseResults.result;
import static org.veripack.scas.internal.CaseResults.steps;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.veripack.core.PolicyException;
import org.veripack.core.ProgressListener;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.PackageVerifier;
import org.veripack.core.VerificationReport;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.scas.CaseResult;
import org.veripack.scas.CaseVerdict;
import org.veripack.scas.CommandRecord;
import org.veripack.scas.ScasHarness;
import org.veripack.scas.ScasConfig;
import org.veripack.scas.ScasReport;
import org.veripack.scas.internal.CaseResults.Evidence;
import org.veripack.scas.Target;

/**
 * One SCAS run: derives the tamper matrix, then runs TC_SW_PKG_INTEGRITY_1 (TS 33.117 §4.2.3.3.5)
 * steps 1–3 and every tamper case against the target, collecting evidence.
 */
public final class HarnessRun {
    /** Harness version written into every report. */
    public static final String HARNESS_VERSION = "veripack-scas 0.1.0";
    static final String TC = "TC_SW_PKG_INTEGRITY_1";
    /** Prefix of the precondition line every tamper case states, run or not. */
    static final String PRECONDITION = "precondition: ";

    private final ScasConfig config;
    private final ScasHarness.KeyType keyType;
    private TargetDriver driver;
    private CsarLayout genuine;
    private String genuineSha256;

    public HarnessRun(ScasConfig config, ScasHarness.KeyType keyType) {
        this.config = config;
        this.keyType = keyType;
    }

    /**
     * Runs every case.
     *
     * @throws IOException when the genuine package or the out directory cannot be read/written
     * @throws IllegalArgumentException when an input (package, test CA) is unusable (usage error)
     */
    public ScasReport run() throws IOException {
        Instant started = config.clock().instant();
        Path out = config.outDir().toAbsolutePath();
        Path harnessDir = out.resolve("harness");
        Files.createDirectories(harnessDir);
        genuine = CsarLayout.read(config.genuinePackage());
        genuineSha256 = sha256(config.genuinePackage());
        CsarLayout old = config.downgradePackage() == null ? null : CsarLayout.read(config.downgradePackage());

        HarnessPki pki = pki(started);
        Path testCaPem = harnessDir.resolve("harness-test-ca.pem");
        Files.write(testCaPem, HarnessPki.certificatesPem(pki.testCa().certificate()));
        if (!pki.testCaProvided()) {
            HarnessPki.writePrivateKeyPem(harnessDir.resolve("harness-test-ca.key"), pki.testCa().privateKey());
        }
        List<TamperCase> matrix = TamperMatrix.derive(genuine, old, pki, config.clock(), out.resolve("variants"));

        ProcessRunner runner = new ProcessRunner(config.commandTimeout(), null);
        driver = driver(runner, testCaPem, harnessDir, pki);

        List<CaseResult> results = new ArrayList<>();
        ProgressListener progress = config.progress();
        // every case that drives the product: the two of step 1 and 2, the tamper matrix, the two access-control cases
        progress.begin("running cases", 2L + matrix.size() + 2, ProgressListener.Unit.ITEMS);
        try {
            results.add(unauthorisedUser());
            progress.advance(1);
            results.add(validPackage(old, pki));
            progress.advance(1);
            List<CaseResult> tampered = new ArrayList<>();
            for (TamperCase tc : matrix) {
                tampered.add(tamperCase(tc, pki));
                progress.advance(1);
            }
            results.add(invalidPackagesSummary(tampered));
            results.addAll(tampered);
            results.add(accessControl());
            progress.advance(1);
            results.add(driver.keyListAccessControl(new KeyListAccessControl(pki, matrix, harnessDir)));
            progress.advance(1);
        } finally {
            progress.end();
        }

        return new ScasReport(HARNESS_VERSION, started, config.clock().instant(), host(),
                System.getProperty("user.name", "?"), config.target().describe(), driver.productIdentity(),
                config.genuinePackage().getFileName().toString(), genuineSha256,
                genuine.packageName().orElse(null), genuine.packageVersion().orElse(null), results);
    }

    private HarnessPki pki(Instant now) {
        if (config.testCaCertificate() == null) {
            return HarnessPki.generate(now, keyType, null, null);
        }
        try {
            List<X509Certificate> certs = SigningIdentities.readCertificates(config.testCaCertificate());
            PrivateKey key = SigningIdentities.readPrivateKey(config.testCaPrivateKey());
            return HarnessPki.generate(now, keyType, certs.get(0), key);
        } catch (PolicyException e) {
            throw new IllegalArgumentException("unusable test CA: " + e.getMessage(), e);
        }
    }

    private TargetDriver driver(ProcessRunner runner, Path testCaPem, Path harnessDir, HarnessPki pki) {
        Target t = config.target();
        if (t instanceof Target.Node node) {
            List<String> trust = new ArrayList<>();
            if (config.policyFile() != null) {
                trust.addAll(List.of("--policy", config.policyFile().toAbsolutePath().toString()));
            } else {
                for (Path a : config.trustAnchors()) {
                    trust.addAll(List.of("--trust", a.toAbsolutePath().toString()));
                }
            }
            return new NodeDriver(node, runner, trust, testCaPem, genuine.packageName().orElse(null),
                    List.of(HarnessPki.subject(pki.expiredLeaf()), HarnessPki.subject(pki.nonCodeSigning()), HarnessPki.subject(pki.validLeaf())), harnessDir);
        }
        return new CommandDriver((Target.Command) t, runner, config.protectedPaths());
    }

    // ---- TC_SW_PKG_INTEGRITY_1 step 1

    private CaseResult unauthorisedUser() {
        String id = TC + ".step1.unauthorised-user";
        String title = "Installation by an unauthorised user fails";
        String purpose = "TS 33.117 §4.2.3.3.5 step 1: the network product permits software installation and "
                + "upgrade only by authorised users.";
        String expected = "the install attempt by the unauthorised user is refused and the active version is unchanged";
        if (config.asUserTemplate() == null) {
            return notRun(id, title, purpose, expected, "no --as-user wrapper given: the harness cannot act as an "
                    + "unauthorised user (e.g. --as-user 'runuser -u nobody -- /bin/sh -c {command}')");
        }
        Evidence ev = new Evidence();
        TargetDriver.ActiveState before = driver.active("status before");
        long pos = driver.auditPosition();
        CommandRecord r = driver.install("install genuine package as unauthorised user", config.genuinePackage(),
                false, config.asUserTemplate());
        TargetDriver.ActiveState after = driver.active("status after");
        List<CommandRecord> steps = steps(before.record(), r, after.record());
        boolean accepted = driver.installSucceeded(r);
        boolean unchanged = CaseResults.unchanged(before, after, ev);
        Optional<String> exitProblem = driver.unauthorisedExitProblem(r.exitCode());
        ev.put("package SHA-256", genuineSha256);
        ev.put("as-user wrapper", config.asUserTemplate());
        ev.put("install exit code", String.valueOf(r.exitCode()));
        CaseResults.audit(driver, ev, pos);
        String actual = (accepted ? "the unauthorised install was ACCEPTED" : "the unauthorised install was refused (exit "
                + r.exitCode() + ")") + "; active version " + (unchanged ? "unchanged" : "CHANGED")
                + exitProblem.map(p -> "; " + p).orElse("");
        return result(id, title, purpose, List.of("genuine package " + config.genuinePackage().getFileName()),
                steps, expected, actual, ev, !accepted && unchanged && exitProblem.isEmpty());
    }

    // ---- TC_SW_PKG_INTEGRITY_1 step 2, valid package

    private CaseResult validPackage(CsarLayout old, HarnessPki pki) {
        String id = TC + ".step2.valid-package";
        String title = "Installation of the untampered package succeeds";
        String purpose = "TS 33.117 §4.2.3.3.5 step 2 / test b): the integrity check is executed and a valid, "
                + "genuinely signed package installs and runs.";
        Evidence ev = new Evidence();
        List<String> pre = new ArrayList<>();
        pre.add("genuine package " + config.genuinePackage().getFileName() + " (SHA-256 " + genuineSha256 + ")");
        genuineReport().ifPresent(pre::add);
        List<CommandRecord> steps = new ArrayList<>();
        TargetDriver.ActiveState before = driver.active("status before");
        add(steps, before.record());
        long pos = driver.auditPosition();
        if (old != null) {
            CommandRecord base = driver.install("install previous version " + old.csar().getFileName()
                    + " (baseline, so the genuine package is an upgrade)", old.csar(), false, null);
            steps.add(base);
            pre.add("baseline install of " + old.csar().getFileName() + ": exit " + base.exitCode());
        }
        CommandRecord r = driver.install("install genuine package", config.genuinePackage(), false, null);
        steps.add(r);
        TargetDriver.ActiveState after = driver.active("status after");
        add(steps, after.record());
        Optional<CommandRecord> run = driver.runCheck("run check");
        run.ifPresent(steps::add);
        boolean accepted = driver.installSucceeded(r);
        boolean runnable = runnable(after, run);
        // the target's own record of what it activated, not the harness's reading of the manifest's version
        boolean activeOk = driver.recordsActive(after, genuineSha256, ev::put);
        ev.put("package SHA-256", genuineSha256);
        ev.put("install exit code", String.valueOf(r.exitCode()));
        ev.put("active before", String.valueOf(before.active()));
        ev.put("active after", String.valueOf(after.active()));
        ev.put("finding codes in output", CaseResults.codesText(driver, r));
        CaseResults.audit(driver, ev, pos);
        String actual = (accepted ? "installed (exit " + r.exitCode() + ")" : "REFUSED (exit " + r.exitCode() + ")")
                + "; " + (activeOk ? "the genuine version is active" : "the active version is not the genuine one")
                + "; " + (runnable ? "runnable" : "NOT runnable");
        return result(id, title, purpose, pre, steps,
                "install succeeds, the genuine version becomes the active one and runs", actual, ev,
                accepted && activeOk && runnable);
    }

    private Optional<String> genuineReport() {
        if (config.trustAnchors().isEmpty()) {
            return Optional.empty();
        }
        try {
            List<X509Certificate> anchors = new ArrayList<>();
            for (Path p : config.trustAnchors()) {
                anchors.addAll(TrustPolicyLoader.readCertificates(null, "--trust", p));
            }
            VerificationReport rep = PackageVerifier.create(TrustPolicy.withAnchors(anchors), config.clock())
                    .verifyCsar(config.genuinePackage());
            return Optional.of("Veripack verifier verdict for the genuine package under the given trust anchors: "
                    + rep.verdict() + (rep.findings().isEmpty() ? "" : " " + rep.findings().stream()
                    .map(f -> f.code().name()).distinct().collect(Collectors.joining(","))));
        } catch (PolicyException | IOException | RuntimeException e) {
            return Optional.of("reference verification of the genuine package not available: " + e.getMessage());
        }
    }

    // ---- TC_SW_PKG_INTEGRITY_1 step 2, invalid packages (the tamper matrix)

    private CaseResult tamperCase(TamperCase tc, HarnessPki pki) throws IOException {
        String expected = "installation refused" + (driver.rejectionExitCode() != null
                ? " with exit code " + driver.rejectionExitCode() : "")
                + (tc.expectedCodes().isEmpty() ? "" : " (finding " + String.join(" or ", tc.expectedCodes()) + ")")
                + "; the previous version stays active and runnable";
        Optional<String> excluded = tc.variant() == null ? Optional.of(tc.notRunReason()) : policyExcludes(tc);
        if (excluded.isPresent()) {
            return notRun(tc.id(), tc.title(), tc.purpose(), List.of(PRECONDITION + tc.precondition()), expected,
                    excluded.get());
        }
        Evidence ev = new Evidence();
        List<String> pre = new ArrayList<>();
        pre.add(PRECONDITION + tc.precondition());
        pre.add("genuine version installed by " + TC + ".step2.valid-package");
        pre.addAll(tc.notes());
        if (tc.signedByTestCa()) {
            pre.add(driver.testCaTrust(pki));
        }
        TargetDriver.ActiveState before = driver.active("status before");
        long pos = driver.auditPosition();
        CommandRecord r = driver.install("install tampered package", tc.variant(), tc.signedByTestCa(), null);
        TargetDriver.ActiveState after = driver.active("status after");
        Optional<CommandRecord> run = driver.runCheck("run check after");
        List<CommandRecord> steps = steps(before.record(), r, after.record());
        run.ifPresent(x -> {
            steps.add(x);
        });
        boolean accepted = driver.installSucceeded(r);
        boolean unchanged = CaseResults.unchanged(before, after, ev);
        boolean runnable = runnable(after, run);
        boolean exitOk = driver.rejectionExitCode() == null || r.exitCode() == driver.rejectionExitCode();
        String found = CaseResults.codesText(driver, r);
        boolean codesOk = tc.expectedCodes().isEmpty() || driver.findingCodes(r)
                .map(codes -> tc.expectedCodes().stream().anyMatch(codes::contains)).orElse(true);
        ev.put("package", tc.variant().getFileName().toString());
        ev.put("package SHA-256", sha256(tc.variant()));
        ev.put("install exit code", String.valueOf(r.exitCode()));
        ev.put("expected finding codes", String.join(", ", tc.expectedCodes()));
        ev.put("finding codes in output", found);
        ev.put("active before", String.valueOf(before.active()));
        ev.put("active after", String.valueOf(after.active()));
        CaseResults.audit(driver, ev, pos);
        List<String> problems = new ArrayList<>();
        if (accepted) {
            problems.add("the tampered package was ACCEPTED (exit " + r.exitCode() + ")");
        } else if (!exitOk) {
            problems.add("refused with exit " + r.exitCode() + " instead of " + driver.rejectionExitCode());
        }
        if (!unchanged) {
            problems.add("the active version CHANGED");
        }
        if (!runnable) {
            problems.add("the active version is NOT runnable afterwards");
        }
        if (!accepted && !codesOk) {
            problems.add("none of the expected finding codes was reported");
        }
        String actual = problems.isEmpty()
                ? "refused (exit " + r.exitCode() + (found.isEmpty() ? "" : ", " + found) + "); previous version "
                        + "still active" + (run.isPresent() ? " and runnable" : "")
                : String.join("; ", problems);
        return result(tc.id(), tc.title(), tc.purpose(), pre, steps, expected, actual, ev, problems.isEmpty());
    }

    /**
     * Why the node's own trust policy lets a correct node accept {@code tc} (so a FAIL would be false), or
     * empty. For a node target that policy is the node's trust store ({@code NODE/config/policy.yaml}); the
     * defaults refuse both.
     */
    private Optional<String> policyExcludes(TamperCase tc) throws IOException {
        Optional<Path> policy = driver.trustPolicy();
        if (policy.isEmpty()) {
            return Optional.empty();
        }
        if (tc.id().equals(TamperMatrix.NON_CODE_SIGNING_ID) && PolicyFiles.setsFalse(policy.get(), "requireCodeSigningEku")) {
            return Optional.of("the node's trust policy sets requireCodeSigningEku: false: the node accepts a signer "
                    + "certificate without id-kp-codeSigning by configuration");
        }
        if (tc.id().equals(TamperMatrix.DOWNGRADE_ID) && PolicyFiles.setsFalse(policy.get(), "antiRollback")) {
            return Optional.of("the node's trust policy sets antiRollback: false: the node accepts a lower version by "
                    + "configuration");
        }
        return Optional.empty();
    }

    private CaseResult invalidPackagesSummary(List<CaseResult> tampered) {
        String id = TC + ".step2.invalid-packages";
        List<CaseResult> ran = tampered.stream().filter(c -> c.verdict() != CaseVerdict.NOT_RUN).toList();
        List<CaseResult> failed = ran.stream().filter(c -> c.verdict() == CaseVerdict.FAIL).toList();
        Evidence ev = new Evidence();
        for (CaseResult c : tampered) {
            ev.put(c.id(), c.verdict() + (c.notRunReason() != null ? " (" + c.notRunReason() + ")" : ""));
        }
        String purpose = "TS 33.117 §4.2.3.3.5 step 2 / test a): the integrity check is executed for invalid "
                + "(tampered) packages, installation fails and the running version is kept (R1, R3).";
        String expected = "every tamper case below PASSes";
        if (ran.isEmpty()) {
            return notRun(id, "Installation of tampered packages fails", purpose, expected, "no tamper case could run");
        }
        String actual = failed.isEmpty() ? ran.size() + " tamper cases run, all refused"
                : failed.size() + " of " + ran.size() + " tamper cases FAILED: "
                        + failed.stream().map(CaseResult::id).collect(Collectors.joining(", "));
        return result(id, "Installation of tampered packages fails", purpose,
                List.of("tamper variants derived from " + config.genuinePackage().getFileName()), List.of(),
                expected, actual, ev, failed.isEmpty());
    }

    // ---- TC_SW_PKG_INTEGRITY_1 step 3

    private CaseResult accessControl() throws IOException {
        String id = TC + ".step3.access-control";
        List<Path> paths = new ArrayList<>(config.trustAnchors());
        if (config.policyFile() != null) {
            paths.add(config.policyFile());
            paths.addAll(PolicyFiles.referencedFiles(config.policyFile()));
        }
        paths.addAll(config.protectedPaths());
        paths.addAll(driver.programFiles());
        List<AccessControlCheck.Observation> obs = AccessControlCheck.inspect(paths);
        List<AccessControlCheck.Observation> problems = AccessControlCheck.problems(obs);
        Evidence ev = new Evidence();
        ev.put("inspected", obs.stream().map(o -> o.mode() + " " + o.owner() + ":" + o.group() + " " + o.path()
                + (o.problem() != null ? "  <-- " + o.problem() : "")).collect(Collectors.joining("\n")));
        String actual = problems.isEmpty() ? obs.size() + " paths inspected, none writable by other users"
                : problems.size() + " problem(s): " + problems.stream().map(o -> o.path() + " " + o.problem())
                        .collect(Collectors.joining("; "));
        return result(id, "Trusted keys and checking program are access-controlled",
                "TS 33.117 §4.2.3.3.5 step 3: the list of trusted keys (trust anchors / policy) and the checking "
                        + "program's files and state cannot be modified by unauthorised users.",
                List.of("paths: trust anchors or policy (and the files it names), --protect paths"
                        + driver.programFilesDescription()),
                List.of(), "no inspected file or directory is writable by group or others, and no ancestor "
                        + "directory is world-writable without the sticky bit",
                actual, ev, problems.isEmpty());
    }

    // ---- helpers

    private static boolean runnable(TargetDriver.ActiveState after, Optional<CommandRecord> run) {
        if (run.isPresent()) {
            return run.get().exitCode() == 0;
        }
        return after.record() == null || after.record().exitCode() == 0;
    }

    /** SHA-256 (hex) of the DER encoding of the first certificate in a PEM/DER file: its fingerprint. */
    static String sha256Der(Path certificateFile) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(SigningIdentities.readCertificates(certificateFile).get(0).getEncoded()));
        } catch (PolicyException | java.security.cert.CertificateEncodingException e) {
            throw new IOException("cannot read " + certificateFile + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("?");
        }
    }
}
