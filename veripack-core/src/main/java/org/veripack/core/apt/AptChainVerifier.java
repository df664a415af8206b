package org.veripack.core.apt;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PolicyException;
import org.veripack.core.ProgressListener;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.apt.AptChainCheck;
import org.veripack.core.internal.apt.OpenPgpKeyring;

/**
 * The APT counterpart of {@link org.veripack.core.PackageVerifier}: verifies a {@code .deb} through a
 * Debian archive's OpenPGP chain (docs/guide.md "Verify through the Debian channel"; Debian wiki "DebianRepository/Format";
 * apt-secure(8)), with the same trust policy, injected {@link Clock} and {@link VerificationReport}
 * ({@link PackageFormat#APT_CHAIN}). A pure function of (files, policy keyrings, time) to a report.
 *
 * <h2>The chain and its checks</h2>
 * <ol>
 *   <li><b>Release signature</b>: {@code InRelease} is one strictly framed OpenPGP cleartext signed
 *       message (RFC 9580 §7): text before or after the block, a second block, or a dash-escaping error
 *       → {@link FindingCode#MALFORMED_PACKAGE}. Or {@code Release} + detached {@code Release.gpg}
 *       (binary or armored). Several signatures may be present (Debian signs with two or three keys):
 *       at least one must be good by a key of the policy's {@link TrustPolicy#openpgpKeyrings() keyrings};
 *       any signature that does not verify → {@link FindingCode#SIGNATURE_INVALID}; when none is good,
 *       each signature's reason is a finding: key outside the keyring or subkey without a valid binding
 *       and back-signature (grafted) → {@link FindingCode#SIGNER_UNTRUSTED}; SHA-1/MD5/RIPEMD-160
 *       digest or RSA/DSA key below {@code minRsaKeyBits} → {@link FindingCode#ALGORITHM_REJECTED};
 *       expired key → {@link FindingCode#CERT_EXPIRED}; revoked → {@link FindingCode#CERT_REVOKED};
 *       key flags without "sign data" → {@link FindingCode#KEY_USAGE_INVALID}. When one is good, the
 *       others (unknown key, expired, weak) are warnings.</li>
 *   <li><b>Freshness</b>: {@code Valid-Until} at or before the verification time →
 *       {@link FindingCode#METADATA_EXPIRED}. ({@code Date} in the future is not checked.)</li>
 *   <li><b>Packages index</b>: plain, gzip, xz or LZ4 frame (detected from its magic bytes); its
 *       <em>uncompressed</em> size and SHA-256 must equal a {@code .../Packages} entry of the Release's
 *       {@code SHA256} list → else {@link FindingCode#DIGEST_MISMATCH}. MD5Sum/SHA1 lists are never used.</li>
 *   <li><b>.deb</b>: the stanza is selected by the {@code Package}, {@code Version} and
 *       {@code Architecture} read from the .deb's own {@code control} (commons-compress ar + tar), or,
 *       when that is unreadable, by {@code Filename} basename equal to the .deb's file name; the
 *       .deb's size and SHA-256 must equal the stanza's ({@link FindingCode#DIGEST_MISMATCH}); no stanza →
 *       {@link FindingCode#ARTIFACT_UNLISTED}; two stanzas for the same name, version and architecture
 *       with different digests → {@link FindingCode#ARTIFACT_DUPLICATE} (ambiguous signed data; the
 *       .deb's local file name is otherwise not trusted nor required to match).</li>
 * </ol>
 *
 * <h2>Report</h2>
 * {@link VerificationReport#signers()} holds one {@link org.veripack.core.SignerSummary} per good
 * signature: subject = the certificate's first user ID, {@code fingerprintSha256} = the OpenPGP
 * fingerprint (upper-case hex) of the key that signed, certification path = [that key, its primary
 * key] (one element when the primary key signed). {@link VerificationReport#artifacts()} is the chain
 * of digests checked: the (In)Release file as read, the Packages index entry (path as in the Release,
 * uncompressed size and SHA-256), the .deb (path = its {@code Filename}). The identity is the stanza's
 * Package and Version, the Release's Origin and Date. The apt chain yields a report only: installation
 * ({@code VerifiedPackage}) needs a signed CSAR, whose manifest carries what the
 * node seals and the guard re-verifies (docs/node.md "Install sequence").
 */
public final class AptChainVerifier {
    private final TrustPolicy policy;
    private final Clock clock;
    private final OpenPgpKeyring keyring;
    private final ProgressListener progress;

    private AptChainVerifier(TrustPolicy policy, Clock clock, OpenPgpKeyring keyring, ProgressListener progress) {
        this.policy = policy;
        this.clock = clock;
        this.keyring = keyring;
        this.progress = progress;
    }

    /**
     * A verifier for {@code policy}'s OpenPGP keyrings, validating at {@code clock.instant()} (read once
     * per verification).
     *
     * @throws PolicyException when the policy names no keyring, or a keyring is unreadable, not OpenPGP,
     *                         holds a secret key or no public key (CLI exit code 2)
     */
    public static AptChainVerifier create(TrustPolicy policy, Clock clock) throws PolicyException {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(clock, "clock");
        return new AptChainVerifier(policy, clock, OpenPgpKeyring.load(policy.openpgpKeyrings()), ProgressListener.NONE);
    }

    /**
     * This verifier, telling {@code progress} how far the {@code .deb}'s hashing pass has got (step
     * {@code "hashing FILE"}, total: the file's bytes, counted per block read).
     */
    public AptChainVerifier withProgress(ProgressListener progress) {
        return new AptChainVerifier(policy, clock, keyring, Objects.requireNonNull(progress, "progress"));
    }

    public TrustPolicy policy() { return policy; }

    public Clock clock() { return clock; }

    /**
     * Verifies {@code deb} through a clearsigned {@code InRelease}.
     *
     * @param inRelease     the clearsigned Release file
     * @param packagesIndex a {@code Packages} index listed in it (plain, .gz, .xz or .lz4)
     * @param deb           the package file
     * @return the report listing every finding; bad content never throws
     * @throws IOException when a file cannot be read (CLI exit code 2 for a missing input, 3 otherwise)
     */
    public VerificationReport verifyInRelease(Path inRelease, Path packagesIndex, Path deb) throws IOException {
        return new AptChainCheck(keyring, policy, clock.instant(), inRelease, null, packagesIndex, deb, progress).run();
    }

    /**
     * Verifies {@code deb} through {@code Release} and its detached signature {@code Release.gpg}
     * (binary or armored; the signature covers the Release bytes as they are).
     *
     * @throws IOException when a file cannot be read
     */
    public VerificationReport verifyRelease(Path release, Path releaseSignature, Path packagesIndex, Path deb)
            throws IOException {
        Objects.requireNonNull(releaseSignature, "releaseSignature");
        return new AptChainCheck(keyring, policy, clock.instant(), release, releaseSignature, packagesIndex, deb, progress).run();
    }
}
