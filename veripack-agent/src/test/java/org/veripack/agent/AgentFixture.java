package org.veripack.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.veripack.core.PackageVerifier;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;
import org.veripack.node.NodeTrust;
import org.veripack.repo.NodeUpdate;
import org.veripack.repo.RepositoryKeys;
import org.veripack.repo.TufRepository;

/**
 * A vendor PKI, packages whose program {@code Files/bin/prog} behaves as the test says (the health check runs it), a
 * TUF repository directory publishing them, and a node that trusts the vendor and pinned the repository.
 */
final class AgentFixture {
    static final Instant NOW = Instant.parse("2026-01-05T02:30:00Z"); // a Monday
    static final TestPki.Issued VENDOR_ROOT = TestPki.cert("CN=Agent Fixture Root,O=Acme").ca(true).build();
    static final TestPki.Issued SIGNER = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(VENDOR_ROOT).build();

    final Path dir;
    final Path node;
    final TufRepository repo;
    private final Instant signedAt;

    AgentFixture(Path dir) throws Exception {
        this(dir, NOW);
    }

    /** With packages and metadata signed at {@code signedAt} (the real time, for an agent on the system clock). */
    AgentFixture(Path dir, Instant signedAt) throws Exception {
        this.dir = dir;
        this.signedAt = signedAt;
        Clock signing = Clock.fixed(signedAt, ZoneOffset.UTC);
        repo = TufRepository.init(dir.resolve("repo"), dir.resolve("keys"), TufRepository.defaultRoles(), RepositoryKeys.KeyType.ED25519, signing);
        node = dir.resolve("node");
        Path anchor = dir.resolve("anchor.pem");
        TestPki.writeCertificatesPem(anchor, VENDOR_ROOT.certificate());
        NodeTrust.of(node).setAnchors(List.of(anchor));
        org.veripack.node.Node n = org.veripack.node.Node.open(node, signing);
        new NodeUpdate(n, NodeUpdate.Transport.of(repoUrl(), TrustPolicy.FetchTimeouts.DEFAULT), signing, RevocationSource.offline())
                .pin(Files.readAllBytes(dir.resolve("repo/metadata/1.root.json")));
    }

    String repoUrl() {
        return dir.resolve("repo").toString();
    }

    /** Publishes {@code name version} whose program runs {@code script} (a shell body). */
    void publish(String name, String version, String script) throws Exception {
        Path tree = Files.createTempDirectory(dir, "tree-");
        Path bin = tree.resolve("Files/bin/prog");
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\n" + script + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path csar = dir.resolve(name + "-" + version + ".csar");
        CsarSigner.builder(SIGNER.identity()).name(name).version(version).clock(Clock.fixed(signedAt, ZoneOffset.UTC)).conformanceChecks(false)
                .build().writeOption1(tree, csar);
        PackageVerifier verifier = PackageVerifier.create(TrustPolicy.withAnchors(List.of(VENDOR_ROOT.certificate())),
                Clock.fixed(signedAt, ZoneOffset.UTC), RevocationSource.offline());
        repo.add(csar, verifier, Duration.ofDays(30), Duration.ofDays(30), Duration.ofDays(30));
    }

    /** A configuration: this repository, the health check running the installed program, no jitter unless given. */
    AgentConfig config(String extraYaml) throws Exception {
        return AgentConfig.load(configFile(extraYaml));
    }

    /** The configuration file {@link #config} reads. */
    Path configFile(String extraYaml) throws IOException {
        Path f = dir.resolve("agent-" + System.nanoTime() + ".yaml");
        Files.writeString(f, "repository: {url: " + repoUrl() + "}\n"
                + (extraYaml.contains("healthCheck:") ? "" : "healthCheck: {command: [/bin/sh, -c, '\"$VERIPACK_ROOT/current/Files/bin/prog\"'], timeout: 2s}\n")
                + (extraYaml.contains("jitter:") ? "" : "jitter: 0s\n") + (extraYaml.contains("timeZone:") ? "" : "timeZone: UTC\n")
                + (extraYaml.contains("metrics:") ? "" : "metrics: {address: off}\n") + extraYaml);
        return f;
    }

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant t) {
            now = t;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override public Instant instant() { return now; }
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { throw new UnsupportedOperationException(); }
    }
}
