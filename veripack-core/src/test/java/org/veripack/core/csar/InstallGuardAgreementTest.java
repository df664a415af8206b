package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.veripack.core.csar.Fixtures.E;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.ArtifactFetcher;
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactSink;
import org.veripack.core.ArtifactType;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.SignedManifest;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerificationReport;
import org.veripack.core.VerifiedPackage;
import org.veripack.core.internal.cms.CertificateFiles;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.SigningIdentity;

/**
 * Install and guard agree on the same signed manifest (docs/architecture.md, docs/node.md "guard re-verification"):
 * a tamper corpus derived from one genuine option-1 CSAR runs through install-time checking
 * ({@link PackageVerifier#verifyAndExtract}) and guard-time checking ({@link PackageVerifier#verifySealedManifest}
 * over the variant's own manifest bytes and certificate file, at the same instant, under the same policy), and
 * for every variant:
 * <ul>
 *   <li>every code the guard raises, install raises too (the guard is never stricter: a node would install what
 *       its guard then refuses to run);</li>
 *   <li>when install accepts, the guard accepts, and every artifact the guard's signed manifest binds is an artifact
 *       install recorded with the same path, digest algorithm and digest, and with the signed type and mode where the
 *       manifest signs them, and install recorded no other file (install is never laxer about what it binds);</li>
 *   <li>a variant that changes only the manifest: install's codes other than those comparing the manifest with the
 *       archive's files ({@link #ARCHIVE_MATCHING}) are exactly the guard's codes;</li>
 *   <li>a variant that leaves the manifest alone: the guard's outcome is the genuine manifest's.</li>
 * </ul>
 * The corpus follows veripack-scas's tamper matrix (byte flips in the signed prefix and the CMS block, stripped and
 * trailing CMS, re-signing with untrusted, expired and non-code-signing certificates, artifact flip/add/remove,
 * zip slip, escaping symlink, setuid) and adds the manifest rules re-signed by the genuine key, so the signature
 * verifies and only the rule decides: duplicates (also by collision key), unsafe {@code Source}s, disallowed
 * algorithms, half digests, signed modes, identity, external artifacts.
 */
class InstallGuardAgreementTest {
    /** Codes that compare the manifest with the package's files (or fetched bytes): the guard has no package. */
    private static final Set<FindingCode> ARCHIVE_MATCHING = EnumSet.of(FindingCode.ARTIFACT_MISSING,
            FindingCode.ARTIFACT_UNLISTED, FindingCode.DIGEST_MISMATCH, FindingCode.MODE_MISMATCH);
    private static final String MANIFEST = "acme-mme-2.1.mf";
    private static final String CMS_MARKER = "-----BEGIN CMS-----";
    private static final byte[] IMAGE = "external disk image\n".repeat(20).getBytes(StandardCharsets.UTF_8);
    private static final String EXTERNAL = "https://images.vendor.example/acme/disk.img";

    @TempDir Path tmp;

    private enum Touches { MANIFEST, ARCHIVE }

    /**
     * @param archiveDecided codes install may add for this variant by comparing its manifest with the zip's entries, beyond
     *                       {@link #ARCHIVE_MATCHING}: the zip's symlink refused once its block no longer signs it as a link
     *                       ({@code UNSAFE_PATH}), a file listed without a digest while TOSCA.meta does not make it a
     *                       metadata file ({@code MALFORMED_PACKAGE})
     */
    private record Variant(String name, Touches touches, Path csar, Set<FindingCode> archiveDecided) { }

    /** The policy of both sides: the test root, external artifacts fetched (from {@link #fetcher}). */
    private static TrustPolicy policy() {
        return Fixtures.policy().toBuilder().externalArtifacts(TrustPolicy.ExternalArtifacts.FETCH).build();
    }

    /** Serves {@link #IMAGE} at {@link #EXTERNAL}; anything else is not found. */
    private static final ArtifactFetcher FETCHER = (uri, maxBytes, out) -> {
        if (!uri.toString().equals(EXTERNAL)) {
            throw new IOException("404 " + uri);
        }
        out.write(IMAGE);
        return IMAGE.length;
    };

    @Test
    void installAndGuardAgreeOnEveryVariantOfTheTamperCorpus() throws Exception {
        Path genuine = Fixtures.genuineCsar(Files.createTempDirectory(tmp, "genuine"));
        SignedManifest genuineGuard = guard(genuine);
        assertTrue(genuineGuard.accepted(), genuineGuard.report()::toString);
        assertTrue(install(genuine) instanceof VerifiedPackage, "the genuine package installs");

        List<Variant> corpus = corpus(genuine);
        List<String> disagreements = new ArrayList<>();
        int accepted = 0;
        int rejected = 0;
        for (Variant v : corpus) {
            Object installed = install(v.csar());
            VerificationReport installReport = installed instanceof VerifiedPackage p ? p.report() : (VerificationReport) installed;
            SignedManifest guarded = guard(v.csar());
            Set<FindingCode> installCodes = codes(installReport.findings());
            Set<FindingCode> guardCodes = codes(guarded.report().findings());
            if (installed instanceof VerifiedPackage) {
                accepted++;
            } else {
                rejected++;
            }
            String problem = disagreement(v, installed, installCodes, guarded, guardCodes, genuineGuard);
            if (problem != null) {
                disagreements.add(v.name() + ": " + problem + "\n    install " + installReport.verdict() + " " + installReport.findings()
                        + "\n    guard   " + guarded.report().verdict() + " " + guarded.report().findings());
            }
        }
        assertEquals("", String.join("\n", disagreements), disagreements.size() + " of " + corpus.size() + " variants disagree");
        // the corpus exercises both verdicts, on both kinds of change
        assertTrue(corpus.size() >= 60, "corpus of " + corpus.size());
        assertTrue(accepted >= 4 && rejected >= 40, accepted + " accepted, " + rejected + " rejected");
    }

    /** Null when the two agree on {@code v}, else what differs. */
    private static String disagreement(Variant v, Object installed, Set<FindingCode> installCodes, SignedManifest guarded,
                                       Set<FindingCode> guardCodes, SignedManifest genuineGuard) {
        if (!installCodes.containsAll(guardCodes)) {
            return "the guard raises " + difference(guardCodes, installCodes) + " which install does not";
        }
        if (installed instanceof VerifiedPackage p) {
            if (!guarded.accepted()) {
                return "install accepts, the guard rejects";
            }
            String bound = sameBindings(guarded.entries(), p);
            if (bound != null) {
                return bound;
            }
        }
        if (v.touches() == Touches.MANIFEST) {
            Set<FindingCode> manifestCodes = new TreeSet<>(installCodes);
            manifestCodes.removeAll(ARCHIVE_MATCHING);
            manifestCodes.removeAll(v.archiveDecided());
            Set<FindingCode> guardManifestCodes = new TreeSet<>(guardCodes);
            guardManifestCodes.removeAll(v.archiveDecided());
            if (!manifestCodes.equals(guardManifestCodes)) {
                return "manifest codes differ: install " + manifestCodes + ", guard " + guardManifestCodes;
            }
        } else if (guarded.accepted() != genuineGuard.accepted() || !guarded.entries().equals(genuineGuard.entries())) {
            return "the manifest is the genuine one, but the guard's outcome differs from the genuine manifest's";
        }
        return null;
    }

    /**
     * What the guard binds equals what install recorded: the same files and symlinks, each with the same algorithm and
     * digest, the signed type and mode where the manifest signs them, and a mode without execute bits where it does not.
     * The manifest itself may list itself; it is sealed, not installed.
     */
    private static String sameBindings(List<SignedManifest.Entry> bound, VerifiedPackage p) {
        Map<String, ArtifactRecord> recorded = new LinkedHashMap<>();
        for (ArtifactRecord a : p.artifacts()) {
            if (a.type() != ArtifactType.DIRECTORY) {
                recorded.put(a.path(), a);
            }
        }
        for (SignedManifest.Entry e : bound) {
            if (e.path().equals(p.manifestName())) {
                continue;
            }
            ArtifactRecord a = recorded.remove(e.path());
            if (a == null) {
                return "the guard binds " + e.path() + ", install recorded no such artifact";
            }
            if (!e.digestAlgorithm().equals(a.digestAlgorithm()) || !e.digestHex().equals(a.digestHex())) {
                return e.path() + ": guard binds " + e.digestAlgorithm() + " " + e.digestHex() + ", install recorded "
                        + a.digestAlgorithm() + " " + a.digestHex();
            }
            if (e.signedType() != null && e.signedType() != a.type()) {
                return e.path() + ": signed type " + e.signedType() + ", install recorded " + a.type();
            }
            if (e.signedMode() != null && a.type() == ArtifactType.FILE && e.signedMode() != a.mode()) {
                return e.path() + ": signed mode " + Integer.toOctalString(e.signedMode()) + ", install recorded "
                        + Integer.toOctalString(a.mode());
            }
            if (e.signedMode() == null && a.type() == ArtifactType.FILE && (a.mode() & 0111) != 0) {
                return e.path() + ": no signed mode, install recorded executable " + Integer.toOctalString(a.mode());
            }
        }
        return recorded.isEmpty() ? null : "install recorded " + recorded.keySet() + ", which the guard does not bind";
    }

    // --- the two sides ---

    /** Install-time checking: the {@link VerifiedPackage}, or the REJECTED report. */
    private Object install(Path csar) throws IOException {
        try {
            return PackageVerifier.create(policy(), Fixtures.CLOCK).withArtifactFetcher(FETCHER).verifyAndExtract(csar, new NullSink());
        } catch (PackageRejectedException e) {
            return e.report();
        }
    }

    /**
     * Guard-time checking over the same bytes: the variant's manifest and the certificate file beside it, as a node
     * seals them ({@link VerifiedPackage#manifestBytes()}, {@link VerifiedPackage#manifestCertificates()}), verified
     * at the install instant.
     */
    private static SignedManifest guard(Path csar) throws Exception {
        byte[] manifest = null;
        List<X509Certificate> certs = new ArrayList<>();
        for (E e : Fixtures.read(csar)) {
            if (e.name().equals(MANIFEST) && manifest == null) {
                manifest = e.data();
            } else if (e.name().equals("acme-mme-2.1.cert")) {
                try {
                    certs.addAll(CertificateFiles.decode(e.data()));
                } catch (java.security.cert.CertificateException ignored) {
                    // install reports an unparsable certificate file; the guard gets none, as a node would seal none
                }
            }
        }
        Instant at = Fixtures.CLOCK.instant();
        return PackageVerifier.create(policy(), Fixtures.CLOCK).verifySealedManifest(manifest == null ? new byte[0] : manifest, certs, at);
    }

    /** Hashes and discards: install's single pass needs somewhere to write. */
    private static final class NullSink implements ArtifactSink {
        @Override public void directory(String path, int mode) { }

        @Override public OutputStream file(String path, int mode, long sizeBytes) { return OutputStream.nullOutputStream(); }

        @Override public void symlink(String path, String target) { }
    }

    // --- the corpus ---

    private List<Variant> corpus(Path genuine) throws Exception {
        List<E> entries = Fixtures.read(genuine);
        byte[] mf = entries.get(Fixtures.indexOf(entries, MANIFEST)).data();
        String text = new String(mf, StandardCharsets.UTF_8);
        int marker = text.indexOf(CMS_MARKER);
        String prefix = text.substring(0, marker);
        String cms = text.substring(marker);
        List<Variant> out = new ArrayList<>();
        Random random = new Random(15); // fixed: the same corpus every run

        // the signature stays, the signed bytes change (scas TAMPER.manifest-byte-flip)
        for (int i = 0; i < 24; i++) {
            int at = random.nextInt(prefix.length());
            byte[] flipped = mf.clone();
            flipped[at] ^= 0x01;
            // a flip may unsign the package's symlink as a link (or unlist its target): install refuses the zip's link
            out.add(manifestOnly(genuine, "prefix-bit-flip@" + at, flipped, EnumSet.of(FindingCode.UNSAFE_PATH)));
        }
        // flips inside the CMS block's base64 (scas TAMPER.signature-byte-flip / signed-attribute-byte-flip)
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int body = marker + CMS_MARKER.length() + 1;
        int end = text.indexOf("-----END CMS-----");
        for (int i = 0; i < 16; i++) {
            int at = body + random.nextInt(end - body);
            char c = text.charAt(at);
            if (alphabet.indexOf(c) < 0) {
                continue;
            }
            char other = alphabet.charAt((alphabet.indexOf(c) + 1 + random.nextInt(62)) % 64);
            out.add(manifestOnly(genuine, "cms-char@" + at, (text.substring(0, at) + other + text.substring(at + 1))
                    .getBytes(StandardCharsets.UTF_8)));
        }
        out.add(manifestOnly(genuine, "cms-stripped", prefix.getBytes(StandardCharsets.UTF_8)));
        out.add(manifestOnly(genuine, "data-after-cms", (text + "Source: Files/extra\n").getBytes(StandardCharsets.UTF_8)));
        out.add(manifestOnly(genuine, "crlf-line-breaks", (prefix.replace("\n", "\r\n") + cms).getBytes(StandardCharsets.UTF_8)));
        out.add(manifestOnly(genuine, "cms-truncated", text.substring(0, end - 40).getBytes(StandardCharsets.UTF_8)));

        // re-signed by certificates the policy refuses (scas TAMPER.resigned-*)
        Issued otherRoot = TestPki.cert("CN=Other Root,O=Mallory").ca(true).build();
        Issued untrusted = TestPki.cert("CN=Mallory Code Signing,O=Mallory").issuedBy(otherRoot).build();
        Issued expired = TestPki.cert("CN=Expired Code Signing,O=Acme").issuedBy(Fixtures.CA)
                .validity(Instant.parse("2024-01-01T00:00:00Z"), Instant.parse("2025-01-01T00:00:00Z")).build();
        Issued serverAuth = TestPki.cert("CN=Acme Web,O=Acme").issuedBy(Fixtures.CA).codeSigningEku(false)
                .extendedKeyUsage(KeyPurposeId.id_kp_serverAuth).build();
        Issued notYetValid = TestPki.cert("CN=Future Code Signing,O=Acme").issuedBy(Fixtures.CA)
                .validity(Instant.parse("2030-01-01T00:00:00Z"), Instant.parse("2031-01-01T00:00:00Z")).build();
        out.add(resigned(genuine, "resigned-untrusted-key", prefix, untrusted.identity(otherRoot.certificate())));
        out.add(resigned(genuine, "resigned-expired-cert", prefix, expired.identity(Fixtures.CA.certificate())));
        out.add(resigned(genuine, "resigned-non-code-signing-cert", prefix, serverAuth.identity(Fixtures.CA.certificate())));
        out.add(resigned(genuine, "resigned-not-yet-valid-cert", prefix, notYetValid.identity(Fixtures.CA.certificate())));
        out.add(resigned(genuine, "resigned-without-chain", prefix, Fixtures.LEAF.identity()));

        // the manifest rules, re-signed by the genuine key: the signature verifies, only the rule decides
        String conf = block(prefix, "Files/mme.conf");
        String exe = block(prefix, "Files/bin/mmed");
        String link = block(prefix, "Files/bin/mme");
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("genuine-resigned", prefix);
        edits.put("no-final-line-break", prefix.substring(0, prefix.length() - 1));
        edits.put("duplicate-entry", prefix + "\n" + conf);
        edits.put("duplicate-by-case", prefix + "\n" + conf.replace("Files/mme.conf", "Files/MME.conf"));
        edits.put("duplicate-by-dot-segment", prefix + "\n" + conf.replace("Files/mme.conf", "./Files//mme.conf"));
        edits.put("duplicate-by-unicode-normalisation", prefix + "\n" + conf.replace("Files/mme.conf", "Files/caf\u00e9.conf")
                + "\n" + conf.replace("Files/mme.conf", "Files/cafe\u0301.conf"));
        edits.put("source-parent-escape", prefix.replace("Source: Files/mme.conf", "Source: ../mme.conf"));
        edits.put("source-absolute", prefix.replace("Source: Files/mme.conf", "Source: /etc/mme.conf"));
        edits.put("source-backslash", prefix.replace("Source: Files/mme.conf", "Source: Files\\mme.conf"));
        edits.put("source-drive-letter", prefix.replace("Source: Files/mme.conf", "Source: C:mme.conf"));
        edits.put("source-empty", prefix.replace("Source: Files/mme.conf", "Source: "));
        edits.put("source-renamed", prefix.replace("Source: Files/mme.conf", "Source: Files/mme2.conf"));
        edits.put("source-added-unsafe", prefix + "\nSource: ../../etc/cron.d/x\nAlgorithm: SHA-256\nHash: " + "0".repeat(64) + "\n");
        edits.put("algorithm-md5", replaceIn(prefix, conf, "Algorithm: SHA-256", "Algorithm: MD5"));
        edits.put("algorithm-sha1", replaceIn(prefix, conf, "Algorithm: SHA-256", "Algorithm: SHA-1"));
        edits.put("algorithm-unknown", replaceIn(prefix, conf, "Algorithm: SHA-256", "Algorithm: ROT13"));
        edits.put("algorithm-other-spelling", replaceIn(prefix, conf, "Algorithm: SHA-256", "Algorithm: sha256"));
        edits.put("algorithm-sha512-wrong-hash", replaceIn(prefix, conf, "Algorithm: SHA-256", "Algorithm: SHA-512"));
        edits.put("hash-changed", replaceIn(prefix, conf, "Hash: a", "Hash: b"));
        edits.put("hash-upper-case", replaceIn(prefix, conf, "Hash: a0501603fdcf", "Hash: A0501603FDCF"));
        edits.put("hash-removed", replaceIn(prefix, conf, conf.lines().filter(l -> l.startsWith("Hash:")).findFirst().orElseThrow() + "\n", ""));
        edits.put("algorithm-removed", replaceIn(prefix, conf, "Algorithm: SHA-256\n", ""));
        edits.put("mode-exec-dropped", replaceIn(prefix, exe, "Veripack-Mode: 100755", "Veripack-Mode: 100644"));
        edits.put("mode-exec-added", replaceIn(prefix, conf, "Veripack-Mode: 100644", "Veripack-Mode: 100755"));
        edits.put("mode-removed-exe", replaceIn(prefix, exe, "Veripack-Mode: 100755\n", ""));
        edits.put("mode-removed-conf", replaceIn(prefix, conf, "Veripack-Mode: 100644\n", ""));
        edits.put("mode-setuid", replaceIn(prefix, exe, "Veripack-Mode: 100755", "Veripack-Mode: 104755"));
        edits.put("mode-directory", replaceIn(prefix, exe, "Veripack-Mode: 100755", "Veripack-Mode: 040755"));
        edits.put("mode-garbage", replaceIn(prefix, exe, "Veripack-Mode: 100755", "Veripack-Mode: rwxr-xr-x"));
        edits.put("symlink-signed-as-file", replaceIn(prefix, link, "Veripack-Mode: 120000", "Veripack-Mode: 100644"));
        edits.put("file-signed-as-symlink", replaceIn(prefix, conf, "Veripack-Mode: 100644", "Veripack-Mode: 120000"));
        edits.put("identity-version-removed", prefix.replace("    vnf_package_version: 2.1\n", ""));
        edits.put("identity-name-removed", prefix.replace("    vnf_product_name: acme-mme\n", ""));
        edits.put("identity-mixed-kinds", prefix.replace("    vnf_package_version: 2.1\n",
                "    vnf_package_version: 2.1\n    pnfd_name: other\n"));
        edits.put("metadata-removed", prefix.substring(prefix.indexOf("\n\n") + 2));
        edits.put("metadata-key-twice", prefix.replace("    vnf_package_version: 2.1\n",
                "    vnf_package_version: 2.1\n    vnf_package_version: 9.9\n"));
        edits.put("block-without-source", prefix + "\nAlgorithm: SHA-256\nHash: " + "0".repeat(64) + "\n");
        edits.put("unknown-key-in-block", replaceIn(prefix, conf, "Veripack-Mode: 100644", "Veripack-Mode: 100644\nX-Vendor: 1"));
        String external = "Source: " + EXTERNAL + "\nAlgorithm: SHA-256\nHash: " + Digests.hex("SHA-256", IMAGE) + "\n";
        edits.put("external", prefix + "\n" + external);
        edits.put("external-mode-exec", prefix + "\n" + external + "Veripack-Mode: 100755\n");
        edits.put("external-wrong-hash", prefix + "\n" + external.replace("Hash: ", "Hash: 00"));
        edits.put("external-without-digest", prefix + "\nSource: " + EXTERNAL + "\n");
        edits.put("external-hash-only", prefix + "\nSource: " + EXTERNAL + "\nHash: " + Digests.hex("SHA-256", IMAGE) + "\n");
        edits.put("external-algorithm-md5", prefix + "\n" + external.replace("SHA-256", "MD5"));
        edits.put("external-as-symlink", prefix + "\n" + external + "Veripack-Mode: 120000\n");
        edits.put("external-twice", prefix + "\n" + external + "\n" + external);
        edits.put("external-twice-by-case", prefix + "\n" + external + "\n" + external.replace("images.vendor", "IMAGES.vendor"));
        edits.put("external-no-path", prefix + "\n" + external.replace(EXTERNAL, "https://images.vendor.example/"));
        edits.put("external-query", prefix + "\n" + external.replace(EXTERNAL, EXTERNAL + "?v=1"));
        edits.put("external-user-info", prefix + "\n" + external.replace("https://", "https://user@"));
        edits.put("external-unparsable", prefix + "\n" + external.replace(EXTERNAL, "https://images vendor/x"));
        edits.put("external-unsafe-segment", prefix + "\n" + external.replace("/acme/", "/../"));
        edits.put("external-clashes-with-file", prefix + "\n" + external.replace(EXTERNAL, "https://images.vendor.example/acme/disk.img")
                + "\nSource: External/images.vendor.example/acme/disk.img\nAlgorithm: SHA-256\nHash: " + Digests.hex("SHA-256", IMAGE) + "\n");
        for (Map.Entry<String, String> e : edits.entrySet()) {
            out.add(resigned(genuine, e.getKey(), e.getValue(), Fixtures.LEAF.identity(Fixtures.CA.certificate())));
        }
        // rules that need the zip: whether a file listed without a digest is a metadata file (TOSCA.meta), whether a
        // zip entry is a symlink the manifest does not sign as one
        SigningIdentity leaf = Fixtures.LEAF.identity(Fixtures.CA.certificate());
        EnumSet<FindingCode> listedOnly = EnumSet.of(FindingCode.MALFORMED_PACKAGE);
        out.add(resigned(genuine, "digest-removed", replaceIn(prefix, conf, conf.lines().filter(l -> l.startsWith("Hash:"))
                .findFirst().orElseThrow() + "\n", "").replace("Source: Files/mme.conf\nAlgorithm: SHA-256\n", "Source: Files/mme.conf\n"),
                leaf, listedOnly));
        out.add(resigned(genuine, "source-twice-in-block", replaceIn(prefix, conf, "Algorithm: SHA-256",
                "Source: Files/bin/mmed\nAlgorithm: SHA-256"), leaf, listedOnly));
        out.add(resigned(genuine, "symlink-mode-removed", replaceIn(prefix, link, "Veripack-Mode: 120000\n", ""), leaf,
                EnumSet.of(FindingCode.UNSAFE_PATH)));

        // the manifest stays, the archive changes (scas TAMPER.artifact-*, zip-slip, symlink-escape)
        out.add(archive(genuine, "artifact-byte-flip", es -> Fixtures.replace(es, "Files/mme.conf",
                x -> x.withData(flip(x.data())))));
        out.add(archive(genuine, "artifact-added", es -> add(es, E.file("Files/bin/backdoor", "#!/bin/sh\n"))));
        out.add(archive(genuine, "artifact-removed", es -> remove(es, "Files/mme.conf")));
        out.add(archive(genuine, "certificate-removed", es -> remove(es, "acme-mme-2.1.cert")));
        out.add(archive(genuine, "certificate-garbled", es -> Fixtures.replace(es, "acme-mme-2.1.cert",
                x -> x.withData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.UTF_8)))));
        out.add(archive(genuine, "tosca-meta-edited", es -> Fixtures.replace(es, "TOSCA-Metadata/TOSCA.meta",
                x -> x.withData((x.text() + "X-Extra: 1\n").getBytes(StandardCharsets.UTF_8)))));
        out.add(archive(genuine, "zip-slip", es -> add(es, E.file("../../scas-zip-slip.txt", "x\n"))));
        out.add(archive(genuine, "symlink-escape", es -> add(es, new E("scas-escape", 0120777,
                "../../../../tmp".getBytes(StandardCharsets.UTF_8)))));
        out.add(archive(genuine, "setuid", es -> Fixtures.replace(es, "Files/bin/mmed", x -> new E(x.name(), 0104755, x.data()))));
        out.add(archive(genuine, "exec-bit-changed", es -> Fixtures.replace(es, "Files/mme.conf", x -> new E(x.name(), 0100755, x.data()))));
        out.add(archive(genuine, "symlink-retargeted", es -> Fixtures.replace(es, "Files/bin/mme",
                x -> x.withData("mme.conf".getBytes(StandardCharsets.UTF_8)))));
        out.add(archive(genuine, "duplicate-zip-entry", es -> add(es, es.get(Fixtures.indexOf(es, "Files/mme.conf")))));
        out.add(archive(genuine, "second-manifest", es -> add(es, E.file("Files/other.mf", "metadata:\n"))));
        return out;
    }

    private Variant manifestOnly(Path genuine, String name, byte[] manifest) throws IOException {
        return manifestOnly(genuine, name, manifest, EnumSet.noneOf(FindingCode.class));
    }

    private Variant manifestOnly(Path genuine, String name, byte[] manifest, Set<FindingCode> archiveDecided) throws IOException {
        Path out = Fixtures.rewrite(genuine, tmp.resolve(name.replaceAll("[^A-Za-z0-9.-]", "_") + ".csar"),
                es -> Fixtures.replace(es, MANIFEST, x -> x.withData(manifest)));
        return new Variant(name, Touches.MANIFEST, out, archiveDecided);
    }

    /** The genuine package whose manifest is {@code prefix} signed by {@code signer} (a CMS block like the signer's). */
    private Variant resigned(Path genuine, String name, String prefix, SigningIdentity signer) throws IOException {
        return resigned(genuine, name, prefix, signer, EnumSet.noneOf(FindingCode.class));
    }

    private Variant resigned(Path genuine, String name, String prefix, SigningIdentity signer, Set<FindingCode> archiveDecided)
            throws IOException {
        byte[] signed = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] cms = CmsSigner.toPemBytes(CmsSigner.builder(signer).clock(Fixtures.CLOCK).build()
                .signDetached(new ByteArrayInputStream(signed)));
        ByteArrayOutputStream mf = new ByteArrayOutputStream();
        mf.writeBytes(signed);
        if (!prefix.endsWith("\n")) {
            mf.write('\n'); // the separator before the marker, not signed content
        }
        mf.writeBytes(cms);
        return manifestOnly(genuine, name, mf.toByteArray(), archiveDecided);
    }

    private Variant archive(Path genuine, String name, UnaryOperator<List<E>> change) throws IOException {
        return new Variant(name, Touches.ARCHIVE, Fixtures.rewrite(genuine, tmp.resolve(name + ".csar"), change),
                EnumSet.noneOf(FindingCode.class));
    }

    /** The manifest block of {@code source} (from its Source line up to the blank line). */
    private static String block(String prefix, String source) {
        int start = prefix.indexOf("Source: " + source + "\n");
        int end = prefix.indexOf("\n\n", start);
        return prefix.substring(start, end < 0 ? prefix.length() : end + 1);
    }

    /** {@code prefix} with {@code from} replaced by {@code to} inside {@code block} only. */
    private static String replaceIn(String prefix, String block, String from, String to) {
        assertTrue(block.contains(from), () -> from + " not in " + block);
        return prefix.replace(block, block.replace(from, to));
    }

    private static List<E> add(List<E> entries, E e) {
        entries.add(e);
        return entries;
    }

    private static List<E> remove(List<E> entries, String name) {
        entries.remove(Fixtures.indexOf(entries, name));
        return entries;
    }

    private static byte[] flip(byte[] data) {
        byte[] out = data.clone();
        out[out.length / 2] ^= 0x01;
        return out;
    }

    private static Set<FindingCode> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<FindingCode> difference(Set<FindingCode> a, Set<FindingCode> b) {
        Set<FindingCode> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }
}
