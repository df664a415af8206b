package org.veripack.core.internal.csar;

import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.CertificateFiles;

/**
 * The package's own small files, read whole from the central directory's entries before any artifact: the manifest's
 * location (SOL004 §4.3.2: TOSCA.meta {@code ETSI-Entry-Manifest}, else the single root {@code .mf}), the certificate
 * files (SOL004 §5.4), and the bounded read of a manifest, TOSCA.meta, certificate or CMS file
 * ({@link #MAX_SMALL_FILE_BYTES}). Failures are findings on the builder, never exceptions.
 */
final class PackageFiles {
    /** Largest manifest, TOSCA.meta, certificate or CMS file read into memory, in bytes. */
    static final int MAX_SMALL_FILE_BYTES = 16 * 1024 * 1024;

    private PackageFiles() { }

    /**
     * The manifest: TOSCA.meta {@code ETSI-Entry-Manifest} when the package has one, else the single root {@code .mf}
     * (SOL004 §4.3.2; without TOSCA-Metadata named after the root TOSCA YAML); null after a {@code MALFORMED_PACKAGE}.
     */
    static ZipArchive.Entry locateManifest(ZipArchive archive, ToscaMeta meta, boolean hasToscaMetadata,
                                                   VerificationReport.Builder b) {
        if (meta != null && meta.entryManifest().isPresent()) {
            String name = meta.entryManifest().get();
            ZipArchive.Entry e = PathRules.unsafeReason(name).isPresent() ? null : archive.entries().get(PathRules.normalise(name));
            if (e == null || e.type() != ArtifactType.FILE) {
                // name what exists too: a TOSCA.meta naming manifest.mf1 beside a signed manifest.mf is a typo to fix,
                // not a package without a manifest
                List<String> present = archive.entries().values().stream()
                        .filter(x -> x.type() == ArtifactType.FILE && x.path().toLowerCase(Locale.ROOT).endsWith(".mf"))
                        .map(ZipArchive.Entry::path).sorted().toList();
                b.finding(new Finding(FindingCode.MALFORMED_PACKAGE, ToscaMeta.PATH, "ETSI-Entry-Manifest names no file in the package: "
                        + name + (present.isEmpty() ? " (the package has no .mf file)" : " (manifests in the package: "
                        + String.join(", ", present) + ")"), name, present.isEmpty() ? "no .mf file" : String.join(", ", present)));
                return null;
            }
            return e;
        }
        List<ZipArchive.Entry> candidates = archive.entries().values().stream()
                .filter(e -> e.type() == ArtifactType.FILE && e.path().indexOf('/') < 0
                        && e.path().toLowerCase(Locale.ROOT).endsWith(".mf"))
                .toList();
        if (candidates.size() == 1) {
            if (!hasToscaMetadata) {
                checkManifestName(archive, candidates.get(0), b);
            }
            return candidates.get(0);
        }
        b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", candidates.isEmpty()
                ? "no TOSCA.meta ETSI-Entry-Manifest and no .mf at the archive root"
                : "several .mf files at the archive root and no TOSCA.meta to choose"));
        return null;
    }

    /**
     * SOL004 §4.3.2 for a CSAR without a TOSCA-Metadata directory: its main TOSCA definitions YAML is at the archive
     * root and the manifest has the same name with the extension {@code .mf} ({@code VNF.mf} beside {@code VNF.yaml}).
     * A root {@code .yaml}/{@code .yml} of that name must exist when there is any root YAML, else
     * {@link FindingCode#MALFORMED_PACKAGE} naming both files (expected: the manifest name the first YAML gives). Without
     * any root YAML nothing names the manifest, and nothing is checked.
     */
    private static void checkManifestName(ZipArchive archive, ZipArchive.Entry manifest, VerificationReport.Builder b) {
        List<String> yamls = archive.entries().values().stream()
                .filter(e -> e.type() == ArtifactType.FILE && e.path().indexOf('/') < 0)
                .map(ZipArchive.Entry::path)
                .filter(p -> p.toLowerCase(Locale.ROOT).endsWith(".yaml") || p.toLowerCase(Locale.ROOT).endsWith(".yml"))
                .sorted().toList();
        String base = baseName(manifest.path());
        if (yamls.isEmpty() || yamls.stream().anyMatch(y -> baseName(y).equals(base))) {
            return; // no root YAML: nothing names the manifest (a package of files, not a TOSCA CSAR)
        }
        b.finding(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, manifest.path(), "manifest " + manifest.path()
                + " is not named after the main TOSCA YAML " + String.join(", ", yamls) + " (SOL004 §4.3.2: a CSAR without"
                + " TOSCA-Metadata names its manifest after the main TOSCA definitions YAML at the archive root)",
                baseName(yamls.get(0)) + ".mf", manifest.path()));
    }

    /** A root file name without its last extension. */
    private static String baseName(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** {@code <manifest base name>.cert}, the certificate file SOL004 §5.4 puts beside the manifest. */
    static String certificateNextTo(String manifestPath) {
        int dot = manifestPath.lastIndexOf('.');
        return (dot > 0 ? manifestPath.substring(0, dot) : manifestPath) + ".cert";
    }

    /**
     * Reads the certificate file {@code name} into {@code out} once (its path joins {@code excluded}: not an artifact);
     * a file TOSCA.meta names ({@code required}) must exist, else {@code ARTIFACT_MISSING}.
     */
    static void collectCertificate(ZipArchive archive, String name, Set<String> excluded,
                                           List<X509Certificate> out, VerificationReport.Builder b, boolean required) {
        ZipArchive.Entry e = PathRules.unsafeReason(name).isPresent() ? null : archive.entries().get(PathRules.normalise(name));
        if (e == null || e.type() != ArtifactType.FILE) {
            if (required) {
                b.finding(Finding.of(FindingCode.ARTIFACT_MISSING, name, "certificate named by TOSCA.meta is not in the package"));
            }
            return;
        }
        if (excluded.add(e.path())) {
            out.addAll(readCertificates(archive, e, b));
        }
    }

    /** The certificates of a PEM/DER/PKCS #7 file of the package, or none after a {@code MALFORMED_PACKAGE} finding. */
    static List<X509Certificate> readCertificates(ZipArchive archive, ZipArchive.Entry e, VerificationReport.Builder b) {
        byte[] bytes = readSmall(archive, e, b);
        if (bytes == null) {
            return List.of();
        }
        try {
            List<X509Certificate> certs = CertificateFiles.decode(bytes);
            if (certs.isEmpty()) {
                b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "certificate file holds no certificate"));
            }
            return certs;
        } catch (CertificateException | RuntimeException ex) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), "unparsable certificate: " + ex.getMessage()));
            return List.of();
        }
    }

    /** Null (with a finding) when the entry cannot be read within the small-file bound. */
    static byte[] readSmall(ZipArchive archive, ZipArchive.Entry e, VerificationReport.Builder b) {
        try {
            return archive.readSmall(e, MAX_SMALL_FILE_BYTES);
        } catch (ZipArchive.LimitExceededException ex) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, ex.subject(), ex.getMessage()));
        } catch (IOException ex) {
            b.finding(Finding.of(FindingCode.MALFORMED_PACKAGE, e.path(), ex.getMessage()));
        }
        return null;
    }
}
