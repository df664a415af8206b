package org.veripack.node.internal;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.veripack.core.ArchiveExecuteBits;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.FileDigest;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageIdentity;
import org.veripack.core.PackageVerifier;
import org.veripack.core.RevocationMode;
import org.veripack.core.RevocationSource;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.VerifiedPackage;

/**
 * Binds a sealed slot record to the vendor's signature, so the digests the guard expects come from the
 * signature, not from a JSON file (docs/node.md "Install sequence", guard re-verification): the JSON record in
 * {@code NODE/state/slots/} is only believed after the sealed signed manifest ({@code <slot>.mf}) — or, for
 * an option-2 package, the sealed package copy ({@code <slot>.package}) — verifies again with the sealed
 * trust anchors at the sealed verification instant (not now: the signer certificate may have expired
 * since), the record's identity and slot name agree with the signed manifest, and every file and symlink
 * digest in the record equals the signed digest (so the expected digests come from the signature, not
 * from the JSON). Modes and types in the record must match the signed ones where the signature covers them
 * (option 2: the signed inner zip; option 1: {@code Veripack-Mode} lines); an option-1 file whose block has
 * no {@code Veripack-Mode} must not be recorded executable, unless the sealed policy said
 * {@code archiveExecuteBits: honour}, and then only {@code 0755}.
 * Nothing is cached: every guard start, scan and rollback runs {@link #check}. At install the record is bound to the
 * verifier's proof instead ({@link #checkAgainstProof}): the same comparison, without verifying the signature twice.
 *
 * <p>Limit: the sealed trust anchors live beside the record, so an attacker able to write the root-owned
 * {@code state/} can replace anchors, manifest and record together; the node-root guard
 * ({@link NodeLayout#prepare}) keeps everyone else out of {@code state/}.
 */
public final class SealedEvidence {
    private SealedEvidence() { }

    /**
     * @param slot          the slot the record is for (its name must be derived from the signed manifest:
     *                      {@code <name>-<version>-<sha256(manifest)[0..12]>}, or that plus {@code ~rN} for a repair)
     * @param r             the sealed record
     * @param manifestBytes the sealed {@code .mf} bytes, or null when missing
     * @param packageCopy   the sealed package copy when {@code r.sealedPackage()}, else ignored
     * @return {@link FindingCode#INSTALLATION_TAMPERED} findings; empty when the record is bound to a valid signature
     */
    public static List<Finding> check(String slot, SealedRecord r, byte[] manifestBytes, Path packageCopy) throws IOException {
        Optional<Finding> unsealed = unsealed(slot, r, manifestBytes);
        if (unsealed.isPresent()) {
            return List.of(unsealed.get());
        }
        TrustPolicy sealed;
        try {
            sealed = r.trust().policy();
        } catch (IOException e) {
            return List.of(tampered("trust", e.getMessage()));
        }
        Map<String, SignedManifest.Entry> signed = new LinkedHashMap<>();
        VerificationReport report;
        try {
            report = verify(r, manifestBytes, packageCopy, sealed, signed);
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of(tampered("package", "the sealed package copy is missing"));
        }
        return bind(r, report, report.packageSha256().orElse(null), signed);
    }

    /**
     * Install: the record just built from {@code proof} bound to it, without verifying the signature again (core verified
     * it once; {@link VerifiedPackage#signedEntries()} are what the guard's {@link #check} will find in the same sealed
     * bytes, by the same rules). The option-2 package copy is compared with the digest of the package verified.
     *
     * @param packageCopy the package copy about to be sealed (option 2), or null
     * @return {@link FindingCode#INSTALLATION_TAMPERED} findings; empty when the record is what the proof binds
     */
    public static List<Finding> checkAgainstProof(String slot, SealedRecord r, VerifiedPackage proof, Path packageCopy)
            throws IOException {
        Optional<Finding> unsealed = unsealed(slot, r, proof.manifestBytes());
        if (unsealed.isPresent()) {
            return List.of(unsealed.get());
        }
        Map<String, SignedManifest.Entry> signed = new LinkedHashMap<>();
        proof.signedEntries().forEach(e -> signed.put(e.path(), e));
        String copySha256 = packageCopy == null ? null : FileDigest.hex(packageCopy, "SHA-256", LinkOption.NOFOLLOW_LINKS);
        return bind(r, proof.report(), copySha256, signed);
    }

    /** The seal's own consistency: the manifest is there, is the one recorded, and names the slot; else the finding. */
    private static Optional<Finding> unsealed(String slot, SealedRecord r, byte[] manifestBytes) {
        if (manifestBytes == null) {
            return Optional.of(tampered("manifest", "the sealed signed manifest is missing"));
        }
        String mfSha = Installer.sha256(manifestBytes);
        if (!mfSha.equals(r.manifestSha256())) {
            return Optional.of(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "manifest", "sealed manifest digest differs from the record",
                    r.manifestSha256(), mfSha));
        }
        if (!slot.equals(r.slot()) || !Installer.isSlotOf(slot, Installer.slotName(r.identity(), manifestBytes))) {
            return Optional.of(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "slot", "slot name is not derived from the signed manifest",
                    Installer.slotName(r.identity(), manifestBytes), slot));
        }
        return Optional.empty();
    }

    /**
     * The record bound to a verified signature: {@code report} ACCEPTED, the option-2 copy's digest {@code copySha256} the
     * package's, the same identity, and every entry as {@code signed} says.
     */
    private static List<Finding> bind(SealedRecord r, VerificationReport report, String copySha256,
                                      Map<String, SignedManifest.Entry> signed) throws IOException {
        List<Finding> out = new ArrayList<>();
        if (r.sealedPackage() && report.accepted() && !Objects.equals(copySha256, r.packageSha256())) {
            out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "package", "sealed package copy is not the package installed",
                    r.packageSha256(), copySha256));
        }
        if (!report.accepted()) {
            List<String> codes = Installer.codes(report.findings());
            return List.of(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "signature",
                    "the sealed signature no longer verifies at " + r.verifiedAt() + " with the sealed trust: " + codes,
                    "ACCEPTED", String.join(",", codes)));
        }
        PackageIdentity id = report.identity().orElse(null);
        String sealedKey = r.identity().versionKey(); // null in records written before the key was kept
        if (id == null || !id.name().equals(r.identity().name()) || !id.version().equals(r.identity().version())
                || (sealedKey != null && !sealedKey.equals(id.versionKey()))) {
            out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, "package", "record identity differs from the signed identity",
                    id == null ? null : id.name() + " " + id.version(), r.identity().name() + " " + r.identity().version()));
        }
        signed.remove(r.manifestName()); // a manifest may list itself; it is sealed, not installed
        compareEntries(r.entries(), signed, r.trust().archiveExecuteBits() == ArchiveExecuteBits.HONOUR, out);
        return out;
    }

    /**
     * The sealed signature (the sealed manifest, or for option 2 the sealed package copy) verified again under
     * {@code policy} at the sealed verification instant, offline (revocation was checked at install). With the
     * node's current trust store this tells whether an intact slot would still be accepted today
     * ({@link FindingCode#SIGNER_NO_LONGER_TRUSTED}); only bind the result to a slot after {@link #check}.
     *
     * @throws java.nio.file.NoSuchFileException when the option-2 package copy is missing
     */
    public static VerificationReport reverify(SealedRecord r, byte[] manifestBytes, Path packageCopy, TrustPolicy policy)
            throws IOException {
        return verify(r, manifestBytes, packageCopy, policy, new LinkedHashMap<>());
    }

    /** Verifies the sealed signature under {@code policy} (revocation off) at {@code r.verifiedAt()}; fills {@code signed}. */
    private static VerificationReport verify(SealedRecord r, byte[] manifestBytes, Path packageCopy, TrustPolicy policy,
                                             Map<String, SignedManifest.Entry> signed) throws IOException {
        PackageVerifier verifier = PackageVerifier.create(policy.toBuilder().revocation(RevocationMode.OFF).build(),
                Clock.fixed(r.verifiedAt(), ZoneOffset.UTC), RevocationSource.offline())
                .withPackageDigest(); // a sealed package copy is compared with the installed package's digest
        if (r.sealedPackage()) {
            VerificationReport report = verifier.verifySealedCsar(packageCopy);
            for (ArtifactRecord a : report.artifacts()) {
                if (a.type() != ArtifactType.DIRECTORY) {
                    signed.put(a.path(), new SignedManifest.Entry(a.path(), a.digestAlgorithm(), a.digestHex(), a.mode(), a.type()));
                }
            }
            return report;
        }
        SignedManifest sm = verifier.verifySealedManifest(manifestBytes, r.trust().manifestCertificates(), r.verifiedAt());
        for (SignedManifest.Entry e : sm.entries()) {
            signed.put(e.path(), e);
        }
        return sm.report();
    }

    /**
     * @param signed   what the signature says about each artifact; mode and type null where it does not cover them
     *                 (option-1 block without {@code Veripack-Mode}: then the file must not be executable,
     *                 {@code ArtifactRecord#mode()} rule)
     * @param honoured the install-time policy said {@code archiveExecuteBits: honour}: a file whose mode nothing
     *                 signs may be sealed {@code 0755} (its zip entry's owner-execute bit), never another executable mode
     */
    private static void compareEntries(List<InstalledEntry> entries, Map<String, SignedManifest.Entry> signed, boolean honoured,
                                       List<Finding> out) throws IOException {
        Map<String, InstalledEntry> covered = new LinkedHashMap<>();
        for (InstalledEntry e : entries) {
            if (e.type() == ArtifactType.DIRECTORY) {
                continue;
            }
            covered.put(e.path(), e);
            SignedManifest.Entry s = signed.get(e.path());
            if (s == null) {
                out.add(tampered(e.path(), "sealed entry has no digest in the signed manifest"));
                continue;
            }
            String digest = e.type() == ArtifactType.SYMLINK && e.linkTarget() != null
                    ? SlotVerifier.digest(e.linkTarget(), s.digestAlgorithm()) : e.digestHex();
            if (!s.digestAlgorithm().equals(e.algorithm()) || !s.digestHex().equalsIgnoreCase(String.valueOf(digest))) {
                out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "sealed digest differs from the signed digest",
                        s.digestHex(), digest));
            }
            if (s.signedMode() != null && e.type() == ArtifactType.FILE && s.signedMode() != e.signedMode()) { // a symlink has no mode of its own
                out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "sealed mode differs from the signed mode",
                        String.format("%04o", s.signedMode()), String.format("%04o", e.signedMode())));
            }
            if (s.signedMode() == null && e.type() == ArtifactType.FILE && (e.signedMode() & 0111) != 0
                    && !(honoured && e.signedMode() == 0755)) {
                out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(),
                        "sealed mode is executable but the signed manifest does not sign an executable mode",
                        "no execute bit", String.format("%04o", e.signedMode())));
            }
            if (s.signedType() != null && s.signedType() != e.type()) {
                out.add(Finding.mismatch(FindingCode.INSTALLATION_TAMPERED, e.path(), "sealed type differs from the signed type",
                        s.signedType().name(), e.type().name()));
            }
        }
        for (String path : signed.keySet()) {
            if (!covered.containsKey(path)) {
                out.add(tampered(path, "signed artifact missing from the sealed record"));
            }
        }
    }

    private static Finding tampered(String subject, String detail) {
        return Finding.of(FindingCode.INSTALLATION_TAMPERED, subject, detail);
    }
}
