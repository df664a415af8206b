package org.veripack.core;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.veripack.core.internal.WarmUp;
import org.veripack.core.internal.csar.CsarVerifier;
import org.veripack.core.internal.csar.DetachedVerifier;
import org.veripack.core.internal.csar.SignedManifestRules;

/**
 * The one verifier: a pure function of (package bytes, trust policy, time, revocation data) to a
 * {@link VerificationReport}. Time comes from the injected {@link Clock}, read once per verification.
 *
 * <p>Two shapes per format: a reporting call that never throws for bad input and lists every finding,
 * and, for installation, a throwing call that streams each artifact once into an {@link ArtifactSink}
 * while hashing it and returns a {@link VerifiedPackage} only when the verdict is ACCEPTED.
 *
 * <p>Errors: untrusted input that is bad becomes findings, never exceptions; {@link IOException} only
 * for I/O failures of the environment (unreadable file, disk full in the sink) — CLI exit code 3.
 */
public final class PackageVerifier {
    private final TrustPolicy policy;
    private final Clock clock;
    private final RevocationSource revocation;
    private final boolean packageDigest;
    /** Null: {@link ArtifactFetcher#http} with the policy's time bounds, created when a package needs it. */
    private final ArtifactFetcher fetcher;
    private final ProgressListener progress;

    private PackageVerifier(TrustPolicy policy, Clock clock, RevocationSource revocation, boolean packageDigest,
                            ArtifactFetcher fetcher, ProgressListener progress) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.revocation = Objects.requireNonNull(revocation, "revocation");
        this.packageDigest = packageDigest;
        this.fetcher = fetcher;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * A verifier for {@code policy}, validating certificates at {@code clock.instant()} (fixed per call);
     * revocation data (used only when {@code policy.revocation()} is not OFF) from the network,
     * {@link RevocationSource#http()}, uncached.
     */
    public static PackageVerifier create(TrustPolicy policy, Clock clock) {
        return new PackageVerifier(policy, clock, RevocationSource.http(), false, null, ProgressListener.NONE);
    }

    /**
     * A verifier taking revocation data from {@code revocation} (tests inject one; the node passes
     * {@code RevocationSource.http(timeout, maxBytes, NODE/cache/revocation)}).
     */
    public static PackageVerifier create(TrustPolicy policy, Clock clock, RevocationSource revocation) {
        return new PackageVerifier(policy, clock, revocation, false, null, ProgressListener.NONE);
    }

    /**
     * Starts initialising what every verification needs (JCA factories for X.509, PKIX and SHA-256, the
     * zip reader's calendar data, the P-256 curve) on a daemon thread, so that a short-lived process (the
     * CLI) overlaps it with argument parsing and policy loading. Optional and idempotent; verification is
     * identical with or without it (code that needs a class still being initialised waits for it).
     */
    public static void warmUp() {
        if (WARM_UP_STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(new WarmUp(), "veripack-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARM_UP_STARTED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * This verifier, but {@link #verifyCsar} reports also carry {@link VerificationReport#packageSha256()},
     * the SHA-256 of the whole package file, as evidence that names the exact bytes verified. It costs one
     * more SHA-256 pass over the file (a CSAR's artifacts are hashed on their own, from other offsets), so
     * plain verification leaves it out; {@link #verifyAndExtract} (installation) always computes it, and
     * detached reports always carry it (there it is the hash the signature check computes anyway).
     */
    public PackageVerifier withPackageDigest() {
        return new PackageVerifier(policy, clock, revocation, true, fetcher, progress);
    }

    /**
     * This verifier, but external artifacts (manifest {@code Source} URIs; fetched only under the policy's
     * {@code externalArtifacts: fetch}) come from {@code fetcher} instead of the network fetcher
     * {@link ArtifactFetcher#http} with the policy's {@code externalArtifactTimeouts} (tests inject one).
     */
    public PackageVerifier withArtifactFetcher(ArtifactFetcher fetcher) {
        return new PackageVerifier(policy, clock, revocation, packageDigest, Objects.requireNonNull(fetcher, "fetcher"),
                progress);
    }

    /**
     * This verifier, telling {@code progress} how far the steps that read many bytes have got ({@link #verifyCsar},
     * {@link #verifyAndExtract}: the hashing pass over the artifacts' uncompressed bytes, the option-2 inner CSAR's
     * copy, each external artifact's download; {@link #verifyDetached}: the file's bytes). The bytes are counted
     * in the loops that read them, per block; {@code progress} is called from the hashing threads.
     */
    public PackageVerifier withProgress(ProgressListener progress) {
        return new PackageVerifier(policy, clock, revocation, packageDigest, fetcher, Objects.requireNonNull(progress, "progress"));
    }

    /** The fetcher for one verification: the injected one, or a network fetcher (its HTTP client is built on first use). */
    private ArtifactFetcher fetcher() {
        return fetcher != null ? fetcher : ArtifactFetcher.http(policy.externalArtifactTimeouts());
    }

    public TrustPolicy policy() { return policy; }

    public Clock clock() { return clock; }

    /**
     * Verifies an ETSI GS NFV-SOL 004 CSAR, option 1 or option 2 (detected from the content). External artifacts
     * (manifest {@code Source} URIs) are {@link FindingCode#ARTIFACT_EXTERNAL} unless the policy says
     * {@code externalArtifacts: fetch}; then, once the signature verified, each is downloaded through the
     * {@link ArtifactFetcher}, hashed and discarded.
     *
     * @param csar path to the {@code .csar}/{@code .zip}
     * @return the report listing every finding; {@code packageSha256} only from a {@link #withPackageDigest()} verifier
     * @throws IOException when the file cannot be read (not for malformed content: that is
     *                     {@link FindingCode#MALFORMED_PACKAGE})
     */
    public VerificationReport verifyCsar(Path csar) throws IOException {
        return new CsarVerifier(policy, clock.instant(), revocation, fetcher(), progress).verify(csar, null, packageDigest).report();
    }

    /**
     * Verifies any file against a detached CMS SignedData (DER or PEM), byte-compatible with
     * {@code openssl cms -verify -binary -content FILE}.
     */
    public VerificationReport verifyDetached(Path file, Path signature) throws IOException {
        return DetachedVerifier.verify(file, signature, policy, clock.instant(), revocation, progress);
    }

    /**
     * Verifies a CSAR and streams each artifact once into {@code sink} while hashing it (install).
     * The manifest signature (option 1) or the outer signature (option 2) is verified first; artifacts
     * reach the sink only after it verified and the archive passed its safety checks, each read once
     * from the archive, hashed and written in the same pass, directories first (parents before
     * children). Files the signature does not cover by a digest (TOSCA.meta, certificates, the manifest
     * itself: it is in {@link VerifiedPackage#manifestBytes()}) are not handed to the sink. Under
     * {@code externalArtifacts: fetch} each external artifact is downloaded after the package's own artifacts and
     * written, as it is hashed, to the sink at {@code External/<host>[_<port>]/<path>} (size -1 announced).
     *
     * @throws PackageRejectedException with the full report when the verdict is REJECTED; the caller
     *                                  discards whatever the sink received
     * @throws IOException              on I/O failure reading the package or writing to the sink
     */
    public VerifiedPackage verifyAndExtract(Path csar, ArtifactSink sink) throws PackageRejectedException, IOException {
        Objects.requireNonNull(sink, "sink");
        CsarVerifier.Result r = new CsarVerifier(policy, clock.instant(), revocation, fetcher(), progress).verify(csar, sink, true);
        if (!r.report().accepted()) {
            throw new PackageRejectedException(r.report());
        }
        if (r.report().identity().isEmpty()) {
            throw new IllegalStateException("an ACCEPTED CSAR report without a signed identity: " + r.report());
        }
        return seal(r.report(), r.artifacts(), r.signedEntries(), r.manifestBytes(), r.manifestName(), r.manifestCertificates());
    }

    /**
     * Re-verifies a package this verifier's policy accepted before, from a copy a node sealed at install time (the
     * guard's check of an option-2 slot, whose signature covers the inner CSAR rather than the manifest): as
     * {@link #verifyCsar}, except that external artifacts are neither fetched nor refused whatever the policy says:
     * each is reported ({@link VerificationReport#artifacts()}) at its slot path with its signed digest, size 0 and its
     * {@link ArtifactRecord#source()} (the node hashes the installed file itself).
     *
     * @throws IOException when the file cannot be read
     */
    public VerificationReport verifySealedCsar(Path csar) throws IOException {
        return new CsarVerifier(policy, clock.instant(), revocation, null).verify(csar, null, packageDigest).report();
    }

    /**
     * Re-verifies a signed SOL004 manifest on its own, without its package: a node that sealed
     * {@link VerifiedPackage#manifestBytes()} at install time calls this before it trusts the digests it
     * expects in an installed slot (the guard, {@code verify-installed}, rollback). Checks the manifest
     * structure (SOL004 §5.3), its CMS block over the bytes before it (SOL004 §5.4, RFC 5652 §5.4) with a
     * certification path to this verifier's trust anchors (RFC 5280 §6) valid at {@code at}, the signed
     * identity and each artifact's path and digest algorithm under this verifier's policy, by the rules install applies to
     * the same manifest (one rule set: {@code SignedManifestRules}; what install adds needs the archive). Revocation is
     * checked as the policy says (a node re-verifying offline passes a policy with revocation OFF); the
     * policy's {@code signers}/{@code requireSigners} rules are not applied (they name packages and were
     * applied at install).
     *
     * @param manifestBytes the {@code .mf} bytes including the {@code -----BEGIN CMS-----} block
     * @param certificates  {@link VerifiedPackage#manifestCertificates()} as sealed; may be empty
     * @param at            the verification instant, normally the sealed install-time verification instant
     *                      (a certificate that expired since then still verifies; one that was not valid
     *                      then does not)
     * @return the report (ACCEPTED or REJECTED with findings such as {@link FindingCode#SIGNATURE_INVALID},
     *         {@link FindingCode#SIGNER_UNTRUSTED}, {@link FindingCode#SIGNATURE_MISSING}) and, when ACCEPTED,
     *         every artifact with a signed digest; never throws for bad input
     */
    public SignedManifest verifySealedManifest(byte[] manifestBytes, List<X509Certificate> certificates, Instant at) {
        Objects.requireNonNull(manifestBytes, "manifestBytes");
        Objects.requireNonNull(certificates, "certificates");
        Objects.requireNonNull(at, "at");
        try {
            return SignedManifestRules.verifySealed(manifestBytes.clone(), certificates, policy, at, revocation);
        } catch (IOException e) {
            throw new IllegalStateException("reading an in-memory manifest failed", e);
        }
    }

    /** Wraps an ACCEPTED report into the proof type; only verifiers in this package may call it. */
    static VerifiedPackage seal(VerificationReport report, List<ArtifactRecord> artifacts, List<SignedManifest.Entry> signedEntries,
                                byte[] manifest, String manifestName, List<X509Certificate> manifestCertificates) {
        return new VerifiedPackage(report, artifacts, signedEntries, manifest, manifestName, manifestCertificates);
    }
}
