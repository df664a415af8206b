package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.zip.ZipMethod;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.ArchiveExecuteBits;
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
import org.veripack.core.internal.cms.CertificateFiles;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.io.PrefetchInputStream;
import org.veripack.core.internal.io.Streams;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * Verifies an ETSI GS NFV-SOL 004 CSAR, option 1 (§5.4: CMS block in the manifest) or option 2 (§5.5:
 * the whole CSAR signed, {@code .cms}/{@code .cert} beside it in an outer zip), and optionally streams
 * every covered artifact once into an {@link ArtifactSink} while hashing it.
 *
 * <p>Checklist (each step adds findings and goes on where it safely can):
 * <ol>
 *   <li>open the zip and apply the archive safety rules ({@link ZipArchive});</li>
 *   <li>detect the option: a root {@code .csar} without a root manifest is option 2;</li>
 *   <li>locate the manifest: TOSCA.meta {@code ETSI-Entry-Manifest}, else the single root {@code .mf} (without
 *       TOSCA-Metadata named after the root TOSCA YAML, SOL004 §4.3.2);</li>
 *   <li>verify the manifest's CMS block over the bytes before it, or those less the one line break before it
 *       ({@link #verifyManifestSignature});</li>
 *   <li>read the package identity from the signed metadata; check the policy's signer authorisation;</li>
 *   <li>match manifest entries and archive entries (missing, unlisted, duplicate), check algorithms; a URI
 *       {@code Source} is an external artifact ({@link ExternalSource}); the manifest's own rules are
 *       {@link SignedManifestRules}, shared with the node's guard; TOSCA.meta file
 *       blocks with {@code Algorithm}/{@code Hash} join the hashing ({@link #matchToscaMetaBlocks});</li>
 *   <li>check each artifact's entry type and permission bits against its signed {@code Veripack-Mode}
 *       ({@link #installedMode}); only signed metadata is installed;</li>
 *   <li>check directory entries (only ancestors of listed artifacts, no data) and the installed tree:
 *       no artifact path through a symlink, every symlink resolved against the package's link graph
 *       ({@link PathRules#resolveLink}) to an artifact or directory inside the package;</li>
 *   <li>hash every covered artifact (in parallel when no sink is given) and compare with the manifest and
 *       TOSCA.meta; then, under {@code externalArtifacts: fetch}, download, hash and (install) store each external
 *       artifact ({@link #externalArtifacts});</li>
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
    /** Largest manifest, TOSCA.meta, certificate or CMS file read into memory, in bytes. */
    public static final int MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024;
    /** DEFLATED entries from this declared size on are inflated on a read-ahead thread, in bytes. */
    private static final int HASH_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private final TrustPolicy policy;
    private final Instant at;
    private final RevocationSource revocation;
    /** Where external artifacts come from under {@code externalArtifacts: fetch}; null: {@link #sealedCopy}. */
    private final ArtifactFetcher fetcher;
    /**
     * The node's re-verification of a package it installed (its sealed copy): external artifacts are neither
     * fetched nor refused, each is recorded with its signed digest (the node hashes the installed file itself).
     */
    private final boolean sealedCopy;
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
        this.sealedCopy = fetcher == null;
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
        ExecutorService pool = newPool();
        ExecutorService readAhead = PrefetchInputStream.newExecutor("veripack-inflate");
        Workers workers = new Workers(pool, readAhead);
        try {
            // the package digest is evidence for the report, not a check: it runs beside the artifact hashes
            Future<String> packageSha256 = packageDigest ? pool.submit(() -> Digests.sha256Hex(csar))
                    : CompletableFuture.completedFuture(null);
            List<Finding> findings = new ArrayList<>();
            Optional<ZipArchive> opened = ZipArchive.open(csar, policy.limits(), "package", findings);
            if (opened.isEmpty()) {
                VerificationReport.Builder b = VerificationReport.builder(PackageFormat.CSAR_OPTION_1, at)
                        .packageSha256(await(packageSha256));
                findings.forEach(f -> b.finding(f.code() != FindingCode.MALFORMED_PACKAGE ? f
                        : new Finding(f.code(), f.subject(), f.detail() + " (a SOL004 CSAR is a zip archive)", f.expected(), f.actual())));
                return new Result(b.build(), List.of(), List.of(), new byte[0], "", List.of());
            }
            try (ZipArchive archive = opened.get()) {
                boolean option2 = isOption2(archive);
                VerificationReport.Builder b = VerificationReport.builder(
                        option2 ? PackageFormat.CSAR_OPTION_2 : PackageFormat.CSAR_OPTION_1, at);
                findings.forEach(b::finding);
                Inner inner = option2 ? verifyOption2(archive, b, sink, workers) : checkCsar(archive, true, true, b, sink, workers);
                b.packageSha256(await(packageSha256));
                return new Result(b.build(), inner.artifacts, inner.signedEntries, inner.manifestBytes, inner.manifestName,
                        inner.manifestCertificates);
            }
        } finally {
            pool.shutdownNow();
            readAhead.shutdown(); // never interrupted: see PrefetchInputStream
        }
    }

    /**
     * The threads of one verification: {@code hash} runs the package digest and the artifact hashes
     * (bounded); {@code readAhead} inflates DEFLATED artifacts ahead of their hashing (at most one thread
     * per artifact being hashed, reused between artifacts).
     */
    private record Workers(ExecutorService hash, ExecutorService readAhead) { }

    /** The bounded hashing pool of one verification: at most {@link #HASH_THREADS} daemon threads. */
    private static ExecutorService newPool() {
        return Executors.newFixedThreadPool(HASH_THREADS, r -> {
            Thread t = new Thread(r, "veripack-hash");
            t.setDaemon(true);
            return t;
        });
    }

    /** The result of a pool task; its {@link IOException} is rethrown as is. */
    private static <T> T await(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException("hashing task failed", e.getCause());
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

    private Inner verifyOption2(ZipArchive outer, VerificationReport.Builder b, ArtifactSink sink, Workers workers)
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
        List<X509Certificate> certs = cert == null ? List.of() : readCertificates(outer, cert, b);
        byte[] cmsBytes = null;
        if (cms == null) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "package", "option-2 package without a .cms signature"));
        } else {
            cmsBytes = readSmall(outer, cms, b);
        }
        Path scratch = sink == null ? null : sink.scratchDirectory();
        var privateFile = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        Path spool = scratch != null ? Files.createTempFile(scratch, "veripack-inner-", ".csar", privateFile)
                : Files.createTempFile("veripack-inner-", ".csar", privateFile);
        try {
            if (!spool(outer, csar, spool, b)) {
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
                return checkCsar(in, false, outerValid, b, sink, workers);
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

    /** Copies the inner CSAR to a private temp file through the limit-counting stream; false when it failed. */
    private boolean spool(ZipArchive outer, ZipArchive.Entry csar, Path spool, VerificationReport.Builder b) throws IOException {
        if (csar == null) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "package", "option-2 package without a .csar"));
            return false;
        }
        progress.begin("copying the inner CSAR", Math.max(-1, csar.zipEntry().getSize()), ProgressListener.Unit.BYTES);
        try (InputStream in = outer.open(csar); OutputStream out = Files.newOutputStream(spool)) {
            Streams.transfer(in, Streams.counting(out, progress));
            return true;
        } catch (ZipArchive.LimitExceededException e) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, csar.path(),
                    "package".equals(e.subject()) ? e.getMessage() : e.subject() + ": " + e.getMessage()));
        } catch (ZipArchive.MalformedEntryException e) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, csar.path(), e.getMessage()));
        } finally {
            progress.end();
        }
        return false;
    }

    // --- one CSAR (option 1, or the inner CSAR of option 2) ---

    /**
     * @param option1      true: the manifest must carry a CMS block and give every artifact a digest
     * @param outerCovered true when an outer option-2 signature already verified over this CSAR's bytes
     */
    private Inner checkCsar(ZipArchive archive, boolean option1, boolean outerCovered, VerificationReport.Builder b,
                            ArtifactSink sink, Workers workers) throws IOException {
        Map<String, ZipArchive.Entry> entries = archive.entries();
        ToscaMeta meta = null;
        byte[] metaBytes = null;
        ZipArchive.Entry metaEntry = entries.get(ToscaMeta.PATH);
        if (metaEntry != null && metaEntry.type() == ArtifactType.FILE) {
            byte[] bytes = readSmall(archive, metaEntry, b);
            meta = bytes == null ? null : ToscaMeta.parse(bytes);
            metaBytes = bytes;
        }
        ZipArchive.Entry manifestEntry = locateManifest(archive, meta, metaEntry != null, b);
        if (manifestEntry == null) {
            if (option1) {
                b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, "manifest", "no manifest, so no signed manifest"));
            }
            if (meta != null) { // the package is rejected; its TOSCA.meta digests are still evidence worth reporting
                List<Finding> metaFindings = new ArrayList<>();
                List<MetaCheck> checks = matchToscaMetaBlocks(metaBytes, entries, archive.refused(), new LinkedHashMap<>(),
                        new LinkedHashMap<>(), metaFindings);
                metaFindings.forEach(b::finding);
                checkToscaMetaDigests(archive, checks, b);
            }
            return Inner.EMPTY;
        }
        byte[] manifestBytes = readSmall(archive, manifestEntry, b);
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
        collectCertificate(archive, certificateNextTo(manifestEntry.path()), excluded, packageCerts, b, false);
        if (meta != null) {
            meta.entryCertificate().ifPresent(p -> collectCertificate(archive, p, excluded, packageCerts, b, true));
        }

        // Matching needs only the parsed manifest; its findings join the report after the signature's,
        // in the same order as before. Without a sink, hashing starts now and overlaps the CMS checks.
        List<Finding> matchFindings = new ArrayList<>();
        List<Warning> matchWarnings = new ArrayList<>();
        Map<String, External> externals = new LinkedHashMap<>();
        List<SignedManifest.Entry> bound = new ArrayList<>();
        Map<String, Expected> expected = matchManifest(manifest, manifestEntry.path(), entries, archive.refused(), excluded,
                option1, externals, bound, matchFindings, matchWarnings);
        List<MetaCheck> metaChecks = meta == null ? List.of()
                : matchToscaMetaBlocks(metaBytes, entries, archive.refused(), expected, externals, matchFindings);
        for (ZipArchive.Entry e : entries.values()) {
            if (e.type() != ArtifactType.DIRECTORY && !excluded.contains(e.path()) && !expected.containsKey(e.path())) {
                matchFindings.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(), "archive file is not listed in the manifest"));
            }
        }
        checkDirectoryEntries(archive, expected, excluded, matchFindings);
        checkInstalledTree(expected, externals.keySet(), matchFindings);
        List<Future<Hashed>> speculative = null;
        long hashTotal = expected.values().stream().filter(x -> x.entry().type() == ArtifactType.FILE)
                .mapToLong(x -> Math.max(0, x.entry().zipEntry().getSize())).sum();
        if (sink == null) {
            progress.begin("hashing artifacts", hashTotal, ProgressListener.Unit.BYTES);
            speculative = new ArrayList<>();
            // fewer large artifacts than hashing threads: a core is spare, so STORED ones are read ahead too
            long large = expected.values().stream().filter(x -> x.entry().type() == ArtifactType.FILE
                    && x.entry().zipEntry().getSize() >= PrefetchInputStream.MIN_SOURCE_BYTES).count();
            boolean storedReadAhead = large < HASH_THREADS;
            for (Expected x : expected.values()) {
                speculative.add(workers.hash().submit(() -> hashOne(archive, x, null, workers.readAhead(), storedReadAhead)));
            }
        }

        boolean manifestSignatureValid = false;
        List<X509Certificate> signerCerts = new ArrayList<>(outerSignerCerts);
        if (manifest.hasCms()) {
            SignatureCheckResult r = SignedManifestRules.verifySignature(manifest, packageCerts, policy, at, revocation);
            addSignatureResult(r, b);
            manifestSignatureValid = r.valid() && manifest.findings().isEmpty();
            signerCerts.addAll(r.signerCertificates());
        } else if (option1) {
            b.finding(Finding.of(FindingCode.SIGNATURE_MISSING, manifestEntry.path(), "manifest has no -----BEGIN CMS----- block"));
        }

        SignedManifestRules.identity(manifest, manifestEntry.path(), b::finding).ifPresent(id -> {
            b.identity(id);
            SignerAuthorization.check(policy, id.name(), signerCerts).forEach(b::finding);
        });

        matchFindings.forEach(b::finding);
        matchWarnings.forEach(b::warning);

        boolean covered = option1 ? manifestSignatureValid : outerCovered;
        boolean extract = sink != null && covered && !b.hasFindings();
        if (sink != null) {
            progress.begin(extract ? "verifying and writing artifacts" : "hashing artifacts", hashTotal, ProgressListener.Unit.BYTES);
        }
        List<ArtifactRecord> records;
        try {
            records = hashAndCompare(archive, expected, externals.keySet(), b, extract ? sink : null, speculative, workers);
        } finally {
            progress.end();
        }
        checkToscaMetaDigests(archive, metaChecks, b);
        records.addAll(externalArtifacts(externals, covered, archive.totalBytesRead(), b, extract ? sink : null));
        verifyArtifactSignatures(archive, manifest, expected, b);
        return new Inner(records, option1 ? bound : signedByRecords(records), manifestBytes, manifestEntry.path(), packageCerts);
    }

    /**
     * What an option-2 signature binds: the inner CSAR's bytes, so each artifact as recorded from it, with its type and
     * the inner zip's mode (no directories: they are derived from artifact paths).
     */
    private static List<SignedManifest.Entry> signedByRecords(List<ArtifactRecord> records) {
        return records.stream().filter(a -> a.type() != ArtifactType.DIRECTORY)
                .map(a -> new SignedManifest.Entry(a.path(), a.digestAlgorithm(), a.digestHex(), a.mode(), a.type())).toList();
    }

    private static ZipArchive.Entry locateManifest(ZipArchive archive, ToscaMeta meta, boolean hasToscaMetadata,
                                                   VerificationReport.Builder b) {
        if (meta != null && meta.entryManifest().isPresent()) {
            String name = meta.entryManifest().get();
            ZipArchive.Entry e = PathRules.unsafeReason(name).isPresent() ? null : archive.entries().get(PathRules.normalise(name));
            if (e == null || e.type() != ArtifactType.FILE) {
                // name what exists too: a TOSCA.meta naming manifest.mf1 beside a signed manifest.mf is a typo to fix,
                // not a package without a manifest
                List<String> present = archive.entries().values().stream()
                        .filter(x -> x.type() == ArtifactType.FILE && x.path().toLowerCase(Locale.ROOT).endsWith(".mf"))
                        .map(ZipArchive.Entry::path).sorted().toList();
                b.finding(new Finding(FindingCode.MALFORMED_PACKAGE, ToscaMeta.PATH, "ETSI-Entry-Manifest names no file in the package: "
                        + name + (present.isEmpty() ? " (the package has no .mf file)" : " (manifests in the package: "
                        + String.join(", ", present) + ")"), name, present.isEmpty() ? "no .mf file" : String.join(", ", present)));
                return null;
            }
            return e;
        }
        List<ZipArchive.Entry> candidates = archive.entries().values().stream()
                .filter(e -> e.type() == ArtifactType.FILE && e.path().indexOf('/') < 0
                        && e.path().toLowerCase(Locale.ROOT).endsWith(".mf"))
                .toList();
        if (candidates.size() == 1) {
            if (!hasToscaMetadata) {
                checkManifestName(archive, candidates.get(0), b);
            }
            return candidates.get(0);
        }
        b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", candidates.isEmpty()
                ? "no TOSCA.meta ETSI-Entry-Manifest and no .mf at the archive root"
                : "several .mf files at the archive root and no TOSCA.meta to choose"));
        return null;
    }

    /**
     * SOL004 §4.3.2 for a CSAR without a TOSCA-Metadata directory: its main TOSCA definitions YAML is at the archive
     * root and the manifest has the same name with the extension {@code .mf} ({@code VNF.mf} beside {@code VNF.yaml}).
     * A root {@code .yaml}/{@code .yml} of that name must exist when there is any root YAML, else
     * {@link FindingCode#MALFORMED_PACKAGE} naming both files (expected: the manifest name the first YAML gives). Without
     * any root YAML nothing names the manifest, and nothing is checked.
     */
    private static void checkManifestName(ZipArchive archive, ZipArchive.Entry manifest, VerificationReport.Builder b) {
        List<String> yamls = archive.entries().values().stream()
                .filter(e -> e.type() == ArtifactType.FILE && e.path().indexOf('/') < 0)
                .map(ZipArchive.Entry::path)
                .filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".yaml") || p.toLowerCase(Locale.ROOT).endsWith(".yml"))
                .sorted().toList();
        String base = baseName(manifest.path());
        if (yamls.isEmpty() || yamls.stream().anyMatch(y -> baseName(y).equals(base))) {
            return; // no root YAML: nothing names the manifest (a package of files, not a TOSCA CSAR)
        }
        b.finding(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, manifest.path(), "manifest " + manifest.path()
                + " is not named after the main TOSCA YAML " + String.join(", ", yamls) + " (SOL004 §4.3.2: a CSAR without"
                + " TOSCA-Metadata names its manifest after the main TOSCA definitions YAML at the archive root)",
                baseName(yamls.get(0)) + ".mf", manifest.path()));
    }

    /** A root file name without its last extension. */
    private static String baseName(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String certificateNextTo(String manifestPath) {
        int dot = manifestPath.lastIndexOf('.');
        return (dot > 0 ? manifestPath.substring(0, dot) : manifestPath) + ".cert";
    }

    private static void collectCertificate(ZipArchive archive, String name, Set<String> excluded,
                                           List<X509Certificate> out, VerificationReport.Builder b, boolean required) {
        ZipArchive.Entry e = PathRules.unsafeReason(name).isPresent() ? null : archive.entries().get(PathRules.normalise(name));
        if (e == null || e.type() != ArtifactType.FILE) {
            if (required) {
                b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, name, "certificate named by TOSCA.meta is not in the package"));
            }
            return;
        }
        if (excluded.add(e.path())) {
            out.addAll(readCertificates(archive, e, b));
        }
    }

    private static List<X509Certificate> readCertificates(ZipArchive archive, ZipArchive.Entry e, VerificationReport.Builder b) {
        byte[] bytes = readSmall(archive, e, b);
        if (bytes == null) {
            return List.of();
        }
        try {
            List<X509Certificate> certs = CertificateFiles.decode(bytes);
            if (certs.isEmpty()) {
                b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "certificate file holds no certificate"));
            }
            return certs;
        } catch (CertificateException | RuntimeException ex) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "unparsable certificate: " + ex.getMessage()));
            return List.of();
        }
    }

    /** Null (with a finding) when the entry cannot be read within the small-file bound. */
    private static byte[] readSmall(ZipArchive archive, ZipArchive.Entry e, VerificationReport.Builder b) {
        try {
            return archive.readSmall(e, MAX_SMALL_FILE_BYTES);
        } catch (ZipArchive.LimitExceededException ex) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
        } catch (IOException ex) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), ex.getMessage()));
        }
        return null;
    }

    private static void addSignatureResult(SignatureCheckResult r, VerificationReport.Builder b) {
        r.findings().forEach(b::finding);
        r.signers().forEach(b::signer);
        r.warnings().forEach(b::warning);
    }

    // --- manifest entries against archive entries (SOL004 §5.3) ---

    /**
     * What the manifest says about one archive entry: algorithm and digest (both null: listed only), and
     * the type and permission bits it is installed with ({@link #installedMode}).
     */
    private record Expected(ZipArchive.Entry entry, String algorithm, String hashHex, ArtifactType type, int mode,
                            List<MetaCheck> also) {
        Expected(ZipArchive.Entry entry, String algorithm, String hashHex, ArtifactType type, int mode) {
            this(entry, algorithm, hashHex, type, mode, List.of());
        }

        Expected alsoChecking(MetaCheck c) {
            List<MetaCheck> more = new ArrayList<>(also);
            more.add(c);
            return new Expected(entry, algorithm, hashHex, type, mode, List.copyOf(more));
        }
    }

    /**
     * An external artifact of the manifest ({@link ExternalSource}): where it goes in the slot, its signed digest and
     * mode, and the TOSCA.meta digests that name the same URI.
     */
    private record External(ExternalSource source, String algorithm, String hashHex, int mode, List<MetaCheck> also) {
        External alsoChecking(MetaCheck c) {
            List<MetaCheck> more = new ArrayList<>(also);
            more.add(c);
            return new External(source, algorithm, hashHex, mode, List.copyOf(more));
        }
    }

    /**
     * A TOSCA.meta per-file block's digest, checked like a manifest digest ({@code docs/signed-metadata.md}
     * "TOSCA.meta file blocks").
     *
     * @param entry     the archive entry it names, or null when it names an external artifact of the manifest
     *                  (then it is checked while that artifact is fetched)
     * @param algorithm JCA name, allowed by the policy
     * @param hashHex   the {@code Hash} value, trimmed, lower case
     * @param line      the block's line in TOSCA.meta
     */
    private record MetaCheck(ZipArchive.Entry entry, String algorithm, String hashHex, int line) {
        String origin() { return ToscaMeta.PATH + " (block at line " + line + ")"; }
    }

    /** Type and permission bits an artifact is installed with. */
    private record Installed(ArtifactType type, int mode) { }

    /** Mode recorded for a regular file whose block has no {@code Veripack-Mode}: not executable. */
    static final int UNSIGNED_FILE_MODE = 0644;
    /** Mode recorded for such a file whose zip entry has the owner-execute bit, under {@code archiveExecuteBits: honour}. */
    static final int HONOURED_EXEC_MODE = 0755;

    private Map<String, Expected> matchManifest(Manifest manifest, String manifestPath, Map<String, ZipArchive.Entry> entries,
                                                Set<String> refused, Set<String> excluded, boolean option1,
                                                Map<String, External> externals, List<SignedManifest.Entry> bound,
                                                List<Finding> b, List<Warning> warnings) {
        Map<String, Expected> expected = new LinkedHashMap<>();
        Map<String, String> seen = new LinkedHashMap<>();
        for (Manifest.Entry m : manifest.artifacts()) {
            Optional<ExternalSource> external = ExternalSource.of(m.source());
            if (external.isPresent()) {
                // the node's re-verification of its sealed copy skips the policy's leave: the package was installed
                SignedManifestRules.external(m, external.get(), policy, !sealedCopy, seen, b::add).ifPresent(x -> {
                    externals.put(x.source().installPath(), new External(x.source(), x.digest().algorithm(), x.digest().hashHex(),
                            x.mode(), List.of()));
                    bound.add(new SignedManifest.Entry(x.source().installPath(), x.digest().algorithm(), x.digest().hashHex(),
                            x.signedPermissions(), SignedManifestRules.signedType(m)));
                });
                continue;
            }
            Optional<String> local = SignedManifestRules.localPath(m, seen, b::add);
            if (local.isEmpty()) {
                continue;
            }
            String path = local.get();
            if (m.signature() != null) {
                excluded.add(PathRules.normalise(m.signature()));
            }
            if (m.certificate() != null) {
                excluded.add(PathRules.normalise(m.certificate()));
            }
            ZipArchive.Entry e = entries.get(path);
            if (path.equals(manifestPath)) {
                continue; // a manifest may list itself; it cannot carry its own digest
            }
            boolean selfOrMeta = excluded.contains(path); // TOSCA.meta, certificate and signature files
            if (e == null && refused.contains(path)) {
                continue; // present but refused by an archive rule, whose finding (e.g. UNSAFE_PATH) names it
            }
            if (e == null || e.type() == ArtifactType.DIRECTORY) {
                b.add(Finding.of(FindingCode.ARTIFACT_MISSING, path, "manifest lists an artifact the package does not contain"));
                continue;
            }
            if (SignedManifestRules.listedOnly(m)) {
                // which files may be listed without a digest depends on the package's metadata files (TOSCA.meta)
                if (option1 && !selfOrMeta) {
                    b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, path, "option-1 manifest entry without Algorithm and Hash"));
                }
                if (!selfOrMeta) {
                    Installed in = installedMode(m, e, !option1, b, warnings);
                    expected.put(path, new Expected(e, null, null, in.type(), in.mode()));
                }
                continue;
            }
            Optional<SignedManifestRules.SignedDigest> digest = SignedManifestRules.digest(m, path, policy, b::add);
            if (digest.isEmpty()) {
                continue;
            }
            Installed in = installedMode(m, e, !option1, b, warnings);
            expected.put(path, new Expected(e, digest.get().algorithm(), digest.get().hashHex(), in.type(), in.mode()));
            bound.add(new SignedManifest.Entry(path, digest.get().algorithm(), digest.get().hashHex(),
                    SignedManifestRules.signedPermissions(m), SignedManifestRules.signedType(m)));
        }
        return expected;
    }

    // --- TOSCA.meta file blocks (Name, Content-Type, Algorithm, Hash) ---

    /**
     * The TOSCA.meta file blocks that carry {@code Algorithm}/{@code Hash}, checked like manifest digests: both keys
     * ({@code MALFORMED_PACKAGE}), a safe {@code Name} ({@code UNSAFE_PATH}), an algorithm the policy allows
     * ({@code ALGORITHM_REJECTED}), a file of the archive ({@code ARTIFACT_MISSING}) or an external artifact the
     * manifest lists ({@code ARTIFACT_UNLISTED} otherwise). Blocks naming a manifest artifact join its one hashing
     * pass ({@link Expected#also()}); the others are returned and hashed by {@link #checkToscaMetaDigests}.
     */
    private List<MetaCheck> matchToscaMetaBlocks(byte[] metaBytes, Map<String, ZipArchive.Entry> entries, Set<String> refused,
                                                 Map<String, Expected> expected, Map<String, External> externals, List<Finding> b) {
        ToscaMeta.fileBlockProblems(metaBytes).forEach(p -> b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, ToscaMeta.PATH, p)));
        List<MetaCheck> separate = new ArrayList<>();
        for (ToscaMeta.FileBlock block : ToscaMeta.fileBlocks(metaBytes)) {
            if (!block.hasDigest()) {
                continue;
            }
            String name = block.name();
            String where = ToscaMeta.PATH + " block at line " + block.line();
            if (block.algorithm().isEmpty() || block.hash().isEmpty()) {
                b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, ZipArchive.printable(name), where + " has only one of Algorithm and Hash"));
                continue;
            }
            Optional<String> alg = SignedManifestRules.allowedDigest(policy, block.algorithm().get(), ZipArchive.printable(name), where + ": ", b::add);
            if (alg.isEmpty()) {
                continue;
            }
            String hash = block.hash().get().strip().toLowerCase(Locale.ROOT);
            Optional<ExternalSource> external = ExternalSource.of(name);
            if (external.isPresent()) {
                String path = external.get().installPath();
                External x = path == null ? null : externals.get(path);
                if (x == null || !x.source().source().equals(name)) {
                    b.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, ZipArchive.printable(name), where
                            + " names an external artifact the manifest does not list (or does not let Veripack fetch)"));
                } else {
                    externals.put(path, x.alsoChecking(new MetaCheck(null, alg.get(), hash, block.line())));
                }
                continue;
            }
            Optional<String> unsafe = PathRules.unsafeReason(name);
            if (unsafe.isPresent()) {
                b.add(Finding.of(FindingCode.UNSAFE_PATH, ZipArchive.printable(name), where + ": Name " + unsafe.get()));
                continue;
            }
            String path = PathRules.normalise(name);
            ZipArchive.Entry e = entries.get(path);
            if (e == null && refused.contains(path)) {
                continue; // present but refused by an archive rule, whose finding names it
            }
            if (e == null || e.type() == ArtifactType.DIRECTORY) {
                b.add(Finding.of(FindingCode.ARTIFACT_MISSING, path, where + " names a file the package does not contain"));
                continue;
            }
            MetaCheck check = new MetaCheck(e, alg.get(), hash, block.line());
            Expected x = expected.get(path);
            if (x != null) {
                expected.put(path, x.alsoChecking(check));
            } else {
                separate.add(check);
            }
        }
        return separate;
    }

    /**
     * Hashes the files TOSCA.meta blocks name that no manifest entry hashes (TOSCA.meta itself, the manifest,
     * certificates, unlisted files) and compares: {@code DIGEST_MISMATCH} naming the block.
     */
    private static void checkToscaMetaDigests(ZipArchive archive, List<MetaCheck> checks, VerificationReport.Builder b)
            throws IOException {
        for (MetaCheck c : checks) {
            MessageDigest md = Digests.newDigest(c.algorithm());
            try {
                if (c.entry().type() == ArtifactType.SYMLINK) {
                    md.update(c.entry().linkTarget().getBytes(StandardCharsets.UTF_8));
                } else {
                    try (InputStream in = archive.open(c.entry())) {
                        Streams.transfer(in, Streams.updating(md));
                    }
                }
            } catch (ZipArchive.LimitExceededException ex) {
                b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
                continue;
            } catch (ZipArchive.MalformedEntryException ex) {
                b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, c.entry().path(), ex.getMessage()));
                continue;
            }
            compareMetaDigest(c, c.entry().path(), HexFormat.of().formatHex(md.digest()), b::finding);
        }
    }

    /** {@code DIGEST_MISMATCH} on {@code subject} when {@code actualHex} differs from the block's {@code Hash}. */
    private static void compareMetaDigest(MetaCheck c, String subject, String actualHex, java.util.function.Consumer<Finding> out) {
        if (!c.hashHex().equals(actualHex)) {
            out.accept(Finding.mismatch(FindingCode.DIGEST_MISMATCH, subject, "recomputed " + c.algorithm() + " differs from "
                    + c.origin(), c.hashHex(), actualHex));
        }
    }

    // --- external artifacts (SOL004 §4.3.3; docs/signed-metadata.md "External artifacts") ---

    /**
     * The external artifacts' records. Fetched only under {@code externalArtifacts: fetch}, once the signature covers
     * the manifest and no finding was raised (a URI from an unverified manifest is never requested), one after the
     * other, each within the policy's time bounds and what is left of {@code limits.maxTotalBytes} after the archive's
     * bytes; hashed while the bytes arrive (with every digest a TOSCA.meta block adds) and written into {@code sink}
     * (install) in the same pass. A wrong digest is {@code DIGEST_MISMATCH}, a crossed bound {@code LIMIT_EXCEEDED}, a
     * download that fails {@code ARTIFACT_MISSING}; each names the URI. The node's sealed copy records the signed digests.
     */
    private List<ArtifactRecord> externalArtifacts(Map<String, External> externals, boolean covered, long archiveBytes,
                                                   VerificationReport.Builder b, ArtifactSink sink) throws IOException {
        List<ArtifactRecord> records = new ArrayList<>();
        if (externals.isEmpty()) {
            return records;
        }
        if (sealedCopy) {
            for (Map.Entry<String, External> e : externals.entrySet()) {
                External x = e.getValue();
                ArtifactRecord r = new ArtifactRecord(e.getKey(), ArtifactType.FILE, x.mode(), 0, x.algorithm(), x.hashHex(), null,
                        x.source().source());
                records.add(r);
                b.artifact(r);
            }
            return records;
        }
        if (!covered || b.hasFindings()) {
            b.warning(WarningCode.EXTERNAL_NOT_FETCHED, "package", externals.size() + " external artifact(s) not fetched: the package is rejected already");
            return records;
        }
        long budget = policy.limits().maxTotalBytes() - archiveBytes;
        for (Map.Entry<String, External> e : externals.entrySet()) {
            External x = e.getValue();
            String subject = ZipArchive.printable(x.source().source());
            List<MessageDigest> mds = new ArrayList<>();
            mds.add(Digests.newDigest(x.algorithm()));
            for (MetaCheck c : x.also()) {
                mds.add(Digests.newDigest(c.algorithm()));
            }
            long size;
            OutputStream file = sink != null ? sink.file(e.getKey(), x.mode(), -1) : null; // its failures are the environment's
            progress.begin("fetching " + subject, -1, ProgressListener.Unit.BYTES);
            try {
                OutputStream hashed = Streams.counting(Streams.updating(mds.toArray(MessageDigest[]::new)), progress);
                size = fetcher.fetch(x.source().uri(), Math.max(0, budget), file == null ? hashed : tee(file, hashed));
            } catch (SinkException ex) {
                throw (IOException) ex.getCause();
            } catch (ArtifactFetcher.BoundExceededException ex) {
                b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, subject, "external artifact: " + ex.getMessage()));
                continue;
            } catch (IOException ex) {
                b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, subject, "external artifact could not be fetched: " + ex.getMessage()));
                continue;
            } finally {
                progress.end();
                if (file != null) {
                    file.close();
                }
            }
            budget -= size;
            String actual = HexFormat.of().formatHex(mds.get(0).digest());
            if (!x.hashHex().equals(actual)) {
                b.finding(Finding.mismatch(FindingCode.DIGEST_MISMATCH, subject, "recomputed " + x.algorithm()
                        + " of the downloaded bytes differs from the manifest", x.hashHex(), actual));
            }
            for (int i = 0; i < x.also().size(); i++) {
                compareMetaDigest(x.also().get(i), subject, HexFormat.of().formatHex(mds.get(i + 1).digest()), b::finding);
            }
            ArtifactRecord r = new ArtifactRecord(e.getKey(), ArtifactType.FILE, x.mode(), size, x.algorithm(), actual, null,
                    x.source().source());
            records.add(r);
            b.artifact(r);
        }
        return records;
    }

    /** An I/O failure of the install sink while fetching: the environment's (exit 3), not the download's. */
    private static final class SinkException extends IOException {
        private static final long serialVersionUID = 1L;

        SinkException(IOException cause) { super(cause.getMessage(), cause); }
    }

    /** Writes to {@code file} (failures become {@link SinkException}), then to {@code hashed}. */
    private static OutputStream tee(OutputStream file, OutputStream hashed) {
        return new OutputStream() {
            @Override public void write(int v) throws IOException {
                write(new byte[] {(byte) v}, 0, 1);
            }

            @Override public void write(byte[] buf, int off, int len) throws IOException {
                try {
                    file.write(buf, off, len);
                } catch (IOException ex) {
                    throw new SinkException(ex);
                }
                hashed.write(buf, off, len);
            }
        };
    }

    // --- signed modes, directories and the installed tree (Veripack extension of SOL004 §5.3) ---

    /**
     * The type and mode artifact {@code e} is installed with, checking the zip entry against the signed
     * manifest block:
     * <ul>
     *   <li>the block has {@code Veripack-Mode} ({@link VeripackMode}): the entry's type and permission
     *       bits must equal it exactly (for a symlink only the type: links have no permission bits), else
     *       {@link FindingCode#MODE_MISMATCH} with the octal modes; the signed value is installed;</li>
     *   <li>no {@code Veripack-Mode}, inner CSAR of option 2 ({@code zipModesSigned}): the outer signature
     *       covers the inner zip's bytes, its entry types and modes included, so the entry's are installed;</li>
     *   <li>no {@code Veripack-Mode}, option 1 (third-party CSARs such as ONAP's): nothing signs the mode,
     *       so the artifact is a regular file recorded as {@value #UNSIGNED_FILE_MODE} (installed 0444); an
     *       entry marked as a symlink is {@link FindingCode#UNSAFE_PATH} (link type not covered by the
     *       signature); an execute bit in the zip is ignored with the warning {@link WarningCode#EXECUTE_BIT_IGNORED} — unless the policy says
     *       {@code archiveExecuteBits: honour} ({@link ArchiveExecuteBits}): then an owner-execute bit in the
     *       zip makes it {@value #HONOURED_EXEC_MODE} (installed 0555), with the warning
     *       {@link WarningCode#EXECUTE_BIT_FROM_ARCHIVE}. Setuid/setgid/sticky bits never get here ({@link ZipArchive}
     *       refuses them as {@link FindingCode#UNSAFE_PATH}).</li>
     * </ul>
     */
    private Installed installedMode(Manifest.Entry m, ZipArchive.Entry e, boolean zipModesSigned, List<Finding> b,
                                    List<Warning> warnings) {
        int actual = e.type() == ArtifactType.SYMLINK ? VeripackMode.SYMLINK | e.mode() : VeripackMode.REGULAR | e.mode();
        if (m.mode() != null) {
            int signed = m.mode();
            boolean same = signed == VeripackMode.SYMLINK ? e.type() == ArtifactType.SYMLINK : signed == actual;
            if (!same) {
                b.add(Finding.mismatch(FindingCode.MODE_MISMATCH, e.path(),
                        "archive entry type or permission bits differ from the signed " + VeripackMode.KEY,
                        VeripackMode.format(signed), VeripackMode.format(actual)));
            }
            return signed == VeripackMode.SYMLINK ? new Installed(ArtifactType.SYMLINK, 0777)
                    : new Installed(ArtifactType.FILE, signed & 0777);
        }
        if (zipModesSigned) {
            return new Installed(e.type(), e.mode());
        }
        if (e.type() != ArtifactType.FILE) {
            b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, e.path(),
                    "link type not covered by the signature (the manifest block has no " + VeripackMode.KEY + ")",
                    VeripackMode.format(VeripackMode.REGULAR | UNSIGNED_FILE_MODE), VeripackMode.format(actual)));
        } else if ((e.mode() & 0100) != 0 && policy.archiveExecuteBits() == ArchiveExecuteBits.HONOUR) {
            warnings.add(new Warning(WarningCode.EXECUTE_BIT_FROM_ARCHIVE, e.path(), "execute bit from the unsigned zip header installed (mode "
                    + VeripackMode.format(actual) + " in the zip, not signed: the manifest block has no " + VeripackMode.KEY
                    + "; archiveExecuteBits: honour); recorded " + VeripackMode.format(VeripackMode.REGULAR | HONOURED_EXEC_MODE)));
            return new Installed(ArtifactType.FILE, HONOURED_EXEC_MODE);
        } else if ((e.mode() & 0111) != 0) {
            warnings.add(new Warning(WarningCode.EXECUTE_BIT_IGNORED, e.path(), "execute bit in the archive ignored (mode "
                    + VeripackMode.format(actual) + " is not signed: the manifest block has no " + VeripackMode.KEY
                    + "); installed non-executable"));
        }
        return new Installed(ArtifactType.FILE, UNSIGNED_FILE_MODE);
    }

    /**
     * Zip directory entries carry no signed information: one is allowed only as an ancestor of a listed
     * artifact (or of the manifest, TOSCA.meta, certificate and signature files), otherwise
     * {@link FindingCode#ARTIFACT_UNLISTED}; one that carries data (a {@code dir/} name or a directory
     * type on any name, with bytes) is {@link FindingCode#MALFORMED_PACKAGE}.
     */
    private static void checkDirectoryEntries(ZipArchive archive, Map<String, Expected> expected, Set<String> excluded,
                                              List<Finding> b) {
        Set<String> allowed = new TreeSet<>();
        for (String path : expected.keySet()) {
            allowed.addAll(ancestors(path));
        }
        for (String path : excluded) {
            ZipArchive.Entry e = archive.entries().get(path);
            if (e != null && e.type() == ArtifactType.FILE) {
                allowed.addAll(ancestors(path));
            }
        }
        for (ZipArchive.Entry e : archive.entries().values()) {
            if (e.type() != ArtifactType.DIRECTORY) {
                continue;
            }
            if (carriesData(archive, e)) {
                b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "directory entry carries data"));
            } else if (!allowed.contains(e.path())) {
                b.add(Finding.of(FindingCode.ARTIFACT_UNLISTED, e.path(),
                        "directory entry is not an ancestor of a listed artifact"));
            }
        }
    }

    /** True when the entry declares a size or yields any byte (or its data cannot be read). */
    private static boolean carriesData(ZipArchive archive, ZipArchive.Entry e) {
        if (e.zipEntry().getSize() > 0) {
            return true;
        }
        try (InputStream in = archive.open(e)) {
            return in.read() >= 0;
        } catch (IOException ex) {
            return true;
        }
    }

    /** Every proper ancestor directory of {@code path} ({@code a/b/c} → {@code a}, {@code a/b}). */
    private static List<String> ancestors(String path) {
        List<String> out = new ArrayList<>();
        for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
            out.add(path.substring(0, i));
        }
        return out;
    }

    /**
     * Checks the tree the node will build from the artifacts and their installed types: no artifact path
     * runs through a symlink artifact ({@code lib -> real} plus {@code lib/x}; compared by collision key,
     * so case variants count) → {@link FindingCode#UNSAFE_PATH}; no path is both a file and a directory →
     * {@link FindingCode#MALFORMED_PACKAGE}; every symlink resolves inside the package against its link
     * graph ({@link PathRules#resolveLink}) → else {@link FindingCode#UNSAFE_PATH}.
     */
    private static void checkInstalledTree(Map<String, Expected> expected, Set<String> externalPaths, List<Finding> b) {
        Map<String, ArtifactType> types = new LinkedHashMap<>();
        expected.forEach((path, x) -> types.put(path, treeType(x)));
        externalPaths.forEach(path -> types.put(path, ArtifactType.FILE)); // a fetched external artifact is a file
        Map<String, String> byKey = new LinkedHashMap<>();
        types.keySet().forEach(path -> byKey.put(PathRules.collisionKey(path), path));
        for (String path : List.copyOf(types.keySet())) {
            String key = PathRules.collisionKey(path);
            for (int i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
                String above = byKey.get(key.substring(0, i));
                if (above == null) {
                    continue;
                }
                if (types.get(above) == ArtifactType.SYMLINK) {
                    b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, path, "artifact path passes through a symlink of the package",
                            null, above + " -> " + ZipArchive.printable(expected.get(above).entry().linkTarget())));
                } else {
                    b.add(Finding.of(FindingCode.MALFORMED_PACKAGE, path,
                            "artifact path passes through " + above + ", which is a file"));
                }
                break;
            }
        }
        for (String path : List.copyOf(types.keySet())) {
            for (String dir : ancestors(path)) {
                types.putIfAbsent(dir, ArtifactType.DIRECTORY);
            }
        }
        PathRules.Tree tree = new PathRules.Tree() {
            @Override public ArtifactType typeOf(String path) {
                return path.isEmpty() ? ArtifactType.DIRECTORY : types.get(path);
            }

            @Override public String linkTarget(String path) {
                Expected x = expected.get(path);
                return x == null ? null : x.entry().linkTarget();
            }
        };
        for (Map.Entry<String, Expected> x : expected.entrySet()) {
            if (treeType(x.getValue()) != ArtifactType.SYMLINK) {
                continue;
            }
            String target = x.getValue().entry().linkTarget();
            PathRules.LinkResolution r = PathRules.resolveLink(x.getKey(), target, tree);
            if (!r.resolved()) {
                b.add(Finding.mismatch(FindingCode.UNSAFE_PATH, x.getKey(), "symlink does not resolve inside the package: "
                        + r.problem(), null, ZipArchive.printable(target)));
            }
        }
    }

    /** The installed type, as far as the tree goes: a symlink only when signed as one and stored as one. */
    private static ArtifactType treeType(Expected x) {
        return x.type() == ArtifactType.SYMLINK && x.entry().linkTarget() == null ? ArtifactType.FILE : x.type();
    }

    // --- hashing (one pass per artifact; parallel on the central directory when nothing is extracted) ---

    private record Hashed(ArtifactRecord record, List<Finding> findings) { }

    /**
     * @param speculative hashes already submitted for {@code expected}'s values in order (plain verification),
     *                    or null: hash here, in order, into {@code sink} when it is not null
     */
    private List<ArtifactRecord> hashAndCompare(ZipArchive archive, Map<String, Expected> expected, Set<String> externalPaths,
                                                VerificationReport.Builder b, ArtifactSink sink, List<Future<Hashed>> speculative,
                                                Workers workers) throws IOException {
        List<ArtifactRecord> records = new ArrayList<>();
        Set<String> paths = new TreeSet<>(expected.keySet());
        paths.addAll(externalPaths);
        for (String dir : directories(paths)) {
            int mode = DIRECTORY_MODE;
            ArtifactRecord r = new ArtifactRecord(dir, ArtifactType.DIRECTORY, mode, 0, null, null, null);
            records.add(r);
            b.artifact(r);
            if (sink != null) {
                sink.directory(dir, mode);
            }
        }
        List<Hashed> results = new ArrayList<>();
        if (speculative != null) {
            for (Future<Hashed> f : speculative) {
                results.add(await(f));
            }
        } else {
            for (Expected x : expected.values()) {
                results.add(hashOne(archive, x, sink, workers.readAhead(), false));
            }
        }
        boolean totalLimitReported = false;
        for (Hashed h : results) {
            for (Finding f : h.findings()) {
                boolean total = f.code() == FindingCode.LIMIT_EXCEEDED && f.detail().startsWith("total");
                if (total && totalLimitReported) {
                    continue;
                }
                totalLimitReported |= total;
                b.finding(f);
            }
            if (h.record() != null) {
                records.add(h.record());
                b.artifact(h.record());
            }
        }
        return records;
    }

    /** Mode recorded for every directory: directories are derived from artifact paths, not from zip entries. */
    static final int DIRECTORY_MODE = 0755;

    /** Every ancestor directory of an artifact path, sorted (parents before children). */
    private static Set<String> directories(Set<String> paths) {
        Set<String> dirs = new TreeSet<>();
        for (String path : paths) {
            dirs.addAll(ancestors(path));
        }
        return dirs;
    }

    private Hashed hashOne(ZipArchive archive, Expected x, ArtifactSink sink, ExecutorService readAhead, boolean storedReadAhead)
            throws IOException {
        ZipArchive.Entry e = x.entry();
        String alg = x.algorithm() != null ? x.algorithm() : "SHA-256";
        MessageDigest md = Digests.newDigest(alg);
        MessageDigest[] all = new MessageDigest[1 + x.also().size()]; // the manifest's, then each TOSCA.meta block's
        all[0] = md;
        for (int i = 0; i < x.also().size(); i++) {
            all[i + 1] = Digests.newDigest(x.also().get(i).algorithm());
        }
        List<Finding> findings = new ArrayList<>();
        long size = 0;
        String linkTarget = null;
        try {
            if (e.type() == ArtifactType.SYMLINK) {
                byte[] target = e.linkTarget().getBytes(StandardCharsets.UTF_8);
                linkTarget = e.linkTarget();
                for (MessageDigest d : all) {
                    d.update(target);
                }
                size = target.length;
                if (sink != null) {
                    sink.symlink(e.path(), linkTarget);
                }
            } else {
                try (InputStream in = readAhead(archive.open(e), e, readAhead, storedReadAhead);
                     OutputStream file = sink != null ? sink.file(e.path(), x.mode(), e.zipEntry().getSize()) : null) {
                    // one pass: every block is hashed, then written to the sink (install)
                    OutputStream hashed = Streams.updating(all);
                    if (file != null) {
                        hashed = file;
                        for (MessageDigest d : all) {
                            hashed = new DigestOutputStream(hashed, d);
                        }
                    }
                    size = Streams.transfer(in, Streams.counting(hashed, progress));
                }
            }
        } catch (ZipArchive.LimitExceededException ex) {
            findings.add(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
            return new Hashed(null, findings);
        } catch (ZipArchive.MalformedEntryException ex) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), ex.getMessage()));
            return new Hashed(null, findings);
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (x.hashHex() != null && !x.hashHex().equals(actual)) {
            findings.add(Finding.mismatch(FindingCode.DIGEST_MISMATCH, e.path(), "recomputed " + alg + " differs from the manifest",
                    x.hashHex(), actual));
        }
        for (int i = 0; i < x.also().size(); i++) {
            compareMetaDigest(x.also().get(i), e.path(), HexFormat.of().formatHex(all[i + 1].digest()), findings::add);
        }
        ArtifactRecord record = new ArtifactRecord(e.path(), x.type(), x.mode(), size, alg, actual, linkTarget);
        return new Hashed(record, findings);
    }

    /**
     * A large DEFLATED entry is inflated ahead on another thread, so inflating and hashing (and writing,
     * on install) overlap; a large STORED entry is read ahead only when {@code storedReadAhead} (a core is
     * spare: the file reads, about 15 % of the work, then overlap the hashing); small ones are read directly.
     */
    private static InputStream readAhead(InputStream in, ZipArchive.Entry e, ExecutorService readAhead, boolean storedReadAhead) {
        boolean deflated = e.zipEntry().getMethod() == ZipMethod.DEFLATED.getCode();
        return (deflated || storedReadAhead) && e.zipEntry().getSize() >= PrefetchInputStream.MIN_SOURCE_BYTES
                ? new PrefetchInputStream(in, readAhead) : in;
    }

    // --- per-artifact signatures (SOL004 §5.4, Signature/Certificate keys) ---

    private void verifyArtifactSignatures(ZipArchive archive, Manifest manifest, Map<String, Expected> expected,
                                          VerificationReport.Builder b) throws IOException {
        for (Manifest.Entry m : manifest.artifacts()) {
            if (m.signature() == null) {
                continue;
            }
            String path = PathRules.normalise(m.source());
            Expected x = expected.get(path);
            if (x == null) {
                continue;
            }
            ZipArchive.Entry sig = PathRules.unsafeReason(m.signature()).isPresent() ? null
                    : archive.entries().get(PathRules.normalise(m.signature()));
            if (sig == null) {
                b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, m.signature(), "per-artifact signature file is not in the package"));
                continue;
            }
            byte[] sigBytes = readSmall(archive, sig, b);
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
                    certs = readCertificates(archive, ce, b);
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
