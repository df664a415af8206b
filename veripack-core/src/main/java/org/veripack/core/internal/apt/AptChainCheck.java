package org.veripack.core.internal.apt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.openpgp.PGPSignature;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageIdentity;
import org.veripack.core.ProgressListener;
import org.veripack.core.SignerSummary;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;

/**
 * One verification of a Debian repository chain, {@code Release} → {@code Packages} → {@code .deb}
 * (Debian wiki "DebianRepository/Format"; apt-secure(8)). The checklist is {@link #run()}; see
 * {@code org.veripack.core.apt.AptChainVerifier} for the contract.
 */
public final class AptChainCheck {
    /** Largest accepted (In)Release or Release.gpg file, in bytes (Debian's InRelease is about 150 KiB). */
    static final long MAX_RELEASE_BYTES = 64L * 1024 * 1024;
    /** Record mode for the chain's files: they are evidence, not installed artifacts. */
    private static final int RECORD_MODE = 0644;

    private final OpenPgpKeyring keyring;
    private final TrustPolicy policy;
    private final Instant now;
    private final Path release;
    private final Path detachedSignature;
    private final Path packagesIndex;
    private final Path deb;
    private final VerificationReport.Builder report;
    private final ProgressListener progress;

    /**
     * @param detachedSignature {@code Release.gpg}, or null when {@code release} is a clearsigned {@code InRelease}
     */
    public AptChainCheck(OpenPgpKeyring keyring, TrustPolicy policy, Instant now, Path release, Path detachedSignature,
                         Path packagesIndex, Path deb) {
        this(keyring, policy, now, release, detachedSignature, packagesIndex, deb, ProgressListener.NONE);
    }

    /** As the other constructor, telling {@code progress} the {@code .deb}'s hashing pass ({@link DebPackage#read(Path, ProgressListener)}). */
    public AptChainCheck(OpenPgpKeyring keyring, TrustPolicy policy, Instant now, Path release, Path detachedSignature,
                         Path packagesIndex, Path deb, ProgressListener progress) {
        this.progress = java.util.Objects.requireNonNull(progress, "progress");
        this.keyring = keyring;
        this.policy = policy;
        this.now = now;
        this.release = release;
        this.detachedSignature = detachedSignature;
        this.packagesIndex = packagesIndex;
        this.deb = deb;
        this.report = VerificationReport.builder(PackageFormat.APT_CHAIN, now);
    }

    /** Runs every check that can safely run and returns the report. @throws IOException when an input cannot be read */
    public VerificationReport run() throws IOException {
        ReleaseFile releaseFile = releaseSignedByKeyring();
        if (releaseFile == null) {
            return report.build();
        }
        releaseIsStillValid(releaseFile);
        if (!releaseListsSha256(releaseFile)) {
            return report.build();
        }
        DebPackage debPackage = DebPackage.read(deb, progress);
        report.packageSha256(debPackage.sha256Hex());
        PackagesIndex.Scan scan = packagesIndexMatchesRelease(releaseFile, debPackage);
        if (scan != null) {
            debMatchesItsStanza(releaseFile, debPackage, scan.selected());
        }
        return report.build();
    }

    /**
     * Step 1 (RFC 9580 §7 and §5.2; apt-secure(8)): the Release text is framed strictly and signed by at
     * least one valid key of the keyring. Returns the parsed Release, or null when nothing after this
     * step can be read safely (framing or syntax broken).
     */
    private ReleaseFile releaseSignedByKeyring() throws IOException {
        byte[] releaseBytes = readBounded(release);
        if (releaseBytes == null) {
            return null;
        }
        byte[] signedData;
        byte[] content;
        byte[] signatureBlock;
        if (detachedSignature == null) {
            ClearsignedMessage message;
            try {
                message = ClearsignedMessage.parse(releaseBytes);
            } catch (MalformedException e) {
                report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "InRelease", e.getMessage()));
                return null;
            }
            signedData = message.signedText();
            content = message.content();
            signatureBlock = message.signatureArmor();
        } else {
            signedData = releaseBytes;
            content = releaseBytes;
            signatureBlock = readBounded(detachedSignature);
            if (signatureBlock == null) {
                return null;
            }
        }
        String releaseName = detachedSignature == null ? "InRelease" : "Release";
        report.artifact(new ArtifactRecord(releaseName, ArtifactType.FILE, RECORD_MODE, releaseBytes.length, "SHA-256",
                HexFormat.of().formatHex(PackagesIndex.sha256().digest(releaseBytes)), null));
        List<PGPSignature> signatures;
        try {
            signatures = OpenPgpSignatureCheck.parseSignatures(signatureBlock);
        } catch (MalformedException e) {
            report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, releaseName + " signature", e.getMessage()));
            return null;
        }
        combineSignatureOutcomes(signatures, signedData);
        try {
            return ReleaseFile.parse(content);
        } catch (MalformedException e) {
            report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, releaseName, e.getMessage()));
            return null;
        }
    }

    /**
     * Several signatures (Debian signs with two or three keys): ACCEPT needs at least one good signature
     * by a keyring key; a signature that fails to verify is always a finding (a keyring key disagreeing
     * about the content, or a broken packet); when no signature is good, every reason is a finding;
     * otherwise signatures by unknown, expired or weak keys are warnings (apt and gpgv behave alike).
     */
    private void combineSignatureOutcomes(List<PGPSignature> signatures, byte[] signedData) {
        OpenPgpSignatureCheck check = new OpenPgpSignatureCheck(keyring, now, policy.allowedDigestAlgorithms(),
                policy.minRsaKeyBits());
        List<OpenPgpSignatureCheck.Outcome> outcomes = new ArrayList<>();
        for (PGPSignature s : signatures) {
            outcomes.add(check.check(s, signedData));
        }
        boolean anyGood = outcomes.stream().anyMatch(OpenPgpSignatureCheck.Outcome::good);
        for (OpenPgpSignatureCheck.Outcome o : outcomes) {
            if (o.good()) {
                List<String> path = new ArrayList<>();
                path.add(o.keyFingerprint());
                if (!o.keyFingerprint().equals(o.primaryFingerprint())) {
                    path.add(o.primaryFingerprint());
                }
                report.signer(new SignerSummary(o.userId(), null, null, o.keyFingerprint(), path));
            } else if (!anyGood || o.code() == FindingCode.SIGNATURE_INVALID) {
                report.finding(Finding.of(o.code(), "signature " + o.issuer(), o.detail()));
            } else {
                report.warning(WarningCode.SIGNATURE_IGNORED, "signature " + o.issuer(), "ignored (" + o.code() + "): " + o.detail());
            }
        }
    }

    /** Step 2 (apt-secure(8), Release field {@code Valid-Until}): the signed metadata has not expired. */
    private void releaseIsStillValid(ReleaseFile releaseFile) {
        try {
            Instant validUntil = releaseFile.validUntil();
            if (validUntil != null && !validUntil.isAfter(now)) {
                report.finding(Finding.mismatch(FindingCode.METADATA_EXPIRED, "Release",
                        "Release is past its Valid-Until", "before " + validUntil, now.toString()));
            }
        } catch (MalformedException e) {
            report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "Release", e.getMessage()));
        }
    }

    /** Step 3: only the SHA-256 list binds index files; a Release with only MD5Sum/SHA1 lists is weak. */
    private boolean releaseListsSha256(ReleaseFile releaseFile) {
        if (releaseFile.hasSha256()) {
            return true;
        }
        report.finding(releaseFile.hasOnlyWeakDigests()
                ? Finding.of(FindingCode.ALGORITHM_REJECTED, "Release", "Release lists only MD5Sum/SHA1 digests")
                : Finding.of(FindingCode.MALFORMED_PACKAGE, "Release", "Release has no SHA256 field"));
        return false;
    }

    /**
     * Step 4: the uncompressed Packages index has the size and SHA-256 of a {@code Packages} entry of the
     * Release's SHA256 list. Returns the scan (its selected stanzas feed step 5), or null when the index
     * cannot be decoded.
     */
    private PackagesIndex.Scan packagesIndexMatchesRelease(ReleaseFile releaseFile, DebPackage debPackage) throws IOException {
        List<ReleaseFile.IndexEntry> candidates = releaseFile.packagesIndexes();
        String localName = packagesIndex.getFileName().toString();
        if (candidates.isEmpty()) {
            report.finding(Finding.of(FindingCode.ARTIFACT_MISSING, localName, "Release lists no Packages index"));
            return null;
        }
        ReleaseFile.IndexEntry named = entryNamedLike(candidates, localName);
        long maxBytes = Math.min(policy.limits().maxTotalBytes(),
                candidates.stream().mapToLong(ReleaseFile.IndexEntry::sizeBytes).max().orElse(0));
        String localDebName = debFileName();
        Deb822 control = debPackage.control();
        PackagesIndex.Scan scan;
        try {
            String wantedPackage = control == null ? null : control.get("Package");
            scan = PackagesIndex.scan(packagesIndex, maxBytes, line -> {
                int colon = line.indexOf(':');
                String value = line.substring(colon + 1).strip();
                return line.startsWith("Package:") ? value.equals(wantedPackage) : localDebName.equals(basename(value));
            });
        } catch (MalformedException e) {
            report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, localName, e.getMessage()));
            return null;
        }
        ReleaseFile.IndexEntry matched = null;
        if (!scan.truncated()) {
            for (ReleaseFile.IndexEntry e : candidates) {
                if (e.sizeBytes() == scan.sizeBytes() && e.sha256Hex().equals(scan.sha256Hex())) {
                    matched = e;
                    break;
                }
            }
        }
        if (matched == null) {
            report.finding(Finding.mismatch(FindingCode.DIGEST_MISMATCH, named != null ? named.path() : localName,
                    "uncompressed Packages index matches no SHA256 entry of the Release",
                    named != null ? named.sha256Hex() : null,
                    scan.truncated() ? "more than " + maxBytes + " bytes" : scan.sha256Hex()));
        } else {
            report.artifact(new ArtifactRecord(matched.path(), ArtifactType.FILE, RECORD_MODE, scan.sizeBytes(),
                    "SHA-256", scan.sha256Hex(), null));
        }
        if (scan.malformed() != null) {
            report.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, localName, scan.malformed()));
        }
        return scan;
    }

    /**
     * Step 5: the .deb's size and SHA-256 equal those of its stanza. The stanza is selected by the
     * {@code Package}, {@code Version} and {@code Architecture} of the .deb's control file; when that
     * cannot be read or matches nothing, by the {@code Filename} basename equal to the .deb's file name
     * (apt-get download's {@code %3a} for an epoch colon decoded). Stanzas for the same
     * name/version/architecture with different SHA-256 or size are ambiguous: {@code ARTIFACT_DUPLICATE}.
     */
    private void debMatchesItsStanza(ReleaseFile releaseFile, DebPackage debPackage, List<Deb822> selected) {
        String localDebName = debFileName();
        List<Deb822> matches = new ArrayList<>();
        Deb822 control = debPackage.control();
        if (control != null) {
            for (Deb822 p : selected) {
                if (same(p, control, "Package") && same(p, control, "Version") && same(p, control, "Architecture")) {
                    matches.add(p);
                }
            }
        }
        if (matches.isEmpty()) {
            for (Deb822 p : selected) {
                if (localDebName.equals(basename(p.get("Filename")))) {
                    matches.add(p);
                }
            }
        }
        if (matches.isEmpty()) {
            report.finding(Finding.of(FindingCode.ARTIFACT_UNLISTED, localDebName,
                    control != null ? "no stanza for " + control.get("Package") + " " + control.get("Version") + " "
                            + control.get("Architecture") + " in the Packages index"
                            : "the .deb's control is unreadable (" + debPackage.controlError()
                            + ") and no stanza has Filename " + localDebName));
            return;
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (Deb822 p : matches) {
            distinct.add(p.get("SHA256") + " " + p.get("Size"));
        }
        Deb822 stanza = matches.get(0);
        String subject = stanza.get("Package") + "_" + stanza.get("Version") + "_" + stanza.get("Architecture");
        if (distinct.size() > 1) {
            report.finding(Finding.of(FindingCode.ARTIFACT_DUPLICATE, subject,
                    distinct.size() + " stanzas for the same package, version and architecture disagree on the .deb"));
            return;
        }
        report.identity(new PackageIdentity(stanza.get("Package"), nonNull(stanza.get("Version")),
                releaseFile.field("Origin"), releaseFile.field("Date"), "Version"));
        String filename = stanza.get("Filename") != null ? stanza.get("Filename") : localDebName;
        String sha = stanza.get("SHA256");
        if (sha == null) {
            report.finding(Finding.of(stanza.get("MD5sum") != null || stanza.get("SHA1") != null
                    ? FindingCode.ALGORITHM_REJECTED : FindingCode.MALFORMED_PACKAGE, filename, "stanza has no SHA256 field"));
            return;
        }
        String size = stanza.get("Size");
        if (size == null || !size.equals(Long.toString(debPackage.sizeBytes()))) {
            report.finding(Finding.mismatch(FindingCode.DIGEST_MISMATCH, filename, ".deb size differs from its stanza",
                    size, Long.toString(debPackage.sizeBytes())));
        }
        if (!sha.toLowerCase(Locale.ROOT).equals(debPackage.sha256Hex())) {
            report.finding(Finding.mismatch(FindingCode.DIGEST_MISMATCH, filename, ".deb SHA-256 differs from its stanza",
                    sha.toLowerCase(Locale.ROOT), debPackage.sha256Hex()));
        }
        report.artifact(new ArtifactRecord(filename, ArtifactType.FILE, RECORD_MODE, debPackage.sizeBytes(), "SHA-256",
                debPackage.sha256Hex(), null));
    }

    private byte[] readBounded(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes((int) MAX_RELEASE_BYTES + 1);
            if (bytes.length > MAX_RELEASE_BYTES) {
                report.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, file.getFileName().toString(),
                        "larger than " + MAX_RELEASE_BYTES + " bytes"));
                return null;
            }
            return bytes;
        }
    }

    /** The Release entry whose path, with '/' as '_', ends the local file name without compression suffix (apt's list naming). */
    private static ReleaseFile.IndexEntry entryNamedLike(List<ReleaseFile.IndexEntry> candidates, String localName) {
        String stem = localName.replaceFirst("\\.(gz|xz|lz4|bz2|zst)$", "");
        ReleaseFile.IndexEntry best = null;
        for (ReleaseFile.IndexEntry e : candidates) {
            String flat = e.path().replace('/', '_');
            if ((stem.equals(flat) || stem.endsWith("_" + flat)) && (best == null || e.path().length() > best.path().length())) {
                best = e;
            }
        }
        return best != null ? best : candidates.size() == 1 ? candidates.get(0) : null;
    }

    private String debFileName() {
        return deb.getFileName().toString().replace("%3a", ":").replace("%3A", ":").replaceFirst("_[0-9]+:", "_");
    }

    private static String basename(String filename) {
        if (filename == null) {
            return null;
        }
        int slash = filename.lastIndexOf('/');
        return filename.substring(slash + 1);
    }

    private static boolean same(Deb822 a, Deb822 b, String field) {
        return a.get(field) != null && a.get(field).equals(b.get(field));
    }

    private static String nonNull(String s) { return s == null ? "" : s; }
}
