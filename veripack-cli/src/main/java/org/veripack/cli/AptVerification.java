package org.veripack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.veripack.core.PolicyException;
import org.veripack.core.ProgressListener;
import org.veripack.core.ReportFormat;
import org.veripack.core.SignerSummary;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.VerificationReport;
import org.veripack.core.apt.AptChainVerifier;

/**
 * Runs {@code veripack verify --apt-release ...}: the apt chain through
 * {@link AptChainVerifier}, printed like every verification ({@code --json}: one
 * {@link ReportFormat#toJson} document on stdout; always {@link ReportFormat#toText} plus one
 * {@code signer FINGERPRINT USER-ID} line per good signature on stderr, as {@code VerifyCommand} does).
 * Exit codes (docs/reference.md "Exit codes"): 0 ACCEPTED, 1 REJECTED, 2 usage/configuration (missing option or input file,
 * bad policy or keyring), 3 I/O error while reading.
 */
final class AptVerification {
    private AptVerification() { }

    /**
     * @param policyFile the {@code --policy} file, or null
     * @param keyrings   the {@code --keyring} files (empty when {@code --policy} is given)
     * @param clock      the verification clock ({@code --at} fixed, or the system clock)
     * @param progress   told how far the {@code .deb}'s hashing has got
     */
    static int run(AptOptions apt, Path policyFile, List<Path> keyrings, Clock clock, boolean json, Path deb,
                   PrintWriter out, PrintWriter err, ProgressListener progress) {
        List<String> missing = new ArrayList<>();
        if (apt.release == null) {
            missing.add("--apt-release");
        }
        if (apt.packages == null) {
            missing.add("--apt-packages");
        }
        if (deb == null) {
            missing.add("PKG.deb");
        }
        if (!missing.isEmpty()) {
            return usage(err, "the apt chain needs " + String.join(", ", missing));
        }
        if (keyrings.isEmpty() == (policyFile == null)) {
            return usage(err, "give exactly one of --keyring KEYRING ... or --policy POLICY.yaml");
        }
        List<Path> inputs = new ArrayList<>(List.of(apt.release, apt.packages, deb));
        if (apt.releaseSignature != null) {
            inputs.add(apt.releaseSignature);
        }
        for (Path p : inputs) {
            try {
                VerifyCommand.requireFile(p, p == deb ? "PACKAGE" : "apt input");
            } catch (VerifyCommand.UsageError e) {
                return usage(err, e.getMessage());
            }
        }
        try {
            TrustPolicy policy = policyFile != null ? TrustPolicyLoader.load(policyFile) : TrustPolicy.withKeyrings(keyrings);
            AptChainVerifier verifier = AptChainVerifier.create(policy, clock).withProgress(progress);
            VerificationReport report = apt.releaseSignature == null
                    ? verifier.verifyInRelease(apt.release, apt.packages, deb)
                    : verifier.verifyRelease(apt.release, apt.releaseSignature, apt.packages, deb);
            if (json) {
                out.println(ReportFormat.toJson(report));
            }
            err.print(ReportFormat.toText(report));
            for (SignerSummary s : report.signers()) {
                err.println("  signer " + s.fingerprintSha256() + " " + s.subject());
            }
            out.flush();
            err.flush();
            return report.accepted() ? ExitCode.OK : ExitCode.REJECTED;
        } catch (PolicyException e) {
            return usage(err, e.getMessage());
        } catch (NoSuchFileException e) {
            return usage(err, "cannot read " + e.getFile());
        } catch (IOException e) {
            err.println("veripack: I/O error: " + e.getMessage());
            err.flush();
            return ExitCode.IO;
        }
    }

    private static int usage(PrintWriter err, String message) {
        err.println("veripack verify: " + message);
        err.flush();
        return ExitCode.USAGE;
    }
}
