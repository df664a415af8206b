package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tuf-js, an independent TUF client, reads repositories written by {@code veripack repo} and downloads the target. */
class TufJsInteropTest {
    @TempDir Path tmp;

    @Test
    void tufJsDownloadsTheTargetFromEd25519AndEcdsaRepositories() throws Exception {
        for (RepositoryKeys.KeyType type : RepositoryKeys.KeyType.values()) {
            Path sub = Files.createDirectories(tmp.resolve(type.name()));
            // expiry from the real clock: tuf-js checks it against the time it runs at
            java.time.Clock now = java.time.Clock.systemUTC();
            TufRepository repo = TufRepository.init(sub.resolve("repo"), sub.resolve("keys"), TufRepository.defaultRoles(), type, now);
            Path csar = RepoFixture.csar(sub, "acme-mme", "2.1");
            repo.add(csar, RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
            repo.timestamp(Duration.ofDays(1));
            Path out = Files.createDirectories(sub.resolve("out"));
            TufJs.Result r = TufJs.download(sub.resolve("repo"), sub.resolve("repo/metadata/1.root.json"), "acme-mme-2.1.csar", out);
            assertEquals(0, r.exit(), type + ": " + r.err());
            assertArrayEquals(Files.readAllBytes(csar), Files.readAllBytes(Path.of(r.out().strip())), type.name());
        }
    }

    @Test
    void tufJsRefusesATargetWhoseBytesChangedAfterPublication() throws Exception {
        TufRepository repo = TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), TufRepository.defaultRoles(),
                RepositoryKeys.KeyType.ED25519, java.time.Clock.systemUTC());
        Path csar = RepoFixture.csar(tmp, "acme-mme", "2.1");
        TufRepository.Added added = repo.add(csar, RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
        byte[] b = Files.readAllBytes(added.file());
        b[b.length / 2] ^= 1;
        Files.write(added.file(), b);
        TufJs.Result r = TufJs.download(tmp.resolve("repo"), tmp.resolve("repo/metadata/1.root.json"), "acme-mme-2.1.csar",
                Files.createDirectories(tmp.resolve("out")));
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.err().contains("LengthOrHashMismatchError") || r.err().toLowerCase().contains("hash"), r.err());
    }

    @Test
    void tufJsFollowsARootRotationAndTargetsSignedByTwoOfflineHolders() throws Exception {
        java.time.Clock now = java.time.Clock.systemUTC();
        var roles = TufRepository.defaultRoles();
        roles.put(TufRepository.Role.ROOT, new TufRepository.RoleSpec(3, 2, Duration.ofDays(365)));
        roles.put(TufRepository.Role.TARGETS, new TufRepository.RoleSpec(2, 2, Duration.ofDays(90)));
        TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), roles, RepositoryKeys.KeyType.ECDSA_P256, now);
        Path holder = Files.createDirectories(tmp.resolve("holder"));
        for (String k : java.util.List.of("root-2", "root-3", "targets-2")) {
            Files.move(tmp.resolve("keys/" + k + ".pem"), holder.resolve(k + ".pem"));
        }
        RepositoryKeys keys = RepositoryKeys.load(tmp.resolve("keys"));
        var newTimestamp = keys.createIfMissing("timestamp-2", RepositoryKeys.KeyType.ED25519);
        String oldTimestamp = org.veripack.repo.tuf.Metadata.parse("r", Files.readAllBytes(tmp.resolve("repo/metadata/1.root.json")), "root")
                .role("r", "timestamp").keyIds().get(0);
        TufRepository repo = TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")), now);
        // root 2: the timestamp key replaced; signed by root-1 now and root-2 later (2 of 3 of the old and of the new root)
        assertTrue(repo.rotateRoot(new TufRepository.RootChange(java.util.Map.of(TufRepository.Role.TIMESTAMP, java.util.List.of(newTimestamp)),
                java.util.Map.of(TufRepository.Role.TIMESTAMP, java.util.List.of(oldTimestamp)), java.util.Map.of()),
                Duration.ofDays(365), Duration.ofDays(1), Duration.ofDays(1)).pending() != null);
        assertTrue(repo.sign(TufRepository.Role.ROOT, TufRepositoryTest.key(holder.resolve("root-2.pem")),
                TufRepositoryTest.pub(holder.resolve("root-2.pem")), Duration.ofDays(1), Duration.ofDays(1)).pending() == null);
        Files.delete(tmp.resolve("keys/timestamp-1.pem"));
        repo = TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")), now);
        Path csar = RepoFixture.csar(tmp, "acme-mme", "2.1");
        assertTrue(repo.add(csar, RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1)).pending() != null);
        assertTrue(repo.sign(TufRepository.Role.TARGETS, TufRepositoryTest.key(holder.resolve("targets-2.pem")),
                TufRepositoryTest.pub(holder.resolve("targets-2.pem")), Duration.ofDays(1), Duration.ofDays(1)).pending() == null);
        // tuf-js starts from the first root, walks to 2.root.json and checks the new timestamp key's signature
        TufJs.Result r = TufJs.download(tmp.resolve("repo"), tmp.resolve("repo/metadata/1.root.json"), "acme-mme-2.1.csar",
                Files.createDirectories(tmp.resolve("out")));
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Files.readAllBytes(csar), Files.readAllBytes(Path.of(r.out().strip())));
    }

    @Test
    void nodeUpdateInstallsFromARepositoryWrittenByTufJsModels() throws Exception {
        Path csar = RepoFixture.csar(tmp, "acme-mme", "2.1");
        Path repo = tmp.resolve("tufjs-repo");
        TufJs.Result w = TufJs.writeRepository(repo, csar, "acme-mme-2.1.csar",
                "{\"veripack\":{\"name\":\"acme-mme\",\"version\":\"2.1\"}}", RepoFixture.NOW.plus(Duration.ofDays(7)));
        assertEquals(0, w.exit(), w.err());
        String sha256 = w.out().strip();
        Path anchor = tmp.resolve("anchor.pem");
        org.veripack.core.pki.TestPki.writeCertificatesPem(anchor, RepoFixture.VENDOR_ROOT.certificate());
        Path root = tmp.resolve("node");
        org.veripack.node.NodeTrust.of(root).setAnchors(java.util.List.of(anchor));
        org.veripack.node.Node node = org.veripack.node.Node.open(root, RepoFixture.CLOCK);
        NodeUpdate update = new NodeUpdate(node, NodeUpdate.Transport.of(repo.toString(), org.veripack.core.TrustPolicy.FetchTimeouts.DEFAULT),
                RepoFixture.CLOCK, org.veripack.core.RevocationSource.offline());
        assertTrue(update.pin(Files.readAllBytes(repo.resolve("metadata/1.root.json"))));
        NodeUpdate.Result r = update.update(null);
        assertEquals(NodeUpdate.Outcome.INSTALLED, r.outcome(), String.valueOf(r.finding()));
        assertEquals(java.util.List.of("metadata/2.root.json", "metadata/timestamp.json", "metadata/1.snapshot.json",
                "metadata/1.targets.json", "targets/" + sha256 + ".acme-mme-2.1.csar"), r.requests());
        assertEquals("2.1", node.status().active().orElseThrow().identity().version());
        assertEquals("root 1, timestamp 1, snapshot 1, targets 1", r.trusted());
        assertEquals(NodeUpdate.Outcome.UP_TO_DATE, update.update(null).outcome());

        // the same repository with one byte of tuf-js's signed targets changed: refused, nothing new trusted
        Path forged = tmp.resolve("forged-repo");
        TufJs.Result w2 = TufJs.writeRepository(forged, RepoFixture.csar(Files.createDirectories(tmp.resolve("v22")), "acme-mme", "2.2"),
                "acme-mme-2.2.csar", "{\"veripack\":{\"name\":\"acme-mme\",\"version\":\"2.2\"}}", RepoFixture.NOW.plus(Duration.ofDays(7)));
        assertEquals(0, w2.exit(), w2.err());
        Path t = forged.resolve("metadata/1.targets.json");
        Files.writeString(t, Files.readString(t).replace("\"version\":\"2.2\"", "\"version\":\"9.9\""));
        Path root2 = tmp.resolve("node2");
        org.veripack.node.NodeTrust.of(root2).setAnchors(java.util.List.of(anchor));
        org.veripack.node.Node node2 = org.veripack.node.Node.open(root2, RepoFixture.CLOCK);
        NodeUpdate u2 = new NodeUpdate(node2, NodeUpdate.Transport.of(forged.toString(), org.veripack.core.TrustPolicy.FetchTimeouts.DEFAULT),
                RepoFixture.CLOCK, org.veripack.core.RevocationSource.offline());
        u2.pin(Files.readAllBytes(forged.resolve("metadata/1.root.json")));
        NodeUpdate.Result bad = u2.update(null);
        assertEquals(NodeUpdate.Outcome.REFUSED, bad.outcome());
        assertEquals(org.veripack.core.FindingCode.REPO_METADATA_MISMATCH, bad.finding().code()); // §5.6.2: snapshot's hash
        assertTrue(node2.status().active().isEmpty());
    }
}
