package org.veripack.core.internal.manifest;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.veripack.core.Warning;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
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
 * @param warnings     tolerated oddities (unknown metadata and top-level keys)
 */
public record Manifest(Map<String, String> metadata, List<Entry> artifacts, byte[] signedPrefix, byte[] cmsPem,
                       List<Finding> findings, List<Warning> warnings) {

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

    /**
     * The {@code MALFORMED_PACKAGE} finding for a manifest without {@link #identity()}, naming the metadata keys the
     * package kind requires ({@link MetadataKeys.Kind#requiredKeys()}, SOL004 §4.3.2 / SOL007 §4.3.2): expected = those
     * keys (for a block of one kind, else every kind's, {@code VNF: ...; PNF: ...; NS: ...}), actual = the metadata
     * keys present ({@code none} without a metadata block); the detail names the missing ones.
     *
     * @param subject the manifest's path in the package ({@code manifest} for a sealed one)
     */
    public Finding noIdentityFinding(String subject) {
        Set<MetadataKeys.Kind> kinds = EnumSet.noneOf(MetadataKeys.Kind.class);
        metadata.keySet().forEach(k -> MetadataKeys.kindOf(k).ifPresent(kinds::add));
        String present = metadata.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(metadata.keySet()));
        if (kinds.size() == 1) {
            MetadataKeys.Kind kind = kinds.iterator().next();
            return Finding.mismatch(FindingCode.MALFORMED_PACKAGE, subject, "manifest metadata of a " + kind + " package lacks "
                    + String.join(", ", kind.missingKeys(metadata)) + " (its package name and version come from them)",
                    String.join(", ", kind.requiredKeys()), present);
        }
        StringBuilder required = new StringBuilder();
        for (MetadataKeys.Kind k : MetadataKeys.Kind.values()) {
            required.append(required.length() == 0 ? "" : "; ").append(k).append(": ").append(String.join(", ", k.requiredKeys()));
        }
        String why = metadata.isEmpty() ? "manifest has no metadata block" : kinds.isEmpty()
                ? "manifest metadata has none of the standard keys" : "manifest metadata mixes the keys of " + kinds + " packages";
        return Finding.mismatch(FindingCode.MALFORMED_PACKAGE, subject, why + ": the package name and version come from the keys"
                + " its package type requires", required.toString(), present);
    }

    public boolean hasCms() { return cmsPem != null; }

    /**
     * What an option-1 CMS block may sign (SOL004 §5.4; {@code docs/signed-metadata.md} "Signed content"): the
     * bytes before the {@code -----BEGIN CMS-----} line exactly as stored ({@link #signedPrefix()}, listed
     * first), and, when they end with a line break, the same bytes less that one line break (CRLF or LF). A
     * signer that signs a manifest not ending in a line break has to insert one before the marker; that
     * separator is then not signed content. Nothing else may vary: the parsed manifest is the same for both
     * (the last line ends either way), so accepting both lets no two readers see different content.
     * The one rule for every reader of an option-1 manifest ({@code SignedManifestRules#verifySignature}: install and guard).
     *
     * @return one or two byte arrays (shared: callers must not modify them)
     */
    public List<byte[]> signedContents() {
        int n = signedPrefix.length;
        if (!hasCms() || n == 0 || signedPrefix[n - 1] != '\n') {
            return List.of(signedPrefix);
        }
        int cut = n >= 2 && signedPrefix[n - 2] == '\r' ? n - 2 : n - 1;
        return List.of(signedPrefix, java.util.Arrays.copyOf(signedPrefix, cut));
    }

    /**
     * Name, version, provider and release time from the metadata block, by the precedence of
     * {@link MetadataKeys.Kind} ({@code docs/signed-metadata.md}): the kind is the one whose keys the block
     * uses (VNF, PNF or NS); {@link PackageIdentity#versionKey()} names the key the version came from.
     * Empty when the name or the version is missing, or when the block mixes kinds (the parser reports that
     * as {@code MALFORMED_PACKAGE}).
     */
    public Optional<PackageIdentity> identity() {
        Set<MetadataKeys.Kind> kinds = EnumSet.noneOf(MetadataKeys.Kind.class);
        metadata.keySet().forEach(k -> MetadataKeys.kindOf(k).ifPresent(kinds::add));
        return kinds.size() == 1 ? kinds.iterator().next().identity(metadata) : Optional.empty();
    }
}
