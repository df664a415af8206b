package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.node.Node;
import org.veripack.node.NodeFiles;
import org.veripack.node.NodeTrust;

/** {@link NodeUpdate} through its Java API: time bounds that need short timeouts, and a directory as the repository. */
class NodeUpdateTest {
    @TempDir Path tmp;

    private Node node() throws Exception {
        Path anchor = tmp.resolve("anchor.pem");
        TestPki.writeCertificatesPem(anchor, RepoFixture.VENDOR_ROOT.certificate());
        Path root = tmp.resolve("node");
        NodeTrust.of(root).setAnchors(List.of(anchor));
        return Node.open(root, RepoFixture.CLOCK);
    }

    /** An update of {@code node} from the directory repository {@code tmp/repo}, its first root pinned. */
    private static final Duration DAY = Duration.ofDays(1);

    /** A repository in {@code tmp/repo} (Ed25519 keys in {@code tmp/keys}) listing {@code packages}. */
    private TufRepository repository(Path... packages) throws Exception {
        TufRepository repo = TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), TufRepository.defaultRoles(),
                RepositoryKeys.KeyType.ED25519, RepoFixture.CLOCK);
        for (Path p : packages) {
            repo.add(p, RepoFixture.verifier(), DAY, DAY, DAY);
        }
        return repo;
    }

    /** An update of {@code node} from {@code tmp/repo}, its 1.root.json pinned. */
    private NodeUpdate pinnedUpdate(Node node) throws Exception {
        NodeUpdate u = update(node);
        assertTrue(u.pin(Files.readAllBytes(tmp.resolve("repo/metadata/1.root.json"))));
        return u;
    }

    /** A new update of {@code node} from {@code tmp/repo}, as each poll of the agent makes one. */
    private NodeUpdate update(Node node) {
        return new NodeUpdate(node, NodeUpdate.Transport.of(tmp.resolve("repo").toString(), TrustPolicy.FetchTimeouts.DEFAULT),
                RepoFixture.CLOCK, RevocationSource.offline());
    }

    @Test
    void aServerThatSendsHeadersAndThenNothingIsRefusedAtTheTimeBound() throws Exception {
        TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519,
                RepoFixture.CLOCK);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService ex = Executors.newCachedThreadPool();
        CountDownLatch release = new CountDownLatch(1);
        server.setExecutor(ex);
        server.createContext("/", h -> {
            if (h.getRequestURI().getPath().endsWith(".root.json")) {
                h.sendResponseHeaders(404, -1);
                h.close();
                return;
            }
            h.sendResponseHeaders(200, 0);
            h.getResponseBody().write('{');
            h.getResponseBody().flush();
            try {
                release.await(60, TimeUnit.SECONDS); // silent: a slow-retrieval attack
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            h.close();
        });
        server.start();
        try {
            Node node = node();
            NodeUpdate u = new NodeUpdate(node, NodeUpdate.Transport.of("http://127.0.0.1:" + server.getAddress().getPort(),
                    new TrustPolicy.FetchTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(3))),
                    RepoFixture.CLOCK, RevocationSource.offline());
            u.pin(Files.readAllBytes(tmp.resolve("repo/metadata/1.root.json")));
            long start = System.nanoTime();
            NodeUpdate.Result r = u.update(null);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertEquals(NodeUpdate.Outcome.REFUSED, r.outcome());
            assertEquals(FindingCode.REPO_LIMIT_EXCEEDED, r.finding().code());
            assertTrue(seconds < 10, "refused at the 1 s read bound, took " + seconds + " s");
            assertFalse(Files.exists(NodeFiles.updateState(node.root()).resolve("timestamp.json")));
        } finally {
            release.countDown();
            server.stop(0);
            ex.shutdownNow();
        }
    }

    @Test
    void aDirectoryRepositoryInstallsAndAWithheldSnapshotKeepsTheOldOneAsTheFloorAcrossARestart() throws Exception {
        TufRepository repo = TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), TufRepository.defaultRoles(),
                RepositoryKeys.KeyType.ECDSA_P256, RepoFixture.CLOCK);
        repo.add(RepoFixture.csar(tmp, "acme-mme", "1.0"), RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
        Node node = node();
        NodeUpdate.Transport dir = NodeUpdate.Transport.of(tmp.resolve("repo").toString(), TrustPolicy.FetchTimeouts.DEFAULT);
        NodeUpdate u = new NodeUpdate(node, dir, RepoFixture.CLOCK, RevocationSource.offline());
        assertTrue(u.pin(Files.readAllBytes(tmp.resolve("repo/metadata/1.root.json"))));
        assertFalse(u.pin(Files.readAllBytes(tmp.resolve("repo/metadata/1.root.json"))), "the same root again changes nothing");
        assertEquals(NodeUpdate.Outcome.INSTALLED, u.update(null).outcome());
        assertEquals("1.0", node.status().active().orElseThrow().identity().version());

        // a new timestamp whose snapshot is then withheld: the new timestamp is trusted and persisted, the old snapshot
        // stays the rollback floor across a new process (restore), and the run is refused, nothing installed
        repo.add(RepoFixture.csar(tmp, "acme-mme", "2.0"), RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
        Path snap3 = tmp.resolve("repo/metadata/3.snapshot.json");
        byte[] kept = Files.readAllBytes(snap3);
        Files.delete(snap3);
        NodeUpdate.Result withheld = new NodeUpdate(node, dir, RepoFixture.CLOCK, RevocationSource.offline()).update(null);
        assertEquals(NodeUpdate.Outcome.UNREACHABLE, withheld.outcome());
        assertEquals("1.0", node.status().active().orElseThrow().identity().version());
        Files.write(snap3, kept);
        NodeUpdate.Result later = new NodeUpdate(Node.open(node.root(), RepoFixture.CLOCK), dir, RepoFixture.CLOCK, RevocationSource.offline())
                .update(null);
        assertEquals(NodeUpdate.Outcome.INSTALLED, later.outcome(), String.valueOf(later.finding()));
        assertEquals("2.0", node.status().active().orElseThrow().identity().version());
        assertEquals(List.of("metadata/2.root.json", "metadata/timestamp.json", "metadata/3.snapshot.json", "metadata/3.targets.json",
                later.requests().get(4)), later.requests());
    }

    /**
     * A target whose claimed version is below the node's anti-rollback floor (here: 2.0 installed by hand, the
     * repository listing only 1.0; the same as a release withdrawn after the node activated it) is refused before it
     * is downloaded, at every poll: {@code VERSION_ROLLBACK}, no request for the target, the refusal audited, 2.0
     * running. Before, each poll downloaded the package only for the install to refuse it.
     */
    @Test
    void aTargetBelowTheVersionFloorIsRefusedWithoutDownloadingIt() throws Exception {
        repository(RepoFixture.csar(tmp, "acme-mme", "1.0"));
        Node node = node();
        assertEquals(org.veripack.node.InstallResult.Outcome.ACTIVATED,
                node.install(RepoFixture.csar(tmp, "acme-mme", "2.0"), RevocationSource.offline()).outcome());
        pinnedUpdate(node);
        for (String wanted : java.util.Arrays.asList(null, "1.0", null)) {
            NodeUpdate.Result r = update(node).update(null, wanted);
            assertEquals(NodeUpdate.Outcome.REJECTED, r.outcome(), String.valueOf(r.finding()));
            assertEquals(FindingCode.VERSION_ROLLBACK, r.finding().code());
            assertEquals("1.0", r.version());
            assertEquals(null, r.install());
            assertFalse(r.requests().stream().anyMatch(p -> p.startsWith("targets/")), r.requests()::toString);
            assertEquals("2.0", node.status().active().orElseThrow().identity().version());
            List<String> lines = Files.readAllLines(node.root().resolve("audit/events.jsonl"));
            String last = lines.get(lines.size() - 1);
            assertTrue(last.contains("\"update.refused\"") && last.contains("VERSION_ROLLBACK") && last.contains("not downloaded"), last);
        }
        assertFalse(Files.exists(NodeFiles.updateCache(node.root())) && Files.list(NodeFiles.updateCache(node.root())).findAny().isPresent());
    }

    /**
     * The active version is not refused before its download even when it is below the floor (after a rollback): the
     * repository's copy of 1.0 (the same entries, other file bytes: a zip comment) is downloaded and the install finds
     * the active package in it (already active, its slot re-verified), as the install decides for any package.
     */
    @Test
    void theActiveVersionBelowTheFloorAfterARollbackIsStillLeftToTheInstall() throws Exception {
        TufRepository repo = repository();
        Path local = RepoFixture.csar(tmp, "acme-mme", "1.0");
        byte[] b = Files.readAllBytes(local);
        int end = b.length - 22; // the end-of-central-directory record, without a comment
        assertTrue(b[end] == 'P' && b[end + 1] == 'K' && b[end + 2] == 5 && b[end + 3] == 6 && b[end + 20] == 0 && b[end + 21] == 0);
        byte[] comment = "repacked".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        b[end + 20] = (byte) comment.length;
        Path published = Files.createDirectories(tmp.resolve("published")).resolve("acme-mme-1.0.csar");
        Files.write(published, b);
        Files.write(published, comment, java.nio.file.StandardOpenOption.APPEND);
        repo.add(published, RepoFixture.verifier(), DAY, DAY, DAY);
        Node node = node();
        node.install(local, RevocationSource.offline());
        node.install(RepoFixture.csar(tmp, "acme-mme", "2.0"), RevocationSource.offline());
        node.rollback();
        assertEquals("1.0", node.status().active().orElseThrow().identity().version());
        assertEquals("2.0", node.status().highestActivated().get("acme-mme"));
        NodeUpdate.Result r = pinnedUpdate(node).update(null);
        assertEquals(NodeUpdate.Outcome.INSTALLED, r.outcome(), r.finding() + " " + (r.install() == null ? "" : r.install().report().findings()));
        assertEquals(org.veripack.node.InstallResult.Outcome.ALREADY_ACTIVE, r.install().outcome());
        assertTrue(r.requests().stream().anyMatch(p -> p.startsWith("targets/")), r.requests()::toString);
        assertEquals("1.0", node.status().active().orElseThrow().identity().version());
    }

    /**
     * After a rollback (1.0 active, floor 2.0) the active slot's sealed record is damaged, so the node's status no
     * longer names the active version: the repository's 1.0, the active package, is still downloaded and the install
     * repairs the active slot from it. A refusal before the download, judged on the record's identity, would have
     * left the damaged slot in place at every poll.
     */
    @Test
    void theActiveVersionBelowTheFloorWhoseRecordIsDamagedIsStillRepaired() throws Exception {
        TufRepository repo = repository();
        Path v1 = RepoFixture.csar(tmp, "acme-mme", "1.0");
        repo.add(v1, RepoFixture.verifier(), DAY, DAY, DAY);
        Node node = node();
        node.install(v1, RevocationSource.offline());
        node.install(RepoFixture.csar(tmp, "acme-mme", "2.0"), RevocationSource.offline());
        node.rollback();
        String slot = node.status().active().orElseThrow().slot();
        Path record = node.root().resolve("state/slots/" + slot + ".json");
        record.toFile().setWritable(true);
        Files.writeString(record, "{ damaged");
        assertEquals(null, node.status().active().orElseThrow().identity());
        assertEquals("2.0", node.status().highestActivated().get("acme-mme"));
        NodeUpdate.Result r = pinnedUpdate(node).update(null);
        assertEquals(NodeUpdate.Outcome.INSTALLED, r.outcome(), String.valueOf(r.finding()));
        assertEquals(org.veripack.node.InstallResult.Outcome.REPAIRED, r.install().outcome());
        assertEquals("1.0", node.status().active().orElseThrow().identity().version());
        assertEquals("2.0", node.status().highestActivated().get("acme-mme"));
    }

    /**
     * The exemption of the active version does not let another package through: after a rollback (1.0 active, floor
     * 2.0) the repository lists another vendor-signed build of acme-mme 1.0 (one more file): it claims the active
     * name and version, so it is downloaded, and the install, finding it is not the active package, refuses it by the
     * floor; the active slot is unchanged.
     */
    @Test
    void anotherBuildClaimingTheActiveVersionBelowTheFloorIsRefusedByTheInstall() throws Exception {
        TufRepository repo = repository();
        Node node = node();
        node.install(RepoFixture.csar(tmp, "acme-mme", "1.0"), RevocationSource.offline());
        node.install(RepoFixture.csar(tmp, "acme-mme", "2.0"), RevocationSource.offline());
        node.rollback();
        String slot = node.status().active().orElseThrow().slot();
        Path tree = Files.createTempDirectory(tmp, "rebuild-");
        Files.createDirectories(tree.resolve("Files/bin"));
        Files.writeString(tree.resolve("Files/bin/prog"), "#!/bin/sh\necho another build\n");
        Files.writeString(tree.resolve("VERSION"), "1.0");
        Path rebuild = Files.createDirectories(tmp.resolve("rebuild")).resolve("acme-mme-1.0.csar");
        org.veripack.core.sign.CsarSigner.builder(RepoFixture.SIGNER.identity()).name("acme-mme").version("1.0")
                .clock(RepoFixture.CLOCK).conformanceChecks(false).build().writeOption1(tree, rebuild);
        repo.add(rebuild, RepoFixture.verifier(), DAY, DAY, DAY);
        NodeUpdate.Result r = pinnedUpdate(node).update(null);
        assertEquals(NodeUpdate.Outcome.REJECTED, r.outcome(), String.valueOf(r.finding()));
        assertEquals(org.veripack.node.InstallResult.Outcome.REJECTED, r.install().outcome());
        assertTrue(r.install().report().findings().stream().anyMatch(f -> f.code() == FindingCode.VERSION_ROLLBACK),
                r.install().report().findings()::toString);
        assertTrue(r.requests().stream().anyMatch(p -> p.startsWith("targets/")), r.requests()::toString);
        assertEquals(slot, node.status().active().orElseThrow().slot());
    }

    /**
     * Slow retrieval: a server that sends a file one byte at a time (each byte well within the read bound, so only a
     * total bound stops it) is cut at the minimum rate's bound for that file's size, not after the fetch timeouts'
     * hour: {@code timestamp.json}, then the target; the active version keeps running and each refusal is audited.
     * The test's minimum rate (2 s plus 8 KiB/s) makes the bounds seconds; the real ones are {@link NodeUpdate.MinimumRate#DEFAULT}.
     */
    @Test
    void aServerThatTricklesBytesIsCutAtTheMinimumRate() throws Exception {
        TufRepository repo = TufRepository.init(tmp.resolve("repo"), tmp.resolve("keys"), TufRepository.defaultRoles(),
                RepositoryKeys.KeyType.ED25519, RepoFixture.CLOCK);
        repo.add(RepoFixture.csar(tmp, "acme-mme", "1.0"), RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
        Path dir = tmp.resolve("repo");
        java.util.Set<String> trickled = java.util.concurrent.ConcurrentHashMap.newKeySet();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService ex = Executors.newCachedThreadPool();
        server.setExecutor(ex);
        server.createContext("/", h -> {
            String path = h.getRequestURI().getPath().substring(1);
            Path f = dir.resolve(path).normalize();
            if (!f.startsWith(dir) || !Files.isRegularFile(f)) {
                h.sendResponseHeaders(404, -1);
                h.close();
                return;
            }
            byte[] b = Files.readAllBytes(f);
            boolean slow = trickled.stream().anyMatch(path::endsWith);
            h.sendResponseHeaders(200, b.length);
            try (var out = h.getResponseBody()) {
                for (int i = 0; i < b.length; i += slow ? 1 : b.length) {
                    out.write(b, i, slow ? 1 : b.length);
                    out.flush();
                    if (slow) {
                        Thread.sleep(100); // 10 bytes/s: every byte within the 60 s read bound
                    }
                }
            } catch (IOException | InterruptedException abandonedByTheClient) {
                // the node cut the download
            }
        });
        server.start();
        try {
            Node node = node();
            NodeUpdate u = new NodeUpdate(node, NodeUpdate.Transport.of("http://127.0.0.1:" + server.getAddress().getPort(),
                    TrustPolicy.FetchTimeouts.DEFAULT, new NodeUpdate.MinimumRate(Duration.ofSeconds(2), 8192)),
                    RepoFixture.CLOCK, RevocationSource.offline());
            u.pin(Files.readAllBytes(dir.resolve("metadata/1.root.json")));
            assertEquals(NodeUpdate.Outcome.INSTALLED, u.update(null).outcome());
            byte[] trustedTimestamp = Files.readAllBytes(NodeFiles.updateState(node.root()).resolve("timestamp.json"));

            repo.add(RepoFixture.csar(tmp, "acme-mme", "2.0"), RepoFixture.verifier(), Duration.ofDays(1), Duration.ofDays(1), Duration.ofDays(1));
            trickled.add("metadata/timestamp.json"); // bound: 2 s + 16 KiB at 8 KiB/s = 4 s
            long start = System.nanoTime();
            NodeUpdate.Result r = u.update(null);
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertEquals(NodeUpdate.Outcome.REFUSED, r.outcome());
            assertEquals(FindingCode.REPO_LIMIT_EXCEEDED, r.finding().code());
            assertTrue(seconds >= 3 && seconds < 10, "cut at the 4 s bound, took " + seconds + " s");
            assertEquals("1.0", node.status().active().orElseThrow().identity().version());
            assertTrue(java.util.Arrays.equals(trustedTimestamp, Files.readAllBytes(NodeFiles.updateState(node.root()).resolve("timestamp.json"))));
            assertEquals("update.refused REPO_LIMIT_EXCEEDED", lastEvent(node));

            trickled.clear();
            trickled.add(".acme-mme-2.0.csar"); // the target: 2 s + its signed length (a few KiB) at 8 KiB/s
            start = System.nanoTime();
            r = u.update(null);
            seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            assertEquals(NodeUpdate.Outcome.REFUSED, r.outcome());
            assertEquals(FindingCode.REPO_LIMIT_EXCEEDED, r.finding().code());
            assertTrue(seconds < 10, "cut at the target's bound, took " + seconds + " s");
            assertEquals("1.0", node.status().active().orElseThrow().identity().version());
            assertEquals("update.refused REPO_LIMIT_EXCEEDED", lastEvent(node));

            trickled.clear(); // the same files at full speed pass their bounds
            assertEquals(NodeUpdate.Outcome.INSTALLED, u.update(null).outcome());
            assertEquals("2.0", node.status().active().orElseThrow().identity().version());
        } finally {
            server.stop(0);
            ex.shutdownNow();
        }
    }

    /** The node's last audit event and its first finding code. */
    private static String lastEvent(Node node) throws IOException {
        List<String> lines = Files.readAllLines(node.root().resolve("audit/events.jsonl"));
        var e = org.veripack.repo.tuf.CanonicalJson.JSON.readTree(lines.get(lines.size() - 1));
        return e.get("event").asText() + (e.get("findings").isEmpty() ? "" : " " + e.get("findings").get(0).asText());
    }
}
