package org.veripack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;

class TrustPolicyLoaderTest {
    @TempDir Path dir;

    private Path policy(String yaml) throws Exception {
        Files.createDirectories(dir.resolve("certs"));
        TestPki.writeCertificatesPem(dir.resolve("certs/root.pem"), TestPki.cert("CN=Root").ca(true).build().certificate());
        TestPki.writeCertificatesPem(dir.resolve("certs/ca.pem"), TestPki.cert("CN=CA").ca(true).build().certificate());
        return Files.writeString(dir.resolve("policy.yaml"), yaml);
    }

    @Test
    void fullPolicyLoadsWithPathsRelativeToTheFile() throws Exception {
        TrustPolicy p = TrustPolicyLoader.load(policy("""
                trustAnchors: [certs/root.pem]
                intermediates: [certs/ca.pem]
                requireCodeSigningEku: false
                allowedDigestAlgorithms: [SHA-384, SHA-512]
                minRsaKeyBits: 3072
                revocation: off
                crls: []
                antiRollback: false
                archiveExecuteBits: honour
                signers:
                  acme-mme: ["CN=Acme Code Signing,O=Acme", "sha256:00ff"]
                limits: {maxEntries: 10, maxTotalBytes: 1000, maxExpansionRatio: 50, maxHeaderBytes: 4096}
                """));
        assertEquals(1, p.trustAnchors().size());
        assertEquals(1, p.intermediates().size());
        assertFalse(p.requireCodeSigningEku());
        assertEquals(Set.of("SHA-384", "SHA-512"), p.allowedDigestAlgorithms());
        assertEquals(3072, p.minRsaKeyBits());
        assertEquals(RevocationMode.OFF, p.revocation());
        assertFalse(p.antiRollback());
        assertEquals(ArchiveExecuteBits.HONOUR, p.archiveExecuteBits());
        assertEquals(List.of("CN=Acme Code Signing,O=Acme", "sha256:00ff"), p.signers().get("acme-mme"));
        assertEquals(new Limits(10, 1000, 50, 4096), p.limits());
    }

    @Test
    void defaultsApply() throws Exception {
        TrustPolicy p = TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\nrevocation: prefer\n"));
        assertEquals(Limits.DEFAULT, p.limits());
        assertEquals(RevocationMode.PREFER, p.revocation());
        assertEquals(TrustPolicy.DEFAULT_DIGESTS, p.allowedDigestAlgorithms());
        assertEquals(ArchiveExecuteBits.IGNORE, p.archiveExecuteBits());
        assertEquals(ArchiveExecuteBits.IGNORE, TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\narchiveExecuteBits: ignore\n"))
                .archiveExecuteBits());
    }

    @Test
    void certificatePolicyInputsLoadAndDefaultToTheRfcDefaults() throws Exception {
        TrustPolicy defaults = TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\n"));
        assertEquals(Set.of(), defaults.initialPolicies());
        assertFalse(defaults.requireExplicitPolicy() || defaults.inhibitPolicyMapping() || defaults.inhibitAnyPolicy());
        TrustPolicy p = TrustPolicyLoader.load(policy("""
                trustAnchors: [certs/root.pem]
                initialPolicies: [1.3.6.1.4.1.99999.1.2, 2.5.29.32.0]
                requireExplicitPolicy: true
                inhibitPolicyMapping: true
                inhibitAnyPolicy: true
                """));
        assertEquals(List.of("1.3.6.1.4.1.99999.1.2", "2.5.29.32.0"), List.copyOf(p.initialPolicies()));
        assertTrue(p.requireExplicitPolicy() && p.inhibitPolicyMapping() && p.inhibitAnyPolicy());
        assertEquals(p.initialPolicies(), p.toBuilder().build().initialPolicies());
    }

    @Test
    void maxArtifactsIsReadAsTheEarlierNameOfMaxEntries() throws Exception {
        TrustPolicy p = TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\nlimits: {maxArtifacts: 7}\n"));
        assertEquals(new Limits(7, Limits.DEFAULT.maxTotalBytes(), Limits.DEFAULT.maxExpansionRatio(),
                Limits.DEFAULT.maxHeaderBytes()), p.limits());
    }

    @Test
    void externalArtifactKeysLoadAndDefaultToReject() throws Exception {
        TrustPolicy d = TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\n"));
        assertEquals(TrustPolicy.ExternalArtifacts.REJECT, d.externalArtifacts());
        assertEquals(Set.of(), d.externalArtifactHttpHosts());
        assertEquals(TrustPolicy.FetchTimeouts.DEFAULT, d.externalArtifactTimeouts());
        TrustPolicy p = TrustPolicyLoader.load(policy("""
                trustAnchors: [certs/root.pem]
                externalArtifacts: fetch
                externalArtifactHttpHosts: [127.0.0.1, Mirror.Lab.Example, "[::1]"]
                externalArtifactTimeouts: {connectSeconds: 5, totalSeconds: 600}
                """));
        assertEquals(TrustPolicy.ExternalArtifacts.FETCH, p.externalArtifacts());
        assertEquals(Set.of("127.0.0.1", "mirror.lab.example", "[::1]"), p.externalArtifactHttpHosts());
        assertEquals(new TrustPolicy.FetchTimeouts(java.time.Duration.ofSeconds(5), TrustPolicy.FetchTimeouts.DEFAULT.read(),
                java.time.Duration.ofSeconds(600)), p.externalArtifactTimeouts());
        for (String bad : List.of("externalArtifacts: download\n", "externalArtifacts: true\n",
                "externalArtifactHttpHosts: [http://127.0.0.1]\n", "externalArtifactHttpHosts: [127.0.0.1:8080]\n",
                "externalArtifactTimeouts: {connectSeconds: 0}\n", "externalArtifactTimeouts: {readSeconds: -1}\n",
                "externalArtifactTimeouts: {idleSeconds: 3}\n", "externalArtifactTimeouts: 30\n")) {
            assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(policy("trustAnchors: [certs/root.pem]\n" + bad)), bad);
        }
    }

    @Test
    void openpgpKeyringsAloneMakeAValidPolicy() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        Files.write(dir.resolve("keys/archive.gpg"), new byte[] {1});
        TrustPolicy p = TrustPolicyLoader.load(policy("openpgpKeyrings: [keys/archive.gpg]\n"));
        assertEquals(List.of(dir.resolve("keys/archive.gpg").toAbsolutePath()), p.openpgpKeyrings());
        assertEquals(List.of(), p.trustAnchors());
        assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(policy("openpgpKeyrings: [keys/missing.gpg]\n")));
        assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(policy("openpgpKeyrings: []\n")));
    }

    @Test
    void invalidPoliciesAreRejected() throws Exception {
        for (String yaml : List.of(
                "trustAnchors: [certs/root.pem]\ntrustAnchor: [x]\n",
                "trustAnchors: []\n",
                "intermediates: [certs/ca.pem]\n",
                "trustAnchors: [certs/missing.pem]\n",
                "trustAnchors: [certs/root.pem]\nminRsaKeyBits: 1024\n",
                "trustAnchors: [certs/root.pem]\nallowedDigestAlgorithms: [SHA-1]\n",
                "trustAnchors: [certs/root.pem]\nrevocation: sometimes\n",
                "trustAnchors: [certs/root.pem]\nrequireCodeSigningEku: maybe\n",
                "trustAnchors: [certs/root.pem]\narchiveExecuteBits: honor\n",
                "trustAnchors: [certs/root.pem]\narchiveExecuteBits: true\n",
                "trustAnchors: [certs/root.pem]\narchiveExecuteBits: [honour]\n",
                "trustAnchors: [certs/root.pem]\nlimits: {maxFiles: 3}\n",
                "trustAnchors: [certs/root.pem]\nlimits: {maxArtifacts: 0}\n",
                "trustAnchors: [certs/root.pem]\ninitialPolicies: [code-signing]\n",
                "trustAnchors: [certs/root.pem]\ninitialPolicies: [1.3.06.1]\n",
                "trustAnchors: [certs/root.pem]\ninitialPolicies: [5.1]\n",
                "trustAnchors: [certs/root.pem]\ninitialPolicies: {oid: 1.2.3}\n",
                "trustAnchors: [certs/root.pem]\nrequireExplicitPolicy: yes please\n",
                "trustAnchors: [certs/root.pem]\ninhibitAnyPolicy: 1\n",
                "trustAnchors: [certs/root.pem]\nlimits: {maxEntries: 0}\n",
                "trustAnchors: [certs/root.pem]\nlimits: {maxHeaderBytes: -1}\n",
                "trustAnchors: [certs/root.pem]\nlimits: {maxEntries: 5, maxArtifacts: 5}\n",
                "- just a list\n",
                "trustAnchors: [certs/root.pem\n")) {
            Path p = policy(yaml);
            assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(p), yaml);
        }
        assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(dir.resolve("nope.yaml")));
    }
}
