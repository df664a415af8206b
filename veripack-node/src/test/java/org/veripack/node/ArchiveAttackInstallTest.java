package org.veripack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import java.security.cert.X509Certificate;
import org.veripack.core.Limits;
import org.veripack.core.RevocationSource;
import org.veripack.core.pki.TestPki;
import org.veripack.core.csar.ArchiveAttackCorpus;

/**
 * Issue 5 item 1, install leg: every case of veripack-core's {@link ArchiveAttackCorpus} (each named
 * after its attack, citing the public case it reproduces) installed over a node running a genuine
 * version. The install must be REJECTED with the attack's finding code, {@code current} must still be
 * the genuine slot and pass re-verification, staging must be empty, and nothing may appear anywhere
 * outside the node's own state and audit files (zip-slip, symlink and hard-link escapes write nothing).
 */
class ArchiveAttackInstallTest {
    @TempDir Path dir;

    static List<ArchiveAttackCorpus.Case> cases() {
        return ArchiveAttackCorpus.cases();
    }

    @Test
    void genuineUpgradeOverTheSameNodeIsActivated() throws Exception {
        Path node = dir.resolve("node");
        Node n = Node.open(node, ArchiveAttackCorpus.clock());
        trust(node, Optional.empty());
        assertEquals(InstallResult.Outcome.ACTIVATED, n.install(ArchiveAttackCorpus.genuineCsar(dir, "2.0"), OFFLINE).outcome());
        assertEquals(InstallResult.Outcome.ACTIVATED, n.install(ArchiveAttackCorpus.genuineCsar(dir), OFFLINE).outcome(),
                "the corpus base (2.1) upgrades a 2.0 node");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void attackIsRejectedByInstallAndCurrentIsUnchanged(ArchiveAttackCorpus.Case c) throws Exception {
        Path node = dir.resolve("node");
        Node n = Node.open(node, ArchiveAttackCorpus.clock());
        trust(node, Optional.empty());
        Path work = Files.createDirectories(dir.resolve("work"));
        assertEquals(InstallResult.Outcome.ACTIVATED, n.install(ArchiveAttackCorpus.genuineCsar(work, "2.0"), OFFLINE).outcome());
        Path attack = c.build(work);
        String currentBefore = Files.readSymbolicLink(node.resolve("current")).toString();
        TreeMap<String, Long> before = snapshot(dir);

        trust(node, c.limits());
        InstallResult r = n.install(attack, OFFLINE);

        assertEquals(InstallResult.Outcome.REJECTED, r.outcome(), () -> c.name() + " (" + c.reproduces() + "): " + r.report());
        assertTrue(r.report().has(c.expected()), () -> c.name() + ": expected " + c.expected() + " in " + r.report());
        assertEquals(currentBefore, Files.readSymbolicLink(node.resolve("current")).toString(), "current unchanged");
        assertTrue(n.verifyInstalled().findings().isEmpty(), "current still passes re-verification");
        try (Stream<Path> s = Files.list(node.resolve("staging"))) {
            assertEquals(0, s.count(), "staging emptied");
        }
        TreeMap<String, Long> after = snapshot(dir);
        after.keySet().removeIf(p -> p.startsWith("node/audit/") || p.startsWith("node/state/") || p.startsWith("node/config/")
                || p.startsWith("trust/"));
        before.keySet().removeIf(p -> p.startsWith("node/audit/") || p.startsWith("node/state/") || p.startsWith("node/config/")
                || p.startsWith("trust/"));
        assertEquals(before, after, () -> c.name() + ": something was written outside staging");
    }

    private static final RevocationSource OFFLINE = RevocationSource.offline();

    /** The node's trust store: the corpus's trust anchors, with the case's limits (written under {@code dir/trust/}). */
    private void trust(Path node, Optional<Limits> limits) throws IOException {
        Path d = Files.createDirectories(dir.resolve("trust"));
        TestPki.writeCertificatesPem(d.resolve("anchors.pem"),
                ArchiveAttackCorpus.policy(limits).trustAnchors().toArray(X509Certificate[]::new));
        Path policy = d.resolve("policy.yaml");
        Files.writeString(policy, "trustAnchors: [anchors.pem]\n" + limits.map(l -> "limits: {maxEntries: " + l.maxEntries()
                + ", maxTotalBytes: " + l.maxTotalBytes() + ", maxExpansionRatio: " + l.maxExpansionRatio()
                + ", maxHeaderBytes: " + l.maxHeaderBytes() + "}\n").orElse(""));
        NodeTrust.of(node).set(policy);
    }

    /** Every path under {@code root} (symlinks not followed) with its size, excluding the lock file's content. */
    private static TreeMap<String, Long> snapshot(Path root) throws IOException {
        TreeMap<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                long size = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : -1;
                m.put(root.relativize(p).toString().replace('\\', '/') + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : ""), size);
            }
        }
        m.keySet().removeIf(k -> k.equals("node/lock") || k.startsWith("node/.lock"));
        return m;
    }
}
