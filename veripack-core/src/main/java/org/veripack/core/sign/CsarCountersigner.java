package org.veripack.core.sign;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.veripack.core.AtomicFile;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.Limits;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.internal.csar.ToscaMeta;
import org.veripack.core.internal.csar.ZipArchive;
import org.veripack.core.internal.manifest.Manifest;
import org.veripack.core.internal.manifest.ManifestParser;

/**
 * Adds a further signer (typically the operator, after the vendor) to an existing SOL004 CSAR
 * ({@code veripack countersign}). The new SignerInfo signs exactly what the existing signature signs:
 * <ul>
 *   <li>option 1: the manifest bytes before its {@code -----BEGIN CMS-----} line; the manifest's CMS block
 *       is replaced by the SignedData with both SignerInfos (SOL004 §5.4), every other zip entry is copied
 *       byte for byte (raw, not recompressed);</li>
 *   <li>option 2: the inner CSAR's bytes; the outer {@code .cms} is replaced.</li>
 * </ul>
 * Before signing, the input's integrity is verified as {@link PackageVerifier} checks it, but without trust
 * (a countersignature vouches for the bytes, so they must be the ones signed): every artifact against its
 * manifest digest and signed mode, the existing CMS signature value, the package's structure and path
 * rules. Findings about trust and time (anchor, expiry, revocation, key usage, authorisation, algorithm
 * policy) are left to the verifier under the operator's policy.
 * The input must carry one detached CMS SignedData. Output is written to a temp file beside {@code out}
 * and renamed; nothing is written when the input is refused. What is copied and signed is read through one
 * open of the input whose SHA-256 must be the verified package's: a file renamed over the input after it was
 * verified is refused ({@code MALFORMED_PACKAGE}), never countersigned unverified.
 *
 * <p>Errors: {@link PackageRejectedException} carrying the integrity findings ({@link #INTEGRITY}, e.g.
 * {@code DIGEST_MISMATCH}, {@code SIGNATURE_INVALID}, {@code UNSAFE_PATH}) when the input does not verify;
 * {@link IllegalArgumentException} when the input is not a CSAR with a CMS signature;
 * {@link IOException} for I/O failures (and an unreachable TSA).
 */
public final class CsarCountersigner {
    private static final int MAX_SMALL_BYTES = 16 * 1024 * 1024;

    private final CmsSigner signer;

    /** A countersigner adding {@code signer}'s SignerInfo (configure its clock/TSA on the CmsSigner). */
    public CsarCountersigner(CmsSigner signer) {
        this.signer = Objects.requireNonNull(signer, "signer");
    }

    /**
     * The finding codes that make a CSAR unfit to countersign: it is not the package that was signed, or is
     * not one Veripack would install, whatever the trust policy.
     */
    public static final Set<FindingCode> INTEGRITY = Collections.unmodifiableSet(EnumSet.of(
            FindingCode.DIGEST_MISMATCH, FindingCode.ARTIFACT_MISSING, FindingCode.ARTIFACT_UNLISTED,
            FindingCode.ARTIFACT_DUPLICATE, FindingCode.SIGNATURE_MISSING, FindingCode.SIGNATURE_INVALID,
            FindingCode.MALFORMED_PACKAGE, FindingCode.UNSAFE_PATH, FindingCode.LIMIT_EXCEEDED, FindingCode.MODE_MISMATCH));

    /**
     * Reads {@code in}, verifies its integrity (see the class comment), writes the countersigned CSAR to
     * {@code out} (may equal {@code in}).
     *
     * @throws PackageRejectedException with a report holding only the {@link #INTEGRITY} findings of {@code in}
     */
    public void countersign(Path in, Path out) throws IOException, PackageRejectedException {
        VerificationReport verified = requireIntegrity(in);
        // what is copied and signed is read through one open whose bytes are the ones verified (same SHA-256):
        // the path may name another file by now (renamed over it), which is refused rather than countersigned
        try (FileChannel file = FileChannel.open(in, StandardOpenOption.READ)) {
            String now = Digests.sha256Hex(file);
            if (!now.equals(verified.packageSha256().orElse(null))) {
                throw new PackageRejectedException(VerificationReport.builder(verified.format(), verified.verificationTime())
                        .packageSha256(now).finding(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, "package",
                                "the package changed while it was countersigned (the file at the path is not the one verified)",
                                verified.packageSha256().orElse(null), now)).build());
            }
            ZipFile opened;
            try {
                opened = ZipFile.builder().setSeekableByteChannel(file).get();
            } catch (IOException e) {
                throw new IllegalArgumentException(in + " is not a zip (CSAR): " + e.getMessage(), e);
            }
            try (ZipFile zip = opened) {
                AtomicFile.write(out, o -> writeCountersigned(zip, in, o));
            }
        }
    }

    /** Writes {@code zip} to {@code o} with the added signer: the CMS of option 2, else the manifest's CMS block. */
    private void writeCountersigned(ZipFile zip, Path in, OutputStream o) throws IOException {
        List<ZipArchiveEntry> entries = Collections.list(zip.getEntriesInPhysicalOrder());
        ZipArchiveEntry option2Cms = null;
        ZipArchiveEntry option2Csar = null;
        ZipArchiveEntry manifest = null;
        boolean hasMeta = zip.getEntry(ToscaMeta.PATH) != null;
        for (ZipArchiveEntry e : entries) {
            String lower = e.getName().toLowerCase(Locale.ROOT);
            if (e.getName().indexOf('/') < 0 && lower.endsWith(".cms")) {
                option2Cms = e;
            } else if (e.getName().indexOf('/') < 0 && lower.endsWith(".csar")) {
                option2Csar = e;
            }
        }
        byte[] replacement;
        ZipArchiveEntry replaced;
        if (option2Csar != null && option2Cms != null && !hasMeta) {
            byte[] cms = pemOrDer(read(zip, option2Cms));
            byte[] newCms;
            try (InputStream content = zip.getInputStream(option2Csar)) {
                newCms = signer.addSignerTo(cms, content);
            }
            replacement = CmsSigner.toPemBytes(newCms);
            replaced = option2Cms;
        } else {
            manifest = locateManifest(zip, entries);
            Manifest m = ManifestParser.parse(read(zip, manifest));
            if (!m.hasCms()) {
                throw new IllegalArgumentException(in + ": the manifest " + manifest.getName() + " has no CMS signature block");
            }
            byte[] newCms = signer.addSignerTo(pemOrDer(m.cmsPem()), new ByteArrayInputStream(m.signedPrefix()));
            byte[] pem = CmsSigner.toPemBytes(newCms);
            replacement = new byte[m.signedPrefix().length + pem.length];
            System.arraycopy(m.signedPrefix(), 0, replacement, 0, m.signedPrefix().length);
            System.arraycopy(pem, 0, replacement, m.signedPrefix().length, pem.length);
            replaced = manifest;
        }
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(o)) {
            for (ZipArchiveEntry e : entries) {
                if (e == replaced) {
                    ZipArchiveEntry n = new ZipArchiveEntry(e.getName());
                    n.setUnixMode(e.getUnixMode() == 0 ? 0100644 : e.getUnixMode());
                    n.setTime(e.getTime());
                    n.setMethod(ZipArchiveEntry.DEFLATED);
                    z.putArchiveEntry(n);
                    z.write(replacement);
                    z.closeArchiveEntry();
                } else {
                    try (InputStream raw = zip.getRawInputStream(e)) {
                        z.addRawArchiveEntry(e, raw);
                    }
                }
            }
        }
    }

    /**
     * Verifies {@code in} with the countersigner's own certificate as the only (irrelevant) trust anchor and
     * keeps the {@link #INTEGRITY} findings.
     *
     * @return the verification's report, whose {@code packageSha256} is the digest of the bytes verified
     * @throws IllegalArgumentException when {@code in} is not a zip
     */
    private VerificationReport requireIntegrity(Path in) throws IOException, PackageRejectedException {
        List<Finding> notZip = new ArrayList<>();
        if (!isZip(in, notZip)) {
            throw new IllegalArgumentException(in + " is not a zip (CSAR): "
                    + notZip.stream().map(Finding::detail).findFirst().orElse("no zip index"));
        }
        TrustPolicy anyAnchor = TrustPolicy.withAnchors(List.of(signer.identity().certificate()));
        VerificationReport full = PackageVerifier.create(anyAnchor, signer.clock()).withPackageDigest().verifyCsar(in);
        VerificationReport.Builder b = VerificationReport.builder(full.format(), full.verificationTime());
        full.identity().ifPresent(b::identity);
        full.packageSha256().ifPresent(b::packageSha256);
        full.findings().stream().filter(f -> INTEGRITY.contains(f.code())).forEach(b::finding);
        if (b.hasFindings()) {
            throw new PackageRejectedException(b.build());
        }
        return full;
    }

    /**
     * Whether {@code in} opens as a zip, through {@link ZipArchive} so that its index is checked against the
     * default limits before it is parsed (an index above them counts as a zip: the verification then refuses
     * it with {@code LIMIT_EXCEEDED}, and {@link #countersign} never parses it).
     */
    private static boolean isZip(Path in, List<Finding> findings) throws IOException {
        if (!Files.isRegularFile(in) || !Files.isReadable(in)) {
            throw new java.nio.file.NoSuchFileException(in.toString(), null, "not a readable regular file");
        }
        Optional<ZipArchive> opened = ZipArchive.open(in, Limits.DEFAULT, "package", findings);
        if (opened.isPresent()) {
            opened.get().close();
            return true;
        }
        return findings.stream().anyMatch(f -> f.code() == FindingCode.LIMIT_EXCEEDED);
    }

    private static ZipArchiveEntry locateManifest(ZipFile zip, List<ZipArchiveEntry> entries) throws IOException {
        ZipArchiveEntry meta = zip.getEntry(ToscaMeta.PATH);
        if (meta != null) {
            String name = ToscaMeta.parse(read(zip, meta)).entryManifest().orElse(null);
            if (name != null) {
                ZipArchiveEntry e = zip.getEntry(name.startsWith("./") ? name.substring(2) : name);
                if (e != null) {
                    return e;
                }
            }
        }
        List<ZipArchiveEntry> mfs = new ArrayList<>();
        for (ZipArchiveEntry e : entries) {
            if (e.getName().indexOf('/') < 0 && e.getName().toLowerCase(Locale.ROOT).endsWith(".mf")) {
                mfs.add(e);
            }
        }
        if (mfs.size() != 1) {
            throw new IllegalArgumentException("not a signed SOL004 CSAR: expected one manifest (.mf), found " + mfs.size());
        }
        return mfs.get(0);
    }

    private static byte[] read(ZipFile zip, ZipArchiveEntry e) throws IOException {
        if (e.getSize() > MAX_SMALL_BYTES) {
            throw new IllegalArgumentException(e.getName() + " is larger than " + MAX_SMALL_BYTES + " bytes");
        }
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes(MAX_SMALL_BYTES + 1);
            if (b.length > MAX_SMALL_BYTES) {
                throw new IllegalArgumentException(e.getName() + " is larger than " + MAX_SMALL_BYTES + " bytes");
            }
            return b;
        }
    }

    private static byte[] pemOrDer(byte[] bytes) throws IOException {
        String text = new String(bytes, StandardCharsets.ISO_8859_1).strip();
        if (!text.startsWith("-----BEGIN ")) {
            return bytes;
        }
        try (PemReader r = new PemReader(new java.io.StringReader(text))) {
            PemObject o = r.readPemObject();
            if (o == null) {
                throw new IllegalArgumentException("malformed PEM CMS block");
            }
            return o.getContent();
        }
    }
}
