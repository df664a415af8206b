package org.veripack.scas.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.scas.internal.CsarLayout.ManifestEntry;

/**
 * Derives the tamper matrix from the genuine package itself: every variant is the genuine CSAR with one
 * defect, built with Commons Compress (unchanged entries copied raw). Variants that change signed content
 * and re-sign it use the harness's own signers ({@link HarnessPki}), never the vendor key; the two that
 * need a genuine older signature (downgrade, older artifact) use {@code OLD.csar} when given and are
 * otherwise returned with a reason instead of a file.
 */
public final class TamperMatrix {
    /** Content replacing the first artifact in the re-signing variants. */
    static final byte[] TROJAN = "#!/bin/sh\necho 'SCAS trojan: tampered code executed'\n".getBytes(StandardCharsets.US_ASCII);
    static final String ADDED_NAME = "scas-unlisted.sh";
    static final String ZIP_SLIP_NAME = "../../scas-zip-slip.txt";
    static final String SYMLINK_NAME = "scas-escape";
    static final String SYMLINK_TARGET = "../../../../../../../../etc/passwd";

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
        cases.add(resigned("TAMPER.resigned-non-code-signing-cert", "Re-signed by a non-code-signing certificate",
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
        String id = "TAMPER.artifact-byte-flip";
        Optional<ManifestEntry> a = firstRegularArtifact();
        if (a.isEmpty()) {
            return notRun(id, "Byte flip in an artifact", "the package lists no non-empty regular artifact");
        }
        Path out = variant(id);
        new ZipRewriter().transform(a.get().source(), ZipRewriter.flipMiddleByte()).write(genuine.csar(), out);
        return new TamperCase(id, "Byte flip in an artifact",
                "Corruption or tampering of one payload file after signing (R1, test a).", out, null,
                List.of("DIGEST_MISMATCH"), false,
                List.of("flipped the lowest bit of the middle byte of " + a.get().source()));
    }

    private TamperCase manifestByteFlip() throws IOException {
        String id = "TAMPER.manifest-byte-flip";
        String body = genuine.manifestBody();
        int h = body.indexOf("Hash:");
        if (h < 0 || genuine.signatureBlock().isEmpty()) {
            return notRun(id, "Byte flip in the manifest", "the manifest lists no digest or carries no signature");
        }
        int pos = h + "Hash:".length();
        while (pos < body.length() && body.charAt(pos) == ' ') {
            pos++;
        }
        char c = body.charAt(pos);
        char flipped = (char) (c ^ 0x01);
        String mf = body.substring(0, pos) + flipped + body.substring(pos + 1) + genuine.signatureBlock().get();
        Path out = variant(id);
        new ZipRewriter().replace(genuine.manifestName(), utf8(mf)).write(genuine.csar(), out);
        return new TamperCase(id, "Byte flip in the manifest",
                "The signed manifest is altered after signing: its signature must no longer verify (R2).", out, null,
                List.of("SIGNATURE_INVALID"), false,
                List.of("changed character '" + c + "' to '" + flipped + "' at offset " + pos + " of "
                        + genuine.manifestName() + " (first Hash value)"));
    }

    private TamperCase signatureByteFlip() throws IOException {
        String id = "TAMPER.signature-byte-flip";
        Optional<String> block = genuine.signatureBlock();
        if (block.isEmpty()) {
            return notRun(id, "Byte flip in the signature", "the manifest carries no CMS signature block");
        }
        byte[] der = pemBody(block.get());
        int pos = der.length - 8;
        der[pos] ^= 0x01;
        String mf = genuine.manifestBody() + CmsSigner.toPem(der);
        Path out = variant(id);
        new ZipRewriter().replace(genuine.manifestName(), utf8(mf)).write(genuine.csar(), out);
        return new TamperCase(id, "Byte flip in the signature",
                "The CMS SignedData is corrupted (one bit in its signature value): the signature must not verify.",
                out, null, List.of("SIGNATURE_INVALID"), false,
                List.of("flipped the lowest bit of DER byte " + pos + " of " + der.length + " (signature value)"));
    }

    private TamperCase artifactAdded() throws IOException {
        String id = "TAMPER.artifact-added";
        Path out = variant(id);
        new ZipRewriter().addFile(ADDED_NAME, TROJAN, 0755).write(genuine.csar(), out);
        return new TamperCase(id, "Artifact added",
                "An executable the manifest does not list is slipped into the package (SOL004: every file must be listed).",
                out, null, List.of("ARTIFACT_UNLISTED"), false, List.of("added executable entry " + ADDED_NAME));
    }

    private TamperCase artifactRemoved() throws IOException {
        String id = "TAMPER.artifact-removed";
        Optional<ManifestEntry> a = firstRegularArtifact();
        if (a.isEmpty()) {
            return notRun(id, "Artifact removed", "the package lists no non-empty regular artifact");
        }
        Path out = variant(id);
        new ZipRewriter().remove(a.get().source()).write(genuine.csar(), out);
        return new TamperCase(id, "Artifact removed",
                "A listed artifact is deleted (a partial or truncated delivery must not be installed).",
                out, null, List.of("ARTIFACT_MISSING"), false, List.of("removed entry " + a.get().source()));
    }

    private TamperCase artifactRenamed() throws IOException {
        String id = "TAMPER.artifact-renamed";
        Optional<ManifestEntry> a = firstRegularArtifact();
        if (a.isEmpty()) {
            return notRun(id, "Artifact renamed", "the package lists no non-empty regular artifact");
        }
        String to = a.get().source() + ".renamed";
        Path out = variant(id);
        new ZipRewriter().rename(a.get().source(), to).write(genuine.csar(), out);
        return new TamperCase(id, "Artifact renamed",
                "A listed artifact is moved to another name (same bytes, different path).",
                out, null, List.of("ARTIFACT_MISSING", "ARTIFACT_UNLISTED"), false,
                List.of("renamed " + a.get().source() + " to " + to));
    }

    private TamperCase artifactFromOlderVersion() throws IOException {
        String id = "TAMPER.artifact-older-version";
        String title = "Artifact replaced by an older version's";
        if (old == null) {
            return notRun(id, title, "no --downgrade-package OLD.csar given: an older genuine artifact is needed");
        }
        for (ManifestEntry a : genuine.regularArtifacts()) {
            for (ManifestEntry o : old.regularArtifacts()) {
                if (o.source().equals(a.source()) && !o.hash().equalsIgnoreCase(a.hash())) {
                    byte[] bytes = ZipRewriter.read(old.csar(), o.source(), Integer.MAX_VALUE - 16);
                    Path out = variant(id);
                    new ZipRewriter().replace(a.source(), bytes).write(genuine.csar(), out);
                    return new TamperCase(id, title,
                            "A genuinely signed but older (possibly vulnerable) artifact is substituted into the new "
                                    + "package: its bytes are authentic, but not the ones this manifest signs.",
                            out, null, List.of("DIGEST_MISMATCH"), false,
                            List.of("replaced " + a.source() + " by the bytes of the same artifact from "
                                    + old.csar().getFileName()));
                }
            }
        }
        return notRun(id, title, "no artifact of " + old.csar().getFileName()
                + " has the same path and different bytes than in the genuine package");
    }

    // ---- re-signed modifications

    private TamperCase resigned(String id, String title, String purpose, Issued signer, Issued issuer,
                                List<String> codes, boolean testCa) throws IOException {
        Optional<ManifestEntry> a = firstRegularArtifact();
        if (a.isEmpty()) {
            return notRun(id, title, "the package lists no non-empty regular artifact");
        }
        String body = replaceHash(genuine.manifestBody(), a.get(), digestHex(a.get().algorithm(), TROJAN));
        Path out = variant(id);
        ZipRewriter z = new ZipRewriter().replace(a.get().source(), TROJAN)
                .replace(genuine.manifestName(), signedManifest(body, signer, issuer));
        replaceCertificates(z, signer, issuer);
        z.write(genuine.csar(), out);
        return new TamperCase(id, title, purpose, out, null, codes, testCa,
                List.of("replaced " + a.get().source() + " by a " + TROJAN.length + "-byte script and its manifest digest",
                        "re-signed the manifest with " + signer.subject() + " issued by " + issuer.subject()));
    }

    private TamperCase signatureStripped() throws IOException {
        String id = "TAMPER.signature-stripped";
        Optional<ManifestEntry> a = firstRegularArtifact();
        if (a.isEmpty()) {
            return notRun(id, "Signature stripped", "the package lists no non-empty regular artifact");
        }
        String body = replaceHash(genuine.manifestBody(), a.get(), digestHex(a.get().algorithm(), TROJAN));
        ZipRewriter z = new ZipRewriter().replace(a.get().source(), TROJAN).replace(genuine.manifestName(), utf8(body));
        genuine.certificateEntries().forEach(z::remove);
        Path out = variant(id);
        z.write(genuine.csar(), out);
        return new TamperCase(id, "Signature stripped",
                "An artifact is replaced and the manifest's digests made consistent, then the signature and "
                        + "certificate are removed: an unsigned package must not be installed (R2).",
                out, null, List.of("SIGNATURE_MISSING"), false,
                List.of("replaced " + a.get().source() + " and its manifest digest",
                        "removed the CMS block from " + genuine.manifestName()
                                + (genuine.certificateEntries().isEmpty() ? "" : " and entries " + genuine.certificateEntries())));
    }

    private TamperCase downgrade() {
        String id = "TAMPER.downgrade";
        if (old == null) {
            return notRun(id, "Downgrade to an older signed version",
                    "no --downgrade-package OLD.csar given: a downgrade needs a lower version signed by the vendor key, "
                            + "which the harness does not have");
        }
        return new TamperCase(id, "Downgrade to an older signed version",
                "A genuinely signed lower version is offered after the genuine version was activated: anti-rollback "
                        + "must refuse it (a validly signed but vulnerable old release is an attack too).",
                old.csar(), null, List.of("VERSION_ROLLBACK"), false,
                List.of("package " + old.csar().getFileName() + " version "
                        + old.packageVersion().orElse("?") + " offered after version "
                        + genuine.packageVersion().orElse("?")));
    }

    private TamperCase zipSlip() throws IOException {
        String id = "TAMPER.zip-slip-entry";
        byte[] content = "written outside the install directory by the SCAS harness\n".getBytes(StandardCharsets.US_ASCII);
        String body = appendEntry(genuine.manifestBody(), ZIP_SLIP_NAME, digestHex("SHA-256", content));
        ZipRewriter z = new ZipRewriter().addFile(ZIP_SLIP_NAME, content, 0644)
                .replace(genuine.manifestName(), signedManifest(body, pki.validLeaf(), pki.testCa()));
        replaceCertificates(z, pki.validLeaf(), pki.testCa());
        Path out = variant(id);
        z.write(genuine.csar(), out);
        return new TamperCase(id, "Zip-slip entry",
                "An entry whose name climbs out of the install directory (" + ZIP_SLIP_NAME + "), listed in the "
                        + "manifest and signed by a valid test signer, so only the path check can refuse it.",
                out, null, List.of("UNSAFE_PATH"), true,
                List.of("added entry " + ZIP_SLIP_NAME + " and its manifest line",
                        "re-signed with " + pki.validLeaf().subject()));
    }

    private TamperCase symlinkEscape() throws IOException {
        String id = "TAMPER.symlink-escape";
        String body = appendEntry(genuine.manifestBody(), SYMLINK_NAME,
                digestHex("SHA-256", SYMLINK_TARGET.getBytes(StandardCharsets.UTF_8)));
        ZipRewriter z = new ZipRewriter().addSymlink(SYMLINK_NAME, SYMLINK_TARGET)
                .replace(genuine.manifestName(), signedManifest(body, pki.validLeaf(), pki.testCa()));
        replaceCertificates(z, pki.validLeaf(), pki.testCa());
        Path out = variant(id);
        z.write(genuine.csar(), out);
        return new TamperCase(id, "Symlink escape",
                "A symbolic link whose target leaves the install directory (" + SYMLINK_TARGET + "), listed and "
                        + "signed by a valid test signer, so only the path check can refuse it.",
                out, null, List.of("UNSAFE_PATH"), true,
                List.of("added symlink " + SYMLINK_NAME + " -> " + SYMLINK_TARGET + " and its manifest line",
                        "re-signed with " + pki.validLeaf().subject()));
    }

    // ---- helpers

    private Optional<ManifestEntry> firstRegularArtifact() {
        return genuine.regularArtifacts().stream().findFirst();
    }

    private Path variant(String id) {
        return dir.resolve(id.replace("TAMPER.", "") + ".csar");
    }

    private static TamperCase notRun(String id, String title, String reason) {
        return new TamperCase(id, title, title + ".", null, reason, List.of(), false, List.of());
    }

    private byte[] signedManifest(String body, Issued signer, Issued issuer) throws IOException {
        byte[] bodyBytes = utf8(body);
        byte[] der = CmsSigner.builder(signer.identity(issuer.certificate())).clock(clock).build()
                .signDetached(new ByteArrayInputStream(bodyBytes));
        return utf8(body + CmsSigner.toPem(der));
    }

    private void replaceCertificates(ZipRewriter z, Issued signer, Issued issuer) throws IOException {
        if (genuine.certificateEntries().isEmpty()) {
            return;
        }
        Path tmp = Files.createTempFile(dir, "cert", ".pem");
        try {
            TestPki.writeCertificatesPem(tmp, new X509Certificate[] {signer.certificate(), issuer.certificate()});
            byte[] pem = Files.readAllBytes(tmp);
            genuine.certificateEntries().forEach(name -> z.replace(name, pem));
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** {@code body} with the {@code Hash:} line of {@code entry}'s block set to {@code newHex}. */
    static String replaceHash(String body, ManifestEntry entry, String newHex) {
        int s = indexOfSourceLine(body, entry.source());
        int h = body.indexOf("Hash:", s);
        int v = body.indexOf(entry.hash(), h);
        if (s < 0 || h < 0 || v < 0) {
            throw new IllegalStateException("manifest entry not found again: " + entry.source());
        }
        return body.substring(0, v) + newHex + body.substring(v + entry.hash().length());
    }

    private static int indexOfSourceLine(String body, String source) {
        int from = 0;
        while (true) {
            int s = body.indexOf("Source:", from);
            if (s < 0) {
                return -1;
            }
            int eol = body.indexOf('\n', s);
            String value = body.substring(s + "Source:".length(), eol < 0 ? body.length() : eol).trim();
            if (value.equals(source)) {
                return s;
            }
            from = s + 1;
        }
    }

    /** {@code body} with one more {@code Source/Algorithm/Hash} block at its end, keeping its final blank line. */
    static String appendEntry(String body, String source, String sha256Hex) {
        String nl = body.contains("\r\n") ? "\r\n" : "\n";
        boolean blankEnd = body.endsWith(nl + nl);
        StringBuilder sb = new StringBuilder(body);
        if (!body.endsWith(nl)) {
            sb.append(nl);
        }
        if (!blankEnd) {
            sb.append(nl);
        }
        sb.append("Source: ").append(source).append(nl)
                .append("Algorithm: SHA-256").append(nl)
                .append("Hash: ").append(sha256Hex).append(nl);
        if (blankEnd) {
            sb.append(nl);
        }
        return sb.toString();
    }

    /** Hex digest with the manifest's algorithm name ({@code SHA-256}, {@code SHA256}, {@code sha-512}...). */
    static String digestHex(String manifestAlgorithm, byte[] content) {
        String alg = manifestAlgorithm == null ? "SHA-256" : manifestAlgorithm.toUpperCase(Locale.ROOT).replace("-", "");
        String jca = switch (alg) {
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            default -> "SHA-256";
        };
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(jca).digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without " + jca, e);
        }
    }

    private static byte[] pemBody(String block) throws IOException {
        StringBuilder b64 = new StringBuilder();
        for (String line : block.split("\r?\n")) {
            if (!line.startsWith("-----") && !line.isBlank()) {
                b64.append(line.trim());
            }
        }
        try {
            return Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException("the manifest's CMS block is not base64: " + e.getMessage(), e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
