package org.veripack.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
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
}
