package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.node.Node;
import org.veripack.node.NodeTrust;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;

/**
 * A holder of the targets key relabels genuine vendor packages: the targets metadata, signed with the repository's
 * real targets key and published with a real snapshot and timestamp, lists a package under another name or version
 * than its vendor signed. The node installs by those claims ({@code --package}, {@code --to}, the newest version, the
 * agent's failed versions), so it refuses a package whose signed identity differs from them:
 * {@code REPO_TARGET_IDENTITY_MISMATCH}, the active version kept, {@code install.rejected} audited. The same key
 * listing a target name that is not a safe relative path is {@code REPO_MALFORMED} when the targets metadata is loaded:
 * it never becomes trusted and nothing is downloaded.
 */
class TargetIdentityAttackTest {
    @TempDir Path tmp;
    static final Duration DAY = Duration.ofDays(1);
    private Path repoDir;
    private Node node;
    private NodeUpdate.Transport transport;

    @BeforeEach
    void publishAndInstall21() throws Exception {
        repoDir = tmp.resolve("repo");
        TufRepository repo = TufRepository.init(repoDir, tmp.resolve("keys"), TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519,
                RepoFixture.CLOCK);
        repo.add(RepoFixture.csar(tmp, "acme-mme", "2.1"), RepoFixture.verifier(), DAY, DAY, DAY);
        repo.add(RepoFixture.csar(tmp, "acme-mme", "2.2"), RepoFixture.verifier(), DAY, DAY, DAY);
        Path anchor = tmp.resolve("anchor.pem");
        TestPki.writeCertificatesPem(anchor, RepoFixture.VENDOR_ROOT.certificate());
        NodeTrust.of(tmp.resolve("node")).setAnchors(List.of(anchor));
        node = Node.open(tmp.resolve("node"), RepoFixture.CLOCK);
        transport = NodeUpdate.Transport.of(repoDir.toString(), TrustPolicy.FetchTimeouts.DEFAULT);
        assertTrue(update().pin(Files.readAllBytes(repoDir.resolve("metadata/1.root.json"))));
        assertEquals(NodeUpdate.Outcome.INSTALLED, update().update(null, "2.1").outcome());
        assertEquals("2.1", activeVersion());
    }

    private NodeUpdate update() {
        return new NodeUpdate(node, transport, RepoFixture.CLOCK, RevocationSource.offline());
    }

    private String activeVersion() throws Exception {
        return node.status().active().map(a -> a.identity().version()).orElse(null);
    }

    /**
     * Lists the genuine bytes of {@code acme-mme-<fromVersion>.csar} as the target {@code name} claiming
     * {@code custom.veripack} {@code claimedName} {@code claimedVersion} (the file copied to its consistent-snapshot
     * name), in a new targets version signed with the repository's targets key, published with a new snapshot and
     * timestamp signed with its snapshot and timestamp keys.
     */
    private void relist(String fromVersion, String name, String claimedName, String claimedVersion) throws Exception {
        RepositoryFiles files = new RepositoryFiles(repoDir);
        MetadataSigner signer = new MetadataSigner(RepositoryKeys.load(tmp.resolve("keys")));
        RepositoryFiles.Current cur = files.current();
        ObjectNode targets = cur.targets().signed().deepCopy();
        ObjectNode list = (ObjectNode) targets.get("targets");
        List<String> unsafe = new ArrayList<>();
        list.fieldNames().forEachRemaining(n -> { if (!Metadata.isSafeTargetPath(n)) unsafe.add(n); });
        list.remove(unsafe); // an earlier attack's entry: each attack alone
        ObjectNode entry = list.get("acme-mme-" + fromVersion + ".csar").deepCopy();
        ((ObjectNode) entry.get("custom").get("veripack")).put("name", claimedName).put("version", claimedVersion);
        list.set(name, entry);
        String sha256 = entry.get("hashes").get("sha256").asText();
        if (Metadata.isSafeTargetPath(name)) {
            Files.copy(repoDir.resolve("targets/" + sha256 + ".acme-mme-" + fromVersion + ".csar"), repoDir.resolve("targets/" + sha256 + "." + name));
        }
        long v = files.nextTargets(cur);
        targets.put("version", v);
        byte[] signed = signer.sign(cur.root().signed(), targets, TufRepository.Role.TARGETS);
        files.writeAll(new Publication(signer, RepoFixture.CLOCK).files(cur.root().signed(), signed, v, DAY, DAY,
                files.nextSnapshot(cur), files.nextTimestamp(cur)));
    }

    /** The run was refused by the node for the relabelled target, the active version kept and the refusal audited. */
    private void refused(NodeUpdate.Result r, String expectedActive) throws Exception {
        assertEquals(NodeUpdate.Outcome.REJECTED, r.outcome(), String.valueOf(r.finding()));
        assertEquals(FindingCode.REPO_TARGET_IDENTITY_MISMATCH, r.install().report().findings().get(0).code(),
                r.install().report().findings().toString());
        assertEquals(expectedActive, activeVersion());
        assertEquals("install.rejected REPO_TARGET_IDENTITY_MISMATCH", lastEvent());
    }

    /** The node's last audit event and its first finding code. */
    private String lastEvent() throws Exception {
        List<String> lines = Files.readAllLines(tmp.resolve("node/audit/events.jsonl"));
        JsonNode e = CanonicalJson.JSON.readTree(lines.get(lines.size() - 1));
        return e.get("event").asText() + (e.get("findings").isEmpty() ? "" : " " + e.get("findings").get(0).asText());
    }

    @Test
    void theInstalledBuildRelistedAsANewerVersionIsRefused() throws Exception {
        assertEquals(NodeUpdate.Outcome.INSTALLED, update().update(null).outcome());
        assertEquals("2.2", activeVersion());
        relist("2.2", "acme-mme-3.0.csar", "acme-mme", "3.0");
        NodeUpdate.Result r = update().update(null);
        assertEquals("3.0", r.version());
        refused(r, "2.2");
    }

    @Test
    void toAnsweredWithAnotherVersionsBytesIsRefused() throws Exception {
        // a version above the floor (2.1 active): one below it is refused before its download (NodeUpdateTest)
        relist("2.2", "acme-mme-2.1.1.csar", "acme-mme", "2.1.1");
        refused(update().update(null, "2.1.1"), "2.1");
    }

    @Test
    void aPackageListedUnderAnotherProductsNameIsRefused() throws Exception {
        relist("2.2", "acme-ims-1.0.csar", "acme-ims", "1.0");
        refused(update().update("acme-ims"), "2.1");
    }

    @Test
    void aVersionThatFailedItsHealthCheckRelistedUnderANewVersionIsRefused() throws Exception {
        Predicate<String> notFailed = v -> !"2.2".equals(v); // the agent's record: 2.2 failed its health check here
        relist("2.2", "acme-mme-2.3.csar", "acme-mme", "2.3");
        NodeUpdate.Result r = update().update(null, null, notFailed);
        assertEquals("2.3", r.version());
        refused(r, "2.1");
    }

    @Test
    void aTargetNameThatIsNotASafeRelativePathIsRefusedWhenTheTargetsMetadataIsLoaded() throws Exception {
        Path trustedTargets = tmp.resolve("node/state/tuf/targets.json");
        byte[] before = Files.readAllBytes(trustedTargets);
        for (String name : List.of("../../../tmp/evil.csar", "/etc/evil.csar", "a/../../evil.csar", "a//evil.csar", "./evil.csar",
                "a\\..\\evil.csar", "evil\u0000.csar", "evil\n.csar")) {
            relist("2.2", name, "acme-mme", "2.2");
            NodeUpdate.Result r = update().update(null);
            assertEquals(NodeUpdate.Outcome.REFUSED, r.outcome(), name);
            assertEquals(FindingCode.REPO_MALFORMED, r.finding().code(), name);
            assertEquals("2.1", activeVersion());
            assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(trustedTargets)), "the targets metadata did not become trusted: " + name);
            assertEquals("update.refused REPO_MALFORMED", lastEvent(), name);
            assertTrue(r.requests().stream().noneMatch(p -> p.startsWith("targets/")), "nothing downloaded: " + r.requests());
        }
    }

    @Test
    void aTargetWhoseClaimsAreTheVendorsIdentityStillInstalls() throws Exception {
        relist("2.2", "acme-mme-2.2-rebuilt.csar", "acme-mme", "2.2"); // another file name, the true identity
        NodeUpdate.Result r = update().update(null, null, v -> true);
        assertEquals(NodeUpdate.Outcome.INSTALLED, r.outcome(), String.valueOf(r.finding()));
        assertEquals("2.2", activeVersion());
    }
}
