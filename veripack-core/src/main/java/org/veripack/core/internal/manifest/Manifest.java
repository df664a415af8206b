package org.veripack.core.internal.manifest;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.veripack.core.Finding;
import org.veripack.core.PackageIdentity;

/**
 * A parsed ETSI GS NFV-SOL 004 manifest ({@code .mf}).
 *
 * @param metadata     the {@code metadata:} block, keys as written (lower case), values trimmed
 * @param artifacts    artifact entries in manifest order (duplicates kept: the verifier reports them)
 * @param signedPrefix every byte before the first byte of the {@code -----BEGIN CMS-----} line, exactly as
 *                     stored (the option-1 signed content); the whole manifest when there is no CMS block
 * @param cmsPem       the PEM CMS block from {@code -----BEGIN CMS-----} to {@code -----END CMS-----}
 *                     inclusive, or null when the manifest has none
 * @param findings     structural problems ({@code MALFORMED_PACKAGE}); empty when well formed
 * @param warnings     tolerated oddities (unknown top-level keys)
 */
public record Manifest(Map<String, String> metadata, List<Entry> artifacts, byte[] signedPrefix, byte[] cmsPem,
                       List<Finding> findings, List<String> warnings) {

    /**
     * One artifact block.
     *
     * @param source      the {@code Source} path as written
     * @param algorithm   the {@code Algorithm} value as written, or null
     * @param hash        the {@code Hash} value as written, or null
     * @param signature   the per-artifact {@code Signature} file path, or null
     * @param certificate the per-artifact {@code Certificate} file path, or null
     * @param mode        the signed {@code Veripack-Mode} (file type and permission bits, e.g. {@code 0100755},
     *                    {@code 0120000}; see {@link VeripackMode}), or null when the block has none
     *                    (third-party CSARs) or its value was invalid (then a {@code MALFORMED_PACKAGE} finding)
     * @param line        1-based line number of the {@code Source} line
     */
    public record Entry(String source, String algorithm, String hash, String signature, String certificate, Integer mode,
                        int line) { }

    public Manifest {
        metadata = Map.copyOf(metadata);
        artifacts = List.copyOf(artifacts);
        findings = List.copyOf(findings);
        warnings = List.copyOf(warnings);
    }

    public boolean hasCms() { return cmsPem != null; }

    /**
     * Name, version, provider and release time from the metadata block (VNF or PNF keys), or empty when
     * the name or the version is missing.
     */
    public Optional<PackageIdentity> identity() {
        String name = first("vnf_product_name", "pnfd_name");
        String version = first("vnf_package_version", "pnfd_archive_version");
        if (name == null || name.isEmpty() || version == null || version.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new PackageIdentity(name, version, first("vnf_provider_id", "pnfd_provider"),
                first("vnf_release_date_time", "pnfd_release_date_time")));
    }

    private String first(String vnfKey, String pnfKey) {
        String v = metadata.get(vnfKey);
        return v != null ? v : metadata.get(pnfKey);
    }
}
