package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.cli.SignVerifyCommandTest.Run;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;
import org.veripack.core.sign.SigningIdentity;

/**
 * The node-side findings of the attacker's review (notes/review1.md 3, 5, 6, 7, 11, 12, 13, 14), each
 * performed for real against a node root through the CLI: exit codes, finding codes, the active version
 * and the audit log are asserted.
 */
class NodeReviewAttacksTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;
    private Path anchor;
    private Path node;
    private SigningIdentity vendor;
    private Path tree;
    private Path marker;

    @BeforeEach
    void setUp() throws Exception {
        Issued root = TestPki.cert("CN=Review Root,O=Acme").ca(true).build();
        Issued ca = TestPki.cert("CN=Review CA,O=Acme").ca(true).issuedBy(root).build();
        vendor = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ca).build().identity(ca.certificate());
        anchor = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(anchor, root.certificate());
        node = dir.resolve("node");
        marker = dir.resolve("marker");
        tree = Files.createDirectories(dir.resolve("tree"));
        Files.createDirectories(tree.resolve("bin"));
        Files.writeString(tree.resolve("bin/prog"), "#!/bin/sh\necho \"genuine $LD_LIBRARY_PATH\" > \"$MARKER\"\nexit 7\n");
        Files.setPosixFilePermissions(tree.resolve("bin/prog"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(tree.resolve("lib"));
        Files.write(tree.resolve("lib/libs1ap.so"), new byte[512]);
        Files.writeString(tree.resolve("mme.conf"), "plmn=00101\n");
    }

    private Path sign(String name, String version) throws Exception {
        Path out = dir.resolve(name + "-" + version + ".csar");
        CsarSigner.builder(vendor).name(name).version(version).build().writeOption1(tree, out);
        return out;
    }

    private static Run cli(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    /** Installs into {@link #node}, after setting its trust store to {@link #anchor} when it has none yet. */
    private Run install(Path csar) {
        if (!Files.exists(node.resolve("config/policy.yaml"))) {
            cli("trust", "set", "--root", node.toString(), "--trust", anchor.toString()); // a refusal shows in the install
        }
        return cli("install", "--root", node.toString(), "--json", csar.toString());
    }

    private Run run(String... envAndProgram) {
        List<String> a = new ArrayList<>(List.of("run", "--root", node.toString(), "--env", "MARKER=" + marker));
        a.addAll(List.of(envAndProgram));
        return cli(a.toArray(String[]::new));
    }

    private static List<String> codes(Run r) throws Exception {
        List<String> c = new ArrayList<>();
        r.json().path("report").path("findings").forEach(f -> c.add(f.get("code").asText()));
        return c;
    }

    private JsonNode status() throws Exception {
        Run r = cli("status", "--root", node.toString(), "--json");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        return r.json();
    }

    private String audit() throws Exception {
        return Files.readString(node.resolve("audit/events.jsonl"));
    }

    private static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return p.exitValue();
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // --- node root ownership and modes; the sealed record is bound to the signature ---

    @Test
    void nodeRootOwnedByNobodyIsRefusedByEveryNodeCommand() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown to nobody needs root");
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals(0, sh("chown", "nobody", node.toString()));
        List<Run> runs = List.of(
                run("--", "bin/prog"),
                cli("status", "--root", node.toString()),
                cli("verify-installed", "--root", node.toString()),
                cli("rollback", "--root", node.toString()),
                cli("audit", "verify", "--root", node.toString()),
                install(sign("acme-mme", "2.0")));
        for (Run r : runs) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains(node.toString()), "names the path: " + r.err());
        }
        assertFalse(Files.exists(marker), "nothing ran from a node root others control");
    }

    @Test
    void stateDirectoryOwnedByNobodyOrWorldWritableIsRefused() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "chown to nobody needs root");
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals(0, sh("chown", "-R", "nobody", node.resolve("state").toString()));
        Run r = run("--", "bin/prog");
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains(node.resolve("state").toString()), r.err());
        assertEquals(0, sh("chown", "-R", "root", node.resolve("state").toString()));
        assertEquals(7, run("--", "bin/prog").exit());
        Files.setPosixFilePermissions(node.resolve("slots"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Run w = cli("verify-installed", "--root", node.toString());
        assertEquals(ExitCode.USAGE, w.exit(), w.err());
        assertTrue(w.err().contains(node.resolve("slots").toString()), w.err());
        Files.setPosixFilePermissions(node.resolve("slots"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(node.resolve("audit"), PosixFilePermissions.fromString("rwxrwx---"));
        assertEquals(ExitCode.USAGE, cli("audit", "verify", "--root", node.toString()).exit());
    }

    @Test
    void installCreatesMissingNodeDirectoriesWithSafeModes() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("state"))));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("slots"))));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("audit"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("staging"))));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("config"))));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.resolve("config/policy.yaml"))));
    }

    /**
     * The attacker rewrites an installed file and forges the sealed JSON record
     * with the new digest and size (what an attacker with write access to a badly owned node could do). The
     * guard takes the expected digests from the re-verified signed manifest, so it refuses.
     */
    @Test
    void forgedSealedRecordWithMatchingDigestsIsRefusedBecauseTheSignedManifestDisagrees() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        Path slot = node.resolve("current").toRealPath();
        String slotName = slot.getFileName().toString();
        byte[] evil = "#!/bin/sh\necho pwned > \"$MARKER\"\n".getBytes(StandardCharsets.UTF_8);
        Path prog = slot.resolve("bin/prog");
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.write(prog, evil, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path record = node.resolve("state/slots/" + slotName + ".json");
        ObjectNode rec = (ObjectNode) JSON.readTree(record.toFile());
        for (JsonNode e : (ArrayNode) rec.get("entries")) {
            if (e.get("path").asText().equals("bin/prog")) {
                ((ObjectNode) e).put("digest", sha256(evil));
                ((ObjectNode) e).put("size", evil.length);
            }
        }
        Files.write(record, JSON.writeValueAsBytes(rec));

        Run r = run("--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, r.exit(), r.err());
        assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
        assertFalse(Files.exists(marker), "the forged program must not run");
        assertEquals(ExitCode.REJECTED, cli("verify-installed", "--root", node.toString()).exit());
    }

    /** The JSON-only mode of a file is checked against the signed {@code Veripack-Mode}: no forged exec bit. */
    @Test
    void forgedRecordMarkingAConfigFileExecutableIsRefused() throws Exception {
        Files.writeString(tree.resolve("mme.conf"), "#!/bin/sh\necho pwned > \"$MARKER\"\n");
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        Path slot = node.resolve("current").toRealPath();
        Path record = node.resolve("state/slots/" + slot.getFileName() + ".json");
        ObjectNode rec = (ObjectNode) JSON.readTree(record.toFile());
        for (JsonNode e : (ArrayNode) rec.get("entries")) {
            if (e.get("path").asText().equals("mme.conf")) {
                ((ObjectNode) e).put("mode", "0755");
            }
        }
        Files.write(record, JSON.writeValueAsBytes(rec));
        Files.setPosixFilePermissions(slot.resolve("mme.conf"), PosixFilePermissions.fromString("r-xr-xr-x"));
        Run r = run("--", "mme.conf");
        assertEquals(ExitCode.TAMPERED, r.exit(), r.err());
        assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
        assertFalse(Files.exists(marker));
    }

    @Test
    void sealedManifestSwappedForAnotherSignedManifestIsRefused() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        String slotName = node.resolve("current").toRealPath().getFileName().toString();
        // a genuinely signed manifest of another build: valid signature, but not the one this slot was named after
        Files.writeString(tree.resolve("mme.conf"), "plmn=99999\n");
        Path other = sign("acme-mme", "1.0-evil");
        Path otherNode = dir.resolve("other-node");
        assertEquals(ExitCode.OK, cli("trust", "set", "--root", otherNode.toString(), "--trust", anchor.toString()).exit());
        assertEquals(ExitCode.OK, cli("install", "--root", otherNode.toString(), other.toString()).exit());
        Path otherSlot = otherNode.resolve("current").toRealPath();
        Files.copy(otherNode.resolve("state/slots/" + otherSlot.getFileName() + ".mf"), node.resolve("state/slots/" + slotName + ".mf"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Run r = run("--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, r.exit(), r.err());
        assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
    }

    @Test
    void sealedTrustAnchorReplacedByARogueRootIsRefused() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        String slotName = node.resolve("current").toRealPath().getFileName().toString();
        Path record = node.resolve("state/slots/" + slotName + ".json");
        ObjectNode rec = (ObjectNode) JSON.readTree(record.toFile());
        Issued rogue = TestPki.cert("CN=Rogue Root").ca(true).build();
        ArrayNode anchors = ((ObjectNode) rec.get("trust")).putArray("trustAnchors");
        anchors.add(java.util.Base64.getEncoder().encodeToString(rogue.certificate().getEncoded()));
        Files.write(record, JSON.writeValueAsBytes(rec));
        Run r = run("--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, r.exit(), r.err());
        assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
    }

    @Test
    void optionTwoPackageIsSealedWithItsPackageCopyAndReverified() throws Exception {
        Path out = dir.resolve("acme-opt2.zip");
        CsarSigner.builder(vendor).name("acme-mme").version("1.0").build().writeOption2(tree, out);
        Run r = install(out);
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals(7, run("--", "bin/prog").exit());
        String slotName = node.resolve("current").toRealPath().getFileName().toString();
        Path copy = node.resolve("state/slots/" + slotName + ".package");
        assertTrue(Files.isRegularFile(copy));
        byte[] b = Files.readAllBytes(copy);
        b[b.length / 2] ^= 1;
        Files.write(copy, b);
        Run refused = run("--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, refused.exit(), refused.err());
        assertTrue(refused.err().contains("INSTALLATION_TAMPERED"), refused.err());
    }

    // --- re-installing the active version ---

    @Test
    void reinstallOverATamperedActiveSlotRepairsIt() throws Exception {
        Path v1 = sign("acme-mme", "1.0");
        assertEquals(ExitCode.OK, install(v1).exit());
        Path prog = node.resolve("current").toRealPath().resolve("bin/prog");
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(prog, "#!/bin/sh\necho pwned > \"$MARKER\"\n", StandardOpenOption.TRUNCATE_EXISTING);
        assertEquals(ExitCode.TAMPERED, run("--", "bin/prog").exit());

        Run again = install(v1);
        assertEquals(ExitCode.OK, again.exit(), again.err());
        assertEquals("REPAIRED", again.json().get("outcome").asText());
        Run r = run("--", "bin/prog");
        assertEquals(7, r.exit(), r.err());
        assertTrue(Files.readString(marker).startsWith("genuine"));
        assertTrue(audit().contains("\"event\":\"install.repair\""));
        assertEquals(ExitCode.OK, cli("verify-installed", "--root", node.toString()).exit());
        assertEquals(ExitCode.OK, cli("audit", "verify", "--root", node.toString()).exit());
        try (var s = Files.list(node.resolve("slots"))) {
            assertEquals(1, s.count(), "the tampered slot is discarded");
        }
    }

    @Test
    void reinstallOfTheActiveVersionBelowTheFloorIsAlreadyActive() throws Exception {
        Path v21 = sign("acme-mme", "2.1");
        assertEquals(ExitCode.OK, install(v21).exit());
        assertEquals(ExitCode.OK, install(sign("acme-mme", "2.2")).exit());
        assertEquals(ExitCode.OK, cli("rollback", "--root", node.toString()).exit());
        assertEquals("2.2", status().path("highestActivated").path("acme-mme").asText());
        Run again = install(v21);
        assertEquals(ExitCode.OK, again.exit(), again.err());
        assertEquals("ALREADY_ACTIVE", again.json().get("outcome").asText());
        assertEquals("2.1", status().path("active").path("version").asText());
        assertTrue(status().path("previous").isNull(), "a rollback leaves no target; re-installing the active version adds none");
        assertEquals("2.2", status().path("rolledBackFrom").asText());
    }

    // --- one node, one product ---

    @Test
    void packageWithAnotherNameCannotBypassAntiRollback() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "2.2")).exit());
        Run other = install(sign("mme", "0.1"));
        assertEquals(ExitCode.REJECTED, other.exit(), other.err());
        assertEquals(List.of("PACKAGE_MISMATCH"), codes(other));
        JsonNode f = other.json().path("report").path("findings").get(0);
        assertEquals("acme-mme", f.path("expected").asText());
        assertEquals("mme", f.path("actual").asText());
        assertEquals("2.2", status().path("active").path("version").asText());
    }

    @Test
    void productFromNodeConfigRefusesTheFirstPackageOfAnotherName() throws Exception {
        Files.createDirectories(node);
        Files.writeString(node.resolve("config.yaml"), "product: acme-mme\n");
        Files.setPosixFilePermissions(node.resolve("config.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        Run other = install(sign("mme", "0.1"));
        assertEquals(ExitCode.REJECTED, other.exit(), other.err());
        assertEquals(List.of("PACKAGE_MISMATCH"), codes(other));
        assertTrue(status().path("active").isNull());
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
    }

    @Test
    void rollbackToASlotOfAnotherProductIsRefused() throws Exception {
        assertEquals(ExitCode.OK, install(sign("mme", "0.1")).exit());
        Files.writeString(node.resolve("config.yaml"), "product: acme-mme\n");
        Files.setPosixFilePermissions(node.resolve("config.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals("mme", status().path("previous").path("name").asText(status().toString()));
        Run r = cli("rollback", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(r.err().contains("PACKAGE_MISMATCH"), r.err());
        assertEquals("acme-mme", status().path("active").path("name").asText());
    }

    @Test
    void duplicateKeyInNodeConfigIsAUsageError() throws Exception {
        Files.createDirectories(node);
        Files.writeString(node.resolve("config.yaml"), "product: acme-mme\nproduct: mme\n");
        Files.setPosixFilePermissions(node.resolve("config.yaml"), PosixFilePermissions.fromString("rw-r--r--"));
        Run r = install(sign("mme", "0.1"));
        assertEquals(ExitCode.USAGE, r.exit(), r.err());
        assertTrue(r.err().contains("product"), r.err());
        assertFalse(Files.exists(node.resolve("current"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    // --- a bad previous link ---

    @Test
    void previousLinkToEtcDoesNotTakeTheNodeDown() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        Files.createSymbolicLink(node.resolve("previous"), Path.of("/etc"));
        Run r = run("--", "bin/prog");
        assertEquals(7, r.exit(), r.err());
        assertTrue(audit().contains("removed a bad previous link"), audit());
        assertFalse(Files.exists(node.resolve("previous"), java.nio.file.LinkOption.NOFOLLOW_LINKS));

        Files.createSymbolicLink(node.resolve("previous"), Path.of("slots/does-not-exist"));
        assertTrue(status().path("previous").isNull());
        Files.createSymbolicLink(node.resolve("previous"), Path.of("../../etc"));
        assertEquals(ExitCode.OK, install(sign("acme-mme", "2.0")).exit());
        assertEquals("1.0", status().path("previous").path("version").asText());
    }

    // --- loader variables ---

    @Test
    void loaderVariablesOutsideTheSlotAreRefused() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        for (String env : List.of("LD_LIBRARY_PATH=../../../../tmp", "LD_LIBRARY_PATH=lib:/tmp", "LD_LIBRARY_PATH=lib;/tmp/evil",
                "LD_LIBRARY_PATH=;/tmp", "LD_PRELOAD=lib/libs1ap.so;/tmp/x.so", "LD_PRELOAD=/tmp/x.so",
                "LD_AUDIT=../../x.so", "LD_PRELOAD=lib/libs1ap.so /tmp/x.so")) {
            Run r = run("--env", env, "--", "bin/prog");
            assertEquals(ExitCode.USAGE, r.exit(), env + ": " + r.err());
            assertFalse(Files.exists(marker), env);
        }
        Run ok = run("--env", "LD_LIBRARY_PATH=lib", "--", "bin/prog");
        assertEquals(7, ok.exit(), ok.err());
        Path slotName = node.resolve("current").toRealPath().getFileName();
        assertEquals("genuine " + node.toAbsolutePath().resolve("slots").resolve(slotName).resolve("lib") + "\n",
                Files.readString(marker));
    }

    @Test
    void inheritedEnvironmentIsNotPassedToTheProgram() throws Exception {
        // run the guard as a real process with GCONV_PATH, a foreign PATH and LD_PRELOAD in its environment
        Files.writeString(tree.resolve("bin/prog"), "#!/bin/sh\nenv > \"$MARKER\"\nexit 7\n");
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "run", "--root", node.toString(), "--env", "MARKER=" + marker, "--", "bin/prog").redirectErrorStream(true);
        pb.environment().put("GCONV_PATH", "/tmp/evil-gconv");
        pb.environment().put("PATH", "/tmp/evil-bin:/usr/bin:/bin");
        pb.environment().put("LD_PRELOAD", "/tmp/evil.so");
        pb.environment().put("LANG", "C.UTF-8");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(7, p.exitValue(), out);
        List<String> env = Files.readAllLines(marker);
        assertTrue(env.contains("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), env.toString());
        assertTrue(env.contains("LANG=C.UTF-8"), env.toString());
        assertTrue(env.stream().noneMatch(l -> l.startsWith("GCONV_PATH=") || l.startsWith("LD_PRELOAD=")), env.toString());
    }

    // --- audit truncation ---

    @Test
    void truncatingEmptyingOrDeletingTheAuditLogIsDetected() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals(7, run("--", "bin/prog").exit());
        Path log = node.resolve("audit/events.jsonl");
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.size() >= 3);
        assertEquals(ExitCode.OK, cli("audit", "verify", "--root", node.toString()).exit());

        Files.write(log, (lines.get(0) + "\n" + lines.get(1) + "\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
        Files.write(log, new byte[0]);
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
        Files.delete(log);
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());

        List<String> edited = new ArrayList<>(lines);
        edited.set(1, edited.get(1).replace("\"user\":\"", "\"user\":\"mallory-"));
        Files.write(log, (String.join("\n", edited) + "\n").getBytes(StandardCharsets.UTF_8));
        Run r = cli("audit", "verify", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, r.exit());
        assertTrue(r.err().contains("line 3"), r.err());
    }

    // --- lines appended after the sealed head; a deleted head ---

    @Test
    void forgedLineAppendedWithACorrectChainIsReportedAlsoAfterTheNextGenuineAppend() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        Path log = node.resolve("audit/events.jsonl");
        List<String> lines = Files.readAllLines(log);
        ObjectNode forged = (ObjectNode) JSON.readTree(lines.get(lines.size() - 1));
        forged.put("event", "install.accepted").put("version", "9.9").put("detail", "forged");
        forged.put("prev_sha256", sha256(lines.get(lines.size() - 1).getBytes(StandardCharsets.UTF_8)));
        Files.writeString(log, JSON.writeValueAsString(forged) + "\n", StandardOpenOption.APPEND);
        Run r = cli("audit", "verify", "--root", node.toString());
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        assertTrue(r.err().contains("line " + (lines.size() + 1)), r.err());

        assertEquals(7, run("--", "bin/prog").exit()); // a genuine append must not seal the forged line
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
    }

    @Test
    void deletingTheAuditHeadThenTruncatingIsReported() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        assertEquals(7, run("--", "bin/prog").exit());
        Path log = node.resolve("audit/events.jsonl");
        List<String> lines = Files.readAllLines(log);
        Files.delete(node.resolve("state/audit-head.json"));
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
        Files.write(log, (lines.get(0) + "\n").getBytes(StandardCharsets.UTF_8));
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
        assertEquals(7, run("--", "bin/prog").exit());
        assertEquals(ExitCode.REJECTED, cli("audit", "verify", "--root", node.toString()).exit());
    }

    // --- a StrictModes refusal touches nothing ---

    @Test
    void installUnderAWorldWritableParentIsRefusedWithoutCreatingTheNodeDirectory() throws Exception {
        Path ww = Files.createDirectories(dir.resolve("ww"));
        Files.setPosixFilePermissions(ww, PosixFilePermissions.fromString("rwxrwxrwx"));
        for (Path root : List.of(ww.resolve("node"), ww.resolve("a/b/node"))) {
            Run t = cli("trust", "set", "--root", root.toString(), "--trust", anchor.toString());
            assertEquals(ExitCode.USAGE, t.exit(), t.err());
            assertTrue(t.err().contains(ww.toString()), t.err());
            Run r = cli("install", "--root", root.toString(), sign("acme-mme", "1.0").toString());
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains(ww.toString()), r.err());
        }
        try (var s = Files.list(ww)) {
            assertEquals(0, s.count(), "nothing created under the unsafe parent");
        }
    }

    // --- current replaced by a link outside slots/ ---

    @Test
    void currentPointingOutsideSlotsIsATamperRefusalWithoutJavaClassNames() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        Path slot = node.resolve("current").toRealPath();
        Path copy = dir.resolve("copy");
        assertEquals(0, sh("cp", "-a", slot.toString(), copy.toString()));
        for (Path target : List.of(copy, Path.of("../copy"), Path.of("/etc"))) {
            Files.delete(node.resolve("current"));
            Files.createSymbolicLink(node.resolve("current"), target);
            Run r = run("--", "bin/prog");
            assertEquals(ExitCode.TAMPERED, r.exit(), target + ": " + r.err());
            assertTrue(r.err().contains("INSTALLATION_TAMPERED"), r.err());
            assertFalse(r.err().contains("java.") || r.err().contains("Exception"), r.err());
            assertFalse(Files.exists(marker), "nothing ran");
        }
        assertTrue(Files.isDirectory(slot), "recovery did not collect the genuine slot");
    }

    // --- exit codes and honest messages ---

    @Test
    void installWithARootThatIsAFileIsAUsageError() throws Exception {
        Path file = Files.writeString(dir.resolve("passwd"), "root:x:0:0::/root:/bin/sh\n");
        for (String[] args : List.of(new String[] {"trust", "set", "--root", file.toString(), "--trust", anchor.toString()},
                new String[] {"install", "--root", file.toString(), sign("acme-mme", "1.0").toString()})) {
            Run r = cli(args);
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(r.err().contains(file.toString()), r.err());
        }
        assertEquals("root:x:0:0::/root:/bin/sh\n", Files.readString(file));
        Run under = cli("trust", "set", "--root", file.resolve("sub").toString(), "--trust", anchor.toString());
        assertEquals(ExitCode.USAGE, under.exit(), under.err());
        Run underInstall = cli("install", "--root", file.resolve("sub").toString(), sign("acme-mme", "1.0").toString());
        assertEquals(ExitCode.USAGE, underInstall.exit(), underInstall.err());
    }

    @Test
    void runOnAnEmptyNodeSaysNothingIsInstalledWithoutATamperFinding() throws Exception {
        Files.createDirectories(node.resolve("slots"));
        Files.createDirectories(node.resolve("state"));
        Run r = run("--", "bin/prog");
        assertEquals(ExitCode.TAMPERED, r.exit());
        assertTrue(r.err().contains("no active version installed"), r.err());
        assertFalse(r.err().contains("INSTALLATION_TAMPERED"), r.err());
    }

    @Test
    void runWithAMistypedOrNonExecutableProgramIsAUsageErrorAndAudited() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "1.0")).exit());
        for (String bad : List.of("bin/porg", "mme.conf", "lib", "/bin/sh")) {
            Run r = run("--", bad);
            assertEquals(ExitCode.USAGE, r.exit(), bad + ": " + r.err());
            assertFalse(r.err().contains("INSTALLATION_TAMPERED"), r.err());
        }
        String audit = audit();
        assertTrue(audit.contains("\"event\":\"guard.refused\"") && audit.contains("bin/porg"), audit);
        assertEquals(7, run("--", "bin/prog").exit());
    }

    // --- status for humans ---

    @Test
    void statusPrintsReadableLines() throws Exception {
        assertEquals(ExitCode.OK, install(sign("acme-mme", "2.2")).exit());
        Run r = cli("status", "--root", node.toString());
        assertEquals(ExitCode.OK, r.exit());
        assertFalse(r.out().contains("{"), r.out());
        assertTrue(r.out().contains("version floor: acme-mme 2.2"), r.out());
        assertNotEquals(-1, r.out().indexOf("active:"));
    }
}
