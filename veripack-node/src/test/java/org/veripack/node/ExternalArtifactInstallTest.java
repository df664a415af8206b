package org.veripack.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.csar.ArtifactServer;
import org.veripack.core.csar.ExternalCsar;
import org.veripack.core.pki.TestPki;

/**
 * Installing a package with an external artifact through the node (its trust store set as {@code veripack trust set}
 * does), against a real HTTP server on 127.0.0.1: the default policy refuses it; under {@code externalArtifacts: fetch} the right bytes are installed into the slot and
 * guarded like any file, while wrong, endless and drip-fed downloads are REJECTED with their code, leave no slot and
 * nothing in staging, the active version keeps running, and every attempt is in the audit log.
 */
class ExternalArtifactInstallTest {
    @TempDir Path dir;
    private ArtifactServer server;

    private static final byte[] IMAGE = "qcow2 image bytes\n".repeat(4096).getBytes(StandardCharsets.UTF_8);
    private static final String PROGRAM = "#!/bin/sh\nexit 0\n";

    @BeforeEach
    void start() throws Exception {
        server = new ArtifactServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** The node's default trust: the fixture root, every default (externalArtifacts: reject). */
    private static final String DEFAULT = "trustAnchors: [root.pem]\n";
    /** Fetching from 127.0.0.1 over http, with short time bounds. */
    private static final String FETCH = DEFAULT + "externalArtifacts: fetch\nexternalArtifactHttpHosts: [127.0.0.1]\n"
            + "externalArtifactTimeouts: {connectSeconds: 5, readSeconds: 2, totalSeconds: 5}\n";

    /** Sets the node's trust store (veripack trust set --policy) to {@code yaml}. */
    private void trust(Path root, String yaml) throws Exception {
        Path d = Files.createDirectories(dir.resolve("trust"));
        TestPki.writeCertificatesPem(d.resolve("root.pem"), NodeFixture.ROOT.certificate());
        NodeTrust.of(root).set(Files.writeString(d.resolve("policy.yaml"), yaml));
    }

    /** Installs as {@code veripack install} does, with the node's trust. */
    private InstallResult install(Node node, String policy, Path csar) throws Exception {
        trust(node.root(), policy);
        return node.install(csar, RevocationSource.offline());
    }

    /** {@code acme-mme VERSION}: an executable, and the external artifact at {@code uri} (signed digest: IMAGE's) unless null. */
    private Path csar(String version, String uri) throws Exception {
        ExternalCsar c = new ExternalCsar().file("bin/prog", PROGRAM, 0755).file("etc/prog.conf", "version=" + version + "\n", 0644);
        if (uri != null) {
            c.external(uri, IMAGE);
        }
        return c.write(Files.createTempFile(dir, "pkg", ".csar"), NodeFixture.LEAF.identity(), NodeFixture.CLOCK, "acme-mme", version);
    }

    private static List<String> events(Path root) throws Exception {
        return Files.readAllLines(root.resolve("audit/events.jsonl")).stream()
                .map(l -> l.replaceAll("^.*\"event\":\"([^\"]+)\".*$", "$1")).toList();
    }

    private static Set<FindingCode> codes(InstallResult r) {
        return r.report().findings().stream().map(Finding::code).collect(Collectors.toSet());
    }

    private static List<String> list(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void refusedDownloadsLeaveTheActiveVersionRunningAndTheRightBytesInstallAndAreGuarded() throws Exception {
        Path root = dir.resolve("node");
        Node node = Node.open(root, NodeFixture.CLOCK);
        InstallResult v1 = install(node, DEFAULT, csar("1.0", null));
        assertEquals(InstallResult.Outcome.ACTIVATED, v1.outcome(), v1.report()::toString);

        String right = server.serve("images/disk.img", IMAGE);
        String wrong = server.serve("images/other.img", "not the image".getBytes(StandardCharsets.UTF_8));
        String endless = server.route("images/endless.img", ArtifactServer.Behaviour.ENDLESS, null);
        String drip = server.route("images/drip.img", ArtifactServer.Behaviour.DRIP, null);
        record Attempt(String uri, String policy, FindingCode code) { }
        List<Attempt> refused = List.of(
                new Attempt(right, DEFAULT, FindingCode.ARTIFACT_EXTERNAL), // the default: reject
                new Attempt(wrong, FETCH, FindingCode.DIGEST_MISMATCH),
                new Attempt(endless, FETCH + "limits: {maxTotalBytes: 1048576}\n", FindingCode.LIMIT_EXCEEDED),
                new Attempt(drip, FETCH, FindingCode.LIMIT_EXCEEDED));
        int attempt = 0;
        for (Attempt a : refused) {
            long start = System.nanoTime();
            InstallResult r = install(node, a.policy(), csar("2." + attempt++, a.uri()));
            assertEquals(InstallResult.Outcome.REJECTED, r.outcome(), a::toString);
            assertEquals(Set.of(a.code()), codes(r), r.report()::toString);
            assertEquals(a.uri(), r.report().findings().get(0).subject());
            assertTrue(Duration.ofNanos(System.nanoTime() - start).toSeconds() < 30, a::toString);
            // the active version is unchanged and still runs; no partial slot, staging empty
            assertEquals(List.of(v1.slot()), list(root.resolve("slots")).stream().filter(s -> !s.equals("current") && !s.equals("previous"))
                    .toList());
            assertEquals(List.of(), list(root.resolve("staging")));
            assertEquals(v1.slot(), node.status().active().orElseThrow().slot());
            assertTrue(node.guard("bin/prog").allowed());
        }
        assertEquals(0, server.hits("images/disk.img")); // the default policy asked nothing

        InstallResult v2 = install(node, FETCH, csar("2.9", right));
        assertEquals(InstallResult.Outcome.ACTIVATED, v2.outcome(), v2.report()::toString);
        int port = Integer.parseInt(right.replaceAll("^http://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
        Path image = root.resolve("slots").resolve(v2.slot()).resolve("External/127.0.0.1_" + port + "/images/disk.img");
        assertArrayEquals(IMAGE, Files.readAllBytes(image));
        assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(image)));
        assertTrue(node.verifyInstalled().intact());
        assertTrue(node.guard("bin/prog").allowed());

        // the guard re-verifies the downloaded file like any other: one changed byte is tampering
        byte[] changed = IMAGE.clone();
        changed[100] ^= 1;
        Files.setPosixFilePermissions(image.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
        Files.write(image, changed);
        Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("r--r--r--"));
        Files.setPosixFilePermissions(image.getParent(), PosixFilePermissions.fromString("r-xr-xr-x"));
        ScanResult scan = node.verifyInstalled();
        assertFalse(scan.intact());
        assertTrue(scan.findings().stream().anyMatch(f -> f.code() == FindingCode.INSTALLATION_TAMPERED
                && f.subject().equals("External/127.0.0.1_" + port + "/images/disk.img")), scan.findings()::toString);
        assertFalse(node.guard("bin/prog").allowed());

        // every attempt is in the audit log: 1 + 4 refused + 1 accepted installs, then the checks
        List<String> installs = events(root).stream().filter(e -> e.startsWith("install.")).toList();
        assertEquals(List.of("install.accepted", "install.rejected", "install.rejected", "install.rejected", "install.rejected",
                "install.accepted"), installs);
        assertTrue(node.auditLog().verify().intact());
    }
}
