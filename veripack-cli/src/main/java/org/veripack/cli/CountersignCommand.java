package org.veripack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PolicyException;
import org.veripack.core.ReportFormat;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.CsarCountersigner;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.core.sign.SigningIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veripack countersign --key KEY --cert CERT [--chain PEM] [--tsa URL] --in CSAR --out CSAR}: adds
 * this signer's SignerInfo (e.g. the operator's, after the vendor's) to the CMS signature of an existing
 * SOL004 CSAR, option 1 or 2 ({@link CsarCountersigner}). The input's integrity is verified first (artifact
 * digests and modes against the manifest, the existing signature value, path rules; not trust): a CSAR that
 * fails is refused with its findings on stderr and nothing is written. Exit 0 written, 1 refused
 * ({@code DIGEST_MISMATCH}, {@code SIGNATURE_INVALID}, ...), 2 usage/configuration error (missing file, not
 * a signed CSAR, bad key), 3 I/O error.
 */
@Command(name = "countersign", mixinStandardHelpOptions = true,
        description = "Add a further signer (e.g. the operator) to a signed SOL004 CSAR.")
final class CountersignCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--key", paramLabel = "KEY", required = true, description = "Private key, PEM PKCS#8.")
    Path key;

    @Option(names = "--cert", paramLabel = "CERT", required = true, description = "Signer certificate (PEM/DER).")
    Path cert;

    @Option(names = "--chain", paramLabel = "PEM", description = "Intermediate certificates to embed in the CMS.")
    Path chain;

    @Option(names = "--tsa", paramLabel = "URL", description = "RFC 3161 time-stamping authority for the new SignerInfo.")
    java.net.URI tsa;

    @Option(names = "--in", paramLabel = "CSAR", required = true, description = "The signed CSAR.")
    Path in;

    @Option(names = "--out", paramLabel = "CSAR", required = true, description = "Where to write the countersigned CSAR (may be --in).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            VerifyCommand.requireFile(key, "--key");
            VerifyCommand.requireFile(cert, "--cert");
            VerifyCommand.requireFile(in, "--in");
            VerifyCommand.requireWritableTarget(out, "--out");
            if (chain != null) {
                VerifyCommand.requireFile(chain, "--chain");
            }
            SigningIdentity identity = SigningIdentities.fromPem(key, cert, chain);
            CmsSigner signer = CmsSigner.builder(identity).clock(Clock.systemUTC())
                    .timestampAuthority(SignCommand.timestampAuthority(tsa)).build();
            new CsarCountersigner(signer).countersign(in, out);
            err.println("veripack countersign: wrote " + out);
            err.flush();
            return ExitCode.OK;
        } catch (PackageRejectedException e) {
            err.print(ReportFormat.toText(e.report()));
            err.println("veripack countersign: " + in + " does not verify against its own manifest and signature; nothing written");
            err.flush();
            return ExitCode.REJECTED;
        } catch (VerifyCommand.UsageError | PolicyException | IllegalArgumentException e) {
            err.println("veripack countersign: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        } catch (IOException | RuntimeException e) {
            err.println("veripack countersign: I/O error: " + VerifyCommand.describe(e));
            err.flush();
            return ExitCode.IO;
        }
    }
}
