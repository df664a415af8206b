package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.SignedManifest;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.pki.Openssl;
import org.veripack.core.pki.TestPki;

/**
 * The option-1 signed content (docs/signed-metadata.md "Signed content"): a manifest signed by
 * {@code openssl cms -sign -binary} over its bytes as written verifies whether those bytes end with a line break
 * (LF or CRLF) or not (then a line break separates them from the CMS block and is not signed); one changed byte
 * anywhere else, or a line break more or less than that one separator, is {@code SIGNATURE_INVALID}. Checked
 * through {@code verify} (the CSAR) and through the node's sealed-manifest path, which follow the same rule.
 */
class ManifestSignedContentTest {
    @TempDir Path tmp;

    private static final String ARTIFACT = "Definitions/main.yaml";
    private static final String ARTIFACT_TEXT = "tosca_definitions_version: tosca_simple_yaml_1_3\n";

    /** The manifest text before the CMS block, lines ended by {@code eol}, the last one without a line break. */
    private static String content(String eol) throws Exception {
        Path f = Files.createTempFile("artifact", ".yaml");
        try {
            Files.writeString(f, ARTIFACT_TEXT);
            String sha = Digests.sha256Hex(f);
            return String.join(eol, "metadata:", "vnf_product_name: acme-mme", "vnf_provider_id: Acme", "vnf_package_version: 2.1",
                    "vnf_release_date_time: 2026-01-01T00:00:00+00:00", "", "Source: " + ARTIFACT, "Algorithm: SHA-256", "Hash: " + sha);
        } finally {
            Files.delete(f);
        }
    }

    /** {@code openssl cms -sign -binary} over {@code signed}, PEM. */
    private byte[] opensslSign(byte[] signed) throws Exception {
        Path work = Files.createTempDirectory(tmp, "sign");
        Files.write(work.resolve("content"), signed);
        TestPki.writeCertificatesPem(work.resolve("signer.pem"), Fixtures.LEAF.certificate());
        TestPki.writeCertificatesPem(work.resolve("ca.pem"), Fixtures.CA.certificate());
        TestPki.writePrivateKeyPem(work.resolve("signer.key"), Fixtures.LEAF.keyPair().getPrivate());
        Openssl.ok(work, "cms", "-sign", "-binary", "-in", "content", "-signer", "signer.pem", "-inkey", "signer.key",
                "-certfile", "ca.pem", "-outform", "PEM", "-out", "sig.pem", "-md", "sha256");
        return Files.readAllBytes(work.resolve("sig.pem"));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The manifest zipped by Info-ZIP with TOSCA.meta and its one artifact. */
    private Path csar(String name, byte[] manifest) throws Exception {
        Path work = Files.createDirectories(tmp.resolve(name));
        Files.createDirectories(work.resolve("Definitions"));
        Files.createDirectories(work.resolve("TOSCA-Metadata"));
        Files.writeString(work.resolve(ARTIFACT), ARTIFACT_TEXT);
        Files.writeString(work.resolve("TOSCA-Metadata/TOSCA.meta"), "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\n"
                + "Created-By: a vendor\nEntry-Definitions: " + ARTIFACT + "\nETSI-Entry-Manifest: main.mf\n");
        Files.write(work.resolve("main.mf"), manifest);
        Process p = new ProcessBuilder("zip", "-q", "-X", "../" + name + ".csar", "main.mf", "TOSCA-Metadata/TOSCA.meta", ARTIFACT)
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return tmp.resolve(name + ".csar");
    }

    private static SignedManifest sealed(byte[] manifest) {
        return Fixtures.verifier().verifySealedManifest(manifest, List.of(), Fixtures.CLOCK.instant());
    }

    /** One way a signer may have laid out a manifest: what it signed and what it stored before the CMS block. */
    private record Layout(String name, byte[] signed, byte[] storedPrefix) { }

    private static List<Layout> layouts() throws Exception {
        String lf = content("\n");
        String crlf = content("\r\n");
        return List.of(
                new Layout("LF-terminated", bytes(lf + "\n"), bytes(lf + "\n")),
                new Layout("CRLF-terminated", bytes(crlf + "\r\n"), bytes(crlf + "\r\n")),
                new Layout("no line break, LF separator", bytes(lf), bytes(lf + "\n")),
                new Layout("no line break, CRLF separator", bytes(crlf), bytes(crlf + "\r\n")),
                new Layout("LF-terminated, LF separator", bytes(lf + "\n"), bytes(lf + "\n\n")),
                new Layout("CRLF-terminated, CRLF separator", bytes(crlf + "\r\n"), bytes(crlf + "\r\n\r\n")));
    }

    @Test
    void opensslSignedManifestsEndingWithOrWithoutALineBreakAreAccepted() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Layout l : layouts()) {
            byte[] manifest = concat(l.storedPrefix(), opensslSign(l.signed()));
            VerificationReport r = Fixtures.verifier().verifyCsar(csar("ok-" + failures.size() + "-" + l.name().hashCode(), manifest));
            if (r.verdict() != Verdict.ACCEPTED || !r.warnings().isEmpty()) {
                failures.add(l.name() + " (verify): " + r + " " + r.warnings());
            }
            SignedManifest s = sealed(manifest);
            if (!s.accepted() || s.entries().size() != 1) {
                failures.add(l.name() + " (sealed): " + s.report());
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    /**
     * A byte of the stored prefix changed, in every layout: the signature no longer verifies. Every byte of the
     * first 8 and the last 24 (the last lines' breaks, the separator's CR) and every 23rd in between.
     */
    @Test
    void aByteChangedAnywhereElseIsSignatureInvalid() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Layout l : layouts()) {
            byte[] cms = opensslSign(l.signed());
            // the separator's last byte (the LF before the marker) is the marker's line start: changing it removes the block
            int last = l.storedPrefix().length - 1;
            for (int i = 0; i < last; i = i < 8 || i >= last - 24 ? i + 1 : Math.min(i + 23, last - 24)) {
                byte[] prefix = l.storedPrefix().clone();
                prefix[i] = (byte) (prefix[i] == 'x' ? 'y' : 'x');
                SignedManifest s = sealed(concat(prefix, cms));
                if (!s.report().has(FindingCode.SIGNATURE_INVALID)) {
                    failures.add(l.name() + ", byte " + i + ": " + s.report());
                }
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " changed manifests not SIGNATURE_INVALID:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
        // the same through verify, for one changed byte in the metadata of the unterminated manifest
        Layout unterminated = layouts().get(2);
        byte[] prefix = unterminated.storedPrefix().clone();
        prefix[20] ^= 0x01;
        VerificationReport r = Fixtures.verifier().verifyCsar(csar("changed", concat(prefix, opensslSign(unterminated.signed()))));
        assertTrue(r.has(FindingCode.SIGNATURE_INVALID), r::toString);
    }

    /** Only one line break may separate the content from the marker: two, or one missing, or a CR dropped, is invalid. */
    @Test
    void aLineBreakMoreOrLessThanTheOneSeparatorIsSignatureInvalid() throws Exception {
        String lf = content("\n");
        String crlf = content("\r\n");
        List<Layout> bad = List.of(
                new Layout("signed without, stored with two LF", bytes(lf), bytes(lf + "\n\n")),
                new Layout("signed without, stored with two CRLF", bytes(crlf), bytes(crlf + "\r\n\r\n")),
                new Layout("signed with two LF, stored with one", bytes(lf + "\n\n"), bytes(lf + "\n")),
                new Layout("signed with CRLF, stored with LF", bytes(crlf + "\r\n"), bytes(crlf + "\n")),
                new Layout("signed with LF, stored with CRLF", bytes(lf + "\n"), bytes(lf + "\r\n")));
        List<String> failures = new ArrayList<>();
        for (Layout l : bad) {
            byte[] manifest = concat(l.storedPrefix(), opensslSign(l.signed()));
            SignedManifest s = sealed(manifest);
            VerificationReport r = Fixtures.verifier().verifyCsar(csar("bad-" + failures.size() + "-" + Math.abs(l.name().hashCode()), manifest));
            if (!s.report().has(FindingCode.SIGNATURE_INVALID) || !r.has(FindingCode.SIGNATURE_INVALID)) {
                failures.add(l.name() + ": sealed " + s.report() + ", verify " + r);
            }
        }
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    /**
     * What openssl itself accepts for a manifest signed without a final line break: the bytes as signed verify,
     * the bytes cut at the marker line (which include the separator) do not — the second alternative of the rule.
     */
    @Test
    void opensslVerifiesTheUnterminatedContentNotTheCutPrefix() throws Exception {
        Layout l = layouts().get(2);
        Path work = Files.createTempDirectory(tmp, "verify");
        Files.write(work.resolve("sig.pem"), opensslSign(l.signed()));
        Files.write(work.resolve("signed"), l.signed());
        Files.write(work.resolve("prefix"), l.storedPrefix());
        TestPki.writeCertificatesPem(work.resolve("root.pem"), Fixtures.ROOT.certificate());
        String at = Long.toString(TestPki.DEFAULT_NOW.getEpochSecond());
        Openssl.Result signed = Openssl.run(work, "cms", "-verify", "-binary", "-inform", "PEM", "-in", "sig.pem", "-content", "signed",
                "-CAfile", "root.pem", "-purpose", "any", "-attime", at, "-out", "/dev/null");
        Openssl.Result prefix = Openssl.run(work, "cms", "-verify", "-binary", "-inform", "PEM", "-in", "sig.pem", "-content", "prefix",
                "-CAfile", "root.pem", "-purpose", "any", "-attime", at, "-out", "/dev/null");
        assertTrue(signed.ok(), signed.output());
        assertFalse(prefix.ok(), prefix.output());
        assertEquals(Verdict.ACCEPTED, sealed(concat(l.storedPrefix(), Files.readAllBytes(work.resolve("sig.pem")))).report().verdict());
    }
}
