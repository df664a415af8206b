package org.veripack.core;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

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
    /** A name a node can use as its product and in slot names: {@code [A-Za-z0-9][A-Za-z0-9._+-]*}, at most 128 characters. */
    private static final Pattern INSTALLABLE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]{0,127}");

    public PackageIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
    }

    /**
     * Why a node would refuse to install a package with this name and version, or empty when it would not:
     * the name must match {@code [A-Za-z0-9][A-Za-z0-9._+-]*} (at most 128 characters), and the version must be
     * a Debian version ({@link DebianVersion}: {@code [epoch:]upstream[-revision]}, upstream starting with a
     * digit), because anti-rollback orders versions as {@code dpkg} does. The one rule for both sides: the
     * node reports it as {@code MALFORMED_PACKAGE}, {@code veripack sign} refuses to sign such a package.
     */
    public static Optional<String> installProblem(String name, String version) {
        return nameProblem(name).or(() -> versionProblem(version));
    }

    /** The name half of {@link #installProblem(String, String)}. */
    public static Optional<String> nameProblem(String name) {
        return name != null && INSTALLABLE_NAME.matcher(name).matches() ? Optional.empty()
                : Optional.of("package name is not usable on a node ([A-Za-z0-9][A-Za-z0-9._+-]*, at most 128)");
    }

    /** The version half of {@link #installProblem(String, String)}. */
    public static Optional<String> versionProblem(String version) {
        return version != null && DebianVersion.isValid(version) ? Optional.empty()
                : Optional.of("package version is not a Debian version ([epoch:]upstream[-revision], upstream starting with a digit,"
                        + " only letters, digits and . + ~ - :), so it cannot be ordered");
    }

    /** {@link #installProblem(String, String)} of this identity. */
    public Optional<String> installProblem() {
        return installProblem(name, version);
    }
}
