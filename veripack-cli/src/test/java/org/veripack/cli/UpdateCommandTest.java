package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.pki.TestPki;
import org.veripack.node.Node;
import org.veripack.node.NodeStatus;

/**
 * {@code veripack update} against a real repository written by {@code veripack repo}, served over HTTP on 127.0.0.1
 * by a real server (the JDK's), installing on a real node root whose trust store holds the vendor's root only.
 */
class UpdateCommandTest {
    @TempDir Path tmp;

    static final TestPki.Issued VENDOR_ROOT = TestPki.cert("CN=Update Vendor Root,O=Acme").ca(true).build();
    static final TestPki.Issued SIGNER = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(VENDOR_ROOT).build();
    static final TestPki.Issued ROGUE_ROOT = TestPki.cert("CN=Rogue Root,O=Evil").ca(true).build();
    static final TestPki.Issued ROGUE = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ROGUE_ROOT).build();

    Path repo;
    Path keys;
    Path anchor;
    Path node;
    HttpServer server;
    ExecutorService executor;
    final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    /** Paths the server answers with a handler of the test instead of the file. */
    final Map<String, HttpHandler> overrides = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        repo = tmp.resolve("repo");
        keys = tmp.resolve("keys");
        node = tmp.resolve("node");
        anchor = tmp.resolve("vendor-root.pem");
        TestPki.writeCertificatesPem(anchor, VENDOR_ROOT.certificate());
        assertEquals(ExitCode.OK, Main.execute("repo", "init", repo.toString(), "--keys", keys.toString()));
        assertEquals(ExitCode.OK, Main.execute("trust", "set", "--root", node.toString(), "--trust", anchor.toString()));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        requests.add(path);
        HttpHandler h = overrides.get(path);
        if (h != null) {
            h.handle(ex);
            return;
        }
        Path f = repo.resolve(path.substring(1)).normalize();
        if (!f.startsWith(repo) || !Files.isRegularFile(f)) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        byte[] b = Files.readAllBytes(f);
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    /** The repository's URL: nginx's when a test serves it with nginx, else the JDK server's. */
    String nginxUrl;

    private String url() {
        return nginxUrl != null ? nginxUrl : "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    private Path csar(String name, String version, TestPki.Issued signer) throws Exception {
        return RepoCommandTest.csar(tmp, name, version, signer);
    }

    private void publish(String version) throws Exception {
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), csar("acme-mme", version, SIGNER).toString(),
                "--keys", keys.toString(), "--trust", anchor.toString()));
    }

    record Run(int exit, JsonNode json, String err) { }

    /** {@code veripack update --json} against the served repository; the first run pins the repository's 1.root.json. */
    private Run update(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("update", "--root", node.toString(), "--repo", url(), "--json"));
        if (!Files.exists(node.resolve("config/repository-root.json"))) {
            args.addAll(List.of("--repo-root", repo.resolve("metadata/1.root.json").toString()));
        }
        args.addAll(List.of(extra));
        PrintStream old = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        String out = b.toString(StandardCharsets.UTF_8);
        return new Run(exit, out.isBlank() ? null : NodeOutput.JSON.readTree(out), e.toString(StandardCharsets.UTF_8));
    }

    private String activeVersion() throws IOException {
        NodeStatus s = Node.openExisting(node, Clock.systemUTC()).status();
        return s.active().map(a -> a.identity().version()).orElse(null);
    }

    private List<String> auditEvents() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(node.resolve("audit/events.jsonl"))) {
            JsonNode e = NodeOutput.JSON.readTree(line);
            out.add(e.get("event").asText() + (e.get("findings").isEmpty() ? "" : " " + e.get("findings").get(0).asText()));
        }
        return out;
    }

    private static String code(Run r) {
        return r.json().path("finding").path("code").asText(null);
    }

    @Test
    void installsV1ThenV2AfterRepoAddAndNothingNewIsOneSmallRequest() throws Exception {
        publish("1.0");
        Run first = update();
        assertEquals(ExitCode.OK, first.exit(), String.valueOf(first.json()));
        assertEquals("INSTALLED", first.json().get("outcome").asText());
        assertEquals("1.0", activeVersion());
        assertTrue(Files.isRegularFile(node.resolve("config/repository-root.json")));
        assertTrue(Files.isRegularFile(node.resolve("state/tuf/timestamp.json")));
        assertTrue(auditEvents().containsAll(List.of("update.pinned", "update.refreshed", "install.accepted")), auditEvents().toString());

        // nothing new: the next root version (404) and timestamp.json, nothing else; nothing changes
        byte[] stateBefore = Files.readAllBytes(node.resolve("state/tuf/timestamp.json"));
        requests.clear();
        Run again = update();
        assertEquals(ExitCode.OK, again.exit());
        assertEquals("UP_TO_DATE", again.json().get("outcome").asText());
        assertEquals(List.of("/metadata/2.root.json", "/metadata/timestamp.json"), requests);
        assertEquals("1.0", activeVersion());
        assertTrue(java.util.Arrays.equals(stateBefore, Files.readAllBytes(node.resolve("state/tuf/timestamp.json"))));

        publish("2.0");
        Run second = update();
        assertEquals(ExitCode.OK, second.exit(), String.valueOf(second.json()));
        assertEquals("acme-mme-2.0.csar", second.json().get("target").asText());
        assertEquals("2.0", activeVersion());
        try (var cached = Files.list(node.resolve("cache/update"))) {
            assertEquals(0, cached.count(), "the downloaded target is removed once installed");
        }
    }

    @Test
    void toInstallsTheApprovedVersionNotTheNewestAndTheNodeFloorStillHolds() throws Exception {
        publish("1.0");
        publish("2.0");
        publish("3.0");
        Run pinned = update("--to", "2.0");
        assertEquals(ExitCode.OK, pinned.exit(), String.valueOf(pinned.json()));
        assertEquals("acme-mme-2.0.csar", pinned.json().get("target").asText());
        assertEquals("2.0", activeVersion());

        Run unlisted = update("--to", "2.5");
        assertEquals(ExitCode.REJECTED, unlisted.exit());
        assertEquals("REPO_TARGET_UNKNOWN", code(unlisted));
        assertEquals("2.0", activeVersion());

        // an approved but older version is still the node's anti-rollback decision, taken before the download
        Run older = update("--to", "1.0");
        assertEquals(ExitCode.REJECTED, older.exit(), String.valueOf(older.json()));
        assertEquals("VERSION_ROLLBACK", code(older));
        assertTrue(older.json().path("install").isNull(), String.valueOf(older.json()));
        assertTrue(older.err().contains("without downloading it"), older.err());
        older.json().path("requests").forEach(r -> assertFalse(r.asText().startsWith("targets/"), String.valueOf(older.json())));
        assertEquals("2.0", activeVersion());

        Run newest = update();
        assertEquals(ExitCode.OK, newest.exit());
        assertEquals("3.0", activeVersion());
    }

    @Test
    void aTargetWhoseBytesChangedOnTheServerIsRefusedAndTheActiveVersionKeepsRunning() throws Exception {
        publish("1.0");
        assertEquals(ExitCode.OK, update().exit());
        publish("2.0");
        Path target;
        try (var s = Files.list(repo.resolve("targets"))) {
            target = s.filter(p -> p.getFileName().toString().endsWith(".acme-mme-2.0.csar")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(target);
        b[b.length / 2] ^= 1; // same length, one bit flipped
        Files.write(target, b);
        Run r = update();
        assertEquals(ExitCode.REJECTED, r.exit());
        assertEquals("REPO_TARGET_MISMATCH", code(r));
        assertEquals("1.0", activeVersion());
        assertTrue(auditEvents().contains("update.refused REPO_TARGET_MISMATCH"), auditEvents().toString());

        // larger than its signed length: the download stops at the signed length
        Files.write(target, new byte[(int) Files.size(target) + 100_000]);
        Run longer = update();
        assertEquals(ExitCode.REJECTED, longer.exit());
        assertEquals("REPO_LIMIT_EXCEEDED", code(longer));
        assertTrue(longer.json().path("finding").path("actual").asText().startsWith("more than "), longer.json().toString());
        assertEquals("1.0", activeVersion());
    }

    @Test
    void anEndlessServerIsRefusedWithinTheBound() throws Exception {
        publish("1.0");
        overrides.put("/metadata/timestamp.json", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, never ends
            byte[] block = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                while (true) {
                    out.write(block);
                }
            } catch (IOException closedByTheClient) {
                // the client abandoned the download
            }
        });
        long start = System.nanoTime();
        Run r = update();
        assertEquals(ExitCode.REJECTED, r.exit());
        assertEquals("REPO_LIMIT_EXCEEDED", code(r));
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "refused within the size bound, not after the time bound");
        assertNull(activeVersion());
        assertFalse(Files.exists(node.resolve("state/tuf/timestamp.json")));
        assertTrue(auditEvents().contains("update.refused REPO_LIMIT_EXCEEDED"), auditEvents().toString());
    }

    @Test
    void aReplayedOldTimestampIsARollback() throws Exception {
        publish("1.0");
        byte[] old = Files.readAllBytes(repo.resolve("metadata/timestamp.json"));
        assertEquals(ExitCode.OK, update().exit());
        publish("2.0");
        assertEquals(ExitCode.OK, update().exit());
        byte[] trusted = Files.readAllBytes(node.resolve("state/tuf/timestamp.json"));
        Files.write(repo.resolve("metadata/timestamp.json"), old); // a genuine, older, still unexpired timestamp
        Run r = update();
        assertEquals(ExitCode.REJECTED, r.exit());
        assertEquals("REPO_ROLLBACK", code(r));
        assertEquals("2.0", activeVersion());
        assertTrue(java.util.Arrays.equals(trusted, Files.readAllBytes(node.resolve("state/tuf/timestamp.json"))));
        assertTrue(auditEvents().contains("update.refused REPO_ROLLBACK"), auditEvents().toString());
    }

    @Test
    void aPackageListedByTheRepositoryButNotTrustedByTheNodeIsRejectedByTheNode() throws Exception {
        publish("1.0");
        assertEquals(ExitCode.OK, update().exit());
        // the publisher's policy trusts the rogue root too; the node's does not
        Path rogueAnchor = tmp.resolve("rogue-root.pem");
        TestPki.writeCertificatesPem(rogueAnchor, ROGUE_ROOT.certificate());
        assertEquals(ExitCode.OK, Main.execute("repo", "add", repo.toString(), csar("acme-mme", "3.0", ROGUE).toString(),
                "--keys", keys.toString(), "--trust", rogueAnchor.toString()));
        Run r = update();
        assertEquals(ExitCode.REJECTED, r.exit());
        assertEquals("REJECTED", r.json().get("outcome").asText());
        assertEquals("SIGNER_UNTRUSTED", r.json().path("install").path("report").path("findings").get(0).path("code").asText());
        assertEquals("1.0", activeVersion());
        assertTrue(auditEvents().contains("install.rejected SIGNER_UNTRUSTED"), auditEvents().toString());
    }

    @Test
    void aDifferentRootIsNotPinnedOverThePinnedOneAndAnUnreachableRepositoryIsExit3() throws Exception {
        publish("1.0");
        assertEquals(ExitCode.OK, update().exit());
        Path other = tmp.resolve("other");
        assertEquals(ExitCode.OK, Main.execute("repo", "init", other.toString(), "--keys", tmp.resolve("other-keys").toString()));
        byte[] pinned = Files.readAllBytes(node.resolve("config/repository-root.json"));
        assertEquals(ExitCode.REJECTED, Main.execute("update", "--root", node.toString(), "--repo", url(),
                "--repo-root", other.resolve("metadata/1.root.json").toString()));
        assertTrue(java.util.Arrays.equals(pinned, Files.readAllBytes(node.resolve("config/repository-root.json"))));
        assertTrue(auditEvents().contains("update.refused REPO_ROOT_MISMATCH"), auditEvents().toString());

        server.stop(0);
        Run r = update();
        assertEquals(ExitCode.IO, r.exit());
        assertEquals("REPO_UNREACHABLE", code(r));
        assertFalse(r.json().path("finding").path("detail").asText().contains("null"), r.json().toString()); // a reason, not "null"
        assertEquals("1.0", activeVersion());
    }

    /**
     * A repository location that is neither an http(s) URL nor a directory is a usage error (exit 2) before anything is
     * read or written: a malformed URL, no host, another scheme (never taken as a relative directory named "ftp:").
     */
    @Test
    void aRepositoryThatIsNotAnHttpUrlOrADirectoryIsAUsageError() throws Exception {
        for (String bad : List.of("http://[::1", "ftp://repo.example/acme/", "file:///etc", "http:///metadata", "http://127.0.0.1:99999/", "HTTPS//x:y")) {
            SignVerifyCommandTest.Run r = SignVerifyCommandTest.run("update", "--root", node.toString(), "--repo", bad,
                    "--repo-root", repo.resolve("metadata/1.root.json").toString());
            if (bad.equals("HTTPS//x:y")) { // no scheme: a relative directory, which does not exist
                assertEquals(ExitCode.IO, r.exit(), r.err());
                continue;
            }
            assertEquals(ExitCode.USAGE, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().startsWith("veripack update: --repo " + bad + ": "), r.err());
            assertFalse(r.err().contains("internal error"), r.err());
            assertFalse(Files.exists(node.resolve("config/repository-root.json")), "nothing pinned");
        }
    }

    @Test
    void aRootRotationIsWalkedByTheNodeAndOneNotSignedByTheOldRootIsRefused() throws Exception {
        publish("1.0");
        assertEquals(ExitCode.OK, update().exit());
        // legitimate: the root key is replaced; 2.root.json is signed by the old key and the new one
        org.veripack.repo.RepositoryKeys.load(keys).createIfMissing("root-2", org.veripack.repo.RepositoryKeys.KeyType.ECDSA_P256);
        assertEquals(ExitCode.OK, Main.execute("repo", "rotate-root", repo.toString(), "--keys", keys.toString(),
                "--add-key", "root=" + keys.resolve("root-2.pem"), "--remove-key", "root=" + keys.resolve("root-1.pem")));
        assertTrue(Files.isRegularFile(repo.resolve("metadata/2.root.json")));
        Files.move(keys.resolve("root-1.pem"), tmp.resolve("retired-root-1.pem")); // the old key is retired
        publish("2.0");
        Run rotated = update();
        assertEquals(ExitCode.OK, rotated.exit(), String.valueOf(rotated.json()));
        assertTrue(rotated.json().get("requests").toString().contains("/2.root.json"), rotated.json().toString());
        assertTrue(rotated.json().get("trusted").asText().startsWith("root 2"), rotated.json().toString());
        assertEquals("2.0", activeVersion());

        // the attack: a 3.root.json made by someone without the current root key (signed by their own key only),
        // served by the repository
        Path evil = tmp.resolve("evil-keys");
        org.veripack.repo.RepositoryKeys.load(evil).createIfMissing("root-evil", org.veripack.repo.RepositoryKeys.KeyType.ED25519);
        assertEquals(ExitCode.OK, Main.execute("repo", "rotate-root", repo.toString(), "--keys", evil.toString(),
                "--add-key", "root=" + evil.resolve("root-evil.pem"), "--remove-key", "root=" + keys.resolve("root-2.pem")));
        Files.move(repo.resolve("staged/3.root.json"), repo.resolve("metadata/3.root.json"));
        byte[] trustedRoot = Files.readAllBytes(node.resolve("state/tuf/root.json"));
        Run r = update();
        assertEquals(ExitCode.REJECTED, r.exit(), String.valueOf(r.json()));
        assertEquals("REPO_THRESHOLD_UNMET", code(r));
        assertEquals("3.root.json", r.json().path("finding").path("subject").asText());
        assertEquals("2.0", activeVersion());
        assertTrue(java.util.Arrays.equals(trustedRoot, Files.readAllBytes(node.resolve("state/tuf/root.json"))));
        assertTrue(auditEvents().contains("update.refused REPO_THRESHOLD_UNMET"), auditEvents().toString());
    }

    /** Requests and bytes nginx sent (headers and body) for the access log lines of one run: {@code [requests, bytes]}. */
    private static long[] traffic(List<String> accessLog) {
        long bytes = 0;
        for (String line : accessLog) {
            bytes += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
        }
        return new long[] {accessLog.size(), bytes};
    }

    @Test
    void servedByNginxTheNodeUpdatesAndAReplayedOldTimestampIsARollback() throws Exception {
        // nginx's worker runs as nobody when the test runs as root: the served tree must be world-readable
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Nginx nginx = Nginx.serve(repo, Files.createDirectories(tmp.resolve("nginx")))) {
            nginxUrl = nginx.url();
            publish("1.0");
            byte[] old = Files.readAllBytes(repo.resolve("metadata/timestamp.json"));
            Run first = update();
            assertEquals(ExitCode.OK, first.exit(), String.valueOf(first.json()));
            assertEquals("1.0", activeVersion());
            List<String> firstLog = nginx.takeAccessLog();
            assertTrue(firstLog.stream().anyMatch(l -> l.matches("/targets/[0-9a-f]{64}\\.acme-mme-1\\.0\\.csar 200 .*")), firstLog.toString());

            // nothing changed: the next root (404) and timestamp.json, as nginx logged them
            assertEquals("UP_TO_DATE", update().json().get("outcome").asText());
            List<String> idle = nginx.takeAccessLog();
            assertEquals(List.of("/metadata/2.root.json 404", "/metadata/timestamp.json 200"),
                    idle.stream().map(l -> l.substring(0, l.lastIndexOf(' '))).toList());
            publish("2.0");
            Run second = update();
            assertEquals(ExitCode.OK, second.exit(), String.valueOf(second.json()));
            assertEquals("2.0", activeVersion());
            List<String> changed = nginx.takeAccessLog();
            assertEquals(5, changed.size(), changed.toString()); // root 404, timestamp, snapshot, targets, the package
            long[] i = traffic(idle);
            long[] c = traffic(changed);
            System.out.println("nginx-measured poll: nothing changed " + i[0] + " requests " + i[1] + " bytes; one package changed "
                    + c[0] + " requests " + c[1] + " bytes (package " + Files.size(csar("acme-mme", "2.0", SIGNER)) + " bytes): " + changed);

            // the attacker serves yesterday's genuine timestamp through nginx
            Files.write(repo.resolve("metadata/timestamp.json"), old);
            Run r = update();
            assertEquals(ExitCode.REJECTED, r.exit(), String.valueOf(r.json()));
            assertEquals("REPO_ROLLBACK", code(r));
            List<String> replay = nginx.takeAccessLog();
            assertTrue(replay.stream().anyMatch(l -> l.startsWith("/metadata/timestamp.json 200 ") && traffic(List.of(l))[1] > old.length),
                    "nginx served the replayed file: " + replay);
            assertEquals("2.0", activeVersion());
            assertTrue(auditEvents().contains("update.refused REPO_ROLLBACK"), auditEvents().toString());
        }
    }
}
