package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PolicyException;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.TrustedMetadata;

/** The publisher writes a repository that the TUF client core accepts, and refuses what it must. */
class TufRepositoryTest {
    @TempDir Path tmp;

    static final Duration DAY = Duration.ofDays(1);

    private TufRepository init(Map<TufRepository.Role, TufRepository.RoleSpec> roles, RepositoryKeys.KeyType type) throws Exception {
        return TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), roles, type, RepoFixture.CLOCK);
    }

    private byte[] meta(String name) throws Exception {
        return Files.readAllBytes(tmp.resolve("repo/metadata").resolve(name));
    }

    @Test
    void addedPackageIsReadByTheClientCoreWithLengthAndHashBound() throws Exception {
        for (RepositoryKeys.KeyType type : RepositoryKeys.KeyType.values()) {
            Path sub = Files.createDirectories(tmp.resolve(type.name()));
            TufRepository repo = TufRepository.init(sub.resolve("repo"), sub.resolve("keys"), TufRepository.defaultRoles(), type, RepoFixture.CLOCK);
            Path csar = RepoFixture.csar(sub, "acme-mme", "2.1");
            TufRepository.Added added = repo.add(csar, RepoFixture.verifier(), DAY, DAY, DAY);
            assertEquals(2, added.targetsVersion());
            Path md = sub.resolve("repo/metadata");
            TrustedMetadata t = TrustedMetadata.fromRoot(Files.readAllBytes(md.resolve("1.root.json")))
                    .withTimestamp(Files.readAllBytes(md.resolve("timestamp.json")), RepoFixture.NOW)
                    .withSnapshot(Files.readAllBytes(md.resolve("2.snapshot.json")), RepoFixture.NOW)
                    .withTargets(Files.readAllBytes(md.resolve("2.targets.json")), RepoFixture.NOW);
            Metadata.TargetFile tf = t.targets().metadata().targets("targets.json").get("acme-mme-2.1.csar");
            byte[] bytes = Files.readAllBytes(added.file());
            assertArrayEquals(Files.readAllBytes(csar), bytes);
            assertEquals(sub.resolve("repo/targets").resolve(tf.hashes().get("sha256") + ".acme-mme-2.1.csar"), added.file());
            TrustedMetadata.checkTarget(tf, bytes.length, TrustedMetadata.digests(bytes));
            assertEquals("2.1", tf.custom().path("veripack").path("version").asText());
            assertEquals("acme-mme", tf.custom().path("veripack").path("name").asText());
            assertEquals(fingerprint(RepoFixture.SIGNER.certificate()),
                    tf.custom().path("veripack").path("signer").asText());
            bytes[100] ^= 1;
            var e = assertThrows(org.veripack.repo.tuf.RepositoryException.class,
                    () -> TrustedMetadata.checkTarget(tf, bytes.length, TrustedMetadata.digests(bytes)));
            assertEquals(FindingCode.REPO_TARGET_MISMATCH, e.code());
            // the private keys: 0600 in the key directory
            try (Stream<Path> keys = Files.list(sub.resolve("keys"))) {
                for (Path k : keys.toList()) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)), k.toString());
                }
            }
        }
    }

    private static String fingerprint(java.security.cert.X509Certificate c) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    }

    @Test
    void packageThatFailsVerificationIsNeverPublished() throws Exception {
        TufRepository repo = init(TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519);
        byte[] ts = meta("timestamp.json");
        Path rogue = RepoFixture.csar(tmp, "acme-mme", "9.9", RepoFixture.ROGUE);
        var e = assertThrows(TufRepository.Rejected.class, () -> repo.add(rogue, RepoFixture.verifier(), DAY, DAY, DAY));
        assertTrue(e.report().has(FindingCode.SIGNER_UNTRUSTED), e.report().toString());
        assertArrayEquals(ts, meta("timestamp.json"));
        try (Stream<Path> targets = Files.list(tmp.resolve("repo/targets"))) {
            assertEquals(List.of(), targets.toList());
        }
        assertTrue(Files.notExists(tmp.resolve("repo/metadata/2.targets.json")));
    }

    @Test
    void thresholdRolesAreSignedByEnoughKeysOrStagedUntilAnOfflineHolderSigns() throws Exception {
        Map<TufRepository.Role, TufRepository.RoleSpec> roles = TufRepository.defaultRoles();
        roles.put(TufRepository.Role.ROOT, new TufRepository.RoleSpec(3, 2, Duration.ofDays(365)));
        roles.put(TufRepository.Role.TARGETS, new TufRepository.RoleSpec(2, 2, Duration.ofDays(90)));
        TufRepository repo = init(roles, RepositoryKeys.KeyType.ECDSA_P256);
        assertEquals(2, repo.timestamp(DAY).version());
        assertEquals(3, repo.timestamp(DAY).version());
        TrustedMetadata t = TrustedMetadata.fromRoot(meta("1.root.json")).withTimestamp(meta("timestamp.json"), RepoFixture.NOW);
        assertEquals(3, t.timestamp().metadata().version());
        assertEquals(List.of(1L, 1L, 1L, 3L), repo.status().stream().map(TufRepository.RoleStatus::version).toList());
        // one of the two targets keys held offline: add stages the new targets with one signature and publishes nothing
        Path offline = Files.createDirectories(tmp.resolve("offline"));
        Files.move(tmp.resolve("keys/targets-2.pem"), offline.resolve("targets-2.pem"));
        TufRepository weak = TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")), RepoFixture.CLOCK);
        Path csar = RepoFixture.csar(tmp, "acme-mme", "2.1");
        byte[] tsBefore = meta("timestamp.json");
        TufRepository.Added staged = weak.add(csar, RepoFixture.verifier(), DAY, DAY, DAY);
        assertEquals("2.targets.json", staged.pending().file());
        assertTrue(staged.pending().needs().startsWith("1 more signature(s) by the targets keys"), staged.pending().needs());
        assertArrayEquals(tsBefore, meta("timestamp.json"));
        assertTrue(Files.notExists(tmp.resolve("repo/metadata/2.targets.json")));
        // the staged file is short of the threshold for the client too
        var unmet = assertThrows(org.veripack.repo.tuf.RepositoryException.class, () -> TrustedMetadata.verifyRole("targets.json",
                Metadata.parse("root", meta("1.root.json"), "root"),
                Metadata.parse("t", Files.readAllBytes(tmp.resolve("repo/staged/2.targets.json")), "targets"), "targets"));
        assertEquals(FindingCode.REPO_THRESHOLD_UNMET, unmet.code());
        // another change waits until the staged one is complete
        var busy = assertThrows(PolicyException.class, () -> weak.add(csar, RepoFixture.verifier(), DAY, DAY, DAY));
        assertTrue(busy.getMessage().contains("awaits signatures"), busy.getMessage());
        // a key that is not a targets key is refused; the holder's key completes and publishes
        var notTargets = assertThrows(PolicyException.class, () -> weak.sign(TufRepository.Role.TARGETS,
                key(tmp.resolve("keys/snapshot-1.pem")), pub(tmp.resolve("keys/snapshot-1.pem")), DAY, DAY));
        assertTrue(notTargets.getMessage().contains("is not a targets key"), notTargets.getMessage());
        TufRepository.Signing done = weak.sign(TufRepository.Role.TARGETS, key(offline.resolve("targets-2.pem")),
                pub(offline.resolve("targets-2.pem")), DAY, DAY);
        assertEquals(null, done.pending());
        assertTrue(Files.notExists(tmp.resolve("repo/staged/2.targets.json")));
        TrustedMetadata c = TrustedMetadata.fromRoot(meta("1.root.json")).withTimestamp(meta("timestamp.json"), RepoFixture.NOW)
                .withSnapshot(meta("2.snapshot.json"), RepoFixture.NOW).withTargets(meta("2.targets.json"), RepoFixture.NOW);
        assertEquals(List.of("acme-mme-2.1.csar"), List.copyOf(c.targets().metadata().targets("targets.json").keySet()));
        assertEquals(List.of(), weak.staged());
    }

    static java.security.PrivateKey key(Path pem) throws Exception {
        return org.veripack.core.sign.SigningIdentities.readPrivateKey(pem);
    }

    static java.security.PublicKey pub(Path pem) throws Exception {
        return RepositoryKeys.readPublicKey(pem);
    }

    @Test
    void rootRotationTwoOfThreeIsStagedThenCompletedByAnOfflineHolderAndTheClientWalksIt() throws Exception {
        Map<TufRepository.Role, TufRepository.RoleSpec> roles = TufRepository.defaultRoles();
        roles.put(TufRepository.Role.ROOT, new TufRepository.RoleSpec(3, 2, Duration.ofDays(365)));
        init(roles, RepositoryKeys.KeyType.ED25519);
        Path offline = Files.createDirectories(tmp.resolve("offline"));
        Files.move(tmp.resolve("keys/root-2.pem"), offline.resolve("root-2.pem"));
        Files.move(tmp.resolve("keys/root-3.pem"), offline.resolve("root-3.pem"));
        RepositoryKeys keys = RepositoryKeys.load(tmp.resolve("keys"));
        // replace root-3 (its holder left) by a new key, and the timestamp key by a new one
        String old3 = org.veripack.repo.tuf.TufKey.of(pub(offline.resolve("root-3.pem"))).keyId();
        var newRoot = keys.createIfMissing("root-4", RepositoryKeys.KeyType.ECDSA_P256);
        String oldTs = Metadata.parse("r", meta("1.root.json"), "root").role("r", "timestamp").keyIds().get(0);
        var newTs = keys.createIfMissing("timestamp-2", RepositoryKeys.KeyType.ED25519);
        TufRepository repo = TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")), RepoFixture.CLOCK);
        TufRepository.Signing s = repo.rotateRoot(new TufRepository.RootChange(
                Map.of(TufRepository.Role.ROOT, List.of(newRoot), TufRepository.Role.TIMESTAMP, List.of(newTs)),
                Map.of(TufRepository.Role.ROOT, List.of(old3), TufRepository.Role.TIMESTAMP, List.of(oldTs)), Map.of()),
                Duration.ofDays(365), DAY, DAY);
        // root-1 and root-4 signed: the new root's 2 of 3, but only 1 of the old root's 2
        assertEquals("2.root.json", s.file());
        assertTrue(s.pending().needs().startsWith("1 more signature(s) by root version 1's root keys"), s.pending().needs());
        assertTrue(Files.notExists(tmp.resolve("repo/metadata/2.root.json")));
        TufRepository.Signing done = repo.sign(TufRepository.Role.ROOT, key(offline.resolve("root-2.pem")), pub(offline.resolve("root-2.pem")),
                DAY, DAY);
        assertEquals(null, done.pending());
        // the client walks 1 -> 2 (§5.3), then the timestamp signed by the new timestamp key only
        TrustedMetadata t = TrustedMetadata.fromRoot(meta("1.root.json")).withRoot(meta("2.root.json"));
        t.checkRootFresh(RepoFixture.NOW);
        t = t.withTimestamp(meta("timestamp.json"), RepoFixture.NOW).withSnapshot(meta("2.snapshot.json"), RepoFixture.NOW)
                .withTargets(meta("1.targets.json"), RepoFixture.NOW);
        assertEquals(List.of(newTs.keyId()), t.root().metadata().role("r", "timestamp").keyIds());
        // a threshold above the key count is refused before anything is written
        var e = assertThrows(PolicyException.class, () -> repo.rotateRoot(new TufRepository.RootChange(Map.of(), Map.of(),
                Map.of(TufRepository.Role.ROOT, 4)), Duration.ofDays(365), DAY, DAY));
        assertTrue(e.getMessage().contains("4 of 3"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("repo/metadata/3.root.json")));
    }

    /** The publisher as one command run at {@code seconds} after the fixture's instant (each run has its clock). */
    private TufRepository at(long seconds) throws Exception {
        return TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")),
                java.time.Clock.fixed(RepoFixture.NOW.plusSeconds(seconds), java.time.ZoneOffset.UTC));
    }

    @Test
    void timestampReplacedByAnOlderCopyIsNeverReissuedUnderAVersionAlreadyUsed() throws Exception {
        init(TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519);
        for (long v = 2; v <= 4; v++) {
            assertEquals(v, at(v).timestamp(DAY).version());
        }
        byte[] v4 = meta("timestamp.json");
        TufRepository.Timestamped five = at(5).timestamp(DAY);
        assertEquals(5, five.version());
        assertFalse(five.servedOlder());
        TrustedMetadata client = TrustedMetadata.fromRoot(meta("1.root.json")).withTimestamp(meta("timestamp.json"), RepoFixture.NOW);
        assertEquals(5, client.timestamp().metadata().version());
        // the replay: yesterday's genuine v4 copied over the served timestamp.json; the client that trusted v5 refuses it
        Files.write(tmp.resolve("repo/metadata/timestamp.json"), v4);
        var replayed = assertThrows(org.veripack.repo.tuf.RepositoryException.class,
                () -> client.withTimestamp(meta("timestamp.json"), RepoFixture.NOW));
        assertEquals(FindingCode.REPO_ROLLBACK, replayed.code());
        // the publisher moves on above what it issued, not above the file it finds
        TufRepository.Timestamped six = at(6).timestamp(DAY);
        assertEquals(List.of(6L, 4L, 5L), List.of(six.version(), six.served(), six.issued()));
        assertTrue(six.servedOlder());
        TrustedMetadata after = client.withTimestamp(meta("timestamp.json"), RepoFixture.NOW);
        assertEquals(6, after.timestamp().metadata().version());
        assertEquals(6, at(7).status().get(3).version());
    }

    @Test
    void addAfterTheTimestampWasReplacedByAnOlderCopyBuildsOnTheNewestSnapshotAndOverwritesNothing() throws Exception {
        init(TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519);
        byte[] v1 = meta("timestamp.json");
        at(1).add(RepoFixture.csar(tmp, "acme-mme", "2.1"), RepoFixture.verifier(), DAY, DAY, DAY);
        byte[] targets2 = meta("2.targets.json");
        byte[] snapshot2 = meta("2.snapshot.json");
        Files.write(tmp.resolve("repo/metadata/timestamp.json"), v1); // names snapshot 1, which names targets 1 (no targets)
        TufRepository.Added added = at(2).add(RepoFixture.csar(tmp, "acme-mme", "2.2"), RepoFixture.verifier(), DAY, DAY, DAY);
        assertEquals(List.of(3L, 3L, 3L), List.of(added.targetsVersion(), added.snapshotVersion(), added.timestampVersion()));
        assertArrayEquals(targets2, meta("2.targets.json"));
        assertArrayEquals(snapshot2, meta("2.snapshot.json"));
        TrustedMetadata c = TrustedMetadata.fromRoot(meta("1.root.json")).withTimestamp(meta("timestamp.json"), RepoFixture.NOW)
                .withSnapshot(meta("3.snapshot.json"), RepoFixture.NOW).withTargets(meta("3.targets.json"), RepoFixture.NOW);
        assertEquals(List.of("acme-mme-2.1.csar", "acme-mme-2.2.csar"),
                List.copyOf(new java.util.TreeMap<>(c.targets().metadata().targets("targets.json")).keySet()));
    }

    @Test
    void keysInsideTheServedDirectoryAreRefused() {
        var e = assertThrows(PolicyException.class, () -> TufRepository.init(tmp.resolve("repo"), tmp.resolve("repo/keys"),
                TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519, RepoFixture.CLOCK));
        assertTrue(e.getMessage().contains("inside the repository"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("repo/keys")));
    }
}
