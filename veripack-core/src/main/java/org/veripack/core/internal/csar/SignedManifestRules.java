package org.veripack.core.internal.csar;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageIdentity;
import org.veripack.core.RevocationSource;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.cms.SignedContent;
import org.veripack.core.internal.manifest.DigestAlgorithms;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * The rules of a signed SOL004 option-1 manifest: which entries it binds and how. The one owner for install and
 * verify ({@link CsarVerifier}, which adds what needs the archive: missing and unlisted files, digests, the zip
 * entries' types and modes, the TOSCA.meta role of a file listed without a digest) and for the node's guard,
 * {@code verify-installed} and rollback ({@link #verifySealed}, the manifest alone, sealed at install), so the two
 * cannot disagree on the same bytes ({@code InstallGuardAgreementTest}).
 * <ul>
 *   <li>the signature: the CMS block over one of {@link Manifest#signedContents()} (SOL004 §5.4, RFC 5652 §5.4),
 *       with a certification path to the policy's anchors at the given instant (RFC 5280 §6)
 *       ({@link #verifySignature});</li>
 *   <li>the signed identity from the metadata block (SOL004 §4.3.2, {@code docs/signed-metadata.md}) ({@link #identity});</li>
 *   <li>each artifact's {@code Source}: a path that {@link PathRules} accepts, else {@code UNSAFE_PATH}; or a URI, an
 *       external artifact ({@link #external}) installed at its {@link ExternalSource#installPath()}; listed once by
 *       collision key ({@link PathRules#collisionKey}), else {@code ARTIFACT_DUPLICATE} ({@link #localPath});</li>
 *   <li>its digest: {@code Algorithm} and {@code Hash} both or neither ({@code MALFORMED_PACKAGE}), an algorithm the
 *       policy allows ({@code ALGORITHM_REJECTED}) ({@link #digest}); an entry with neither binds nothing;</li>
 *   <li>its signed type and permission bits ({@code Veripack-Mode}, {@link #signedType}, {@link #signedPermissions}).</li>
 * </ul>
 */
public final class SignedManifestRules {
    private SignedManifestRules() { }

    /** An artifact's signed digest: JCA algorithm name and the {@code Hash} value trimmed, lower case. */
    public record SignedDigest(String algorithm, String hashHex) { }

    /**
     * An external artifact as the manifest binds it: where it is installed, its signed digest and permission bits
     * ({@link CsarPlan#UNSIGNED_FILE_MODE} without {@code Veripack-Mode}); always a regular file.
     */
    public record ExternalBinding(ExternalSource source, SignedDigest digest, Integer signedPermissions) {
        int mode() { return signedPermissions == null ? CsarPlan.UNSIGNED_FILE_MODE : signedPermissions; }
    }

    /**
     * The manifest's CMS block over one of {@link Manifest#signedContents()} (SOL004 §5.4, RFC 5652 §5.4), the one
     * signature check of an option-1 manifest for every reader.
     *
     * @throws IOException never in practice (the content is in memory)
     */
    public static SignatureCheckResult verifySignature(Manifest manifest, List<X509Certificate> certificates, TrustPolicy policy,
                                                       Instant at, RevocationSource revocation) throws IOException {
        List<SignedContent> contents = new ArrayList<>();
        for (byte[] c : manifest.signedContents()) {
            contents.add(() -> new ByteArrayInputStream(c));
        }
        return CmsSignatureVerifier.verifyOneOf(manifest.cmsPem(), contents, certificates, policy, at, revocation);
    }

    /** The signed identity, or empty after the {@code MALFORMED_PACKAGE} finding naming the missing keys on {@code subject}. */
    public static Optional<PackageIdentity> identity(Manifest manifest, String subject, Consumer<Finding> out) {
        Optional<PackageIdentity> id = manifest.identity();
        if (id.isEmpty()) {
            out.accept(manifest.noIdentityFinding(subject));
        }
        return id;
    }

    /**
     * The normalised path a (non-URI) {@code Source} binds, or empty after {@code UNSAFE_PATH} (a path
     * {@link PathRules} refuses; subject: the {@code Source} as written) or {@code ARTIFACT_DUPLICATE} (a path listed
     * before, by collision key; {@code seen} maps collision keys to the {@code Source} that took them).
     */
    public static Optional<String> localPath(Manifest.Entry m, Map<String, String> seen, Consumer<Finding> out) {
        Optional<String> unsafe = PathRules.unsafeReason(m.source());
        if (unsafe.isPresent()) {
            out.accept(Finding.of(FindingCode.UNSAFE_PATH, ZipArchive.printable(m.source()), "manifest Source " + unsafe.get()));
            return Optional.empty();
        }
        String path = PathRules.normalise(m.source());
        String earlier = seen.putIfAbsent(PathRules.collisionKey(path), m.source());
        if (earlier != null) {
            out.accept(Finding.mismatch(FindingCode.ARTIFACT_DUPLICATE, path, "manifest lists the artifact twice", earlier, m.source()));
            return Optional.empty();
        }
        return Optional.of(path);
    }

    /** True when the block has neither {@code Algorithm} nor {@code Hash}: it lists a file and binds no bytes. */
    public static boolean listedOnly(Manifest.Entry m) {
        return m.algorithm() == null && m.hash() == null;
    }

    /**
     * The signed digest of a block that has one: empty after {@code MALFORMED_PACKAGE} (only one of {@code Algorithm}
     * and {@code Hash}) or {@code ALGORITHM_REJECTED} ({@link #allowedDigest}). A {@code Hash} that is not a well-formed
     * digest is kept as written: it cannot match (install: {@code DIGEST_MISMATCH}).
     *
     * @throws IllegalArgumentException for a block that is {@link #listedOnly}
     */
    public static Optional<SignedDigest> digest(Manifest.Entry m, String subject, TrustPolicy policy, Consumer<Finding> out) {
        if (listedOnly(m)) {
            throw new IllegalArgumentException("a block without Algorithm and Hash has no digest: " + subject);
        }
        if (m.algorithm() == null || m.hash() == null) {
            out.accept(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, "manifest entry has only one of Algorithm and Hash"));
            return Optional.empty();
        }
        return allowedDigest(policy, m.algorithm(), subject, "", out)
                .map(alg -> new SignedDigest(alg, m.hash().strip().toLowerCase(Locale.ROOT)));
    }

    /**
     * The JCA name of a digest algorithm as a manifest or TOSCA.meta block writes it ({@link DigestAlgorithms}), or
     * empty after an {@code ALGORITHM_REJECTED} finding on {@code subject} when it is unknown or not in the policy's
     * {@code allowedDigestAlgorithms}; the one algorithm rule for artifact digests.
     *
     * @param context prefix of the finding's detail (where the algorithm was written), may be empty
     */
    public static Optional<String> allowedDigest(TrustPolicy policy, String written, String subject, String context,
                                                 Consumer<Finding> out) {
        Optional<String> alg = DigestAlgorithms.canonical(written);
        if (alg.isEmpty() || !policy.allowedDigestAlgorithms().contains(alg.get())) {
            out.accept(Finding.mismatch(FindingCode.ALGORITHM_REJECTED, subject, context + "digest algorithm not allowed by the trust policy",
                    String.join(",", new TreeSet<>(policy.allowedDigestAlgorithms())), written));
            return Optional.empty();
        }
        return alg;
    }

    /**
     * One block whose {@code Source} is a URI ({@link ExternalSource}): it needs {@code Algorithm} and {@code Hash}
     * (nothing else covers its bytes; else {@code MALFORMED_PACKAGE}), an allowed algorithm ({@code ALGORITHM_REJECTED}),
     * a regular-file {@code Veripack-Mode} if any ({@code MALFORMED_PACKAGE}), when {@code fetching} the policy's leave
     * ({@code externalArtifacts: fetch} and {@code https}, or {@code http} from a host in
     * {@code externalArtifactHttpHosts}; {@code ARTIFACT_EXTERNAL}), a slot path ({@code ARTIFACT_EXTERNAL}) listed once
     * by collision key ({@code ARTIFACT_DUPLICATE}). Findings name the URI as written.
     *
     * @param fetching false when the package is not fetched from here: the node re-verifying what it installed (the
     *                 leave was the install's decision)
     */
    public static Optional<ExternalBinding> external(Manifest.Entry m, ExternalSource x, TrustPolicy policy, boolean fetching,
                                                     Map<String, String> seen, Consumer<Finding> out) {
        String subject = ZipArchive.printable(x.source());
        if (m.algorithm() == null || m.hash() == null) {
            out.accept(Finding.of(FindingCode.MALFORMED_PACKAGE, subject, "external artifact (Source is a URI) without Algorithm and"
                    + " Hash: nothing covers its bytes"));
            return Optional.empty();
        }
        Optional<String> alg = allowedDigest(policy, m.algorithm(), subject, "", out);
        if (alg.isEmpty()) {
            return Optional.empty();
        }
        if (m.mode() != null && (m.mode() & 0170000) != VeripackMode.REGULAR) {
            out.accept(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, subject, "an external artifact is a regular file",
                    "100ppp", VeripackMode.format(m.mode())));
            return Optional.empty();
        }
        if (fetching && !fetchAllowed(x, policy, subject, out)) {
            return Optional.empty();
        }
        Optional<String> unmappable = x.unmappableReason();
        if (unmappable.isPresent()) {
            out.accept(Finding.of(FindingCode.ARTIFACT_EXTERNAL, subject, "external artifact not fetched (externalArtifacts: fetch): "
                    + unmappable.get()));
            return Optional.empty();
        }
        String earlier = seen.putIfAbsent(PathRules.collisionKey(x.installPath()), x.source());
        if (earlier != null) {
            out.accept(Finding.mismatch(FindingCode.ARTIFACT_DUPLICATE, subject, "manifest lists the artifact twice (an external"
                    + " artifact is installed as " + x.installPath() + ")", earlier, x.source()));
            return Optional.empty();
        }
        return Optional.of(new ExternalBinding(x, new SignedDigest(alg.get(), m.hash().strip().toLowerCase(Locale.ROOT)),
                signedPermissions(m)));
    }

    /** The policy's leave to fetch {@code x}, or false after {@code ARTIFACT_EXTERNAL}. */
    private static boolean fetchAllowed(ExternalSource x, TrustPolicy policy, String subject, Consumer<Finding> out) {
        if (policy.externalArtifacts() != TrustPolicy.ExternalArtifacts.FETCH) {
            out.accept(Finding.of(FindingCode.ARTIFACT_EXTERNAL, subject, "external artifact (Source is a URI, not a file of the"
                    + " package): the trust policy does not fetch external artifacts (externalArtifacts: reject;"
                    + " set externalArtifacts: fetch to download and check it)"));
            return false;
        }
        boolean https = x.scheme().equals("https");
        boolean http = x.scheme().equals("http") && policy.externalArtifactHttpHosts().contains(x.host());
        if (!https && !http) {
            out.accept(Finding.of(FindingCode.ARTIFACT_EXTERNAL, subject, x.scheme().equals("http")
                    ? "plain http from " + x.host() + ", a host not in the trust policy's externalArtifactHttpHosts"
                            + " (externalArtifacts: fetch uses https, or http only from the hosts listed there)"
                    : "scheme '" + x.scheme() + "' is not fetched (externalArtifacts: fetch uses https, or http from"
                            + " externalArtifactHttpHosts)"));
            return false;
        }
        return true;
    }

    /** {@link ArtifactType#SYMLINK} or {@link ArtifactType#FILE} as {@code Veripack-Mode} signs it, or null without one. */
    public static ArtifactType signedType(Manifest.Entry m) {
        if (m.mode() == null) {
            return null;
        }
        return m.mode() == VeripackMode.SYMLINK ? ArtifactType.SYMLINK : ArtifactType.FILE;
    }

    /** The permission bits {@code Veripack-Mode} signs (0 for a symlink: links have none), or null without one. */
    public static Integer signedPermissions(Manifest.Entry m) {
        return m.mode() == null ? null : m.mode() & 0777;
    }

    /**
     * A manifest on its own (no archive), as a node sealed it at install ({@code VerifiedPackage#manifestBytes()}):
     * parse, signature at {@code at}, identity, and every entry's rule above; an external artifact is bound at its slot
     * path without the policy's leave to fetch (made at install). The policy's {@code signers} rules are not applied
     * (they name packages and were applied at install).
     *
     * @param certificates certificates shipped beside the manifest; may be empty
     * @return the report and, when ACCEPTED, every entry with a signed digest in manifest order
     * @throws IOException never for bad input (that is a finding); only if the in-memory content fails to read
     */
    public static SignedManifest verifySealed(byte[] manifestBytes, List<X509Certificate> certificates, TrustPolicy policy,
                                              Instant at, RevocationSource revocation) throws IOException {
        VerificationReport.Builder b = VerificationReport.builder(PackageFormat.CSAR_OPTION_1, at)
                .packageSha256(Digests.hex("SHA-256", manifestBytes));
        Manifest manifest = ManifestParser.parse(manifestBytes);
        manifest.findings().forEach(b::finding);
        manifest.warnings().forEach(b::warning);
        if (!manifest.hasCms()) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "manifest", "sealed manifest has no -----BEGIN CMS----- block"));
        } else {
            SignatureCheckResult r = verifySignature(manifest, certificates, policy, at, revocation);
            r.findings().forEach(b::finding);
            r.signers().forEach(b::signer);
            r.warnings().forEach(b::warning);
        }
        identity(manifest, "manifest", b::finding).ifPresent(b::identity);
        List<SignedManifest.Entry> entries = bindings(manifest, policy, b::finding);
        VerificationReport report = b.build();
        return new SignedManifest(report, report.accepted() ? entries : List.of());
    }

    /** Every entry the manifest binds with a digest, in manifest order, by the rules above (no archive). */
    private static List<SignedManifest.Entry> bindings(Manifest manifest, TrustPolicy policy, Consumer<Finding> out) {
        List<SignedManifest.Entry> entries = new ArrayList<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Manifest.Entry m : manifest.artifacts()) {
            Optional<ExternalSource> x = ExternalSource.of(m.source());
            if (x.isPresent()) {
                external(m, x.get(), policy, false, seen, out).ifPresent(e -> entries.add(new SignedManifest.Entry(
                        e.source().installPath(), e.digest().algorithm(), e.digest().hashHex(), e.signedPermissions(), signedType(m))));
                continue;
            }
            Optional<String> path = localPath(m, seen, out);
            if (path.isEmpty() || listedOnly(m)) {
                continue; // listed without a digest (TOSCA.meta, certificates): nothing the node installs
            }
            digest(m, path.get(), policy, out).ifPresent(d -> entries.add(
                    new SignedManifest.Entry(path.get(), d.algorithm(), d.hashHex(), signedPermissions(m), signedType(m))));
        }
        return entries;
    }
}
