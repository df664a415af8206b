package org.veripack.scas.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;

/**
 * Where things are in a SOL004 option-1 CSAR, as far as the harness needs to build tamper variants:
 * the manifest entry and its text (split at the {@code -----BEGIN CMS-----} line into the signed body
 * and the signature block), the certificate entry, and the artifacts the manifest lists.
 *
 * <p>This is a locator for editing, not a verifier: nothing here decides whether a package is valid
 * (that is {@code PackageVerifier}'s job, and the product's).
 */
public final class CsarLayout {
    /** Limit on the manifest and TOSCA.meta sizes the harness reads. */
    static final int MAX_TEXT_BYTES = 16 * 1024 * 1024;
    static final String TOSCA_METADATA_DIR = "TOSCA-Metadata/";
    static final String TOSCA_META = TOSCA_METADATA_DIR + "TOSCA.meta";
    static final String VERIPACK_MODE = "Veripack-Mode:";
    static final String BEGIN_CMS = "-----BEGIN CMS-----";

    /** One manifest entry ({@code Source}/{@code Algorithm}/{@code Hash}). */
    public record ManifestEntry(String source, String algorithm, String hash) { }

    private final Path csar;
    private final List<ZipArchiveEntry> entries;
    private final String manifestName;
    private final String manifestBody;
    private final String signatureBlock;
    private final List<String> certificateEntries;
    /** The change log TOSCA.meta names ({@code ETSI-Entry-Change-Log}), or null. */
    private final String changeLog;
    private final List<ManifestEntry> listed;
    private final Map<String, String> metadata;

    private CsarLayout(Path csar, List<ZipArchiveEntry> entries, String manifestName, String body, String block,
                       List<String> certificateEntries, String changeLog, List<ManifestEntry> listed, Map<String, String> metadata) {
        this.csar = csar;
        this.entries = entries;
        this.manifestName = manifestName;
        this.manifestBody = body;
        this.signatureBlock = block;
        this.certificateEntries = certificateEntries;
        this.changeLog = changeLog;
        this.listed = listed;
        this.metadata = metadata;
    }

    /**
     * Reads the layout of {@code csar}.
     *
     * @throws IOException when the file cannot be read, is not a zip, or has no manifest (not an option-1 CSAR)
     */
    public static CsarLayout read(Path csar) throws IOException {
        List<ZipArchiveEntry> entries = ZipRewriter.entries(csar);
        Map<String, String> meta = new LinkedHashMap<>();
        if (entries.stream().anyMatch(e -> e.getName().equals(TOSCA_META))) {
            String text = new String(ZipRewriter.read(csar, TOSCA_META, MAX_TEXT_BYTES), StandardCharsets.UTF_8);
            meta.putAll(keyValues(text));
        }
        String manifestName = meta.getOrDefault("ETSI-Entry-Manifest", meta.get("Entry-Manifest"));
        if (manifestName == null) {
            List<String> mfs = entries.stream().map(ZipArchiveEntry::getName)
                    .filter(n -> !n.contains("/") && n.endsWith(".mf")).toList();
            if (mfs.size() != 1) {
                throw new IOException("not an option-1 CSAR: expected one root-level .mf manifest, found " + mfs);
            }
            manifestName = mfs.get(0);
        }
        String mf = new String(ZipRewriter.read(csar, manifestName, MAX_TEXT_BYTES), StandardCharsets.UTF_8);
        int cms = mf.indexOf(BEGIN_CMS);
        String body = cms < 0 ? mf : mf.substring(0, cms);
        String block = cms < 0 ? null : mf.substring(cms);

        List<String> certs = new ArrayList<>();
        String base = manifestName.substring(0, manifestName.length() - ".mf".length());
        String entryCert = meta.getOrDefault("ETSI-Entry-Certificate", meta.get("Entry-Certificate"));
        for (ZipArchiveEntry e : entries) {
            String n = e.getName();
            if (n.equals(entryCert) || n.equals(base + ".cert")) {
                certs.add(n);
            }
        }
        return new CsarLayout(csar, entries, manifestName, body, block, List.copyOf(certs),
                meta.getOrDefault("ETSI-Entry-Change-Log", meta.get("Entry-Change-Log")), listedArtifacts(body), metadataBlock(body));
    }

    private static Map<String, String> keyValues(String text) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : text.split("\r?\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                kv.putIfAbsent(line.substring(0, c).trim(), line.substring(c + 1).trim());
            }
        }
        return kv;
    }

    private static List<ManifestEntry> listedArtifacts(String body) {
        List<ManifestEntry> out = new ArrayList<>();
        String source = null;
        String algorithm = null;
        for (String raw : body.split("\r?\n")) {
            String line = raw.trim();
            if (line.startsWith("Source:")) {
                source = line.substring("Source:".length()).trim();
                algorithm = null;
            } else if (line.startsWith("Algorithm:") && source != null) {
                algorithm = line.substring("Algorithm:".length()).trim();
            } else if (line.startsWith("Hash:") && source != null) {
                out.add(new ManifestEntry(source, algorithm, line.substring("Hash:".length()).trim()));
                source = null;
            }
        }
        return List.copyOf(out);
    }

    private static Map<String, String> metadataBlock(String body) {
        Map<String, String> md = new LinkedHashMap<>();
        boolean in = false;
        for (String raw : body.split("\r?\n")) {
            String line = raw.trim();
            if (line.equals("metadata:")) {
                in = true;
            } else if (in && line.isEmpty()) {
                break;
            } else if (in) {
                int c = line.indexOf(':');
                if (c > 0) {
                    md.put(line.substring(0, c).trim(), line.substring(c + 1).trim());
                }
            }
        }
        return md;
    }

    public Path csar() { return csar; }

    public List<ZipArchiveEntry> entries() { return entries; }

    public String manifestName() { return manifestName; }

    /** The manifest bytes the option-1 signature covers (everything before the {@code -----BEGIN CMS-----} line). */
    public String manifestBody() { return manifestBody; }

    /** The {@code -----BEGIN CMS-----} ... block, or empty when the manifest carries no signature. */
    public Optional<String> signatureBlock() { return Optional.ofNullable(signatureBlock); }

    /** Entries holding the signer certificate ({@code Entry-Certificate}, {@code <manifest>.cert}). */
    public List<String> certificateEntries() { return certificateEntries; }

    /** Artifacts the manifest lists, in manifest order. */
    public List<ManifestEntry> listed() { return listed; }

    /** Package name from the manifest metadata, or empty. */
    public Optional<String> packageName() {
        return Optional.ofNullable(metadata.getOrDefault("vnf_product_name", metadata.get("pnfd_name")));
    }

    /**
     * Package version from the manifest metadata ({@code vnf_package_version}, else the SOL004 v4
     * {@code vnf_software_version}, else {@code pnfd_archive_version}), or empty. Shown in the report and
     * compared for the downgrade case's precondition only; the product decides what a version means.
     */
    public Optional<String> packageVersion() {
        for (String key : List.of("vnf_package_version", "vnf_software_version", "pnfd_archive_version")) {
            if (metadata.containsKey(key)) {
                return Optional.of(metadata.get(key));
            }
        }
        return Optional.empty();
    }

    /** The zip entry {@code name}, or empty. */
    public Optional<ZipArchiveEntry> entry(String name) {
        return entries.stream().filter(e -> e.getName().equals(name)).findFirst();
    }

    /**
     * The payload artifacts: listed, present as regular non-empty files, and none of the package's own
     * metadata (nothing under {@code TOSCA-Metadata/}, not the manifest, not a certificate entry, not the
     * change log TOSCA.meta names), in manifest order. These are the files a tamper case may change, remove or
     * substitute: changing TOSCA.meta or the manifest entry would test the package structure, not the
     * artifact's integrity, and a change log differs between versions without being software.
     */
    public List<ManifestEntry> payloadArtifacts() {
        List<ManifestEntry> out = new ArrayList<>();
        for (ManifestEntry m : listed) {
            String s = m.source();
            if (s.startsWith(TOSCA_METADATA_DIR) || s.equals(manifestName) || certificateEntries.contains(s) || s.equals(changeLog)) {
                continue;
            }
            entry(s).filter(e -> !e.isDirectory() && !e.isUnixSymlink() && e.getSize() > 0)
                    .ifPresent(e -> out.add(m));
        }
        return out;
    }

    /** Whether the manifest carries {@code Veripack-Mode} lines (signed entry types and modes, docs/signed-metadata.md). */
    public boolean usesVeripackMode() {
        return manifestBody.lines().anyMatch(l -> l.strip().startsWith(VERIPACK_MODE));
    }
}
