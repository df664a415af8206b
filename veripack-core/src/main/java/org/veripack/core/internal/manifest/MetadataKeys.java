package org.veripack.core.internal.manifest;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.veripack.core.PackageIdentity;

/**
 * The standard keys of a manifest's {@code metadata:} block and the one rule that turns them into a
 * {@link PackageIdentity} (table and precedence in {@code docs/signed-metadata.md}).
 *
 * <p>Sources: ETSI GS NFV-SOL 004 §4.3.2 (VNF package manifest; v2.6.1 keys {@code vnf_provider_id},
 * {@code vnf_product_name}, {@code vnf_release_date_time}, {@code vnf_package_version}; v3.x/v4.x add
 * {@code vnfd_id}, {@code vnf_software_version}, {@code vnfd_version}, {@code compatible_specification_versions},
 * {@code vnfm_info}), the PNFD archive manifest of the same specification ({@code pnfd_name}, {@code pnfd_provider},
 * {@code pnfd_archive_version}, {@code pnfd_release_date_time}) and ETSI GS NFV-SOL 007 §4.3.2 (NSD archive:
 * {@code nsd_designer}, {@code nsd_invariant_id}, {@code nsd_name}, {@code nsd_release_date_time},
 * {@code nsd_file_structure_version}); the names agree with ONAP SDC's SOL004 manifest checks.
 * {@code compatible_specification_versions} belongs to every kind.
 */
final class MetadataKeys {
    private MetadataKeys() { }

    /**
     * A package kind with its keys. The identity takes, for each field, the first key of its list whose value
     * is present and not empty.
     */
    enum Kind {
        VNF("vnf_product_name", List.of("vnf_package_version", "vnf_software_version"), "vnf_provider_id", "vnf_release_date_time",
                Set.of("vnfd_id", "vnfd_version", "vnfm_info")),
        PNF("pnfd_name", List.of("pnfd_archive_version"), "pnfd_provider", "pnfd_release_date_time", Set.of()),
        NS("nsd_name", List.of("nsd_file_structure_version"), "nsd_designer", "nsd_release_date_time", Set.of("nsd_invariant_id"));

        private final String nameKey;
        private final List<String> versionKeys;
        private final String providerKey;
        private final String releaseKey;
        private final Set<String> keys;

        Kind(String nameKey, List<String> versionKeys, String providerKey, String releaseKey, Set<String> otherKeys) {
            this.nameKey = nameKey;
            this.versionKeys = versionKeys;
            this.providerKey = providerKey;
            this.releaseKey = releaseKey;
            Set<String> all = new HashSet<>(otherKeys);
            all.add(nameKey);
            all.addAll(versionKeys);
            all.add(providerKey);
            all.add(releaseKey);
            this.keys = Set.copyOf(all);
        }

        /** Identity from {@code metadata} (keys lower case), or empty when the name or every version key is missing. */
        Optional<PackageIdentity> identity(Map<String, String> metadata) {
            String name = value(metadata, nameKey);
            String versionKey = versionKeys.stream().filter(k -> value(metadata, k) != null).findFirst().orElse(null);
            if (name == null || versionKey == null) {
                return Optional.empty();
            }
            return Optional.of(new PackageIdentity(name, value(metadata, versionKey), value(metadata, providerKey),
                    value(metadata, releaseKey), versionKey));
        }

        /**
         * The keys this kind's metadata block must carry (SOL004 §4.3.2, SOL007 §4.3.2), in the order the standard
         * lists them; the version entry names every key the version may come from ({@code vnf_package_version or
         * vnf_software_version}). The identity needs the name and the version; the others are required by the standard.
         */
        List<String> requiredKeys() {
            return List.of(providerKey, nameKey, releaseKey, String.join(" or ", versionKeys));
        }

        /** The entries of {@link #requiredKeys()} without a non-empty value in {@code metadata}. */
        List<String> missingKeys(Map<String, String> metadata) {
            List<String> missing = new java.util.ArrayList<>();
            for (String k : List.of(providerKey, nameKey, releaseKey)) {
                if (value(metadata, k) == null) {
                    missing.add(k);
                }
            }
            if (versionKeys.stream().allMatch(k -> value(metadata, k) == null)) {
                missing.add(String.join(" or ", versionKeys));
            }
            return missing;
        }

        private static String value(Map<String, String> metadata, String key) {
            String v = metadata.get(key);
            return v == null || v.isEmpty() ? null : v;
        }
    }

    /** Standard in the metadata of every kind. */
    static final String COMPATIBLE_SPECIFICATION_VERSIONS = "compatible_specification_versions";

    /** The kind {@code key} (lower case) belongs to; empty for keys of every kind and for unknown keys. */
    static Optional<Kind> kindOf(String key) {
        for (Kind k : Kind.values()) {
            if (k.keys.contains(key)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code key} (lower case) is a standard metadata key of some kind. */
    static boolean isStandard(String key) {
        return key.equals(COMPATIBLE_SPECIFICATION_VERSIONS) || kindOf(key).isPresent();
    }
}
