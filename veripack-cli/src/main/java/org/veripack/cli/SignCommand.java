package org.veripack.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.veripack.core.PolicyException;
import org.veripack.core.ProgressListener;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.core.sign.TimestampAuthority;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veripack sign (--key KEY --cert CERT | --pkcs12 P12 [--key-pass PASS]
 * | --pkcs11 CONFIG --key-label L [--key-pass PIN] [--cert CERT]) [--chain PEM] [--tsa URL]
 * (--csar DIR [--name N] [--version V] [--provider P] [--release-date-time T] [--digest ALG] [--store] [--option2]
 * | --detached FILE) --out OUT} (docs/guide.md "Sign a package: what sign --csar fills in, and what it refuses"). {@code --tsa} adds an RFC 3161 time-stamp token to the
 * SignerInfo. Writes an SOL004 option-1 CSAR (or option 2 with {@code --option2}) that {@code CsarSigner} makes
 * conformant, printing on stderr one line per metadata key with its source and one per file added or replaced,
 * or a detached CMS SignedData ({@code FILE.p7s}, DER). Exit 0 written, 2 usage/configuration error (missing or
 * unreadable key/certificate/input, bad option, unpackable directory, missing metadata, and everything a verifier
 * or node would refuse: signer certificate, uninstallable name or version) with nothing written, 3 I/O error.
 */
@Command(name = "sign",
        description = {"Sign a package directory as an ETSI SOL004 VNF package (CSAR), or any file with a detached CMS signature.",
                "",
                "--csar makes the directory conformant without changing it: every file is listed in the manifest; TOSCA.meta is"
                        + " kept (the SOL004 entries it lacks added) or created; a change log (Files/ChangeLog.txt) and the signer"
                        + " certificate (ETSI-Entry-Certificate) are added; a manifest already in the directory is regenerated under"
                        + " its name. Metadata: vnf_product_name, vnf_provider_id, vnf_package_version, vnf_release_date_time,"
                        + " plus vnfd_id and vnf_software_version, from the options, else from the main VNFD's VNF node"
                        + " (product_name, provider, software_version, descriptor_id); provider last from the certificate,"
                        + " release time from the clock. One line on stderr says where each value came from.",
                "",
                "Refused (exit 2, nothing written), as verify or install would refuse it: a signer certificate a verifier"
                        + " with the default policy rejects (no digitalSignature or no codeSigning EKU, e.g. a CA certificate;"
                        + " expired or not yet valid; weak key or signature algorithm); a name a node cannot use"
                        + " ([A-Za-z0-9][A-Za-z0-9._+-]*, at most 128); a version the node cannot order: it must be a Debian"
                        + " version [epoch:]upstream[-revision], upstream starting with a digit, letters, digits and . + ~ - only"
                        + " (2.1, 1:2.1-3, 2.1~rc1; not v2.1 or \"2.1 beta\"); a TOSCA.meta block whose Hash does not match its file.",
                ""})
final class SignCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--key", paramLabel = "KEY", description = "Private key, PEM PKCS#8 (EC P-256/P-384, RSA >= 2048, Ed25519).")
    Path key;

    @Option(names = "--cert", paramLabel = "CERT", description = "Signer certificate (PEM/DER).")
    Path cert;

    @Option(names = "--pkcs12", paramLabel = "P12", description = "PKCS#12 file with the key and certificate (instead of --key/--cert).")
    Path pkcs12;

    @Option(names = "--key-pass", paramLabel = "PASS", description = "PKCS#12 password or PKCS#11 PIN: 'pass:TEXT', 'env:VAR' or 'file:PATH'.")
    String keyPass;

    @Option(names = "--pkcs11", paramLabel = "CONFIG", description = "SunPKCS11 configuration file of the HSM/token holding the key.")
    Path pkcs11;

    @Option(names = "--key-label", paramLabel = "L", description = "With --pkcs11: label (alias) of the key entry on the token.")
    String keyLabel;

    @Option(names = "--tsa", paramLabel = "URL", description = "RFC 3161 time-stamping authority (http) to time-stamp the signature.")
    java.net.URI tsa;

    @Option(names = "--chain", paramLabel = "PEM", description = "Intermediate certificates to embed in the CMS (PEM bundle).")
    Path chain;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    /** What to sign. */
    static final class Input {
        @Option(names = "--csar", paramLabel = "DIR", required = true, description = "Directory to package as an SOL004 CSAR (file modes and symlinks are signed: Veripack-Mode).")
        Path csarDir;

        @Option(names = "--detached", paramLabel = "FILE", required = true, description = "File to sign with a detached CMS signature.")
        Path detachedFile;
    }

    @Option(names = "--name", description = "Package name (vnf_product_name); default: the VNFD's product_name.")
    String name;

    @Option(names = "--version", description = "Package version (vnf_package_version), a Debian version; default: the VNFD's software_version.")
    String version;

    @Option(names = "--provider", description = "Provider (vnf_provider_id); default: the VNFD's provider, else the signer certificate's O or CN.")
    String provider;

    @Option(names = {"--release-date-time", "--release-time"}, paramLabel = "RFC3339",
            description = "vnf_release_date_time, e.g. 2026-01-31T12:00:00Z; default: now.")
    String releaseTime;

    @Option(names = "--digest", paramLabel = "ALG", defaultValue = "SHA-256", description = "Artifact digest: SHA-256 (default), SHA-384, SHA-512.")
    String digest;

    @Option(names = "--option2", description = "Write SOL004 option 2: an outer zip with the CSAR, its .cms and .cert.")
    boolean option2;

    @Option(names = "--store", description = "Store artifacts uncompressed (zip STORED) instead of DEFLATED; for already-compressed images.")
    boolean store;

    @Mixin
    ProgressOptions progressOptions = new ProgressOptions();

    @Option(names = "--out", paramLabel = "OUT", description = "Output file in an existing directory (default for --detached: FILE.p7s).")
    Path out;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            SigningIdentity identity = identity();
            Clock clock = Clock.systemUTC();
            TimestampAuthority authority = timestampAuthority(tsa);
            ProgressListener progress = progressOptions.listener(err, "sign", false);
            if (input.detachedFile != null) {
                VerifyCommand.requireFile(input.detachedFile, "--detached");
                Path target = out != null ? out : Path.of(input.detachedFile + ".p7s");
                VerifyCommand.requireWritableTarget(target, "--out");
                CsarSigner.writeDetached(identity, clock, authority, input.detachedFile, target, progress);
                err.println("veripack sign: wrote detached CMS signature " + target);
            } else {
                if (!Files.isDirectory(input.csarDir)) {
                    throw new VerifyCommand.UsageError("--csar: no directory " + input.csarDir);
                }
                if (out == null) {
                    throw new VerifyCommand.UsageError("--csar needs --out");
                }
                VerifyCommand.requireWritableTarget(out, "--out");
                CsarSigner signer = CsarSigner.builder(identity).name(name).version(version).provider(provider)
                        .releaseTime(releaseTime).digestAlgorithm(digest).storeArtifacts(store).clock(clock).timestampAuthority(authority).progress(progress).build();
                CsarSigner.Result result = option2 ? signer.writeOption2(input.csarDir, out) : signer.writeOption1(input.csarDir, out);
                for (CsarSigner.MetadataValue m : result.metadata()) {
                    err.println("veripack sign: " + m.key() + ": " + m.value() + " (from " + source(m) + ")");
                }
                result.notes().forEach(n -> err.println("veripack sign: " + n));
                err.println("veripack sign: wrote SOL004 CSAR option " + (option2 ? 2 : 1) + " " + out);
            }
            err.flush();
            return ExitCode.OK;
        } catch (VerifyCommand.UsageError | PolicyException | IllegalArgumentException e) {
            err.println("veripack sign: " + e.getMessage());
            err.flush();
            return ExitCode.USAGE;
        } catch (IOException | RuntimeException e) {
            err.println("veripack sign: I/O error: " + VerifyCommand.describe(e));
            err.flush();
            return ExitCode.IO;
        }
    }

    /** Where a metadata value came from, in the terms of this command's options. */
    private static String source(CsarSigner.MetadataValue m) {
        if (m.source() != CsarSigner.Source.GIVEN) {
            return m.describeSource();
        }
        return switch (m.key()) {
            case "vnf_product_name" -> "--name";
            case "vnf_package_version", "vnf_software_version" -> "--version";
            case "vnf_provider_id" -> "--provider";
            default -> "--release-date-time";
        };
    }

    /** The TSA of {@code --tsa}, or null. */
    static TimestampAuthority timestampAuthority(java.net.URI url) throws VerifyCommand.UsageError {
        if (url == null) {
            return null;
        }
        if (!"http".equalsIgnoreCase(url.getScheme()) && !"https".equalsIgnoreCase(url.getScheme())) {
            throw new VerifyCommand.UsageError("--tsa must be an http(s) URL: " + url);
        }
        return TimestampAuthority.http(url, java.time.Duration.ofSeconds(30));
    }

    private SigningIdentity identity() throws PolicyException, VerifyCommand.UsageError, IOException {
        if (chain != null) {
            VerifyCommand.requireFile(chain, "--chain");
        }
        if (pkcs11 != null) {
            if (key != null || pkcs12 != null || keyLabel == null) {
                throw new VerifyCommand.UsageError("--pkcs11 needs --key-label and excludes --key/--pkcs12");
            }
            VerifyCommand.requireFile(pkcs11, "--pkcs11");
            if (cert != null) {
                VerifyCommand.requireFile(cert, "--cert");
            }
            return SigningIdentities.fromPkcs11(pkcs11, keyLabel, password(), cert, chain);
        }
        if (pkcs12 != null) {
            if (key != null || cert != null) {
                throw new VerifyCommand.UsageError("use either --pkcs12 or --key/--cert");
            }
            VerifyCommand.requireFile(pkcs12, "--pkcs12");
            return SigningIdentities.fromPkcs12(pkcs12, password(), chain);
        }
        if (key == null || cert == null) {
            throw new VerifyCommand.UsageError("--key and --cert (or --pkcs12) are required");
        }
        VerifyCommand.requireFile(key, "--key");
        VerifyCommand.requireFile(cert, "--cert");
        return SigningIdentities.fromPem(key, cert, chain);
    }

    private char[] password() throws VerifyCommand.UsageError, IOException {
        return secret(keyPass);
    }

    /**
     * A {@code --key-pass} value: {@code pass:TEXT}, {@code env:VAR}, {@code file:PATH} (first line) or the text itself;
     * empty when null. Also the PKCS#11 PIN of {@code repo --pkcs11}.
     *
     * @throws VerifyCommand.UsageError when the variable is unset or the file missing
     */
    static char[] secret(String keyPass) throws VerifyCommand.UsageError, IOException {
        if (keyPass == null) {
            return new char[0];
        }
        if (keyPass.startsWith("pass:")) {
            return keyPass.substring(5).toCharArray();
        }
        if (keyPass.startsWith("env:")) {
            String v = System.getenv(keyPass.substring(4));
            if (v == null) {
                throw new VerifyCommand.UsageError("--key-pass: environment variable " + keyPass.substring(4) + " is not set");
            }
            return v.toCharArray();
        }
        if (keyPass.startsWith("file:")) {
            Path p = Path.of(keyPass.substring(5));
            VerifyCommand.requireFile(p, "--key-pass");
            return Files.readString(p, StandardCharsets.UTF_8).strip().toCharArray();
        }
        return keyPass.toCharArray();
    }
}
