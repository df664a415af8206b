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
}
