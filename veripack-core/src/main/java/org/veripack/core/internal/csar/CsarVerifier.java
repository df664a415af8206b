package org.veripack.core.internal.csar;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactSink;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.ProgressListener;
import org.veripack.core.RevocationSource;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;

/**
 * Verifies an ETSI GS NFV-SOL 004 CSAR, option 1 (§5.4: CMS block in the manifest) or option 2 (§5.5:
 * the whole CSAR signed, {@code .cms}/{@code .cert} beside it in an outer zip), and optionally streams
 * every covered artifact once into an {@link ArtifactSink} while hashing it.
 *
 * <p>What is checked is decided by a {@link CsarPlan} (from the central directory and the manifest, with the
 * manifest's own rules in {@link SignedManifestRules}); reading, hashing, threads, spooling and the sink are the
 * {@link CsarExecutor}'s; this class composes them in the order of the checklist (each step adds findings and goes
 * on where it safely can):
 * <ol>
 *   <li>open the zip and apply the archive safety rules ({@link ZipArchive});</li>
 *   <li>detect the option: a root {@code .csar} without a root manifest is option 2;</li>
 *   <li>locate the manifest: TOSCA.meta {@code ETSI-Entry-Manifest}, else the single root {@code .mf} (without
 *       TOSCA-Metadata named after the root TOSCA YAML, SOL004 §4.3.2);</li>
 *   <li>verify the manifest's CMS block over the bytes before it, or those less the one line break before it
 *       ({@link SignedManifestRules#verifySignature});</li>
 *   <li>read the package identity from the signed metadata; check the policy's signer authorisation;</li>
 *   <li>match manifest entries and archive entries (missing, unlisted, duplicate), check algorithms; a URI
 *       {@code Source} is an external artifact ({@link ExternalSource}); the manifest's own rules are
 *       {@link SignedManifestRules}, shared with the node's guard; TOSCA.meta file
 *       blocks with {@code Algorithm}/{@code Hash} join the hashing ({@link CsarPlan});</li>
 *   <li>check each artifact's entry type and permission bits against its signed {@code Veripack-Mode}
 *       ({@link CsarPlan}); only signed metadata is installed;</li>
 *   <li>check directory entries (only ancestors of listed artifacts, no data) and the installed tree:
 *       no artifact path through a symlink, every symlink resolved against the package's link graph
 *       ({@link PathRules#resolveLink}) to an artifact or directory inside the package;</li>
 *   <li>hash every covered artifact (in parallel when no sink is given) and compare with the manifest and
 *       TOSCA.meta; then, under {@code externalArtifacts: fetch}, download, hash and (install) store each external
 *       artifact ({@link CsarExecutor#externalArtifacts});</li>
 *   <li>verify per-artifact {@code Signature}/{@code Certificate} files when present.</li>
 * </ol>
 * Artifacts reach the sink only after the signature over them verified and only when the archive
 * passed its safety checks; otherwise they are hashed for the report and discarded.
 *
 * <p>What is installed is what is signed: the {@link ArtifactRecord}s (and the sink calls) carry the
 * signed type and mode, and the directories handed to the sink are derived from the artifact paths
 * (mode 0755), never taken from zip directory entries.
 */
public final class CsarVerifier {
    private final TrustPolicy policy;
    private final Instant at;
    private final RevocationSource revocation;
    /** Where external artifacts come from under {@code externalArtifacts: fetch}; null: the node's sealed copy. */
    private final ArtifactFetcher fetcher;
    /** Told the bytes of the hashing pass and of downloads; {@link ProgressListener#NONE} when nobody watches. */
    private final ProgressListener progress;
    /** Certificates of the option-2 outer signature's signers (they sign the inner CSAR, so the package). */
    private List<X509Certificate> outerSignerCerts = List.of();

    /** The outcome: the report plus what a {@code VerifiedPackage} needs. */
    public record Result(VerificationReport report, List<ArtifactRecord> artifacts, List<SignedManifest.Entry> signedEntries,
                         byte[] manifestBytes, String manifestName, List<X509Certificate> manifestCertificates) {
        public Result {
            signedEntries = List.copyOf(signedEntries);
            manifestCertificates = List.copyOf(manifestCertificates);
        }
    }

    /**
     * A verifier whose revocation data (when the policy's revocation mode is not OFF) comes from {@code revocation}
     * and external artifacts (when the policy says {@code externalArtifacts: fetch}) from {@code fetcher}.
     *
     * @param fetcher the external artifacts' source, or null for the node's re-verification of a sealed package copy
     *                (external artifacts recorded with their signed digests, neither fetched nor refused)
     */
    public CsarVerifier(TrustPolicy policy, Instant at, RevocationSource revocation, ArtifactFetcher fetcher) {
        this(policy, at, revocation, fetcher, ProgressListener.NONE);
    }

    /**
     * As {@link #CsarVerifier(TrustPolicy, Instant, RevocationSource, ArtifactFetcher)}, telling {@code progress}
     * the steps that read many bytes: {@code "hashing artifacts"} (or {@code "verifying and writing artifacts"}
     * when installing; total: the artifacts' uncompressed bytes), {@code "copying the inner CSAR"} (option 2),
     * {@code "fetching <URI>"} (external artifacts, total unknown).
     */
    public CsarVerifier(TrustPolicy policy, Instant at, RevocationSource revocation, ArtifactFetcher fetcher,
                        ProgressListener progress) {
        this.policy = policy;
        this.at = at;
        this.revocation = revocation;
        this.fetcher = fetcher;
        this.progress = java.util.Objects.requireNonNull(progress, "progress");
    }

    /**
     * @param csar          the package file
     * @param sink          where covered artifacts go, or null for plain verification
     * @param packageDigest also compute the report's {@code packageSha256} (SHA-256 of the whole file: one
     *                      more pass over every byte, run beside the artifact hashes)
     * @throws IOException when the file cannot be read, or the sink fails
     */
    public Result verify(Path csar, ArtifactSink sink, boolean packageDigest) throws IOException {
        if (!Files.isRegularFile(csar)) {
            throw new NoSuchFileException(csar.toString(), null, "not a regular file");
        }
        // one open: the package digest, the zip index, the layout check and every entry read judge the same
        // bytes, even if the path is replaced while this runs
        try (FileChannel file = FileChannel.open(csar, StandardOpenOption.READ);
             CsarExecutor executor = new CsarExecutor(policy, fetcher, progress)) {
            // the package digest is evidence for the report, not a check: it runs beside the artifact hashes
            Future<String> packageSha256 = packageDigest ? executor.submit(() -> Digests.sha256Hex(file))
                    : CompletableFuture.completedFuture(null);
            List<Finding> findings = new ArrayList<>();
            Optional<ZipArchive> opened = ZipArchive.open(file, policy.limits(), "package", findings);
            if (opened.isEmpty()) {
                VerificationReport.Builder b = VerificationReport.builder(PackageFormat.CSAR_OPTION_1, at)
                        .packageSha256(CsarExecutor.await(packageSha256));
                findings.forEach(f -> b.finding(f.code() != FindingCode.MALFORMED_PACKAGE ? f
                        : new Finding(f.code(), f.subject(), f.detail() + " (a SOL004 CSAR is a zip archive)", f.expected(), f.actual())));
                return new Result(b.build(), List.of(), List.of(), new byte[0], "", List.of());
            }
            try (ZipArchive archive = opened.get()) {
                boolean option2 = isOption2(archive);
                VerificationReport.Builder b = VerificationReport.builder(
                        option2 ? PackageFormat.CSAR_OPTION_2 : PackageFormat.CSAR_OPTION_1, at);
                findings.forEach(b::finding);
                Inner inner = option2 ? verifyOption2(archive, b, sink, executor) : checkCsar(archive, true, true, b, sink, executor);
                b.packageSha256(CsarExecutor.await(packageSha256));
                return new Result(b.build(), inner.artifacts, inner.signedEntries, inner.manifestBytes, inner.manifestName,
                        inner.manifestCertificates);
            }
        }
    }

    /** What the inner check produced. */
    private record Inner(List<ArtifactRecord> artifacts, List<SignedManifest.Entry> signedEntries, byte[] manifestBytes,
                         String manifestName, List<X509Certificate> manifestCertificates) {
        static final Inner EMPTY = new Inner(List.of(), List.of(), new byte[0], "", List.of());
    }

    // --- option detection and option 2 (SOL004 §5.5) ---

    private static boolean isOption2(ZipArchive archive) {
        boolean rootCsar = false;
        for (ZipArchive.Entry e : archive.entries().values()) {
            if (e.path().indexOf('/') >= 0) {
                continue;
            }
            String lower = e.path().toLowerCase(Locale.ROOT);
            if (lower.endsWith(".mf")) {
                return false;
            }
            rootCsar |= lower.endsWith(".csar") && e.type() == ArtifactType.FILE;
        }
        return rootCsar && !archive.entries().containsKey(ToscaMeta.PATH);
    }

    private Inner verifyOption2(ZipArchive outer, VerificationReport.Builder b, ArtifactSink sink, CsarExecutor executor)
            throws IOException {
        ZipArchive.Entry csar = null;
        ZipArchive.Entry cms = null;
        ZipArchive.Entry cert = null;
        for (ZipArchive.Entry e : outer.entries().values()) {
            if (e.type() == ArtifactType.DIRECTORY) {
                b.finding(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(), "option-2 package holds a directory beside the CSAR"));
                continue;
            }
            String lower = e.path().toLowerCase(Locale.ROOT);
            boolean root = e.path().indexOf('/') < 0;
            if (root && lower.endsWith(".csar")) {
                csar = pickOne(csar, e, b);
            } else if (root && lower.endsWith(".cms")) {
                cms = pickOne(cms, e, b);
            } else if (root && (lower.endsWith(".cert") || lower.endsWith(".crt") || lower.endsWith(".pem"))) {
                cert = pickOne(cert, e, b);
            } else {
                b.finding(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(), "option-2 package holds a file beside the CSAR, its .cms and .cert"));
            }
        }
        List<X509Certificate> certs = cert == null ? List.of() : PackageFiles.readCertificates(outer, cert, b);
        byte[] cmsBytes = null;
        if (cms == null) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "package", "option-2 package without a .cms signature"));
        } else {
            cmsBytes = PackageFiles.readSmall(outer, cms, b);
        }
        Path spool = CsarExecutor.newSpoolFile(sink);
        try {
            if (!executor.spool(outer, csar, spool, b)) {
                return Inner.EMPTY;
            }
            boolean outerValid = false;
            if (cmsBytes != null) {
                SignatureCheckResult r = CmsSignatureVerifier.verify(cmsBytes, () -> Files.newInputStream(spool), certs, policy, at, revocation);
                addSignatureResult(r, b);
                outerValid = r.valid();
                outerSignerCerts = r.signerCertificates();
            }
            List<Finding> innerFindings = new ArrayList<>();
            Optional<ZipArchive> inner = ZipArchive.open(spool, policy.limits(), csar.path(), innerFindings);
            innerFindings.forEach(b::finding);
            if (inner.isEmpty()) {
                return Inner.EMPTY;
            }
            try (ZipArchive in = inner.get()) {
                return checkCsar(in, false, outerValid, b, sink, executor);
            }
        } finally {
            Files.deleteIfExists(spool);
        }
    }

    private static ZipArchive.Entry pickOne(ZipArchive.Entry current, ZipArchive.Entry e, VerificationReport.Builder b) {
        if (current != null) {
            b.finding(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, e.path(), "option-2 package holds two files of one kind",
                    current.path(), e.path()));
            return current;
        }
        return e;
    }

    // --- one CSAR (option 1, or the inner CSAR of option 2) ---

    /** TOSCA.meta as read: parsed (null when unreadable) and its bytes; {@code present} when the entry exists. */
    private record ToscaMetaFile(ToscaMeta meta, byte[] bytes, boolean present) { }

    /** The manifest's signature outcome: whether it covers the artifacts, and the signers' certificates. */
    private record ManifestSignature(boolean valid, List<X509Certificate> signerCerts) { }

    /**
     * @param option1      true: the manifest must carry a CMS block and give every artifact a digest
     * @param outerCovered true when an outer option-2 signature already verified over this CSAR's bytes
     */
    private Inner checkCsar(ZipArchive archive, boolean option1, boolean outerCovered, VerificationReport.Builder b,
                            ArtifactSink sink, CsarExecutor executor) throws IOException {
        ToscaMetaFile meta = readToscaMeta(archive, b);
        ZipArchive.Entry manifestEntry = PackageFiles.locateManifest(archive, meta.meta(), meta.present(), b);
        if (manifestEntry == null) {
            noManifest(archive, option1, meta, b);
            return Inner.EMPTY;
        }
        byte[] manifestBytes = PackageFiles.readSmall(archive, manifestEntry, b);
        if (manifestBytes == null) {
            return Inner.EMPTY;
        }
        Manifest manifest = ManifestParser.parse(manifestBytes);
        manifest.findings().forEach(b::finding);
        manifest.warnings().forEach(b::warning);

        Set<String> excluded = new TreeSet<>();
        excluded.add(manifestEntry.path());
        excluded.add(ToscaMeta.PATH);
        List<X509Certificate> packageCerts = new ArrayList<>();
        PackageFiles.collectCertificate(archive, PackageFiles.certificateNextTo(manifestEntry.path()), excluded, packageCerts, b, false);
        if (meta.meta() != null) {
            meta.meta().entryCertificate().ifPresent(p -> PackageFiles.collectCertificate(archive, p, excluded, packageCerts, b, true));
        }

        // The plan needs only the parsed manifest; its findings join the report after the signature's.
        // Without a sink, hashing starts now and overlaps the CMS checks.
        CsarPlan plan = CsarPlan.of(archive, manifest, manifestEntry.path(), meta.meta() == null ? null : meta.bytes(), excluded,
                option1, policy, fetcher != null);
        List<Future<CsarExecutor.Hashed>> speculative = sink == null ? executor.startHashing(archive, plan) : null;
        ManifestSignature signature = verifyManifest(manifest, manifestEntry.path(), packageCerts, option1, b);
        plan.findings.forEach(b::finding);
        plan.warnings.forEach(b::warning);

        boolean covered = option1 ? signature.valid() : outerCovered;
        boolean extract = sink != null && covered && !b.hasFindings();
        List<ArtifactRecord> records = executor.hashArtifacts(archive, plan, b, sink != null, extract ? sink : null, speculative);
        CsarExecutor.checkToscaMetaDigests(archive, plan.separateMetaChecks, b);
        records.addAll(executor.externalArtifacts(plan.externals, covered, archive.totalBytesRead(), b, extract ? sink : null));
        verifyArtifactSignatures(archive, manifest, plan.expected, b);
        return new Inner(records, option1 ? plan.bound : signedByRecords(records), manifestBytes, manifestEntry.path(), packageCerts);
    }

    private static ToscaMetaFile readToscaMeta(ZipArchive archive, VerificationReport.Builder b) {
        ZipArchive.Entry metaEntry = archive.entries().get(ToscaMeta.PATH);
        if (metaEntry == null || metaEntry.type() != ArtifactType.FILE) {
            return new ToscaMetaFile(null, null, metaEntry != null);
        }
        byte[] bytes = PackageFiles.readSmall(archive, metaEntry, b);
        return new ToscaMetaFile(bytes == null ? null : ToscaMeta.parse(bytes), bytes, true);
    }

    /** No manifest: no signature (option 1); the TOSCA.meta digests are still evidence worth reporting. */
    private void noManifest(ZipArchive archive, boolean option1, ToscaMetaFile meta, VerificationReport.Builder b)
            throws IOException {
        if (option1) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "manifest", "no manifest, so no signed manifest"));
        }
        if (meta.meta() != null) {
            List<Finding> metaFindings = new ArrayList<>();
            List<CsarPlan.MetaCheck> checks = CsarPlan.toscaMetaOnly(archive, meta.bytes(), policy, metaFindings);
            metaFindings.forEach(b::finding);
            CsarExecutor.checkToscaMetaDigests(archive, checks, b);
        }
    }

    /**
     * The manifest's CMS block ({@link SignedManifestRules#verifySignature}; option 1 without one is
     * {@code SIGNATURE_MISSING}), then the signed identity and the policy's signer authorisation over the manifest's
     * and the outer signature's signers.
     */
    private ManifestSignature verifyManifest(Manifest manifest, String manifestPath, List<X509Certificate> packageCerts,
                                             boolean option1, VerificationReport.Builder b) throws IOException {
        boolean valid = false;
        List<X509Certificate> signerCerts = new ArrayList<>(outerSignerCerts);
        if (manifest.hasCms()) {
            SignatureCheckResult r = SignedManifestRules.verifySignature(manifest, packageCerts, policy, at, revocation);
            addSignatureResult(r, b);
            valid = r.valid() && manifest.findings().isEmpty();
            signerCerts.addAll(r.signerCertificates());
        } else if (option1) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, manifestPath, "manifest has no -----BEGIN CMS----- block"));
        }
        SignedManifestRules.identity(manifest, manifestPath, b::finding).ifPresent(id -> {
            b.identity(id);
            SignerAuthorization.check(policy, id.name(), signerCerts).forEach(b::finding);
        });
        return new ManifestSignature(valid, signerCerts);
    }

    /**
     * What an option-2 signature binds: the inner CSAR's bytes, so each artifact as recorded from it, with its type and
     * the inner zip's mode (no directories: they are derived from artifact paths).
     */
    private static List<SignedManifest.Entry> signedByRecords(List<ArtifactRecord> records) {
        return records.stream().filter(a -> a.type() != ArtifactType.DIRECTORY)
                .map(a -> new SignedManifest.Entry(a.path(), a.digestAlgorithm(), a.digestHex(), a.mode(), a.type())).toList();
    }

    private static void addSignatureResult(SignatureCheckResult r, VerificationReport.Builder b) {
        r.findings().forEach(b::finding);
        r.signers().forEach(b::signer);
        r.warnings().forEach(b::warning);
    }

    // --- per-artifact signatures (SOL004 §5.4, Signature/Certificate keys) ---

    private void verifyArtifactSignatures(ZipArchive archive, Manifest manifest, Map<String, CsarPlan.Expected> expected,
                                          VerificationReport.Builder b) throws IOException {
        for (Manifest.Entry m : manifest.artifacts()) {
            if (m.signature() == null) {
                continue;
            }
            String path = PathRules.normalise(m.source());
            CsarPlan.Expected x = expected.get(path);
            if (x == null) {
                continue;
            }
            ZipArchive.Entry sig = PathRules.unsafeReason(m.signature()).isPresent() ? null
                    : archive.entries().get(PathRules.normalise(m.signature()));
            if (sig == null) {
                b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, m.signature(), "per-artifact signature file is not in the package"));
                continue;
            }
            byte[] sigBytes = PackageFiles.readSmall(archive, sig, b);
            if (sigBytes == null) {
                continue;
            }
            List<X509Certificate> certs = List.of();
            if (m.certificate() != null) {
                ZipArchive.Entry ce = PathRules.unsafeReason(m.certificate()).isPresent() ? null
                        : archive.entries().get(PathRules.normalise(m.certificate()));
                if (ce == null) {
                    b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, m.certificate(), "per-artifact certificate is not in the package"));
                } else {
                    certs = PackageFiles.readCertificates(archive, ce, b);
                }
            }
            SignatureCheckResult r = CmsSignatureVerifier.verify(sigBytes, () -> archive.open(x.entry()), certs, policy, at, revocation);
            for (Finding f : r.findings()) {
                b.finding(new Finding(f.code(), f.subject().equals("signature") ? path : f.subject(), f.detail(), f.expected(), f.actual()));
            }
            r.warnings().forEach(b::warning);
        }
    }
}
