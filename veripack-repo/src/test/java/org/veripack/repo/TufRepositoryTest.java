package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void thresholdRolesAreSignedByEnoughKeysAndTimestampRenews() throws Exception {
        Map<TufRepository.Role, TufRepository.RoleSpec> roles = TufRepository.defaultRoles();
        roles.put(TufRepository.Role.ROOT, new TufRepository.RoleSpec(3, 2, Duration.ofDays(365)));
        roles.put(TufRepository.Role.TARGETS, new TufRepository.RoleSpec(2, 2, Duration.ofDays(90)));
        TufRepository repo = init(roles, RepositoryKeys.KeyType.ECDSA_P256);
        assertEquals(2, repo.timestamp(DAY));
        assertEquals(3, repo.timestamp(DAY));
        TrustedMetadata t = TrustedMetadata.fromRoot(meta("1.root.json")).withTimestamp(meta("timestamp.json"), RepoFixture.NOW);
        assertEquals(3, t.timestamp().metadata().version());
        assertEquals(List.of(1L, 1L, 1L, 3L), repo.status().stream().map(TufRepository.RoleStatus::version).toList());
        // one of the two targets keys missing: the publisher refuses instead of writing metadata clients reject
        Files.delete(tmp.resolve("keys/targets-2.pem"));
        TufRepository weak = TufRepository.open(tmp.resolve("repo"), RepositoryKeys.load(tmp.resolve("keys")), RepoFixture.CLOCK);
        Path csar = RepoFixture.csar(tmp, "acme-mme", "2.1");
        var e = assertThrows(PolicyException.class, () -> weak.add(csar, RepoFixture.verifier(), DAY, DAY, DAY));
        assertTrue(e.getMessage().contains("targets role needs 2 signatures"), e.getMessage());
    }

    @Test
    void keysInsideTheServedDirectoryAreRefused() {
        var e = assertThrows(PolicyException.class, () -> TufRepository.init(tmp.resolve("repo"), tmp.resolve("repo/keys"),
                TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519, RepoFixture.CLOCK));
        assertTrue(e.getMessage().contains("inside the repository"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("repo/keys")));
    }
}
