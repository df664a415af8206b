package org.veripack.scas.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.scas.internal.CsarLayout.ManifestEntry;

/**
 * Derives the tamper matrix from the genuine package itself: every variant is the genuine CSAR with one
 * defect, built with Commons Compress (unchanged entries copied raw). Each case states its precondition;
 * when the package cannot express it the case carries the reason instead of a file (NOT_RUN), never a
 * variant that is genuine after all or whose defect a correct product may legitimately accept: artifact
 * cases touch only payload artifacts ({@link CsarLayout#payloadArtifacts()}), byte flips land only in
 * bytes the signature covers (the manifest's signed prefix, the CMS signature value or signed attributes
 * located by {@link CmsLayout}), the older-artifact case only substitutes content whose digest differs. Variants that change signed content
 * and re-sign it use the harness's own signers ({@link HarnessPki}), never the vendor key; the two that
 * need a genuine older signature (downgrade, older artifact) use {@code OLD.csar} when given and are
 * otherwise returned with a reason instead of a file.
 */
public final class TamperMatrix {
    /** Content replacing the first payload artifact in the re-signing variants. */
    static final byte[] TROJAN = "#!/bin/sh\necho 'SCAS trojan: tampered code executed'\n".getBytes(StandardCharsets.US_ASCII);
    static final String ADDED_NAME = "scas-unlisted.sh";
    /** Id of the case a policy with {@code requireCodeSigningEku: false} legitimately accepts. */
    static final String NON_CODE_SIGNING_ID = "TAMPER.resigned-non-code-signing-cert";
    /** Id of the case a policy with {@code antiRollback: false} legitimately accepts. */
    static final String DOWNGRADE_ID = "TAMPER.downgrade";
    static final String ZIP_SLIP_NAME = "../../scas-zip-slip.txt";
    static final String SYMLINK_NAME = "scas-escape";
    static final String SYMLINK_TARGET = "../../../../../../../../../../tmp";
    static final String SYMLINK_WRITTEN_NAME = "scas-written-through-symlink.txt";
    static final String PAYLOAD_PRECONDITION = "the manifest lists a payload artifact present as a non-empty regular "
            + "file (not under TOSCA-Metadata/, not the manifest, a certificate entry or the change log) with a SHA-2 or SHA-3 digest";
    static final String NO_PAYLOAD = "the package lists no payload artifact present as a non-empty regular file "
            + "with a SHA-2 or SHA-3 digest";
    static final String TEST_CA_PRECONDITION = "the target trusts the harness test CA (node target: added to the trust "
            + "for this case; command target: --test-ca-cert/--test-ca-key of a CA the product trusts), so only this "
            + "case's defect can cause a refusal";

    private final CsarLayout genuine;
    private final CsarLayout old;
    private final HarnessPki pki;
    private final Clock clock;
    private final Path dir;

    private TamperMatrix(CsarLayout genuine, CsarLayout old, HarnessPki pki, Clock clock, Path dir) {
        this.genuine = genuine;
        this.old = old;
        this.pki = pki;
        this.clock = clock;
        this.dir = dir;
    }

    /**
     * Writes every buildable variant of {@code genuine} into {@code dir} and returns the cases in run order.
     *
     * @param old the genuinely signed older version, or null
     * @throws IOException when a package cannot be read or a variant cannot be written
     */
    public static List<TamperCase> derive(CsarLayout genuine, CsarLayout old, HarnessPki pki, Clock clock, Path dir)
            throws IOException {
        Files.createDirectories(dir);
        return new TamperMatrix(genuine, old, pki, clock, dir).all();
    }

    private List<TamperCase> all() throws IOException {
        List<TamperCase> cases = new ArrayList<>();
        cases.add(artifactByteFlip());
        cases.add(manifestByteFlip());
        cases.add(signatureByteFlip());
        cases.add(signedAttributeByteFlip());
        cases.add(artifactAdded());
        cases.add(artifactRemoved());
        cases.add(artifactRenamed());
        cases.add(artifactFromOlderVersion());
        cases.add(resigned("TAMPER.resigned-untrusted-key", "Re-signed by an untrusted key",
                "An attacker replaces an artifact, updates its digest in the manifest and re-signs the manifest "
                        + "with a key of their own that chains to a root the product does not trust.",
                pki.untrustedLeaf(), pki.untrustedRoot(), List.of("SIGNER_UNTRUSTED"), false));
        cases.add(resigned("TAMPER.resigned-expired-cert", "Re-signed by an expired certificate",
                "As above, but signed with a code-signing certificate of the test CA that expired before the "
                        + "installation time (RFC 5280 §6.1.3 validity).",
                pki.expiredLeaf(), pki.testCa(), List.of("CERT_EXPIRED"), true));
        cases.add(resigned(NON_CODE_SIGNING_ID, "Re-signed by a non-code-signing certificate",
                "As above, but signed with a currently valid certificate of the test CA whose extended key usage "
                        + "is serverAuth only (no id-kp-codeSigning, RFC 5280 §4.2.1.12).",
                pki.nonCodeSigning(), pki.testCa(), List.of("KEY_USAGE_INVALID"), true));
        cases.add(signatureStripped());
        cases.add(downgrade());
        cases.add(zipSlip());
        cases.add(symlinkEscape());
        return cases;
    }

    // ---- unsigned modifications: the genuine signature stays, the content no longer matches it

    private TamperCase artifactByteFlip() throws IOException {
        return onPayload("TAMPER.artifact-byte-flip", "Byte flip in an artifact", PAYLOAD_PRECONDITION, (id, title, a, out) -> {
            long size = genuine.entry(a.source()).orElseThrow().getSize();
            new ZipRewriter().transform(a.source(), ZipRewriter.flipMiddleByte()).write(genuine.csar(), out);
            return new TamperCase(id, title,
                    "Corruption or tampering of one payload file after signing (R1, test a): the manifest digest covers "
                            + "every byte of the artifact's content.", PAYLOAD_PRECONDITION, out, null,
                    List.of("DIGEST_MISMATCH"), false,
                    List.of("flipped the lowest bit of content byte " + size / 2 + " of " + size + " of payload artifact "
                            + a.source() + " (manifest and signature unchanged)"));
        });
    }

    private TamperCase manifestByteFlip() throws IOException {
        String id = "TAMPER.manifest-byte-flip";
        String title = "Byte flip in the manifest";
        String pre = "the manifest carries a CMS signature block and lists at least one digest; the flipped byte is a "
                + "hexadecimal digit of a Hash value inside the signed prefix, turned into another hexadecimal digit "
                + "(never a line break or other whitespace a reader may normalise, never a case change)";
        String body = genuine.manifestBody();
        int pos = genuine.signatureBlock().isEmpty() ? -1 : ManifestText.hexDigitToFlip(body);
        if (pos < 0) {
            return notRun(id, title, pre, genuine.signatureBlock().isEmpty()
                    ? "the manifest carries no CMS signature block" : "the manifest lists no hexadecimal digest");
        }
        char c = body.charAt(pos);
        char flipped = (char) (c ^ 0x01);
        String mf = body.substring(0, pos) + flipped + body.substring(pos + 1) + genuine.signatureBlock().get();
        Path out = variant(id);
        new ZipRewriter().replace(genuine.manifestName(), utf8(mf)).write(genuine.csar(), out);
        int offset = utf8(body.substring(0, pos)).length;
        return new TamperCase(id, title,
                "The signed manifest is altered after signing (a digest edited to match other content): its "
                        + "signature must no longer verify (R2).", pre, out, null,
                List.of("SIGNATURE_INVALID"), false,
                List.of("changed '" + c + "' to '" + flipped + "' (one bit) at byte " + offset + " of the "
                        + utf8(body).length + "-byte signed prefix of " + genuine.manifestName()
                        + " (a Hash value); the CMS block is unchanged"));
    }

    private TamperCase signatureByteFlip() throws IOException {
        String id = "TAMPER.signature-byte-flip";
        String title = "Byte flip in the signature value";
        String pre = "the manifest carries a CMS SignedData block; in every SignerInfo the signature value is located "
                + "by parsing the CMS structure (Bouncy Castle) and found exactly once in the encoding; one bit of "
                + "each SignerInfo's signature value is flipped, never a certificate or an unsigned attribute "
                + "(e.g. an RFC 3161 time-stamp token), which a verifier may legitimately ignore";
        return cmsFlip(id, title, pre,
                "The CMS signature value is corrupted: the signature must not verify. Every SignerInfo is hit, so "
                        + "no valid signature remains that a product accepting any one signer could rely on.",
                CmsLayout.Signer::signatureValue, "signature value");
    }

    private TamperCase signedAttributeByteFlip() throws IOException {
        String id = "TAMPER.signed-attribute-byte-flip";
        String title = "Byte flip in a signed attribute (message digest)";
        String pre = "every SignerInfo of the manifest's CMS block has signed attributes with a message-digest "
                + "attribute (RFC 5652 §5.3, §11.2), located by parsing the CMS structure (Bouncy Castle) and found "
                + "exactly once inside the signed attributes' encoding; one bit of each message-digest value is flipped";
        return cmsFlip(id, title, pre,
                "A signed attribute is altered: the message digest no longer matches the manifest and the signature "
                        + "over the signed attributes no longer verifies (RFC 5652 §5.4, §5.6).",
                CmsLayout.Signer::messageDigest, "message-digest attribute value");
    }

    /** One bit of {@code part} of every SignerInfo flipped; NOT_RUN when a SignerInfo lacks it or it cannot be located. */
    private TamperCase cmsFlip(String id, String title, String pre, String purpose,
                               Function<CmsLayout.Signer, CmsLayout.Range> part, String partName) throws IOException {
        Optional<String> block = genuine.signatureBlock();
        if (block.isEmpty()) {
            return notRun(id, title, pre, "the manifest carries no CMS signature block");
        }
        byte[] der = ManifestText.pemBody(block.get());
        CmsLayout cms;
        try {
            cms = CmsLayout.parse(der);
        } catch (IllegalArgumentException e) {
            return notRun(id, title, pre, "the CMS block cannot be located for a flip: " + e.getMessage());
        }
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < cms.signers().size(); i++) {
            CmsLayout.Range r = part.apply(cms.signers().get(i));
            if (r == null) {
                return notRun(id, title, pre, "SignerInfo " + (i + 1) + " of " + cms.signers().size()
                        + " has no " + partName + " (a flip elsewhere would not reach every signature)");
            }
            der[r.last()] ^= 0x01;
            notes.add("flipped the lowest bit of DER byte " + r.last() + " of " + der.length + ": the last byte of "
                    + "SignerInfo " + (i + 1) + "'s " + partName + " (bytes " + r.offset() + "-" + r.last() + ")");
        }
        String mf = genuine.manifestBody() + CmsSigner.toPem(der);
        Path out = variant(id);
        new ZipRewriter().replace(genuine.manifestName(), utf8(mf)).write(genuine.csar(), out);
        notes.add("the signed manifest prefix is unchanged");
        return new TamperCase(id, title, purpose, pre, out, null, List.of("SIGNATURE_INVALID"), false, notes);
    }

    private TamperCase artifactAdded() throws IOException {
        String id = "TAMPER.artifact-added";
        String name = freshName(ADDED_NAME);
        Path out = variant(id);
        new ZipRewriter().addFile(name, TROJAN, 0755).write(genuine.csar(), out);
        return new TamperCase(id, "Artifact added",
                "An executable the manifest does not list is slipped into the package (SOL004: the manifest lists "
                        + "every file of the package).",
                "none: an entry name the package does not use is always available", out, null,
                List.of("ARTIFACT_UNLISTED"), false, List.of("added executable entry " + name));
    }

    private TamperCase artifactRemoved() throws IOException {
        return onPayload("TAMPER.artifact-removed", "Artifact removed", PAYLOAD_PRECONDITION, (id, title, a, out) -> {
            new ZipRewriter().remove(a.source()).write(genuine.csar(), out);
            return new TamperCase(id, title,
                    "A listed artifact is deleted (a partial or truncated delivery must not be installed).",
                    PAYLOAD_PRECONDITION, out, null, List.of("ARTIFACT_MISSING"), false,
                    List.of("removed entry " + a.source()));
        });
    }

    private TamperCase artifactRenamed() throws IOException {
        return onPayload("TAMPER.artifact-renamed", "Artifact renamed", PAYLOAD_PRECONDITION, (id, title, a, out) -> {
            String to = freshName(a.source() + ".renamed");
            new ZipRewriter().rename(a.source(), to).write(genuine.csar(), out);
            return new TamperCase(id, title,
                    "A listed artifact is moved to another name (same bytes, different path).",
                    PAYLOAD_PRECONDITION, out, null, List.of("ARTIFACT_MISSING", "ARTIFACT_UNLISTED"), false,
                    List.of("renamed " + a.source() + " to " + to));
        });
    }

    private TamperCase artifactFromOlderVersion() throws IOException {
        String id = "TAMPER.artifact-older-version";
        String title = "Artifact replaced by an older version's";
        String pre = "--downgrade-package OLD.csar is given, and a payload artifact (not TOSCA-Metadata/, the manifest, "
                + "a certificate or the change log) that both manifests list at the same path has, in OLD, content whose digest "
                + "(computed with the genuine manifest's algorithm) differs from the genuine manifest's digest";
        if (old == null) {
            return notRun(id, title, pre, "no --downgrade-package OLD.csar given: an older genuine artifact is needed");
        }
        List<String> oldPaths = old.payloadArtifacts().stream().map(ManifestEntry::source).toList();
        int compared = 0;
        for (ManifestEntry a : genuine.payloadArtifacts()) {
            Optional<MessageDigest> md = ManifestText.messageDigest(a.algorithm());
            if (!oldPaths.contains(a.source()) || md.isEmpty()) {
                continue;
            }
            compared++;
            String oldHex = ZipRewriter.digestHex(old.csar(), a.source(), md.get());
            if (oldHex.equalsIgnoreCase(a.hash())) {
                continue;
            }
            Path out = variant(id);
            new ZipRewriter().replaceFrom(a.source(), old.csar(), a.source()).write(genuine.csar(), out);
            return new TamperCase(id, title,
                    "A genuinely signed but older (possibly vulnerable) artifact is substituted into the new "
                            + "package: its bytes are authentic, but not the ones this manifest signs.",
                    pre, out, null, List.of("DIGEST_MISMATCH"), false,
                    List.of("replaced " + a.source() + " by the bytes of the same artifact from "
                            + old.csar().getFileName() + " (" + a.algorithm() + " " + oldHex + " instead of the signed "
                            + a.hash() + ")"));
        }
        return notRun(id, title, pre, compared == 0
                ? "the two versions list no payload artifact at the same path (with a known digest algorithm)"
                : "all " + compared + " payload artifacts that both versions list have the same content in "
                        + old.csar().getFileName() + " as the genuine manifest signs: substituting one would "
                        + "give back the genuine package");
    }

    // ---- re-signed modifications

    private TamperCase resigned(String id, String title, String purpose, SigningIdentity signer, SigningIdentity issuer,
                                List<String> codes, boolean testCa) throws IOException {
        String pre = PAYLOAD_PRECONDITION + (testCa ? "; " + TEST_CA_PRECONDITION : "");
        return onPayload(id, title, pre, (i, t, a, out) -> {
            String body = ManifestText.replaceHash(genuine.manifestBody(), a, ManifestText.digestHex(a.algorithm(), TROJAN));
            ZipRewriter z = new ZipRewriter().replace(a.source(), TROJAN)
                    .replace(genuine.manifestName(), signedManifest(body, signer, issuer));
            replaceCertificates(z, signer, issuer);
            z.write(genuine.csar(), out);
            return new TamperCase(id, title, purpose, pre, out, null, codes, testCa,
                    List.of("replaced " + a.source() + " by a " + TROJAN.length + "-byte script and its manifest digest",
                            "re-signed the manifest with " + HarnessPki.subject(signer) + " issued by " + HarnessPki.subject(issuer)));
        });
    }

    private TamperCase signatureStripped() throws IOException {
        String id = "TAMPER.signature-stripped";
        String title = "Signature stripped";
        String pre = PAYLOAD_PRECONDITION + ", and the manifest carries a CMS signature block to strip";
        Optional<ManifestEntry> a = firstPayloadArtifact();
        if (a.isEmpty() || genuine.signatureBlock().isEmpty()) {
            return notRun(id, title, pre, a.isEmpty() ? NO_PAYLOAD : "the manifest carries no CMS signature block");
        }
        String body = ManifestText.replaceHash(genuine.manifestBody(), a.get(), ManifestText.digestHex(a.get().algorithm(), TROJAN));
        Path out = variant(id);
        new ZipRewriter().replace(a.get().source(), TROJAN).replace(genuine.manifestName(), utf8(body))
                .write(genuine.csar(), out);
        return new TamperCase(id, title,
                "An artifact is replaced and the manifest's digests made consistent, then the signature is "
                        + "removed: an unsigned package must not be installed (R2).", pre,
                out, null, List.of("SIGNATURE_MISSING"), false,
                List.of("replaced " + a.get().source() + " and its manifest digest",
                        "removed the CMS block from " + genuine.manifestName()
                                + (genuine.certificateEntries().isEmpty() ? ""
                                : "; kept " + genuine.certificateEntries() + " (TOSCA.meta may name them: removing them "
                                        + "would add a structural defect)")));
    }

    private TamperCase downgrade() {
        String id = DOWNGRADE_ID;
        String title = "Downgrade to an older signed version";
        String pre = "--downgrade-package OLD.csar is given: a genuinely signed package of the same product with a "
                + "lower version (the product's version order decides; the harness checks the name is the same and "
                + "the version differs)";
        if (old == null) {
            return notRun(id, title, pre, "no --downgrade-package OLD.csar given: a downgrade needs a lower version "
                    + "signed by the vendor key, which the harness does not have");
        }
        if (genuine.packageName().isPresent() && old.packageName().isPresent()
                && !genuine.packageName().equals(old.packageName())) {
            return notRun(id, title, pre, old.csar().getFileName() + " is package " + old.packageName().get()
                    + ", not " + genuine.packageName().get() + ": offering it tests the product check, not anti-rollback");
        }
        if (genuine.packageVersion().isPresent() && genuine.packageVersion().equals(old.packageVersion())) {
            return notRun(id, title, pre, old.csar().getFileName() + " has the genuine package's version "
                    + genuine.packageVersion().get() + ": a re-install of the same version is no downgrade");
        }
        return new TamperCase(id, title,
                "A genuinely signed lower version is offered after the genuine version was activated: anti-rollback "
                        + "must refuse it (a validly signed but vulnerable old release is an attack too).", pre,
                old.csar(), null, List.of("VERSION_ROLLBACK"), false,
                List.of("package " + old.csar().getFileName() + " version "
                        + old.packageVersion().orElse("?") + " offered after version "
                        + genuine.packageVersion().orElse("?")));
    }

    private TamperCase zipSlip() throws IOException {
        String id = "TAMPER.zip-slip-entry";
        byte[] content = "written outside the install directory by the SCAS harness\n".getBytes(StandardCharsets.US_ASCII);
        String body = ManifestText.appendEntry(genuine.manifestBody(), ZIP_SLIP_NAME, ManifestText.digestHex("SHA-256", content),
                genuine.usesVeripackMode() ? "100644" : null);
        ZipRewriter z = new ZipRewriter().addFile(ZIP_SLIP_NAME, content, 0644)
                .replace(genuine.manifestName(), signedManifest(body, pki.validLeaf(), pki.testCa()));
        replaceCertificates(z, pki.validLeaf(), pki.testCa());
        Path out = variant(id);
        z.write(genuine.csar(), out);
        return new TamperCase(id, "Zip-slip entry",
                "An entry whose name climbs out of the install directory (" + ZIP_SLIP_NAME + "), listed in the "
                        + "manifest and signed by a valid test signer, so only the path check can refuse it.",
                TEST_CA_PRECONDITION, out, null, List.of("UNSAFE_PATH"), true,
                List.of("added entry " + ZIP_SLIP_NAME + " and its manifest entry"
                                + (genuine.usesVeripackMode() ? " (with Veripack-Mode 100644, as the genuine manifest signs modes)" : ""),
                        "re-signed with " + HarnessPki.subject(pki.validLeaf())));
    }

    private TamperCase symlinkEscape() throws IOException {
        String id = "TAMPER.symlink-escape";
        byte[] content = "written through a symbolic link by the SCAS harness\n".getBytes(StandardCharsets.US_ASCII);
        String link = freshName(SYMLINK_NAME);
        String through = link + "/" + SYMLINK_WRITTEN_NAME;
        boolean modes = genuine.usesVeripackMode();
        String body = ManifestText.appendEntry(genuine.manifestBody(), link,
                ManifestText.digestHex("SHA-256", SYMLINK_TARGET.getBytes(StandardCharsets.UTF_8)), modes ? "120000" : null);
        body = ManifestText.appendEntry(body, through, ManifestText.digestHex("SHA-256", content), modes ? "100644" : null);
        ZipRewriter z = new ZipRewriter().addSymlink(link, SYMLINK_TARGET).addFile(through, content, 0644)
                .replace(genuine.manifestName(), signedManifest(body, pki.validLeaf(), pki.testCa()));
        replaceCertificates(z, pki.validLeaf(), pki.testCa());
        Path out = variant(id);
        z.write(genuine.csar(), out);
        return new TamperCase(id, "Write through a symlink leaving the install directory",
                "A symbolic link to a directory outside the install directory (" + SYMLINK_TARGET + ") and a file "
                        + "entry under that link: extracting the file would write outside the install directory. Both "
                        + "are listed and signed by a valid test signer, so only the path checks can refuse it. (A "
                        + "link alone is not the defect: a product may legitimately install links to system files.)",
                TEST_CA_PRECONDITION, out, null, List.of("UNSAFE_PATH"), true,
                List.of("added symlink " + link + " -> " + SYMLINK_TARGET + " and file " + through + ", both in the "
                                + "manifest" + (modes ? " (with Veripack-Mode 120000 and 100644, as the genuine "
                                + "manifest signs entry types)" : ""),
                        "re-signed with " + HarnessPki.subject(pki.validLeaf())));
    }

    // ---- helpers

    /** The first payload artifact whose digest algorithm the harness computes (re-signing variants recompute it). */
    private Optional<ManifestEntry> firstPayloadArtifact() {
        return genuine.payloadArtifacts().stream().filter(a -> ManifestText.messageDigest(a.algorithm()).isPresent()).findFirst();
    }

    /** {@code name}, or {@code name} with a counter before its extension, so that the package has no such entry. */
    private String freshName(String name) {
        String candidate = name;
        for (int i = 1; genuine.entry(candidate).isPresent() || genuine.entry(candidate + "/").isPresent(); i++) {
            int dot = name.lastIndexOf('.');
            candidate = dot > name.lastIndexOf('/') ? name.substring(0, dot) + "-" + i + name.substring(dot) : name + "-" + i;
        }
        return candidate;
    }

    private Path variant(String id) {
        return dir.resolve(id.replace("TAMPER.", "") + ".csar");
    }

    /** A case's variant made from the first payload artifact {@code a}, written to {@code out}. */
    @FunctionalInterface
    private interface PayloadVariant {
        TamperCase make(String id, String title, ManifestEntry a, Path out) throws IOException;
    }

    /** A case that modifies the first payload artifact: NOT_RUN ({@code NO_PAYLOAD}) when the package has none. */
    private TamperCase onPayload(String id, String title, String precondition, PayloadVariant variant) throws IOException {
        Optional<ManifestEntry> a = firstPayloadArtifact();
        if (a.isEmpty()) {
            return notRun(id, title, precondition, NO_PAYLOAD);
        }
        return variant.make(id, title, a.get(), variant(id));
    }

    private static TamperCase notRun(String id, String title, String precondition, String reason) {
        return new TamperCase(id, title, title + ".", precondition, null, reason, List.of(), false, List.of());
    }

    private byte[] signedManifest(String body, SigningIdentity signer, SigningIdentity issuer) throws IOException {
        byte[] bodyBytes = utf8(body);
        byte[] der = CmsSigner.builder(new SigningIdentity(signer.privateKey(), signer.certificate(), List.of(issuer.certificate()))).clock(clock).build()
                .signDetached(new ByteArrayInputStream(bodyBytes));
        return utf8(body + CmsSigner.toPem(der));
    }

    private void replaceCertificates(ZipRewriter z, SigningIdentity signer, SigningIdentity issuer) throws IOException {
        if (genuine.certificateEntries().isEmpty()) {
            return;
        }
        byte[] pem = HarnessPki.certificatesPem(signer.certificate(), issuer.certificate());
        genuine.certificateEntries().forEach(name -> z.replace(name, pem));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
