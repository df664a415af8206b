package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.repo.tuf.CanonicalJson;
import org.veripack.repo.tuf.Metadata;
import org.veripack.repo.tuf.RepositoryException;
import org.veripack.repo.tuf.TrustedMetadata;
import org.veripack.repo.tuf.TufKey;

/**
 * Attacks on the client core, each a real modified repository written by {@code veripack repo}: old genuine files
 * replayed, files re-signed with a stolen role key, bytes flipped. Each is refused with its finding code and the
 * trusted state the caller holds is unchanged (the core is immutable: a refusal returns nothing).
 */
class TrustedMetadataAttackTest {
    @TempDir Path tmp;
    static final Duration DAY = Duration.ofDays(1);
    private TufRepository repo;
    private Path md;

    @BeforeEach
    void publishTwoVersions() throws Exception {
        var roles = TufRepository.defaultRoles();
        roles.put(TufRepository.Role.TARGETS, new TufRepository.RoleSpec(2, 2, Duration.ofDays(90)));
        roles.put(TufRepository.Role.ROOT, new TufRepository.RoleSpec(1, 1, Duration.ofDays(365)));
        repo = TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), roles, RepositoryKeys.KeyType.ED25519, RepoFixture.CLOCK);
        md = tmp.resolve("repo/metadata");
        repo.add(RepoFixture.csar(tmp, "acme-mme", "2.1"), RepoFixture.verifier(), DAY, DAY, DAY);
        Files.copy(md.resolve("timestamp.json"), tmp.resolve("timestamp-v2.json"));
        repo.add(RepoFixture.csar(tmp, "acme-mme", "2.2"), RepoFixture.verifier(), DAY, DAY, DAY);
    }

    private byte[] file(String name) throws Exception {
        return Files.readAllBytes(md.resolve(name));
    }

    /** The client after a full refresh of the current repository (timestamp v3, snapshot v3, targets v3). */
    private TrustedMetadata trusted() throws Exception {
        return TrustedMetadata.fromRoot(file("1.root.json")).withTimestamp(file("timestamp.json"), RepoFixture.NOW)
                .withSnapshot(file("3.snapshot.json"), RepoFixture.NOW).withTargets(file("3.targets.json"), RepoFixture.NOW);
    }

    /** {@code doc} with its {@code signed} changed by {@code edit} and signed again with the given KEYDIR keys. */
    private byte[] forge(byte[] doc, Consumer<ObjectNode> edit, String... keyNames) throws Exception {
        ObjectNode signed = (ObjectNode) CanonicalJson.JSON.readTree(doc).get("signed");
        edit.accept(signed);
        return sign(signed, keyNames);
    }

    private byte[] sign(ObjectNode signed, String... keyNames) throws Exception {
        List<Metadata.Sig> sigs = new ArrayList<>();
        for (String k : keyNames) {
            PrivateKey pk = SigningIdentities.readPrivateKey(tmp.resolve("keys").resolve(k + ".pem"));
            TufKey key = TufKey.of(RepositoryKeys.publicKeyOf(pk));
            sigs.add(new Metadata.Sig(key.keyId(), key.sign(RepositoryKeys.jca(pk), CanonicalJson.encode(signed))));
        }
        return Metadata.document(signed, sigs);
    }

    private static void refused(FindingCode code, Executable e) {
        RepositoryException x = assertThrows(RepositoryException.class, e);
        assertEquals(code, x.code(), x.getMessage());
    }

    @Test
    void rollbackOfTimestampReplaysAnOlderGenuineFile() throws Exception {
        TrustedMetadata t = trusted();
        byte[] old = Files.readAllBytes(tmp.resolve("timestamp-v2.json"));
        refused(FindingCode.REPO_ROLLBACK, () -> t.withTimestamp(old, RepoFixture.NOW));
        assertEquals(3, t.timestamp().metadata().version());
    }

    @Test
    void rollbackOfSnapshotWithAStolenTimestampKey() throws Exception {
        TrustedMetadata t = trusted();
        // a newer timestamp, validly signed, naming the older snapshot (§5.4.3.2)
        byte[] ts = forge(file("timestamp.json"), s -> {
            s.put("version", 9);
            ((ObjectNode) s.get("meta").get("snapshot.json")).put("version", 2);
        }, "timestamp-1");
        refused(FindingCode.REPO_ROLLBACK, () -> t.withTimestamp(ts, RepoFixture.NOW));
        // a newer snapshot, validly signed with a stolen snapshot key, naming the older targets (§5.5.5)
        byte[] snap = forge(file("3.snapshot.json"), s -> {
            s.put("version", 4);
            ((ObjectNode) s.get("meta").get("targets.json")).put("version", 2).remove(List.of("length", "hashes"));
        }, "snapshot-1");
        byte[] ts2 = forge(file("timestamp.json"), s -> {
            s.put("version", 9);
            ((ObjectNode) s.get("meta").get("snapshot.json")).put("version", 4).remove(List.of("length", "hashes"));
        }, "timestamp-1");
        TrustedMetadata t2 = t.withTimestamp(ts2, RepoFixture.NOW);
        refused(FindingCode.REPO_ROLLBACK, () -> t2.withSnapshot(snap, RepoFixture.NOW));
    }

    @Test
    void expiredTimestampIsAFreeze() throws Exception {
        TrustedMetadata t = TrustedMetadata.fromRoot(file("1.root.json"));
        refused(FindingCode.REPO_EXPIRED, () -> t.withTimestamp(file("timestamp.json"), RepoFixture.NOW.plus(DAY)));
        // and a trusted timestamp that was not renewed (nothing new served) is refused the same way
        refused(FindingCode.REPO_EXPIRED, () -> trusted().checkFresh(RepoFixture.NOW.plus(DAY)));
    }

    @Test
    void mixAndMatchOfSnapshotAndTargetsVersions() throws Exception {
        TrustedMetadata t = TrustedMetadata.fromRoot(file("1.root.json")).withTimestamp(file("timestamp.json"), RepoFixture.NOW);
        // the genuine snapshot v2 where the timestamp names v3: length/hash (§5.5.2)
        refused(FindingCode.REPO_METADATA_MISMATCH, () -> t.withSnapshot(file("2.snapshot.json"), RepoFixture.NOW));
        // the genuine targets v2 where the snapshot names v3 (§5.6.2)
        TrustedMetadata s = t.withSnapshot(file("3.snapshot.json"), RepoFixture.NOW);
        refused(FindingCode.REPO_METADATA_MISMATCH, () -> s.withTargets(file("2.targets.json"), RepoFixture.NOW));
    }

    @Test
    void flippedSignatureByte() throws Exception {
        byte[] ts = file("timestamp.json");
        ObjectNode doc = (ObjectNode) CanonicalJson.JSON.readTree(ts);
        String sig = doc.get("signatures").get(0).get("sig").asText();
        char c = sig.charAt(10);
        ((ObjectNode) doc.get("signatures").get(0)).put("sig", sig.substring(0, 10) + (c == '0' ? '1' : '0') + sig.substring(11));
        byte[] flipped = CanonicalJson.JSON.writeValueAsBytes(doc);
        TrustedMetadata t = TrustedMetadata.fromRoot(file("1.root.json"));
        refused(FindingCode.REPO_SIGNATURE_INVALID, () -> t.withTimestamp(flipped, RepoFixture.NOW));
        // a flipped byte in the signed content instead
        byte[] content = new String(ts, java.nio.charset.StandardCharsets.UTF_8).replace("\"version\":3", "\"version\":4")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        refused(FindingCode.REPO_SIGNATURE_INVALID, () -> t.withTimestamp(content, RepoFixture.NOW));
    }

    @Test
    void thresholdNotMetAndAKeyListedTwice() throws Exception {
        TrustedMetadata s = TrustedMetadata.fromRoot(file("1.root.json")).withTimestamp(file("timestamp.json"), RepoFixture.NOW)
                .withSnapshot(file("3.snapshot.json"), RepoFixture.NOW);
        // targets role 2 of 2: one of the two signatures removed (no length/hash in the way: a snapshot without them)
        ObjectNode doc = (ObjectNode) CanonicalJson.JSON.readTree(file("3.targets.json"));
        ((com.fasterxml.jackson.databind.node.ArrayNode) doc.get("signatures")).remove(1);
        byte[] oneSig = CanonicalJson.JSON.writeValueAsBytes(doc);
        byte[] snap = forge(file("3.snapshot.json"), x -> ((ObjectNode) x.get("meta").get("targets.json")).remove(List.of("length", "hashes")),
                "snapshot-1");
        byte[] ts = forge(file("timestamp.json"), x -> ((ObjectNode) x.get("meta").get("snapshot.json")).remove(List.of("length", "hashes")),
                "timestamp-1");
        TrustedMetadata t = TrustedMetadata.fromRoot(file("1.root.json")).withTimestamp(ts, RepoFixture.NOW).withSnapshot(snap, RepoFixture.NOW);
        refused(FindingCode.REPO_THRESHOLD_UNMET, () -> t.withTargets(oneSig, RepoFixture.NOW));
        assertSame(null, t.targets());

        // a root listing one targets key under two key ids, threshold 2: the one key signing twice counts once
        ObjectNode root = (ObjectNode) CanonicalJson.JSON.readTree(file("1.root.json")).get("signed");
        String k1 = root.get("roles").get("targets").get("keyids").get(0).asText();
        ((ObjectNode) root.get("keys")).set("dup-" + k1, root.get("keys").get(k1).deepCopy());
        ObjectNode targetsRole = (ObjectNode) root.get("roles").get("targets");
        targetsRole.putArray("keyids").add(k1).add("dup-" + k1);
        byte[] dupRoot = sign(root, "root-1");
        ObjectNode targets = (ObjectNode) CanonicalJson.JSON.readTree(file("3.targets.json")).get("signed");
        List<Metadata.Sig> sigs = new ArrayList<>(Metadata.parse("t", file("3.targets.json"), "targets").signatures().stream()
                .filter(x -> x.keyId().equals(k1)).toList());
        sigs.add(new Metadata.Sig("dup-" + k1, sigs.get(0).value()));
        byte[] twice = Metadata.document(targets, sigs);
        TrustedMetadata d = TrustedMetadata.fromRoot(dupRoot).withTimestamp(ts, RepoFixture.NOW).withSnapshot(snap, RepoFixture.NOW);
        refused(FindingCode.REPO_THRESHOLD_UNMET, () -> d.withTargets(twice, RepoFixture.NOW));
        assertEquals(3, s.snapshot().metadata().version());
    }

    @Test
    void rootRotationSignedByOldAndNewIsAcceptedOneWithoutTheOldRootIsRefused() throws Exception {
        RepositoryKeys keys = RepositoryKeys.load(tmp.resolve("keys"));
        TufKey newKey = keys.createIfMissing("root-new", RepositoryKeys.KeyType.ECDSA_P256);
        ObjectNode root2 = (ObjectNode) CanonicalJson.JSON.readTree(file("1.root.json")).get("signed");
        root2.put("version", 2);
        ((ObjectNode) root2.get("keys")).set(newKey.keyId(), newKey.json());
        ((ObjectNode) root2.get("roles").get("root")).putArray("keyids").add(newKey.keyId());
        TrustedMetadata t = TrustedMetadata.fromRoot(file("1.root.json"));
        TrustedMetadata rotated = t.withRoot(sign(root2, "root-1", "root-new"));
        assertEquals(2, rotated.root().metadata().version());
        rotated.checkRootFresh(RepoFixture.NOW);
        // the same new root signed only by its own new key: the trusted root's keys did not approve it (§5.3.4)
        refused(FindingCode.REPO_THRESHOLD_UNMET, () -> t.withRoot(sign(root2, "root-new")));
        // a root that skips a version
        ObjectNode root3 = root2.deepCopy().put("version", 3);
        refused(FindingCode.REPO_ROLLBACK, () -> t.withRoot(sign(root3, "root-1", "root-new")));
        assertEquals(1, t.root().metadata().version());
    }

    @Test
    void unchangedTimestampChangesNothing() throws Exception {
        TrustedMetadata t = trusted();
        assertSame(t, t.withTimestamp(file("timestamp.json"), RepoFixture.NOW));
        assertEquals(true, t.targetsCurrent());
    }
}
