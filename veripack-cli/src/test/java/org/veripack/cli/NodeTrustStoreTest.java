package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;
import org.veripack.node.NodeTrust;

/**
 * The node's trust store from the CLI (TS 33.117 §4.2.3.3.5: packages are validated with the keys "configured
 * in the network product"): node commands never take trust from their caller, {@code trust set|show|add-anchor|
 * remove-anchor} manage it, changes are atomic and audited with the policy digests and anchor fingerprints. The
 * attacks are performed for real: another vendor's PKI signs {@code acme-mme 9.9}, the installer passes its own
 * anchor, a change would leave the node without anchors. Runs in-process as the test's user (root is a trust
 * administrator; other users: {@code AuthorizedInstallersTest}).
 */
class NodeTrustStoreTest {
    @TempDir Path dir;
    private Path anchor;
    private Path rogueAnchor;
    private Path node;
    private SigningIdentity vendor;
    private SigningIdentity rogue;
    private Path tree;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Trust Store Root,O=Acme").ca(true).build();
        Issued ca = TestPki.cert("CN=Trust Store CA,O=Acme").ca(true).issuedBy(root).build();
        vendor = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ca).build().identity(ca.certificate());
        Issued rogueRoot = TestPki.cert("CN=Rogue Root,O=Rogue").ca(true).build();
        rogue = TestPki.cert("CN=Rogue Signing,O=Rogue").issuedBy(rogueRoot).build().identity();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        rogueAnchor = dir.resolve("rogue-root.pem");
        TestPki.writeCertificatesPem(rogueAnchor, rogueRoot.certificate());
        node = dir.resolve("node");
        tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("bin"));
        Files.writeString(tree.resolve("bin/prog"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(tree.resolve("bin/prog"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** SHA-256 fingerprint of the first certificate of a PEM/DER file. */
    static String fingerprint(Path certificateFile) throws PolicyException {
        return NodeTrust.fingerprint(TrustPolicyLoader.readCertificates(null, "test", certificateFile).get(0));
    }

    private Path sign(SigningIdentity id, String version) throws Exception {
        Files.writeString(tree.resolve("VERSION"), version);
        Path out = dir.resolve("acme-mme-" + version + (id == rogue ? "-rogue" : "") + ".csar");
        CsarSigner.builder(id).name("acme-mme").version(version).build().writeOption1(tree, out);
        return out;
    }

    private static Run cli(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    private Run trust(String... args) {
        List<String> a = new ArrayList<>(List.of("trust", args[0], "--root", node.toString()));
        a.addAll(List.of(args).subList(1, args.length));
        return cli(a.toArray(String[]::new));
    }

    private Run install(Path csar) {
        return cli("install", "--root", node.toString(), "--json", csar.toString());
    }

    private JsonNode status() throws Exception {
        Run r = cli("status", "--root", node.toString(), "--json");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        return r.json();
    }

    private JsonNode show() throws Exception {
        Run r = trust("show", "--json");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        return r.json();
    }

    private List<String> anchors() throws Exception {
        List<String> out = new ArrayList<>();
        show().path("trustAnchors").forEach(a -> out.add(a.path("sha256").asText()));
        return out;
    }

    private static List<String> codes(Run r) throws Exception {
        List<String> c = new ArrayList<>();
        r.json().path("report").path("findings").forEach(f -> c.add(f.get("code").asText()));
        return c;
    }

    private List<String> audit(String event) throws IOException {
        return Files.readAllLines(node.resolve("audit/events.jsonl")).stream().filter(l -> l.contains("\"event\":\"" + event + "\"")).toList();
    }

    /** Every file of {@code NODE/config/} with its bytes. */
    private Map<String, String> store() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(node.resolve("config"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().equals("trust.lock")) {
                    m.put(node.relativize(p).toString(), java.util.HexFormat.of().formatHex(Files.readAllBytes(p)));
                }
            }
        }
        return m;
    }

    @Test
    void nodeWithoutATrustStoreRefusesToInstallAndSaysHowToSetOne() throws Exception {
        Run r = install(sign(vendor, "1.0"));
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains("veripack trust set --root " + node), r.err());
        assertFalse(Files.exists(node), "nothing created");
        Files.createDirectories(node);
        Run again = install(sign(vendor, "1.0"));
        assertEquals(ExitCode.USAGE, again.exit(), again.err());
        assertTrue(again.err().contains(node.resolve("config/policy.yaml").toString()), again.err());
        assertFalse(Files.exists(node.resolve("current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** The attack: the installer passes another vendor's root with {@code --trust} (or a policy naming it). */
    @Test
    void trustOrPolicyOnANodeCommandIsRefusedNamingTheNodesPolicyFileAndAudited() throws Exception {
        assertEquals(ExitCode.OK, trust("set", "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        Map<String, String> before = store();
        Path roguePolicy = dir.resolve("rogue-policy.yaml");
        Files.writeString(roguePolicy, "trustAnchors: [rogue-root.pem]\nantiRollback: false\n");
        Path rogue99 = sign(rogue, "9.9");
        String n = node.toString();
        List<String[]> attempts = List.of(
                new String[] {"install", "--root", n, "--trust", rogueAnchor.toString(), rogue99.toString()},
                new String[] {"install", "--root", n, "--policy", roguePolicy.toString(), rogue99.toString()},
                new String[] {"rollback", "--root", n, "--trust", rogueAnchor.toString()},
                new String[] {"verify-installed", "--root", n, "--policy", roguePolicy.toString()},
                new String[] {"run", "--root", n, "--trust", rogueAnchor.toString(), "--", "bin/prog"});
        for (String[] a : attempts) {
            Run r = cli(a);
            assertEquals(ExitCode.USAGE, r.exit(), String.join(" ", a) + ": " + r.err());
            assertTrue(r.err().contains(node.resolve("config/policy.yaml").toString()), r.err());
        }
        JsonNode s = status();
        assertEquals("1.0", s.path("active").path("version").asText());
        assertEquals("1.0", s.path("highestActivated").path("acme-mme").asText(), "version floor unchanged");
        assertEquals(before, store());
        assertEquals(attempts.size(), audit("trust.option-refused").size());
        assertTrue(audit("trust.option-refused").get(0).contains(rogueAnchor.toString()));
    }

    @Test
    void packageSignedByAPkiTheStoreDoesNotTrustIsSignerUntrustedAndTheFloorStays() throws Exception {
        assertEquals(ExitCode.OK, trust("set", "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "3.1")).exit());
        Run r = install(sign(rogue, "9.9"));
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(codes(r).contains("SIGNER_UNTRUSTED"), r.out());
        JsonNode s = status();
        assertEquals("3.1", s.path("active").path("version").asText());
        assertEquals("3.1", s.path("highestActivated").path("acme-mme").asText());
        assertEquals(ExitCode.OK, install(sign(vendor, "3.2")).exit(), "a genuine upgrade is not refused as a rollback");
    }

    @Test
    void setShowAddAndRemoveAnchorsAreAuditedWithDigestsAndFingerprints() throws Exception {
        String vendorFp = fingerprint(anchor);
        String rogueFp = fingerprint(rogueAnchor);
        Run set = trust("set", "--trust", anchor.toString());
        assertEquals(ExitCode.OK, set.exit(), set.err());
        JsonNode shown = show();
        assertEquals(List.of(vendorFp), anchors());
        String d1 = shown.path("policyDigest").asText();
        assertTrue(d1.matches("[0-9a-f]{64}"), d1);
        assertEquals(node.resolve("config/policy.yaml").toString(), shown.path("policyFile").asText());
        assertTrue(Files.isRegularFile(node.resolve("config/trust/anchor-" + vendorFp + ".der")));

        assertEquals(ExitCode.OK, trust("add-anchor", rogueAnchor.toString()).exit());
        assertEquals(List.of(vendorFp, rogueFp), anchors());
        String d2 = show().path("policyDigest").asText();
        assertEquals(ExitCode.OK, install(sign(rogue, "1.0")).exit(), "an anchor the administrator added is trusted");

        Run again = trust("add-anchor", rogueAnchor.toString());
        assertEquals(ExitCode.OK, again.exit(), again.err());
        assertTrue(again.err().contains("nothing to change"), again.err());

        assertEquals(ExitCode.OK, trust("remove-anchor", "SHA256:" + rogueFp.toUpperCase()).exit());
        assertEquals(List.of(vendorFp), anchors());
        Run refused = install(sign(rogue, "1.1"));
        assertEquals(ExitCode.REJECTED, refused.exit());
        assertTrue(codes(refused).contains("SIGNER_UNTRUSTED"), refused.out());
        assertFalse(Files.exists(node.resolve("config/trust/anchor-" + rogueFp + ".der")), "the removed anchor's file is deleted");

        List<String> changes = audit("trust.changed");
        assertEquals(3, changes.size(), changes.toString());
        assertTrue(changes.get(0).contains("trust set: policy sha256 none -> " + d1) && changes.get(0).contains(vendorFp), changes.get(0));
        assertTrue(changes.get(1).contains("trust add-anchor: policy sha256 " + d1 + " -> " + d2) && changes.get(1).contains(rogueFp));
        assertTrue(changes.get(2).contains("trust remove-anchor: policy sha256 " + d2 + " -> ") && !changes.get(2).contains(rogueFp + "]"));
        assertEquals(ExitCode.OK, cli("audit", "verify", "--root", node.toString()).exit());
    }

    @Test
    void refusedChangesLeaveTheStoreUnchanged() throws Exception {
        assertEquals(ExitCode.OK, trust("set", "--trust", anchor.toString()).exit());
        Map<String, String> before = store();
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        Path unknownKey = Files.writeString(dir.resolve("bad.yaml"), "trustAnchors: [root.pem]\ntrustEverybody: true\n");
        Path missingAnchor = Files.writeString(dir.resolve("missing.yaml"), "trustAnchors: [nowhere.pem]\n");
        List<Run> refused = List.of(
                trust("set", "--trust", garbage.toString()),
                trust("set", "--trust", dir.resolve("nowhere.pem").toString()),
                trust("set", "--policy", unknownKey.toString()),
                trust("set", "--policy", missingAnchor.toString()),
                trust("add-anchor", garbage.toString()),
                trust("remove-anchor", fingerprint(rogueAnchor)),
                trust("remove-anchor", "abc"),
                trust("remove-anchor", fingerprint(anchor))); // the last anchor
        for (Run r : refused) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains("unchanged"), r.err());
        }
        assertEquals(before, store());
        assertEquals(1, audit("trust.changed").size());
    }

    @Test
    void setPolicyCopiesThePolicyAndEveryFileItNames() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/certs"));
        Files.copy(anchor, src.resolve("vendor-root.pem"));
        Issued crlIssuer = TestPki.cert("CN=CRL Issuer").ca(true).build();
        Files.write(src.resolve("issuer.crl"), TestPki.crl(crlIssuer, TestPki.DEFAULT_NOW, TestPki.DEFAULT_NOT_AFTER).getEncoded());
        Path policy = dir.resolve("src/policy.yaml");
        Files.writeString(policy, "trustAnchors: [certs/vendor-root.pem]\ncrls: certs/issuer.crl\nantiRollback: false\n"
                + "signers:\n  acme-mme: [\"CN=Acme Code Signing,O=Acme\"]\ninitialPolicies: [1.3.6.1.4.1.99999.1.2]\n"
                + "inhibitAnyPolicy: true\n");
        Run set = trust("set", "--policy", policy.toString());
        assertEquals(ExitCode.OK, set.exit(), set.err());
        String stored = Files.readString(node.resolve("config/policy.yaml"));
        assertFalse(stored.contains("certs/"), stored);
        assertTrue(stored.contains("trust/anchor-" + fingerprint(anchor) + ".der"), stored);
        assertTrue(stored.contains("trust/crls-"), stored);
        JsonNode shown = show();
        assertFalse(shown.path("antiRollback").asBoolean(true));
        assertEquals(1, shown.path("crls").asInt());
        assertEquals("CN=Acme Code Signing,O=Acme", shown.path("signers").path("acme-mme").get(0).asText());
        assertEquals("[\"1.3.6.1.4.1.99999.1.2\"]", shown.path("initialPolicies").toString());
        assertTrue(shown.path("inhibitAnyPolicy").asBoolean() && !shown.path("requireExplicitPolicy").asBoolean(true));

        // the node keeps its copies: the source files can go
        try (Stream<Path> s = Files.walk(dir.resolve("src"))) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertEquals(ExitCode.OK, install(sign(vendor, "2.0")).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit(), "antiRollback: false from the copied policy");

        assertEquals(ExitCode.OK, trust("set", "--trust", anchor.toString()).exit());
        try (Stream<Path> s = Files.list(node.resolve("config/trust"))) {
            assertEquals(List.of("anchor-" + fingerprint(anchor) + ".der"), s.map(p -> p.getFileName().toString()).toList(),
                    "files the new policy does not name are deleted");
        }
    }

    /**
     * Retiring the anchor the active version is signed under: verify-installed says so with its own finding code
     * and exit code (5, not 1 = tampered), the guard still runs the program, rollback does not re-activate a
     * version signed under it; trusting the anchor again clears it.
     */
    @Test
    void removingTheActiveSignersAnchorIsReportedDistinctlyAndRunStillRuns() throws Exception {
        assertEquals(ExitCode.OK, trust("set", "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.1")).exit());
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());
        assertEquals(ExitCode.OK, trust("add-anchor", rogueAnchor.toString()).exit()); // the successor, so one anchor remains
        assertEquals(ExitCode.OK, trust("remove-anchor", fingerprint(anchor)).exit());

        Run v = cli("verify-installed", "--root", node.toString(), "--json");
        assertEquals(ExitCode.NOT_TRUSTED_NOW, v.exit(), v.err());
        JsonNode j = v.json();
        assertTrue(j.path("intact").asBoolean());
        assertFalse(j.path("trustedNow").asBoolean(true));
        assertEquals("SIGNER_NO_LONGER_TRUSTED", j.path("findings").get(0).path("code").asText(), j.toString());
        assertTrue(j.path("findings").get(0).path("actual").asText().contains("SIGNER_UNTRUSTED"), j.toString());
        assertTrue(audit("scan").get(audit("scan").size() - 1).contains("SIGNER_NO_LONGER_TRUSTED"));

        Run run = cli("run", "--root", node.toString(), "--", "bin/prog");
        assertEquals(0, run.exit(), "the guard still runs the version sealed at install: " + run.err());

        Run rb = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, rb.exit(), rb.err());
        assertTrue(rb.err().contains("SIGNER_NO_LONGER_TRUSTED"), rb.err());
        assertEquals("1.1", status().path("active").path("version").asText());

        assertEquals(ExitCode.OK, trust("add-anchor", anchor.toString()).exit());
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());
    }

    @Test
    void verifyWithoutANodeKeepsTrustAndPolicy() throws Exception {
        Path csar = sign(vendor, "1.0");
        assertEquals(ExitCode.OK, cli("verify", "--trust", anchor.toString(), csar.toString()).exit());
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [root.pem]\n");
        assertEquals(ExitCode.OK, cli("verify", "--policy", policy.toString(), csar.toString()).exit());
        assertEquals(ExitCode.REJECTED, cli("verify", "--trust", anchor.toString(), sign(rogue, "9.9").toString()).exit());
    }
}
