package org.veripack.core;

import java.util.Objects;

/**
 * Name, version and provider of a package as covered by its signature. For a CSAR they come from the
 * manifest's {@code metadata:} block (ETSI GS NFV-SOL 004 §4.3.2) by the precedence in
 * {@code docs/signed-metadata.md}: VNF {@code vnf_product_name}, version {@code vnf_package_version} else
 * {@code vnf_software_version}, {@code vnf_provider_id}, {@code vnf_release_date_time}; PNF {@code pnfd_name},
 * {@code pnfd_archive_version}, {@code pnfd_provider}, {@code pnfd_release_date_time}; NS (SOL 007)
 * {@code nsd_name}, {@code nsd_file_structure_version}, {@code nsd_designer}, {@code nsd_release_date_time}.
 * For a Debian package they come from its control stanza ({@code Package}, {@code Version}).
 *
 * @param name        package name, never null
 * @param version     version string (Debian ordering is used for anti-rollback), never null
 * @param provider    provider, or null when the manifest gives none
 * @param releaseTime release date-time as written in the manifest, or null
 * @param versionKey  the metadata key the version was read from (e.g. {@code vnf_package_version},
 *                    {@code vnf_software_version}; {@code Version} for a Debian package), or null when unknown
 *                    (a record written before the key was kept). Anti-rollback compares only versions read from
 *                    the same key.
 */
public record PackageIdentity(String name, String version, String provider, String releaseTime, String versionKey) {
    public PackageIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
    }
}
