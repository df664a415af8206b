package org.veripack.core.sign;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.veripack.core.ArtifactType;
import org.veripack.core.internal.csar.PathRules;
import org.veripack.core.internal.csar.ToscaMeta;
import org.veripack.core.internal.manifest.DigestAlgorithms;
import org.veripack.core.internal.manifest.ManifestWriter;
import org.veripack.core.internal.manifest.VeripackMode;

/**
 * Vendor side: writes ETSI GS NFV-SOL 004 CSARs and detached signatures.
 *
 * <p>{@link #writeOption1(Path, Path)}: every file of a directory becomes an artifact; a
 * {@code TOSCA-Metadata/TOSCA.meta} is generated when the directory has none (with
 * {@code ETSI-Entry-Manifest}); the manifest {@code <name>.mf} (or the name the directory's TOSCA.meta
 * gives) holds the {@code metadata:} block ({@code vnf_product_name}, {@code vnf_provider_id},
 * {@code vnf_package_version} or, when so built, {@code vnf_software_version}, {@code vnf_release_date_time}
 * when given) and one
 * {@code Source}/{@code Algorithm}/{@code Hash} block per artifact, sorted by path, each with the Veripack
 * extension line {@code Veripack-Mode} that signs the artifact's type and permission bits ({@code 100644},
 * {@code 100755}, any {@code 100ppp}, or {@code 120000} for a symlink; see {@code VeripackMode}), followed by
 * the PEM CMS block (SOL004 §5.4): a detached CMS SignedData over every manifest byte before the
 * {@code -----BEGIN CMS-----} line. The zip entries carry the same modes; a verifier installs the signed
 * ones. Relative symlinks are kept when they resolve, against the directory's own link graph
 * ({@code PathRules.resolveLink}), to a file or directory inside it. Output is deterministic apart from the signature bytes
 * (sorted entries, fixed timestamps, fixed compression). The file is written to a temp file beside
 * {@code out} and renamed into place.
 *
 * <p>{@link #writeOption2(Path, Path)}: an outer zip holding {@code <name>.csar} (the option-1 CSAR),
 * {@code <name>.cms} (PEM, detached over the inner CSAR's bytes) and {@code <name>.cert} (PEM signer
 * certificate and chain), SOL004 §5.5.
 *
 * <p>Errors: {@link IllegalArgumentException} for a directory Veripack refuses to package (a symlink
 * that is absolute, leaves it, loops or dangles, a device/FIFO, setuid/setgid/sticky bits, a file named
 * like the manifest); {@link IOException} for I/O failures.
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

    private CsarSigner(Builder b) {
        this.identity = b.identity;
        this.name = b.name;
        this.version = b.version;
        this.versionKey = b.versionKey;
        this.provider = b.provider != null ? b.provider : defaultProvider(b.identity.certificate());
        this.releaseTime = b.releaseTime;
        this.digestAlgorithm = b.digestAlgorithm;
        this.cmsSigner = CmsSigner.builder(b.identity).clock(b.clock).timestampAuthority(b.tsa).build();
        this.storeArtifacts = b.storeArtifacts;
    }

    /** Starts a signer for {@code identity}. */
    public static Builder builder(SigningIdentity identity) {
        return new Builder(identity);
    }

    /** Writes an option-1 CSAR of {@code dir} to {@code out}. */
    public void writeOption1(Path dir, Path out) throws IOException {
        writeAtomically(out, o -> writeOption1To(dir, o));
    }

    /** Writes an option-2 package (outer zip with the CSAR, its {@code .cms} and {@code .cert}) to {@code out}. */
    public void writeOption2(Path dir, Path out) throws IOException {
        Path inner = Files.createTempFile(out.toAbsolutePath().getParent(), ".veripack-inner-", ".csar");
        try {
            try (OutputStream o = Files.newOutputStream(inner)) {
                writeOption1To(dir, o);
            }
            byte[] cms = CmsSigner.toPemBytes(cmsSigner.signDetached(inner));
            byte[] cert = certificatesPem();
            writeAtomically(out, o -> {
                try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(o)) {
                    String base = fileStem();
                    try (InputStream in = Files.newInputStream(inner)) {
                        ZipArchiveEntry e = fileEntry(base + ".csar", 0644);
                        zip.putArchiveEntry(e);
                        in.transferTo(zip);
                        zip.closeArchiveEntry();
                    }
                    putBytes(zip, fileEntry(base + ".cert", 0644), cert);
                    putBytes(zip, fileEntry(base + ".cms", 0644), cms);
                }
            });
        } finally {
            Files.deleteIfExists(inner);
        }
    }

    /**
     * Writes a detached CMS SignedData (DER) over {@code file} to {@code out}, as
     * {@code openssl cms -verify -binary -inform DER -content FILE} accepts it.
     */
    public static void writeDetached(SigningIdentity identity, Clock clock, Path file, Path out) throws IOException {
        writeDetached(identity, clock, null, file, out);
    }

    /** As {@link #writeDetached(SigningIdentity, Clock, Path, Path)}, time-stamped by {@code tsa} when not null. */
    public static void writeDetached(SigningIdentity identity, Clock clock, TimestampAuthority tsa, Path file, Path out)
            throws IOException {
        byte[] der = CmsSigner.builder(identity).clock(clock).timestampAuthority(tsa).build().signDetached(file);
        writeAtomically(out, o -> o.write(der));
    }

    private String fileStem() {
        return (name + "-" + version).replaceAll("[^A-Za-z0-9._-]", "_");
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

    private record Item(String path, Path file, int mode, boolean directory, String linkTarget) { }

    private void writeOption1To(Path dir, OutputStream out) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(dir + " is not a directory");
        }
        List<Item> items = scan(dir);
        Map<String, Item> byPath = new LinkedHashMap<>();
        items.forEach(i -> byPath.put(i.path(), i));
        byte[] toscaMeta = null;
        String manifestName = fileStem() + ".mf";
        Item existingMeta = byPath.get(ToscaMeta.PATH);
        if (existingMeta != null) {
            ToscaMeta meta = ToscaMeta.parse(Files.readAllBytes(existingMeta.file()));
            manifestName = meta.entryManifest().map(PathRules::normalise).orElse(manifestName);
        } else {
            String definitions = items.stream().map(Item::path)
                    .filter(p -> p.startsWith("Definitions/") && (p.endsWith(".yaml") || p.endsWith(".yml")))
                    .findFirst().orElse(null);
            toscaMeta = ToscaMeta.generate(manifestName, definitions);
        }
        if (byPath.containsKey(manifestName)) {
            throw new IllegalArgumentException(dir + " already contains the manifest path " + manifestName);
        }

        List<ManifestWriter.Artifact> listed = new ArrayList<>();
        if (toscaMeta != null) {
            listed.add(new ManifestWriter.Artifact(ToscaMeta.PATH, digestAlgorithm, hex(new ByteArrayInputStream(toscaMeta)),
                    VeripackMode.regular(0644)));
        }
        for (Item i : items) {
            if (i.directory()) {
                continue;
            }
            String digest;
            if (i.linkTarget() != null) {
                digest = hex(new ByteArrayInputStream(i.linkTarget().getBytes(StandardCharsets.UTF_8)));
            } else {
                try (InputStream in = Files.newInputStream(i.file())) {
                    digest = hex(in);
                }
            }
            int mode = i.linkTarget() != null ? VeripackMode.SYMLINK : VeripackMode.regular(i.mode());
            listed.add(new ManifestWriter.Artifact(i.path(), digestAlgorithm, digest, mode));
        }
        listed.sort((a, b) -> a.source().compareTo(b.source()));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("vnf_product_name", name);
        metadata.put("vnf_provider_id", provider);
        metadata.put(versionKey, version);
        if (releaseTime != null) {
            metadata.put("vnf_release_date_time", releaseTime);
        }
        byte[] signedPart = ManifestWriter.write(metadata, listed);
        byte[] cms = CmsSigner.toPemBytes(cmsSigner.signDetached(new ByteArrayInputStream(signedPart)));
        byte[] manifest = new byte[signedPart.length + cms.length];
        System.arraycopy(signedPart, 0, manifest, 0, signedPart.length);
        System.arraycopy(cms, 0, manifest, signedPart.length, cms.length);

        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            putBytes(zip, fileEntry(manifestName, 0644), manifest);
            if (toscaMeta != null) {
                putDirectory(zip, "TOSCA-Metadata", 0755);
                putBytes(zip, fileEntry(ToscaMeta.PATH, 0644), toscaMeta);
            }
            for (Item i : items) {
                if (i.directory()) {
                    putDirectory(zip, i.path(), i.mode());
                } else if (i.linkTarget() != null) {
                    ZipArchiveEntry e = new ZipArchiveEntry(i.path());
                    e.setUnixMode(0120777);
                    e.setTime(FIXED_TIME);
                    putBytes(zip, e, i.linkTarget().getBytes(StandardCharsets.UTF_8));
                } else {
                    ZipArchiveEntry e = fileEntry(i.path(), i.mode());
                    if (storeArtifacts) {
                        storedSizeAndCrc(e, i.file());
                    }
                    zip.putArchiveEntry(e);
                    try (InputStream in = Files.newInputStream(i.file())) {
                        in.transferTo(zip);
                    }
                    zip.closeArchiveEntry();
                }
            }
        }
    }

    private static List<Item> scan(Path dir) throws IOException {
        List<Item> items = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (p.equals(dir)) {
                    continue;
                }
                String rel = dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (PathRules.unsafeReason(rel).isPresent()) {
                    throw new IllegalArgumentException("unsafe file name in package directory: " + rel);
                }
                int unixMode = unixMode(p);
                if ((unixMode & 07000) != 0) {
                    throw new IllegalArgumentException(rel + " has setuid/setgid/sticky bits; Veripack refuses to package it");
                }
                if (Files.isSymbolicLink(p)) {
                    String target = Files.readSymbolicLink(p).toString();
                    items.add(new Item(rel, p, 0777, false, target));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    items.add(new Item(rel, p, unixMode & 0777, true, null));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    items.add(new Item(rel, p, unixMode & 0777, false, null));
                } else {
                    throw new IllegalArgumentException(rel + " is not a regular file, directory or symlink");
                }
            }
        }
        items.sort((a, b) -> a.path().compareTo(b.path()));
        java.util.Set<String> ancestors = new java.util.HashSet<>();
        for (Item i : items) {
            for (int s = i.path().indexOf('/'); s >= 0 && !i.directory(); s = i.path().indexOf('/', s + 1)) {
                ancestors.add(i.path().substring(0, s));
            }
        }
        // a directory with no artifact below it would be installed as nothing: verifiers derive directories
        // from artifact paths and refuse other directory entries (ARTIFACT_UNLISTED)
        items.removeIf(i -> i.directory() && !ancestors.contains(i.path()));
        checkLinks(items);
        return items;
    }

    /** Every symlink must resolve inside the directory against its own link graph, as the verifier checks it. */
    private static void checkLinks(List<Item> items) {
        Map<String, Item> byPath = new LinkedHashMap<>();
        items.forEach(i -> byPath.put(i.path(), i));
        PathRules.Tree tree = new PathRules.Tree() {
            @Override public ArtifactType typeOf(String path) {
                if (path.isEmpty()) {
                    return ArtifactType.DIRECTORY;
                }
                Item i = byPath.get(path);
                return i == null ? null : i.directory() ? ArtifactType.DIRECTORY
                        : i.linkTarget() != null ? ArtifactType.SYMLINK : ArtifactType.FILE;
            }

            @Override public String linkTarget(String path) {
                return byPath.get(path).linkTarget();
            }
        };
        for (Item i : items) {
            if (i.linkTarget() != null) {
                PathRules.LinkResolution r = PathRules.resolveLink(i.path(), i.linkTarget(), tree);
                if (!r.resolved()) {
                    throw new IllegalArgumentException(i.path() + " is a symlink that does not resolve inside the package directory ("
                            + r.problem() + "): " + i.linkTarget());
                }
            }
        }
    }

    private static int unixMode(Path p) throws IOException {
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Files.isDirectory(p) ? 0755 : 0644;
        }
    }

    private String hex(InputStream in) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(digestAlgorithm);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[256 * 1024];
        int n;
        while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** A STORED entry on a plain output stream needs its size and CRC-32 before the data (APPNOTE §4.4.4). */
    private static void storedSizeAndCrc(ZipArchiveEntry e, Path file) throws IOException {
        CRC32 crc = new CRC32();
        long size = 0;
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
                size += n;
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

    @FunctionalInterface
    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private static void writeAtomically(Path out, Writer writer) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, ".veripack-", ".tmp");
        try {
            try (OutputStream o = Files.newOutputStream(tmp)) {
                writer.write(o);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Builder of {@link CsarSigner}; name and version are required. */
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

        private Builder(SigningIdentity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
        }

        /** RFC 3161 time-stamp on the CMS SignerInfo from {@code authority}; none when null (default). */
        public Builder timestampAuthority(TimestampAuthority authority) { this.tsa = authority; return this; }

        /** {@code vnf_product_name}. */
        public Builder name(String v) { this.name = v; return this; }
        /** The package version, written under {@link #versionKey(String)}. */
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
        /** {@code vnf_provider_id}; default: the signer certificate's O (else CN). */
        public Builder provider(String v) { this.provider = v; return this; }
        /** {@code vnf_release_date_time} as written (ISO-8601); omitted when null. */
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
        /** Source of the CMS signingTime. */
        public Builder clock(Clock c) { this.clock = Objects.requireNonNull(c); return this; }

        /** @throws IllegalArgumentException when name or version is missing, blank or multi-line */
        public CsarSigner build() {
            for (String[] kv : new String[][] {{"name", name}, {"version", version}}) {
                if (kv[1] == null || kv[1].isBlank() || kv[1].indexOf('\n') >= 0 || kv[1].indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("CSAR " + kv[0] + " is required and must be one line");
                }
            }
            if (name.toLowerCase(Locale.ROOT).contains(":")) {
                throw new IllegalArgumentException("CSAR name must not contain ':'");
            }
            return new CsarSigner(this);
        }
    }
}
