package org.veripack.core.sign;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.CRC32;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.veripack.core.AtomicFile;
import org.veripack.core.Finding;
import org.veripack.core.ProgressListener;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.internal.io.Streams;
import org.veripack.core.internal.manifest.DigestAlgorithms;
import org.veripack.core.internal.manifest.ManifestWriter;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * Vendor side: writes ETSI GS NFV-SOL 004 CSARs and detached signatures.
 *
 * <p>{@link #writeOption1(Path, Path)}: makes any VNF package directory a conformant signed package
 * without changing the directory ({@code PackageLayout} has the rules): every file becomes an artifact;
 * {@code TOSCA-Metadata/TOSCA.meta} is kept (the SOL004 §4.2 block-0 entries it lacks appended) or generated;
 * a change log and a certificate file (signer certificate and chain, {@code ETSI-Entry-Certificate}) are
 * added; the manifest (the name TOSCA.meta gives, else the directory's root {@code .mf}, else derived)
 * holds the {@code metadata:} block and one {@code Source}/{@code Algorithm}/{@code Hash} block per file,
 * sorted by path, each with the Veripack extension line {@code Veripack-Mode} that signs the artifact's type
 * and permission bits ({@code 100644}, {@code 100755}, any {@code 100ppp}, or {@code 120000} for a symlink;
 * see {@code VeripackMode}), followed by the PEM CMS block (SOL004 §5.4): a detached CMS SignedData over
 * every manifest byte before the {@code -----BEGIN CMS-----} line, which end with a line break (LF), the block
 * following directly: the one layout every reader verifies alike (cut at the marker line, read line by line as
 * ONAP's validator does, or by Veripack's rule in {@code docs/signed-metadata.md}). The zip entries carry the same modes; a
 * verifier installs the signed ones. Relative symlinks are kept when they resolve, against the directory's
 * own link graph ({@code PathRules.resolveLink}), to a file or directory inside it. Output is deterministic
 * apart from the signature bytes and the default release time (sorted entries, fixed timestamps, fixed
 * compression). The file is written to a temp file beside {@code out} and renamed into place.
 *
 * <p>Metadata (SOL004 §4.3.2, VNF keys): {@code vnf_product_name}, {@code vnf_provider_id},
 * {@code vnf_package_version} (or, with {@link Builder#versionKey}, {@code vnf_software_version} alone),
 * {@code vnf_release_date_time}, plus {@code vnfd_id} and {@code vnf_software_version} when the VNFD gives them. Each comes from the builder when set, else from
 * the main VNFD's VNF node ({@code product_name}, {@code provider}, {@code software_version},
 * {@code descriptor_id}; {@code VnfDescriptor}); the provider last from the signer certificate's O (else CN),
 * the release time from the clock. {@link Result#metadata()} says which source each value came from.
 *
 * <p>Before anything is written (unless {@link Builder#conformanceChecks(boolean)} is off), the signer
 * refuses what a verifier with the default policy or a node would refuse ({@link #checkSigner}), a name or
 * version a node cannot install ({@link org.veripack.core.PackageIdentity#installProblem}), and a TOSCA.meta
 * block whose stated hash does not match its file.
 *
 * <p>{@link #writeOption2(Path, Path)}: an outer zip holding {@code <name>.csar} (the option-1 CSAR),
 * {@code <name>.cms} (PEM, detached over the inner CSAR's bytes) and {@code <name>.cert} (PEM signer
 * certificate and chain), SOL004 §5.5.
 *
 * <p>Errors: {@link IllegalArgumentException} (one line) for a directory Veripack refuses to package (a
 * symlink that is absolute, leaves it, loops or dangles, a device/FIFO, setuid/setgid/sticky bits, a role
 * file path that is a directory or link, an ambiguous main definitions file or manifest), missing or
 * uninstallable metadata, and a refused signer; {@link IOException} for I/O failures.
 */
public final class CsarSigner {
    private static final long FIXED_TIME = LocalDateTime.of(2000, 1, 1, 0, 0).atZone(ZoneId.systemDefault())
            .toInstant().toEpochMilli();

    private final SigningIdentity identity;
    private final String name;
    private final String version;
    private final String versionKey;
    private final String provider;
    private final String releaseTime;
    private final String digestAlgorithm;
    private final CmsSigner cmsSigner;
    private final boolean storeArtifacts;
    private final boolean conformanceChecks;
    private final Clock clock;
    private final ProgressListener progress;

    private CsarSigner(Builder b) {
        this.identity = b.identity;
        this.name = b.name;
        this.version = b.version;
        this.versionKey = b.versionKey;
        this.provider = b.provider;
        this.releaseTime = b.releaseTime;
        this.digestAlgorithm = b.digestAlgorithm;
        this.cmsSigner = CmsSigner.builder(b.identity).clock(b.clock).timestampAuthority(b.tsa).build();
        this.storeArtifacts = b.storeArtifacts;
        this.conformanceChecks = b.conformanceChecks;
        this.clock = b.clock;
        this.progress = b.progress;
    }

    /** Where a metadata value came from. */
    public enum Source {
        /** set on the builder (the CLI's {@code --name}, {@code --version}, {@code --provider}, {@code --release-date-time}) */
        GIVEN,
        /** the main VNFD's VNF node (its property, or its type's default) */
        VNFD,
        /** the signer certificate's subject O, else CN (provider only) */
        SIGNER_CERTIFICATE,
        /** the signing clock (release date-time only) */
        SIGNING_TIME
    }

    /**
     * One line of the manifest's {@code metadata:} block and where its value came from.
     *
     * @param detail for {@link Source#VNFD}: file, node and property; for {@link Source#SIGNER_CERTIFICATE}:
     *               which field; else empty
     */
    public record MetadataValue(String key, String value, Source source, String detail) {
        /** "given", "VNFD Definitions/x.yaml, node VNF, property provider", "the signing time", ... */
        public String describeSource() {
            return switch (source) {
                case GIVEN -> "given";
                case VNFD -> "VNFD " + detail;
                case SIGNER_CERTIFICATE -> detail;
                case SIGNING_TIME -> "the signing time";
            };
        }
    }

    /**
     * What {@link #writeOption1} or {@link #writeOption2} wrote.
     *
     * @param manifestPath package path of the manifest
     * @param metadata     the manifest's metadata lines with their sources, in the order written
     * @param notes        one line per file the package adds to the directory's, keeps with additions, or replaces
     */
    public record Result(String manifestPath, List<MetadataValue> metadata, List<String> notes) { }

    /** Starts a signer for {@code identity}. */
    public static Builder builder(SigningIdentity identity) {
        return new Builder(identity);
    }

    /** Writes an option-1 CSAR of {@code dir} to {@code out}; when it throws before writing, no file is created. */
    public Result writeOption1(Path dir, Path out) throws IOException {
        PackageLayout layout = prepare(dir);
        AtomicFile.write(out, o -> writeOption1To(layout, o));
        return result(layout);
    }

    /** Writes an option-2 package (outer zip with the CSAR, its {@code .cms} and {@code .cert}) to {@code out}. */
    public Result writeOption2(Path dir, Path out) throws IOException {
        PackageLayout layout = prepare(dir);
        Path inner = Files.createTempFile(out.toAbsolutePath().getParent(), ".veripack-inner-", ".csar");
        try {
            try (OutputStream o = Files.newOutputStream(inner)) {
                writeOption1To(layout, o);
            }
            byte[] cms = CmsSigner.toPemBytes(cmsSigner.signDetached(inner, progress));
            byte[] cert = certificatesPem();
            AtomicFile.write(out, o -> {
                try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(o)) {
                    String base = (layout.name + "-" + layout.version).replaceAll("[^A-Za-z0-9._-]", "_");
                    progress.begin("writing the outer package", Files.size(inner), ProgressListener.Unit.BYTES);
                    try (InputStream in = Files.newInputStream(inner)) {
                        ZipArchiveEntry e = fileEntry(base + ".csar", 0644);
                        zip.putArchiveEntry(e);
                        in.transferTo(Streams.counting(zip, progress));
                        zip.closeArchiveEntry();
                    } finally {
                        progress.end();
                    }
                    putBytes(zip, fileEntry(base + ".cert", 0644), cert);
                    putBytes(zip, fileEntry(base + ".cms", 0644), cms);
                }
            });
        } finally {
            Files.deleteIfExists(inner);
        }
        return result(layout);
    }

    /**
     * Writes a detached CMS SignedData (DER) over {@code file} to {@code out}, as
     * {@code openssl cms -verify -binary -inform DER -content FILE} accepts it, after {@link #checkSigner}.
     */
    public static void writeDetached(SigningIdentity identity, Clock clock, Path file, Path out) throws IOException {
        writeDetached(identity, clock, null, file, out);
    }

    /** As {@link #writeDetached(SigningIdentity, Clock, Path, Path)}, time-stamped by {@code tsa} when not null. */
    public static void writeDetached(SigningIdentity identity, Clock clock, TimestampAuthority tsa, Path file, Path out)
            throws IOException {
        writeDetached(identity, clock, tsa, file, out, ProgressListener.NONE);
    }

    /**
     * As {@link #writeDetached(SigningIdentity, Clock, TimestampAuthority, Path, Path)}, telling {@code progress} the
     * step {@code "signing FILE"} ({@link CmsSigner#signDetached(Path, ProgressListener)}).
     */
    public static void writeDetached(SigningIdentity identity, Clock clock, TimestampAuthority tsa, Path file, Path out,
                                     ProgressListener progress) throws IOException {
        checkSigner(identity, clock.instant());
        byte[] der = CmsSigner.builder(identity).clock(clock).timestampAuthority(tsa).build().signDetached(file, progress);
        AtomicFile.write(out, o -> o.write(der));
    }

    /**
     * Refuses a signer whose signatures verifiers with the default policy would reject: signs a probe with
     * {@code identity} and checks it with the verifier's own CMS checks ({@code CmsSignatureVerifier}) under
     * {@link TrustPolicy#withAnchors} of the top of the identity's chain (the signer certificate itself when
     * it has none), at {@code at}. Caught this way: a certificate without digitalSignature or without EKU
     * codeSigning (a CA certificate, a TLS certificate) → {@code KEY_USAGE_INVALID}; expired or not yet valid
     * at {@code at}, chain included → {@code CERT_EXPIRED}/{@code CERT_NOT_YET_VALID}; a weak key or
     * certificate signature (SHA-1, an unnamed curve) → {@code ALGORITHM_REJECTED}; a key that does not match
     * the certificate → {@code SIGNATURE_INVALID}; a chain that does not issue the signer →
     * {@code SIGNER_UNTRUSTED}. (An RSA key below 2048 bits is refused earlier, by {@link CmsSigner}.)
     *
     * @throws IllegalArgumentException naming every finding, on one line
     * @throws IOException when signing the probe fails
     */
    public static void checkSigner(SigningIdentity identity, Instant at) throws IOException {
        byte[] probe = "veripack signer check".getBytes(StandardCharsets.US_ASCII);
        byte[] cms = CmsSigner.builder(identity).clock(Clock.fixed(at, ZoneOffset.UTC)).build()
                .signDetached(new ByteArrayInputStream(probe));
        X509Certificate anchor = identity.chain().isEmpty() ? identity.certificate()
                : identity.chain().get(identity.chain().size() - 1);
        SignatureCheckResult r = CmsSignatureVerifier.verify(cms, () -> new ByteArrayInputStream(probe), List.of(),
                TrustPolicy.withAnchors(List.of(anchor)), at, RevocationSource.http());
        if (!r.findings().isEmpty()) {
            StringBuilder sb = new StringBuilder("verifiers would refuse this signer (default policy, at "
                + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "):");
            for (Finding f : r.findings()) {
                sb.append(' ').append(f.code()).append(' ').append(f.subject()).append(": ").append(f.detail());
                if (f.expected() != null) {
                    sb.append(" (expected ").append(f.expected()).append(", found ").append(f.actual()).append(')');
                }
                sb.append(';');
            }
            throw new IllegalArgumentException(sb.substring(0, sb.length() - 1).replaceAll("[\\r\\n]+", " "));
        }
    }

    private PackageLayout prepare(Path dir) throws IOException {
        if (conformanceChecks) {
            checkSigner(identity, clock.instant());
        }
        return PackageLayout.of(dir, new PackageLayout.Given(name, version, versionKey, provider, releaseTime,
                defaultProvider(identity.certificate()), clock.instant(), certificatesPem(), conformanceChecks));
    }

    private static Result result(PackageLayout layout) {
        return new Result(layout.manifestPath, layout.metadata, List.copyOf(layout.notes));
    }

    private byte[] certificatesPem() {
        StringBuilder sb = new StringBuilder();
        List<X509Certificate> certs = new ArrayList<>();
        certs.add(identity.certificate());
        certs.addAll(identity.chain());
        for (X509Certificate c : certs) {
            try {
                sb.append("-----BEGIN CERTIFICATE-----\n")
                        .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("cannot encode a certificate", e);
            }
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    // --- option 1 ---

    private void writeOption1To(PackageLayout layout, OutputStream out) throws IOException {
        long fileBytes = 0;
        for (PackageLayout.Entry e : layout.entries) {
            fileBytes += e.kind() == PackageLayout.Kind.FILE ? Files.size(e.file()) : 0;
        }
        List<ManifestWriter.Artifact> listed = new ArrayList<>();
        progress.begin("hashing files", fileBytes, ProgressListener.Unit.BYTES);
        try {
            for (PackageLayout.Entry e : layout.entries) {
                if (e.kind() == PackageLayout.Kind.DIRECTORY) {
                    continue;
                }
                String digest = switch (e.kind()) {
                    case SYMLINK -> Digests.hex(digestAlgorithm, e.linkTarget().getBytes(StandardCharsets.UTF_8));
                    case BYTES -> Digests.hex(digestAlgorithm, e.bytes());
                    default -> Digests.fileHex(e.file(), digestAlgorithm, progress);
                };
                int mode = e.kind() == PackageLayout.Kind.SYMLINK ? VeripackMode.SYMLINK : VeripackMode.regular(e.mode());
                listed.add(new ManifestWriter.Artifact(e.path(), digestAlgorithm, digest, mode));
            }
        } finally {
            progress.end();
        }
        listed.sort((a, b) -> a.source().compareTo(b.source()));
        Map<String, String> metadata = new LinkedHashMap<>();
        layout.metadata.forEach(m -> metadata.put(m.key(), m.value()));
        byte[] signedPart = ManifestWriter.write(metadata, listed);
        byte[] cms = CmsSigner.toPemBytes(cmsSigner.signDetached(new ByteArrayInputStream(signedPart)));
        byte[] manifest = new byte[signedPart.length + cms.length];
        System.arraycopy(signedPart, 0, manifest, 0, signedPart.length);
        System.arraycopy(cms, 0, manifest, signedPart.length, cms.length);

        progress.begin("writing the package", storeArtifacts ? 2 * fileBytes : fileBytes, ProgressListener.Unit.BYTES);
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            putBytes(zip, fileEntry(layout.manifestPath, 0644), manifest);
            for (PackageLayout.Entry e : layout.entries) {
                switch (e.kind()) {
                    case DIRECTORY -> putDirectory(zip, e.path(), e.mode());
                    case SYMLINK -> {
                        ZipArchiveEntry z = new ZipArchiveEntry(e.path());
                        z.setUnixMode(0120777);
                        z.setTime(FIXED_TIME);
                        putBytes(zip, z, e.linkTarget().getBytes(StandardCharsets.UTF_8));
                    }
                    case BYTES -> putBytes(zip, fileEntry(e.path(), e.mode()), e.bytes());
                    default -> {
                        ZipArchiveEntry z = fileEntry(e.path(), e.mode());
                        if (storeArtifacts) {
                            storedSizeAndCrc(z, e.file(), progress);
                        }
                        zip.putArchiveEntry(z);
                        try (InputStream in = Files.newInputStream(e.file())) {
                            in.transferTo(Streams.counting(zip, progress));
                        }
                        zip.closeArchiveEntry();
                    }
                }
            }
        } finally {
            progress.end();
        }
    }

    /** A STORED entry on a plain output stream needs its size and CRC-32 before the data (APPNOTE §4.4.4). */
    private static void storedSizeAndCrc(ZipArchiveEntry e, Path file, ProgressListener progress) throws IOException {
        CRC32 crc = new CRC32();
        long size = 0;
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
                size += n;
                progress.advance(n);
            }
        }
        e.setMethod(ZipArchiveEntry.STORED);
        e.setSize(size);
        e.setCompressedSize(size);
        e.setCrc(crc.getValue());
    }

    private static ZipArchiveEntry fileEntry(String path, int mode) {
        ZipArchiveEntry e = new ZipArchiveEntry(path);
        e.setUnixMode(0100000 | (mode & 0777));
        e.setTime(FIXED_TIME);
        e.setMethod(ZipArchiveEntry.DEFLATED);
        return e;
    }

    private static void putDirectory(ZipArchiveOutputStream zip, String path, int mode) throws IOException {
        ZipArchiveEntry e = new ZipArchiveEntry(path + "/");
        e.setUnixMode(040000 | (mode & 0777));
        e.setTime(FIXED_TIME);
        zip.putArchiveEntry(e);
        zip.closeArchiveEntry();
    }

    private static void putBytes(ZipArchiveOutputStream zip, ZipArchiveEntry e, byte[] bytes) throws IOException {
        zip.putArchiveEntry(e);
        zip.write(bytes);
        zip.closeArchiveEntry();
    }

    private static String defaultProvider(X509Certificate cert) {
        try {
            String cn = null;
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("O")) {
                    return rdn.getValue().toString();
                }
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    cn = rdn.getValue().toString();
                }
            }
            return cn != null ? cn : cert.getSubjectX500Principal().getName();
        } catch (InvalidNameException e) {
            return cert.getSubjectX500Principal().getName();
        }
    }

    /** Builder of {@link CsarSigner}. */
    public static final class Builder {
        private final SigningIdentity identity;
        private String name;
        private String version;
        private String versionKey = "vnf_package_version";
        private String provider;
        private String releaseTime;
        private String digestAlgorithm = "SHA-256";
        private Clock clock = Clock.systemUTC();
        private TimestampAuthority tsa;
        private boolean storeArtifacts;
        private boolean conformanceChecks = true;
        private ProgressListener progress = ProgressListener.NONE;

        private Builder(SigningIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
        }

        /** RFC 3161 time-stamp on the CMS SignerInfo from {@code authority}; none when null (default). */
        public Builder timestampAuthority(TimestampAuthority authority) { this.tsa = authority; return this; }

        /** {@code vnf_product_name}; default (null): the VNFD's {@code product_name}. */
        public Builder name(String v) { this.name = v; return this; }
        /** The package version, written under {@link #versionKey(String)}; default (null): the VNFD's {@code software_version}. */
        public Builder version(String v) { this.version = v; return this; }
        /**
         * The metadata key the version is written under (SOL004 §4.3.2): {@code vnf_package_version} (default;
         * v2.6.1 on) or {@code vnf_software_version} (v3/v4 packages that carry only the software version).
         *
         * @throws IllegalArgumentException for any other key
         */
        public Builder versionKey(String key) {
            if (!Set.of("vnf_package_version", "vnf_software_version").contains(key)) {
                throw new IllegalArgumentException("version key must be vnf_package_version or vnf_software_version: " + key);
            }
            this.versionKey = key;
            return this;
        }
        /** {@code vnf_provider_id}; default (null): the VNFD's {@code provider}, else the signer certificate's O (else CN). */
        public Builder provider(String v) { this.provider = v; return this; }
        /** {@code vnf_release_date_time}, an RFC 3339 date-time, written as given; default (null): the clock's instant (UTC, seconds). */
        public Builder releaseTime(String v) { this.releaseTime = v; return this; }
        /** Artifact digest: {@code SHA-256} (default), {@code SHA-384} or {@code SHA-512} (also {@code SHA384} spellings). */
        public Builder digestAlgorithm(String v) {
            this.digestAlgorithm = DigestAlgorithms.canonical(v)
                    .orElseThrow(() -> new IllegalArgumentException("digest must be SHA-256, SHA-384 or SHA-512: " + v));
            return this;
        }
        /**
         * Writes payload artifacts uncompressed (zip method STORED) instead of DEFLATED: for artifacts that
         * are already compressed (VM and container images), so verification and installation run at the
         * speed of the hash. The manifest and TOSCA.meta stay DEFLATED. Default false.
         */
        public Builder storeArtifacts(boolean v) { this.storeArtifacts = v; return this; }
        /** Source of the CMS signingTime, of the instant the signer is checked at and of the default release time. */
        public Builder clock(Clock c) { this.clock = Objects.requireNonNull(c); return this; }
        /**
         * Default true: refuse, before writing anything, what verifiers or nodes would refuse ({@link #checkSigner},
         * a name or version a node cannot install, a TOSCA.meta block hash that does not match its file). False
         * only to build deliberately non-conforming packages (tests of the verifier and the node).
         */
        public Builder conformanceChecks(boolean v) { this.conformanceChecks = v; return this; }
        /**
         * Told the steps that read the package's files: {@code "hashing files"} and {@code "writing the package"}
         * (totals: the files' bytes; twice that with {@link #storeArtifacts}, whose CRC-32 pass is counted too),
         * for option 2 also {@code "signing FILE"} and {@code "writing the outer package"}. Default: none.
         */
        public Builder progress(ProgressListener p) { this.progress = Objects.requireNonNull(p, "progress"); return this; }

        /** @throws IllegalArgumentException when a given value is blank or multi-line, or the name contains ':' */
        public CsarSigner build() {
            for (String[] kv : new String[][] {{"name", name}, {"version", version}, {"provider", provider},
                    {"release time", releaseTime}}) {
                if (kv[1] != null && (kv[1].isBlank() || kv[1].indexOf('\n') >= 0 || kv[1].indexOf('\r') >= 0)) {
                    throw new IllegalArgumentException("CSAR " + kv[0] + " must be one non-empty line");
                }
            }
            if (name != null && name.contains(":")) {
                throw new IllegalArgumentException("CSAR name must not contain ':'");
            }
            return new CsarSigner(this);
        }
    }
}
