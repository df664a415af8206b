package org.veripack.core.internal.csar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageFormat;
import org.veripack.core.ProgressListener;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.cms.CmsSignatureVerifier;
import org.veripack.core.internal.cms.SignatureCheckResult;
import org.veripack.core.internal.cms.SignedContent;

/**
 * Any file with a detached CMS SignedData (DER or PEM), as {@code openssl cms -verify -binary -content FILE}
 * checks it. A detached signature carries no signed name or version, so the report has no identity.
 */
public final class DetachedVerifier {
    /** Largest signature file read, in bytes. */
    public static final int MAX_SIGNATURE_BYTES = 16 * 1024 * 1024;

    private DetachedVerifier() { }

    /**
     * @throws IOException when the file or the signature cannot be read
     */
    public static VerificationReport verify(Path file, Path signature, TrustPolicy policy, Instant at) throws IOException {
        return verify(file, signature, policy, at, RevocationSource.http());
    }

    /** As {@link #verify(Path, Path, TrustPolicy, Instant)} with revocation data from {@code revocation}. */
    public static VerificationReport verify(Path file, Path signature, TrustPolicy policy, Instant at,
                                            RevocationSource revocation) throws IOException {
        return verify(file, signature, policy, at, revocation, ProgressListener.NONE);
    }

    /**
     * As {@link #verify(Path, Path, TrustPolicy, Instant, RevocationSource)}, telling {@code progress} the step
     * {@code "hashing FILE"} (total: the file's bytes, counted per read block).
     */
    public static VerificationReport verify(Path file, Path signature, TrustPolicy policy, Instant at,
                                            RevocationSource revocation, ProgressListener progress) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "not a regular file");
        }
        if (!Files.isRegularFile(signature)) {
            throw new NoSuchFileException(signature.toString(), null, "not a regular file");
        }
        VerificationReport.Builder b = VerificationReport.builder(PackageFormat.DETACHED_CMS, at);
        byte[] sig;
        try (InputStream in = Files.newInputStream(signature)) {
            sig = in.readNBytes(MAX_SIGNATURE_BYTES + 1);
        }
        if (sig.length > MAX_SIGNATURE_BYTES) {
            b.finding(Finding.of(FindingCode.LIMIT_EXCEEDED, signature.getFileName().toString(), "signature file too large"));
            return b.build();
        }
        // one read of the file: the CMS message digest and the report's SHA-256 come from the same pass
        SignedContent content = SignedContent.ofFile(file, progress);
        CmsSignatureVerifier.DigestedResult d;
        progress.begin("hashing " + file.getFileName(), Files.size(file), ProgressListener.Unit.BYTES);
        try {
            d = CmsSignatureVerifier.verifyAndDigest(sig, content, List.of(), policy, at, revocation, "SHA-256");
        } finally {
            progress.end();
        }
        SignatureCheckResult r = d.check();
        r.findings().forEach(b::finding);
        r.signers().forEach(b::signer);
        r.warnings().forEach(b::warning);
        byte[] digest;
        long size;
        if (d.digested()) {
            digest = d.contentDigest();
            size = d.contentBytes();
        } else { // the CMS was unusable before its content was read: hash the file for the report
            MessageDigest md = Digests.newDigest("SHA-256");
            size = SignedContent.ofFile(file, ProgressListener.NONE).digest(md);
            digest = md.digest();
        }
        String hex = HexFormat.of().formatHex(digest);
        b.packageSha256(hex);
        b.artifact(new ArtifactRecord(file.getFileName().toString(), ArtifactType.FILE, mode(file), size, "SHA-256", hex, null));
        return b.build();
    }

    private static int mode(Path file) {
        try {
            // the file whose bytes were verified: a symbolic link given as the content is followed for both
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            int m = 0;
            for (PosixFilePermission p : perms) {
                m |= 1 << (8 - p.ordinal());
            }
            return m;
        } catch (IOException | UnsupportedOperationException e) {
            return 0644;
        }
    }
}
