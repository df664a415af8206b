package org.veripack.core;

import java.util.Objects;

/**
 * Name, version and provider of a package as covered by its signature (SOL004 manifest
 * {@code metadata:} block: {@code vnf_product_name}/{@code pnfd_name},
 * {@code vnf_package_version}/{@code pnfd_archive_version}, {@code vnf_provider_id}/{@code pnfd_provider},
 * {@code vnf_release_date_time}/{@code pnfd_release_date_time}).
 *
 * @param name        package name, never null
 * @param version     version string (Debian ordering is used for anti-rollback), never null
 * @param provider    provider, or null when the manifest gives none
 * @param releaseTime release date-time as written in the manifest, or null
 */
public record PackageIdentity(String name, String version, String provider, String releaseTime) {
    public PackageIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
    }
}
