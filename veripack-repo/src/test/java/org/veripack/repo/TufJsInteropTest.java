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
}
