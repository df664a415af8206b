package org.veripack.core.internal.csar;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.RevocationSource;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * Re-verifies a SOL004 option-1 manifest on its own (no archive): the steps of {@link CsarVerifier} that
 * concern the manifest — parse (SOL004 §5.3), the CMS block over the bytes before it by the same rule
 * ({@link CsarVerifier#verifyManifestSignature}, {@link Manifest#signedContents()}; §5.4, RFC 5652
 * §5.4, RFC 5280 §6 at {@code at}), the signed identity, and each artifact's {@code Source} path rules and
 * digest algorithm; an external artifact ({@link ExternalSource}, fetched at install) is an entry at its slot
 * path, without the policy's {@code externalArtifacts} decision (made at install). Used by a node to bind its
 * sealed record of an installed slot to the signature.
 */
public final class SealedManifestVerifier {
    private SealedManifestVerifier() { }

    /**
     * @param manifestBytes the {@code .mf} bytes including the CMS block
     * @param certificates  certificates that were shipped beside the manifest ({@code .cert}); may be empty
     * @throws IOException never for bad input (that is a finding); only if the in-memory content fails to read
     */
    public static SignedManifest verify(byte[] manifestBytes, List<X509Certificate> certificates, TrustPolicy policy,
                                        Instant at, RevocationSource revocation) throws IOException {
        VerificationReport.Builder b = VerificationReport.builder(PackageFormat.CSAR_OPTION_1, at)
                .packageSha256(Digests.hex("SHA-256", manifestBytes));
        Manifest manifest = ManifestParser.parse(manifestBytes);
        manifest.findings().forEach(b::finding);
        manifest.warnings().forEach(b::warning);
        if (!manifest.hasCms()) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "manifest", "sealed manifest has no -----BEGIN CMS----- block"));
        } else {
            SignatureCheckResult r = CsarVerifier.verifyManifestSignature(manifest, certificates, policy, at, revocation);
            r.findings().forEach(b::finding);
            r.signers().forEach(b::signer);
            r.warnings().forEach(b::warning);
        }
        manifest.identity().ifPresentOrElse(b::identity, () -> b.finding(manifest.noIdentityFinding("manifest")));
        List<SignedManifest.Entry> entries = entries(manifest, policy, b);
        VerificationReport report = b.build();
        return new SignedManifest(report, report.accepted() ? entries : List.of());
    }

    private static List<SignedManifest.Entry> entries(Manifest manifest, TrustPolicy policy, VerificationReport.Builder b) {
        Map<String, SignedManifest.Entry> out = new LinkedHashMap<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Manifest.Entry m : manifest.artifacts()) {
            Optional<ExternalSource> external = ExternalSource.of(m.source());
            Optional<String> unsafe = external.isPresent() ? external.get().unmappableReason() : PathRules.unsafeReason(m.source());
            if (unsafe.isPresent()) {
                b.finding(Finding.of(external.isPresent() ? FindingCode.ARTIFACT_EXTERNAL : FindingCode.UNSAFE_PATH,
                        ZipArchive.printable(m.source()), "manifest Source " + unsafe.get()));
                continue;
            }
            // an external artifact was fetched at install into its slot path: checked there like any file
            String path = external.isPresent() ? external.get().installPath() : PathRules.normalise(m.source());
            String earlier = seen.putIfAbsent(PathRules.collisionKey(path), m.source());
            if (earlier != null) {
                b.finding(Finding.mismatch(FindingCode.ARTIFACT_DUPLICATE, path, "manifest lists the artifact twice", earlier, m.source()));
                continue;
            }
            if (m.algorithm() == null || m.hash() == null) {
                continue; // listed without a digest (TOSCA.meta, certificates): nothing the node installs
            }
            Optional<String> alg = CsarVerifier.allowedDigest(policy, m.algorithm(), path, "", b::finding);
            if (alg.isEmpty()) {
                continue;
            }
            Integer mode = m.mode() == null ? null : m.mode() & 0777;
            ArtifactType type = m.mode() == null ? null
                    : (m.mode() & 0170000) == VeripackMode.SYMLINK ? ArtifactType.SYMLINK : ArtifactType.FILE;
            out.put(path, new SignedManifest.Entry(path, alg.get(), m.hash().strip().toLowerCase(Locale.ROOT), mode, type));
        }
        return new ArrayList<>(out.values());
    }
}
