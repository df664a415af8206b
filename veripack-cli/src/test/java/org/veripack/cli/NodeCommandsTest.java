package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;

/**
 * install / run / status / rollback / verify-installed / audit verify end to end, in-process, with CSARs
 * signed by a test PKI (root -> intermediate -> code-signing leaf). Asserts exit codes, finding codes
 * and that the active version is unchanged after every refusal.
 */
class NodeCommandsTest {
    @TempDir Path dir;
    private Path anchor;
    private Path node;
    private SigningIdentity vendor;
    private Issued vendorLeaf;
    private Issued vendorCa;
    private SigningIdentity rogue;
    private Path tree;
    private Path marker;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Node Test Root,O=Acme").ca(true).build();
        Issued ca = TestPki.cert("CN=Node Test CA,O=Acme").ca(true).issuedBy(root).build();
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ca).build();
        vendor = leaf.identity(ca.certificate());
        vendorLeaf = leaf;
        vendorCa = ca;
        Issued rogueRoot = TestPki.cert("CN=Rogue Root").ca(true).build();
        rogue = TestPki.cert("CN=Rogue Signing").issuedBy(rogueRoot).build().identity();
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        node = dir.resolve("node");
        marker = dir.resolve("marker");
        tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("bin"));
        Files.writeString(tree.resolve("bin/prog"), "#!/bin/sh\necho \"started $*\" > \"$MARKER\"\nexit 7\n");
        Files.setPosixFilePermissions(tree.resolve("bin/prog"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(tree.resolve("lib"));
        Files.write(tree.resolve("lib/libs1ap.so"), new byte[4096]);
        Files.createSymbolicLink(tree.resolve("lib/libs1ap.so.1"), Path.of("libs1ap.so"));
    }

    private Path sign(SigningIdentity id, String version) throws Exception {
        Path out = dir.resolve("acme-mme-" + version + "-" + (id == vendor ? "v" : "r") + ".csar");
        CsarSigner.builder(id).name("acme-mme").version(version).build().writeOption1(tree, out);
        return out;
    }

    private static Run cli(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    /** Installs into {@link #node}, after setting its trust store to {@link #anchor} when it has none yet. */
    private Run install(Path csar, String... extra) {
        if (!Files.exists(node.resolve("config/policy.yaml"))) {
            Run t = cli("trust", "set", "--root", node.toString(), "--trust", anchor.toString());
            assertEquals(ExitCode.OK, t.exit(), t.err());
        }
        List<String> a = new ArrayList<>(List.of("install", "--root", node.toString()));
        a.addAll(List.of(extra));
        a.add(csar.toString());
        return cli(a.toArray(String[]::new));
    }

    private JsonNode status() throws Exception {
        Run r = cli("status", "--root", node.toString(), "--json");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        return r.json();
    }

    private String activeVersion() throws Exception {
        return status().path("active").path("version").asText(null);
    }

    private Run runProg() {
        return cli("run", "--root", node.toString(), "--env", "MARKER=" + marker, "--", "bin/prog", "-v", "x");
    }

    private static List<String> codes(Run r) throws Exception {
        List<String> c = new ArrayList<>();
        r.json().path("report").path("findings").forEach(f -> c.add(f.get("code").asText()));
        return c;
    }

    /** Rewrites one entry of a signed CSAR (manifest and signature untouched): tampering after signing. */
    private Path tamper(Path csar, String entry) throws Exception {
        Path out = dir.resolve("tampered-" + csar.getFileName());
        try (ZipFile in = ZipFile.builder().setPath(csar).get();
             ZipArchiveOutputStream zout = new ZipArchiveOutputStream(out)) {
            for (ZipArchiveEntry e : Collections.list(in.getEntriesInPhysicalOrder())) {
                byte[] data = in.getInputStream(e).readAllBytes();
                if (e.getName().equals(entry)) {
                    data[100] ^= 0x01;
                }
                ZipArchiveEntry c = new ZipArchiveEntry(e.getName());
                c.setUnixMode(e.getUnixMode());
                zout.putArchiveEntry(c);
                zout.write(data);
                zout.closeArchiveEntry();
            }
        }
        return out;
    }

    /**
     * A third-party option-1 CSAR: a SOL004 manifest without {@code Veripack-Mode}, signed by
     * {@code openssl cms -sign -binary} with the vendor's key, and {@code bin/prog} stored with zip mode
     * {@code progZipMode} (nothing signs that mode).
     */
    private Path thirdParty(String name, int progZipMode) throws Exception {
        Path work = Files.createDirectories(dir.resolve("third-party-" + name));
        byte[] prog = Files.readAllBytes(tree.resolve("bin/prog"));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(prog));
        Files.writeString(work.resolve("prefix"), "metadata:\nvnf_product_name: acme-mme\nvnf_provider_id: Acme\n"
                + "vnf_package_version: 1.0\nvnf_release_date_time: 2026-01-01T00:00:00+00:00\n\n"
                + "Source: bin/prog\nAlgorithm: SHA-256\nHash: " + sha + "\n");
        TestPki.writeCertificatesPem(work.resolve("signer.pem"), vendorLeaf.certificate());
        TestPki.writeCertificatesPem(work.resolve("ca.pem"), vendorCa.certificate());
        TestPki.writePrivateKeyPem(work.resolve("signer.key"), vendorLeaf.keyPair().getPrivate());
        Process openssl = new ProcessBuilder("openssl", "cms", "-sign", "-binary", "-in", "prefix", "-signer", "signer.pem",
                "-inkey", "signer.key", "-certfile", "ca.pem", "-md", "sha256", "-outform", "PEM", "-out", "sig.pem")
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, openssl.waitFor(), out);
        byte[] manifest = (Files.readString(work.resolve("prefix")) + Files.readString(work.resolve("sig.pem")))
                .getBytes(StandardCharsets.UTF_8);
        Path csar = dir.resolve("third-party-" + name + ".csar");
        try (ZipArchiveOutputStream zout = new ZipArchiveOutputStream(csar)) {
            for (Object[] e : new Object[][] {{"acme-mme.mf", 0100644, manifest}, {"bin/prog", progZipMode, prog}}) {
                ZipArchiveEntry z = new ZipArchiveEntry((String) e[0]);
                z.setUnixMode((Integer) e[1]);
                zout.putArchiveEntry(z);
                zout.write((byte[]) e[2]);
                zout.closeArchiveEntry();
            }
        }
        return csar;
    }

    /** Installs into {@link #node} after setting its trust store to {@link #anchor} with {@code archiveExecuteBits: honour}. */
    private Run installHonouring(Path csar, String... extra) throws Exception {
        Path policy = Files.writeString(dir.resolve("honour.yaml"), "trustAnchors: [root.pem]\narchiveExecuteBits: honour\n");
        Run t = cli("trust", "set", "--root", node.toString(), "--policy", policy.toString());
        assertEquals(ExitCode.OK, t.exit(), t.err());
        return install(csar, extra);
    }

    /**
     * A third-party package's executable (no Veripack-Mode): under the default it installs non-executable and
     * {@code run} refuses it (exit 2); under {@code archiveExecuteBits: honour} it installs 0555 with a warning in
     * the report and the audit entry, runs, and a later change of its mode in the slot is tampering (126).
     */
    @Test
    void archiveExecuteBitsHonourRunsAThirdPartyExecutableAndTheDefaultDoesNot() throws Exception {
        Path csar = thirdParty("exec", 0100755);
        Run plain = install(csar, "--json");
        assertEquals(ExitCode.OK, plain.exit(), plain.err());
        // warnings in JSON are objects {code, subject, detail} like findings
        JsonNode warning = plain.json().path("report").path("warnings").path(0);
        assertEquals("EXECUTE_BIT_IGNORED", warning.path("code").asText(), plain.out());
        assertEquals("bin/prog", warning.path("subject").asText(), plain.out());
        assertTrue(warning.path("detail").isTextual(), plain.out());
        Run refused = runProg();
        assertEquals(ExitCode.USAGE, refused.exit(), refused.err());
        assertFalse(Files.exists(marker), "a program the slot does not mark executable must not run");

        node = dir.resolve("node-honour");
        Run honoured = installHonouring(csar, "--json");
        assertEquals(ExitCode.OK, honoured.exit(), honoured.err());
        JsonNode honouredWarning = honoured.json().path("report").path("warnings").path(0);
        assertEquals("EXECUTE_BIT_FROM_ARCHIVE", honouredWarning.path("code").asText(), honoured.out());
        assertEquals("bin/prog", honouredWarning.path("subject").asText(), honoured.out());
        assertEquals("honour", cli("trust", "show", "--root", node.toString(), "--json").json().path("archiveExecuteBits").asText());
        String audit = Files.readString(node.resolve("audit/events.jsonl"));
        assertTrue(audit.lines().anyMatch(l -> l.contains("\"event\":\"install.accepted\"")
                && l.contains("EXECUTE_BIT_FROM_ARCHIVE bin/prog")), audit);
        Path slot = node.resolve("current").toRealPath();
        assertEquals("r-xr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(slot.resolve("bin/prog"))));
        Run run = runProg();
        assertEquals(7, run.exit(), run.err());
        assertEquals("started -v x\n", Files.readString(marker));
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());

        Files.delete(marker);
        Files.setPosixFilePermissions(slot.resolve("bin/prog"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Run tampered = runProg();
        assertEquals(ExitCode.TAMPERED, tampered.exit(), tampered.err());
        assertTrue(tampered.err().contains("INSTALLATION_TAMPERED"), tampered.err());
        assertFalse(Files.exists(marker), "the tampered program must not have run");
        assertEquals(ExitCode.REJECTED, cli("verify-installed", "--root", node.toString()).exit());
    }

    /** setuid on the zip entry of a third-party package is UNSAFE_PATH whatever archiveExecuteBits says. */
    @Test
    void setuidInAThirdPartyPackageIsRefusedUnderEverySetting() throws Exception {
        Path csar = thirdParty("setuid", 0104755);
        List<Run> runs = List.of(install(csar, "--json"), installHonouring(csar, "--json"));
        for (Run r : runs) {
            assertEquals(ExitCode.REJECTED, r.exit(), r.err());
            assertTrue(codes(r).contains("UNSAFE_PATH"), r.out());
        }
        assertTrue(status().path("active").isNull(), status().toString());
    }

    /**
     * Many large files on a many-core node: the slot check hashes one file per core with one small read
     * buffer each, so it runs in a small heap however many cores the JVM sees (a multi-MiB buffer per file
     * and core would run out of memory with 64 cores).
     */
    @Test
    void verifyInstalledOfManyLargeFilesOnAManyCoreNodeFitsASmallHeap() throws Exception {
        Files.createDirectories(tree.resolve("images"));
        java.util.Random random = new java.util.Random(3);
        byte[] part = new byte[4 * 1024 * 1024];
        for (int i = 0; i < 12; i++) {
            random.nextBytes(part);
            Files.write(tree.resolve("images/part" + i + ".bin"), part);
        }
        Path csar = dir.resolve("acme-mme-images.csar");
        CsarSigner.builder(vendor).name("acme-mme").version("1.0").storeArtifacts(true).build().writeOption1(tree, csar);
        Run installed = install(csar);
        assertEquals(ExitCode.OK, installed.exit(), installed.err());
        // 12 files with 4 MiB of buffers each at once would hold 48 MiB: more than this heap
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:ActiveProcessorCount=64", "-Xmx24m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "verify-installed", "--root", node.toString())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "verify-installed timed out");
        assertEquals(ExitCode.OK, p.exitValue(), out);
        assertTrue(out.contains("matches its sealed record"), out);
    }

    @Test
    void installRunUpgradeRollbackAndStatusEndToEnd() throws Exception {
        Run first = install(sign(vendor, "1.0"), "--json");
        assertEquals(ExitCode.OK, first.exit(), first.err());
        assertEquals("ACTIVATED", first.json().get("outcome").asText());
        JsonNode s = status();
        assertEquals("1.0", s.path("active").path("version").asText());
        assertEquals("CN=Acme Code Signing,O=Acme", s.path("active").path("signer").asText());
        assertTrue(s.path("previous").isNull());

        Run run = runProg();
        assertEquals(7, run.exit(), run.err());
        assertEquals("started -v x\n", Files.readString(marker));

        assertEquals(ExitCode.OK, install(sign(vendor, "1.0-1")).exit());
        s = status();
        assertEquals("1.0-1", s.path("active").path("version").asText());
        assertEquals("1.0", s.path("previous").path("version").asText());
        assertEquals("1.0-1", s.path("highestActivated").path("acme-mme").asText());

        Run rb = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.OK, rb.exit(), rb.err());
        s = status();
        assertEquals("1.0", s.path("active").path("version").asText());
        assertEquals("1.0-1", s.path("highestActivated").path("acme-mme").asText());
        assertEquals("ACCEPTED", s.path("lastVerification").path("verdict").asText());
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());
        assertEquals(ExitCode.OK, cli("audit", "verify", "--root", node.toString()).exit());
    }

    @Test
    void tamperedUpgradeIsDigestMismatchAndTheOldVersionKeepsRunning() throws Exception {
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        Run r = install(tamper(sign(vendor, "1.1"), "lib/libs1ap.so"), "--json");
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertEquals("REJECTED", r.json().get("outcome").asText());
        assertTrue(codes(r).contains("DIGEST_MISMATCH"), r.out());
        assertEquals("1.0", activeVersion());
        assertEquals(7, runProg().exit());
        try (var st = Files.list(node.resolve("staging"))) {
            assertEquals(0, st.count());
        }
    }

    @Test
    void packageFromAnUntrustedSignerIsRefused() throws Exception {
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        Run r = install(sign(rogue, "2.0"), "--json");
        assertEquals(ExitCode.REJECTED, r.exit());
        assertTrue(codes(r).contains("SIGNER_UNTRUSTED"), r.out());
        assertEquals("1.0", activeVersion());
    }

    @Test
    void downgradeIsVersionRollbackUnlessThePolicyAllowsIt() throws Exception {
        Path v1 = sign(vendor, "1.0");
        assertEquals(ExitCode.OK, install(v1).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1:0.9")).exit()); // epoch 1 beats 1.0
        Run down = install(v1, "--json");
        assertEquals(ExitCode.REJECTED, down.exit());
        assertEquals(List.of("VERSION_ROLLBACK"), codes(down));
        assertEquals("1:0.9", activeVersion());
        Run enforced = cli("status", "--root", node.toString());
        assertTrue(enforced.out().contains("version floor: acme-mme 1:0.9  (lower versions are refused: VERSION_ROLLBACK)"),
                enforced.out());
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, "trustAnchors: [root.pem]\nantiRollback: false\n");
        assertEquals(ExitCode.OK, cli("trust", "set", "--root", node.toString(), "--policy", policy.toString()).exit());
        Run allowed = cli("install", "--root", node.toString(), v1.toString());
        assertEquals(ExitCode.OK, allowed.exit(), allowed.err());
        assertEquals("1.0", activeVersion());
        assertEquals("1:0.9", status().path("highestActivated").path("acme-mme").asText());
        // the status says what the floor does under this policy (it used to say lower versions are refused)
        Run kept = cli("status", "--root", node.toString());
        assertTrue(kept.out().contains("version floor: acme-mme 1:0.9  (kept, not enforced: the node's policy sets antiRollback: false)"),
                kept.out());
    }

    @Test
    void guardNeverStartsATamperedProgram() throws Exception {
        Path csar = sign(vendor, "1.0");
        assertEquals(ExitCode.OK, install(csar).exit());
        Path prog = node.resolve("current").toRealPath().resolve("bin/prog");
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(prog, "#!/bin/sh\necho pwned > \"$MARKER\"\n", StandardOpenOption.TRUNCATE_EXISTING);
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("r-xr-xr-x"));
        Run r = runProg();
        assertEquals(ExitCode.TAMPERED, r.exit());
        assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
        assertFalse(Files.exists(marker), "the tampered program must not have run");
        Run scan = cli("verify-installed", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, scan.exit());
        String audit = Files.readString(node.resolve("audit/events.jsonl"));
        assertTrue(audit.contains("\"event\":\"guard.refused\""));
        // both refusals say what to do next, and the step they name (re-install the same package) repairs it
        for (Run refusal : List.of(r, scan)) {
            assertTrue(refusal.err().lines().anyMatch(l -> l.startsWith("next:") && l.contains("veripack install")), refusal.err());
        }
        assertEquals(ExitCode.OK, install(csar).exit());
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());
    }

    @Test
    void guardRefusesAProgramOutsideTheSlot() throws Exception {
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        Run r = cli("run", "--root", node.toString(), "--", "../../../bin/sh", "-c", "true");
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertFalse(r.err().contains("INSTALLATION_TAMPERED"), r.err());
        assertTrue(Files.readString(node.resolve("audit/events.jsonl")).contains("\"event\":\"guard.refused\""));
    }

    @Test
    void auditVerifyNamesTheFirstBrokenLine() throws Exception {
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.1")).exit());
        Run ok = cli("audit", "verify", "--root", node.toString(), "--json");
        assertEquals(ExitCode.OK, ok.exit(), ok.err());
        assertTrue(ok.json().path("intact").asBoolean(), ok.out());
        assertTrue(ok.json().path("firstBrokenLine").isNull(), ok.out());
        Path log = node.resolve("audit/events.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(log, StandardCharsets.UTF_8));
        assertTrue(lines.size() >= 4);
        lines.set(1, lines.get(1).replace("\"1.0\"", "\"6.6\""));
        Files.write(log, lines, StandardCharsets.UTF_8);
        Run r = cli("audit", "verify", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, r.exit());
        assertTrue(r.err().contains("line 3"), r.err());
        Run j = cli("audit", "verify", "--root", node.toString(), "--json");
        assertEquals(ExitCode.REJECTED, j.exit());
        assertFalse(j.json().path("intact").asBoolean(), j.out());
        assertEquals(3, j.json().path("firstBrokenLine").asLong(), j.out());
    }

    @Test
    void secondInstallerIsRefusedWhileTheLockIsHeld() throws Exception {
        Path csar = sign(vendor, "1.0");
        assertEquals(ExitCode.OK, install(csar).exit());
        try (FileChannel ch = FileChannel.open(node.resolve("lock"), StandardOpenOption.WRITE);
             FileLock held = ch.lock()) {
            Run r = install(sign(vendor, "2.0"));
            assertEquals(ExitCode.IO, r.exit(), r.err());
            assertEquals(ExitCode.IO, cli("rollback", "--root", node.toString()).exit());
        }
        assertEquals("1.0", activeVersion());
    }

    @Test
    void usageErrorsExitTwo() throws Exception {
        assertEquals(ExitCode.USAGE, install(dir.resolve("missing.csar")).exit());
        assertEquals(ExitCode.USAGE, cli("status", "--root", dir.resolve("nowhere").toString()).exit());
        assertEquals(ExitCode.USAGE, cli("audit", "verify", "--root", dir.resolve("nowhere").toString()).exit());
    }

    /**
     * Rollback goes back one activation, never forward: the second rollback (which used to swap back to the newer
     * version and print "rolled back") is exit 6 with one line, the active version unchanged and running, the
     * attempt audited; a node with one version has no target either.
     */
    @Test
    void rollbackTwiceRefusesTheSecondTimeWithItsExitCode() throws Exception {
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0")).exit());
        Run one = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.NO_VERSION, one.exit(), one.err());
        assertEquals(1, one.err().strip().lines().count(), one.err());
        assertEquals(ExitCode.OK, install(sign(vendor, "1.0-1")).exit());
        Run first = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.OK, first.exit(), first.err());
        assertEquals("1.0", activeVersion());
        JsonNode s = status();
        assertTrue(s.path("previous").isNull(), s.toString());
        assertEquals("1.0-1", s.path("rolledBackFrom").asText(), s.toString());

        Run second = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.NO_VERSION, second.exit(), second.err());
        assertEquals(1, second.err().strip().lines().count(), second.err());
        assertFalse(second.err().contains("rolled back:"), second.err());
        assertEquals("1.0", activeVersion(), "not rolled forward");
        assertEquals(7, runProg().exit(), "the active version still runs");
        List<String> audit = Files.readAllLines(node.resolve("audit/events.jsonl"));
        JsonNode refused = NodeOutput.JSON.readTree(audit.stream().filter(l -> l.contains("\"rollback.refused\"")).reduce((a, b) -> b).orElseThrow());
        assertEquals("REFUSED", refused.path("verdict").asText(), refused.toString());
        assertEquals(ExitCode.OK, cli("audit", "verify", "--root", node.toString()).exit());

        assertEquals(ExitCode.OK, install(sign(vendor, "1.0-1")).exit(), "the way back to the newer version is to install it");
        assertEquals("1.0", status().path("previous").path("version").asText());
    }
}
