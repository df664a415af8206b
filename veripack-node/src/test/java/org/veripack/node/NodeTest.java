package org.veripack.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;
import org.veripack.core.RevocationSource;
import org.veripack.core.csar.HostileZips;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;
import org.veripack.node.internal.Failpoints;
import org.veripack.node.internal.NodeLayout;
import org.veripack.node.internal.NodeLock;

class NodeTest {
    @TempDir
    Path dir;

    private String current(Path root) throws Exception {
        return Files.readSymbolicLink(root.resolve("current")).toString();
    }

    private static Set<FindingCode> codes(List<Finding> f) {
        return f.stream().map(Finding::code).collect(Collectors.toSet());
    }

    private static String perms(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void installMakesTheSlotReadOnlySealsItAndActivatesItAtomically() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult r = fx.install("acme-mme", "1.0", true);
        assertEquals(InstallResult.Outcome.ACTIVATED, r.outcome());
        assertEquals("slots/" + r.slot(), current(root));
        assertTrue(r.slot().startsWith("acme-mme-1.0-"));
        Path slot = root.resolve("slots").resolve(r.slot());
        assertEquals("r-xr-xr-x", perms(slot.resolve("bin/prog")));
        assertEquals("r--r--r--", perms(slot.resolve("etc/prog.conf")));
        assertEquals("r-xr-xr-x", perms(slot.resolve("etc")));
        assertEquals("r-xr-xr-x", perms(slot));
        assertEquals("rwx------", perms(root.resolve("staging")));
        assertTrue(Files.isSymbolicLink(slot.resolve("bin/prog-link")));
        assertTrue(Files.exists(root.resolve("state/slots/" + r.slot() + ".json")));
        assertTrue(Files.exists(root.resolve("state/slots/" + r.slot() + ".mf")));
        try (Stream<Path> s = Files.list(root.resolve("staging"))) {
            assertEquals(0, s.count());
        }
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertTrue(node.verifyInstalled().intact());
        NodeStatus st = node.status();
        assertEquals("1.0", st.active().orElseThrow().identity().version());
        assertEquals("CN=Acme Code Signing,O=Acme", st.active().orElseThrow().signer());
        assertEquals(NodeFixture.CLOCK.instant(), st.active().orElseThrow().installedAt());
        assertEquals(Map.of("acme-mme", "1.0"), st.highestActivated());
        assertTrue(st.previous().isEmpty());
        assertEquals("ACCEPTED", st.lastVerification().path("verdict").asText());
        assertTrue(node.auditLog().verify().intact());
    }

    @Test
    void upgradeKeepsPreviousAndDiscardsOlderSlots() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "1.0-1", true);
        assertEquals(a.slot(), b.previousSlot());
        InstallResult c = fx.install("acme-mme", "2.0", true);
        assertEquals(b.slot(), c.previousSlot());
        assertFalse(Files.exists(root.resolve("slots").resolve(a.slot())));
        assertFalse(Files.exists(root.resolve("state/slots/" + a.slot() + ".json")));
        assertEquals("slots/" + b.slot(), Files.readSymbolicLink(root.resolve("previous")).toString());
        assertEquals(Map.of("acme-mme", "2.0"), Node.openExisting(root, NodeFixture.CLOCK).status().highestActivated());
    }

    @Test
    void downgradeBelowTheHighestActivatedVersionIsVersionRollbackAndChangesNothing() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        fx.install("acme-mme", "1.0", true);
        InstallResult up = fx.install("acme-mme", "1.0-1", true);
        InstallResult down = fx.install("acme-mme", "1.0", true);
        assertEquals(InstallResult.Outcome.REJECTED, down.outcome());
        assertTrue(down.report().has(FindingCode.VERSION_ROLLBACK));
        assertEquals("slots/" + up.slot(), current(root));
        try (Stream<Path> s = Files.list(root.resolve("staging"))) {
            assertEquals(0, s.count());
        }
        assertEquals(Map.of("acme-mme", "1.0-1"), Node.openExisting(root, NodeFixture.CLOCK).status().highestActivated());
        String audit = Files.readString(root.resolve("audit/events.jsonl"));
        assertTrue(audit.contains("\"event\":\"install.rejected\"") && audit.contains("VERSION_ROLLBACK"));
    }

    @Test
    void policyWithoutAntiRollbackAllowsTheDowngradeButKeepsTheFloor() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        fx.install("acme-mme", "2.0", true);
        InstallResult down = fx.install("acme-mme", "1.0", false);
        assertEquals(InstallResult.Outcome.ACTIVATED, down.outcome());
        assertEquals(Map.of("acme-mme", "2.0"), Node.openExisting(root, NodeFixture.CLOCK).status().highestActivated());
    }

    /**
     * The floor's order check for a version known before its package (a repository's claim, {@code NodeUpdate}):
     * lower in Debian ordering is {@code VERSION_ROLLBACK} naming the floor; equal, higher (10.0 above 2.0, not
     * string order), another package, anti-rollback off and versions that are not Debian versions are left to the
     * install.
     */
    @Test
    void theFloorOrderOfAClaimedVersionIsTheInstallsOrder() throws Exception {
        NodeFixture fx = new NodeFixture(dir.resolve("node"));
        fx.install("acme-mme", "2.0", true);
        Finding f = fx.activation.checkFloorOrder("acme-mme", "1.9", true).orElseThrow();
        assertEquals(FindingCode.VERSION_ROLLBACK, f.code());
        assertEquals("2.0", f.expected());
        assertEquals("1.9", f.actual());
        assertTrue(fx.activation.checkFloorOrder("acme-mme", "2.0~rc1", true).isPresent(), "~ sorts before the release");
        for (String higherOrEqual : List.of("2.0", "2.0-1", "10.0", "1:1.0")) {
            assertTrue(fx.activation.checkFloorOrder("acme-mme", higherOrEqual, true).isEmpty(), higherOrEqual);
        }
        assertTrue(fx.activation.checkFloorOrder("acme-ims", "1.0", true).isEmpty(), "another package has no floor here");
        assertTrue(fx.activation.checkFloorOrder("acme-mme", "1.0", false).isEmpty(), "anti-rollback off");
        assertTrue(fx.activation.checkFloorOrder("acme-mme", "not a version", true).isEmpty(), "the install decides");
    }

    /**
     * A v4 package versioned by {@code vnf_software_version} cannot be ordered against a floor read from
     * {@code vnf_package_version}: refused while anti-rollback is on; installed with it off, it starts a new
     * floor under its own key, against which later versions of that key are compared.
     */
    @Test
    void antiRollbackComparesOnlyVersionsReadFromTheSameMetadataKey() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "2.0", true);
        InstallResult other = fx.installer.commit(fx.stage("acme-mme", "9.0", "vnf_software_version",
                NodeFixture.program("9.0"), NodeFixture.LEAF.identity()), true, null, IdentityCheck.NONE);
        assertEquals(InstallResult.Outcome.REJECTED, other.outcome());
        Finding f = other.report().findings().stream().filter(x -> x.code() == FindingCode.VERSION_ROLLBACK).findFirst().orElseThrow();
        assertEquals("vnf_package_version", f.expected());
        assertEquals("vnf_software_version", f.actual());
        assertEquals("slots/" + a.slot(), current(root));

        InstallResult forced = fx.installer.commit(fx.stage("acme-mme", "5.0", "vnf_software_version",
                NodeFixture.program("5.0"), NodeFixture.LEAF.identity()), false, null, IdentityCheck.NONE);
        assertEquals(InstallResult.Outcome.ACTIVATED, forced.outcome());
        assertEquals(Map.of("acme-mme", "5.0"), fx.activation.versions().highestActivated());
        assertEquals("vnf_software_version", fx.activation.versions().floorKey("acme-mme").orElseThrow());
        assertTrue(Node.openExisting(root, NodeFixture.CLOCK).verifyInstalled().intact());

        InstallResult lower = fx.installer.commit(fx.stage("acme-mme", "4.9", "vnf_software_version",
                NodeFixture.program("4.9"), NodeFixture.LEAF.identity()), true, null, IdentityCheck.NONE);
        assertTrue(lower.report().has(FindingCode.VERSION_ROLLBACK), lower.report()::toString);
        InstallResult higher = fx.installer.commit(fx.stage("acme-mme", "5.1", "vnf_software_version",
                NodeFixture.program("5.1"), NodeFixture.LEAF.identity()), true, null, IdentityCheck.NONE);
        assertEquals(InstallResult.Outcome.ACTIVATED, higher.outcome());

        // the sealed key is bound to the signed manifest like the version itself
        Path record = root.resolve("state/slots/" + higher.slot() + ".json");
        Files.setPosixFilePermissions(record, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(record, Files.readString(record).replace("\"vnf_software_version\"", "\"vnf_package_version\""));
        GuardDecision d = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertEquals(GuardDecision.Refusal.TAMPERED, d.refusal());
    }

    /** A floor written before the key was kept came from vnf_package_version or pnfd_archive_version. */
    @Test
    void aFloorWithoutItsKeyIsOrderedOnlyAgainstTheKeysThatCouldHaveWrittenIt() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "2.0", true);
        var v = fx.activation.versions();
        fx.activation.writeVersions(new org.veripack.node.internal.ActivationState.Versions(v.highestActivated(), Map.of(),
                v.activeSlot(), v.previousSlot(), v.product()));
        assertTrue(fx.install("acme-mme", "1.0", true).report().has(FindingCode.VERSION_ROLLBACK));
        InstallResult v4 = fx.installer.commit(fx.stage("acme-mme", "3.0", "vnf_software_version",
                NodeFixture.program("3.0"), NodeFixture.LEAF.identity()), true, null, IdentityCheck.NONE);
        assertTrue(v4.report().has(FindingCode.VERSION_ROLLBACK), v4.report()::toString);
        assertEquals(InstallResult.Outcome.ACTIVATED, fx.install("acme-mme", "2.1", true).outcome());
        assertEquals("vnf_package_version", fx.activation.versions().floorKey("acme-mme").orElseThrow());
        assertEquals("slots/" + a.slot(), Files.readSymbolicLink(root.resolve("previous")).toString());
    }

    @Test
    void invalidVersionOrNameIsMalformedPackage() throws Exception {
        NodeFixture fx = new NodeFixture(dir.resolve("node"));
        InstallResult badVersion = fx.installer.commit(fx.stage("acme-mme", "latest", NodeFixture.program("x")), true, null, IdentityCheck.NONE);
        assertTrue(badVersion.report().has(FindingCode.MALFORMED_PACKAGE));
        InstallResult badName = fx.installer.commit(fx.stage("../evil", "1.0", NodeFixture.program("1.0")), true, null, IdentityCheck.NONE);
        assertTrue(badName.report().has(FindingCode.MALFORMED_PACKAGE));
        assertFalse(Files.exists(dir.resolve("node/current"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void reinstallingTheActivePackageIsANoOp() throws Exception {
        NodeFixture fx = new NodeFixture(dir.resolve("node"));
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult again = fx.install("acme-mme", "1.0", true);
        assertEquals(InstallResult.Outcome.ALREADY_ACTIVE, again.outcome());
        assertEquals(a.slot(), again.slot());
    }

    @Test
    void rollbackReverifiesPreviousActivatesItAndKeepsTheVersionFloor() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "1.1", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        RollbackResult rb = node.rollback();
        assertEquals(RollbackResult.Outcome.ROLLED_BACK, rb.outcome());
        assertEquals(a.slot(), rb.active());
        assertEquals("slots/" + a.slot(), current(root));
        assertFalse(Files.exists(root.resolve("previous"), LinkOption.NOFOLLOW_LINKS), "the version rolled back from is no rollback target");
        assertFalse(Files.exists(root.resolve("slots").resolve(b.slot())), "its slot is discarded");
        assertEquals(Map.of("acme-mme", "1.1"), node.status().highestActivated());
        assertEquals("1.1", node.status().rolledBackFrom());
        assertTrue(node.verifyInstalled().intact());
        assertTrue(Files.readString(root.resolve("audit/events.jsonl")).contains("\"event\":\"rollback\""));
        // the identical 1.0 package is the active one: not a downgrade of itself (docs/node.md "Install sequence")
        InstallResult same = fx.install("acme-mme", "1.0", true);
        assertEquals(InstallResult.Outcome.ALREADY_ACTIVE, same.outcome());
        assertEquals(a.slot(), same.slot());
        // another build of 1.0 (re-signed) is still below the floor
        InstallResult rebuilt = fx.installer.commit(fx.stage("acme-mme", "1.0", NodeFixture.program("1.0")), true, null, IdentityCheck.NONE);
        assertTrue(rebuilt.report().has(FindingCode.VERSION_ROLLBACK));
        // 1.1 again (the version rolled back from): accepted, the way back to it
        InstallResult again = fx.install("acme-mme", "1.1", true);
        assertEquals(InstallResult.Outcome.ACTIVATED, again.outcome());
        assertTrue(Node.openExisting(root, NodeFixture.CLOCK).verifyInstalled().intact());
    }

    /**
     * The installer binds the seal to the verifier's proof instead of verifying again: an option-2 package replaced on
     * disk between verification and the seal (the copy the guard re-verifies later) is refused, nothing is activated.
     */
    @Test
    void optionTwoPackageReplacedBetweenVerificationAndSealIsRefused() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\nexit 0\n");
        Path csar = dir.resolve("opt2.csar");
        Path other = dir.resolve("opt2-other.csar");
        CsarSigner.builder(NodeFixture.LEAF.identity()).name("acme-mme").version("1.0").clock(NodeFixture.CLOCK)
                .build().writeOption2(tree.getParent(), csar);
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\nexit 1\n");
        CsarSigner.builder(NodeFixture.LEAF.identity()).name("acme-mme").version("1.0").clock(NodeFixture.CLOCK)
                .build().writeOption2(tree.getParent(), other);
        var staged = fx.stage(csar);
        Files.copy(other, csar, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // a genuinely signed package, not the one verified
        InstallResult r = fx.installer.commit(staged, true, null, IdentityCheck.NONE);
        assertEquals(InstallResult.Outcome.REJECTED, r.outcome(), r.report()::toString);
        assertEquals(List.of(FindingCode.MALFORMED_PACKAGE), r.report().findings().stream().map(Finding::code).toList());
        assertFalse(Files.exists(root.resolve("current"), LinkOption.NOFOLLOW_LINKS), "nothing activated");
        // the package left alone installs
        Files.copy(other, csar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(InstallResult.Outcome.ACTIVATED, fx.installer.commit(fx.stage(csar), true, null, IdentityCheck.NONE).outcome());
    }

    @Test
    void rollbackToATamperedPreviousSlotIsRefusedAndChangesNothing() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "1.1", true);
        Path conf = root.resolve("slots").resolve(a.slot()).resolve("etc/prog.conf");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(conf, "version=evil\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("r--r--r--"));
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        RollbackResult r = node.rollback();
        assertEquals(RollbackResult.Outcome.REFUSED, r.outcome());
        assertEquals(Set.of(FindingCode.INSTALLATION_TAMPERED), codes(r.findings()));
        assertEquals("slots/" + b.slot(), current(root));
        assertEquals("slots/" + a.slot(), Files.readSymbolicLink(root.resolve("previous")).toString());
    }

    @Test
    void rollbackWithOneVersionHasNoTargetIsAuditedAndChangesNothing() throws Exception {
        Path root = dir.resolve("node");
        InstallResult a = new NodeFixture(root).install("acme-mme", "1.0", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        RollbackResult r = node.rollback();
        assertEquals(RollbackResult.Outcome.NO_TARGET, r.outcome());
        assertEquals(a.slot(), r.active());
        assertEquals("slots/" + a.slot(), current(root));
        assertTrue(lastAuditLine(root).contains("\"event\":\"rollback.refused\""), lastAuditLine(root));
        assertTrue(node.auditLog().verify().intact());
    }

    @Test
    void rollbackOnANodeWithNothingInstalledHasNoTarget() throws Exception {
        Path root = dir.resolve("node");
        new NodeFixture(root);
        RollbackResult r = Node.open(root, NodeFixture.CLOCK).rollback();
        assertEquals(RollbackResult.Outcome.NO_TARGET, r.outcome());
        assertNull(r.active());
        assertTrue(lastAuditLine(root).contains("\"event\":\"rollback.refused\""), lastAuditLine(root));
    }

    /** Rollback goes back one activation and never forward: the second rollback has no target (it used to swap back to 1.1). */
    @Test
    void rollbackTwiceRefusesTheSecondTimeAndNeverRollsForward() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        fx.install("acme-mme", "1.1", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertTrue(node.rollback().rolledBack());
        String auditBefore = Files.readString(root.resolve("audit/events.jsonl"));
        RollbackResult second = node.rollback();
        assertEquals(RollbackResult.Outcome.NO_TARGET, second.outcome());
        assertEquals(a.slot(), second.active());
        assertEquals("slots/" + a.slot(), current(root), "still 1.0, not rolled forward to 1.1");
        assertTrue(node.guard("bin/prog").allowed(), "the active version still runs");
        String added = Files.readString(root.resolve("audit/events.jsonl")).substring(auditBefore.length());
        assertTrue(added.contains("\"event\":\"rollback.refused\"") && added.contains("\"REFUSED\""), added);
        assertEquals("1.1", node.status().rolledBackFrom());
    }

    /**
     * "Before the active one" after each sequence (docs/node.md "Rollback"): install A, install B, rollback -> A;
     * install C makes A (the formerly active version) the target again, so rollback -> A; then there is none.
     */
    @Test
    void anInstallMakesTheFormerlyActiveVersionTheRollbackTarget() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        fx.install("acme-mme", "1.1", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertEquals(a.slot(), node.rollback().active());
        InstallResult c = fx.install("acme-mme", "1.2", true);
        assertEquals(InstallResult.Outcome.ACTIVATED, c.outcome());
        assertEquals(a.slot(), c.previousSlot());
        node = Node.openExisting(root, NodeFixture.CLOCK);
        assertNull(node.status().rolledBackFrom(), "1.2 was installed, not reached by a rollback");
        RollbackResult rb = node.rollback();
        assertEquals(RollbackResult.Outcome.ROLLED_BACK, rb.outcome());
        assertEquals(a.slot(), rb.active());
        assertEquals(Map.of("acme-mme", "1.2"), node.status().highestActivated());
        assertEquals(RollbackResult.Outcome.NO_TARGET, node.rollback().outcome());
    }

    /** A rollback killed after switching current but before removing previous: recovery removes the self-reference. */
    @Test
    void recoveryRemovesAPreviousLinkThatNamesTheActiveSlot() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "1.1", true);
        fx.activation.writeVersions(fx.activation.versions().rolledBack(a.slot(), "1.1"));
        Files.delete(root.resolve("current"));
        Files.createSymbolicLink(root.resolve("current"), Path.of("slots", a.slot()));
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertEquals("slots/" + a.slot(), current(root));
        assertFalse(Files.exists(root.resolve("previous"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(root.resolve("slots").resolve(b.slot())));
        assertEquals(RollbackResult.Outcome.NO_TARGET, node.rollback().outcome());
        assertTrue(node.verifyInstalled().intact());
    }

    private static String lastAuditLine(Path root) throws IOException {
        List<String> lines = Files.readAllLines(root.resolve("audit/events.jsonl"));
        return lines.get(lines.size() - 1);
    }

    @Test
    void guardRunsAnIntactProgramWithEnvAndPassesItsExitCodeThrough() throws Exception {
        Path root = dir.resolve("node");
        new NodeFixture(root).install("acme-mme", "1.0", true);
        Path marker = dir.resolve("marker");
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        GuardDecision d = node.guard("bin/prog-link");
        assertTrue(d.allowed(), String.valueOf(d.findings()));
        int exit = ProgramLauncher.run(d, List.of(), Map.of("MARKER", marker.toString(), "GREETING", "hello"));
        assertEquals(7, exit);
        assertEquals("hello\n", Files.readString(marker));
        assertTrue(Files.readString(root.resolve("audit/events.jsonl")).contains("\"event\":\"guard.allowed\""));
    }

    @Test
    void guardNeverStartsATamperedProgram() throws Exception {
        Path root = dir.resolve("node");
        InstallResult r = new NodeFixture(root).install("acme-mme", "1.0", true);
        Path prog = root.resolve("slots").resolve(r.slot()).resolve("bin/prog");
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] b = Files.readAllBytes(prog);
        b[b.length - 2] = '0'; // "exit 7" -> "exit 0"
        Files.write(prog, b, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("r-xr-xr-x"));
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        GuardDecision d = node.guard("bin/prog");
        assertFalse(d.allowed());
        assertEquals(Set.of(FindingCode.INSTALLATION_TAMPERED), codes(d.findings()));
        assertEquals("bin/prog", d.findings().get(0).subject());
        assertThrows(IllegalArgumentException.class, () -> ProgramLauncher.run(d, List.of(), Map.of()));
        assertFalse(node.verifyInstalled().intact());
        String audit = Files.readString(root.resolve("audit/events.jsonl"));
        assertTrue(audit.contains("\"event\":\"guard.refused\"") && audit.contains("INSTALLATION_TAMPERED"));
    }

    @Test
    void everyKindOfSlotTamperingIsFound() throws Exception {
        Path root = dir.resolve("node");
        InstallResult r = new NodeFixture(root).install("acme-mme", "1.0", true);
        Path slot = root.resolve("slots").resolve(r.slot());
        Files.setPosixFilePermissions(slot, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(slot.resolve("bin"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(slot.resolve("bin/trojan"), "#!/bin/sh\n");                        // extra file
        Files.delete(slot.resolve("VERSION"));                                                // missing file
        Files.setPosixFilePermissions(slot.resolve("etc/prog.conf"), PosixFilePermissions.fromString("rwxr-xr-x")); // mode
        Files.delete(slot.resolve("bin/prog-link"));
        Files.createSymbolicLink(slot.resolve("bin/prog-link"), Path.of("/bin/sh"));          // retargeted link
        List<Finding> f = Node.openExisting(root, NodeFixture.CLOCK).verifyInstalled().findings();
        Set<String> subjects = f.stream().map(Finding::subject).collect(Collectors.toSet());
        assertEquals(Set.of(".", "bin", "bin/trojan", "VERSION", "etc/prog.conf", "bin/prog-link"), subjects);
        assertEquals(Set.of(FindingCode.INSTALLATION_TAMPERED), codes(f));
    }

    /** A 5 MiB file is hashed through many read buffers: one flipped byte in its middle is found. */
    @Test
    void oneByteFlippedInALargeInstalledFileIsFound() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        Map<String, NodeFixture.Entry> entries = NodeFixture.program("1.0");
        byte[] image = new byte[5 * 1024 * 1024 + 3];
        new java.util.Random(5).nextBytes(image);
        entries.put("lib/image.bin", new NodeFixture.Entry(image, 0644, null));
        InstallResult r = fx.installer.commit(fx.stage("acme-mme", "1.0", entries), true, null, IdentityCheck.NONE);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertEquals(List.of(), node.verifyInstalled().findings());
        Path file = root.resolve("slots").resolve(r.slot()).resolve("lib/image.bin");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        image[image.length / 2] ^= 0x01;
        Files.write(file, image);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--")); // only the content differs
        List<Finding> f = node.verifyInstalled().findings();
        assertEquals(1, f.size(), f::toString);
        assertEquals(FindingCode.INSTALLATION_TAMPERED, f.get(0).code());
        assertEquals("lib/image.bin", f.get(0).subject());
        assertTrue(f.get(0).detail().contains("content digest changed"), f.get(0)::toString);
    }

    @Test
    void guardRefusesProgramPathsOutsideTheSlot() throws Exception {
        Path root = dir.resolve("node");
        new NodeFixture(root).install("acme-mme", "1.0", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        for (String bad : new String[] {"../../../bin/sh", "/bin/sh", "bin/../../x", "etc/prog.conf", "missing", "bin"}) {
            GuardDecision d = node.guard(bad);
            assertFalse(d.allowed(), bad);
            assertEquals(GuardDecision.Refusal.BAD_PROGRAM, d.refusal(), bad);
            assertTrue(d.findings().isEmpty(), bad);
        }
    }

    @Test
    void guardWithNothingInstalledRefuses() throws Exception {
        Path root = dir.resolve("node");
        new NodeFixture(root);
        GuardDecision d = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertFalse(d.allowed());
        assertEquals(GuardDecision.Refusal.NOTHING_INSTALLED, d.refusal());
        assertTrue(d.findings().isEmpty(), "nothing installed is not tampering");
    }

    /** The last {@code install.*} event of the node's audit log. */
    private static JsonNode lastInstallEvent(Path root) throws Exception {
        List<String> lines = Files.readAllLines(root.resolve("audit/events.jsonl"));
        for (int i = lines.size() - 1; i >= 0; i--) {
            JsonNode e = new ObjectMapper().readTree(lines.get(i));
            if (e.get("event").asText().startsWith("install.")) {
                return e;
            }
        }
        throw new AssertionError("no install event");
    }

    private static long installEvents(Path root) throws Exception {
        return Files.readAllLines(root.resolve("audit/events.jsonl")).stream().filter(l -> l.contains("\"event\":\"install.")).count();
    }

    @Test
    void everyInstallAttemptLeavesOneAuditEventWithItsVerdictAndTheActiveVersion() throws Exception {
        Path root = dir.resolve("node");
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\n");
        Path v1 = dir.resolve("v1.csar");
        Path v2 = dir.resolve("v2.csar");
        CsarSigner.builder(NodeFixture.LEAF.identity()).name("acme-mme").version("1.0")
                .clock(NodeFixture.CLOCK).build().writeOption1(dir.resolve("tree"), v1);
        CsarSigner.builder(NodeFixture.LEAF.identity()).name("acme-mme").version("1.1")
                .clock(NodeFixture.CLOCK).build().writeOption1(dir.resolve("tree"), v2);
        Node node = Node.open(root, NodeFixture.CLOCK);
        RevocationSource offline = RevocationSource.offline();

        // failed before verification: the node has no trust store yet
        assertThrows(NodeTrustException.class, () -> node.install(v1, offline));
        assertEquals(1, installEvents(root));
        assertEquals("ERROR", lastInstallEvent(root).get("verdict").asText());
        Path pem = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(pem, NodeFixture.ROOT.certificate());
        NodeTrust.of(root).setAnchors(List.of(pem));

        assertEquals(InstallResult.Outcome.ACTIVATED, node.install(v1, offline).outcome());
        assertEquals("ACCEPTED", lastInstallEvent(root).get("verdict").asText());
        String active = current(root);

        // rejected before any entry is parsed: the 300 000-entry zip
        Path hostile = HostileZips.emptyEntries(dir.resolve("300k.zip"),
                HostileZips.OVER_DEFAULT_ENTRIES);
        long before = installEvents(root);
        InstallResult r = node.install(hostile, offline);
        assertEquals(InstallResult.Outcome.REJECTED, r.outcome());
        assertEquals(Set.of(FindingCode.LIMIT_EXCEEDED), codes(r.report().findings()));
        assertEquals(before + 1, installEvents(root));
        assertEquals("REJECTED", lastInstallEvent(root).get("verdict").asText());
        assertEquals("[\"LIMIT_EXCEEDED\"]", lastInstallEvent(root).get("findings").toString());
        assertEquals(active, current(root));

        // failed with an internal error (an Error, not an exception): audited, then rethrown
        Failpoints.armForTest("install.staging-created:oom");
        try {
            assertThrows(OutOfMemoryError.class, () -> node.install(v2, offline));
        } finally {
            Failpoints.armForTest(null);
        }
        assertEquals(before + 2, installEvents(root));
        JsonNode failed = lastInstallEvent(root);
        assertEquals("install.failed", failed.get("event").asText());
        assertEquals("ERROR", failed.get("verdict").asText());
        assertTrue(failed.get("detail").asText().startsWith("OutOfMemoryError"), failed::toString);
        assertEquals(active, current(root));
        try (Stream<Path> s = Files.list(root.resolve("staging"))) {
            assertEquals(0, s.count(), "the attempt's staging removed");
        }

        // refused because another installer holds the node: audited too
        try (NodeLock held = NodeLock.tryAcquire(new NodeLayout(root)).orElseThrow()) {
            assertThrows(NodeBusyException.class, () -> node.install(v2, offline));
        }
        assertEquals(before + 3, installEvents(root));
        assertEquals("ERROR", lastInstallEvent(root).get("verdict").asText());
        assertEquals(active, current(root));
        assertTrue(node.auditLog().verify().intact());
    }

    @Test
    void secondInstallerIsRefusedWhileTheLockIsHeld() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        fx.install("acme-mme", "1.0", true);
        fx.install("acme-mme", "1.1", true);
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        try (NodeLock held = NodeLock.tryAcquire(fx.layout).orElseThrow()) {
            assertThrows(NodeBusyException.class, () -> node.install(dir.resolve("any.csar"), RevocationSource.offline()));
            assertThrows(NodeBusyException.class, node::rollback);
            assertTrue(NodeLock.tryAcquire(fx.layout).isEmpty());
            // read-only commands still work (and skip recovery)
            assertTrue(node.verifyInstalled().intact());
        }
        assertTrue(NodeLock.tryAcquire(fx.layout).isPresent());
    }

    @Test
    void recoveryEmptiesStagingAndDiscardsAnUnactivatedSlot() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        // a crash after extraction: staging holds a half-written tree
        fx.stage("acme-mme", "2.0", NodeFixture.program("2.0"));
        // a crash after the slot was moved into place but before activation
        Path orphan = root.resolve("slots/acme-mme-3.0-000000000000");
        Files.createDirectories(orphan.resolve("bin"));
        Files.writeString(root.resolve("state/slots/acme-mme-3.0-000000000000.json"), "{}");
        Files.writeString(root.resolve("current.tmp-0011223344556677"), "x");
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        try (Stream<Path> s = Files.list(root.resolve("staging"))) {
            assertEquals(0, s.count());
        }
        assertFalse(Files.exists(orphan));
        assertFalse(Files.exists(root.resolve("state/slots/acme-mme-3.0-000000000000.json")));
        assertFalse(Files.exists(root.resolve("current.tmp-0011223344556677")));
        assertEquals("slots/" + a.slot(), current(root));
        assertTrue(node.verifyInstalled().intact());
        assertTrue(Files.readString(root.resolve("audit/events.jsonl")).contains("\"event\":\"recovery\""));
        assertTrue(node.auditLog().verify().intact());
    }

    @Test
    void recoveryFinishesAnActivationWhoseStateUpdateWasCutOff() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "2.0", true);
        // simulate: symlinks already switched to b, but versions.json still says a / 1.0
        var v = fx.activation.versions();
        fx.activation.writeVersions(new org.veripack.node.internal.ActivationState.Versions(Map.of("acme-mme", "1.0"),
                Map.of("acme-mme", "vnf_package_version"), a.slot(), null, "acme-mme"));
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertEquals(Map.of("acme-mme", "2.0"), node.status().highestActivated());
        assertEquals(b.slot(), fx.activation.versions().activeSlot());
        assertEquals(v.previousSlot(), fx.activation.versions().previousSlot());
    }

    @Test
    void recoveryRestoresPreviousWhenACrashHitBetweenTheTwoRenames() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult a = fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "2.0", true);
        // the next install renamed previous -> b (the current) and died before renaming current
        Files.delete(root.resolve("previous"));
        Files.createSymbolicLink(root.resolve("previous"), Path.of("slots", b.slot()));
        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        assertEquals("slots/" + a.slot(), Files.readSymbolicLink(root.resolve("previous")).toString());
        assertEquals("slots/" + b.slot(), current(root));
        assertTrue(node.verifyInstalled().intact());
    }

    /**
     * The guard re-verifies the sealed signed manifest at the sealed verification instant: a signer certificate
     * that expired after the install does not stop the installed version from running (docs/node.md "Install sequence", guard re-verification).
     */
    @Test
    void guardReverifiesAtTheSealedInstantSoALaterExpiredSignerStillRuns() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        TestPki.Issued shortLived = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(NodeFixture.ROOT)
                .validity(java.time.Instant.parse("2025-01-01T00:00:00Z"), java.time.Instant.parse("2026-02-01T00:00:00Z")).build();
        InstallResult r = fx.installer.commit(fx.stage("acme-mme", "1.0", NodeFixture.program("1.0"), shortLived.identity()), true, null, IdentityCheck.NONE);
        assertEquals(InstallResult.Outcome.ACTIVATED, r.outcome(), r.report().toString());
        java.time.Clock later = java.time.Clock.fixed(java.time.Instant.parse("2030-01-01T00:00:00Z"), java.time.ZoneOffset.UTC);
        GuardDecision d = Node.openExisting(root, later).guard("bin/prog");
        assertTrue(d.allowed(), d.findings().toString());
        assertTrue(Node.openExisting(root, later).verifyInstalled().intact());
    }

    @Test
    void sealedManifestRemovedOrAlteredIsTampering() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        InstallResult r = fx.install("acme-mme", "1.0", true);
        Path mf = root.resolve("state/slots/" + r.slot() + ".mf");
        byte[] b = Files.readAllBytes(mf);
        b[10] ^= 1;
        Files.write(mf, b);
        GuardDecision d = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertEquals(GuardDecision.Refusal.TAMPERED, d.refusal());
        assertEquals(Set.of(FindingCode.INSTALLATION_TAMPERED), codes(d.findings()));
        Files.delete(mf);
        assertEquals(GuardDecision.Refusal.TAMPERED, Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog").refusal());
    }

    /** Below the CLI: while recovery cannot run (lock held), a bad previous is reported, not fatal. */
    @Test
    void badPreviousLinkIsReportedByStatusAndIgnoredByTheGuardWhileTheLockIsHeld() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        fx.install("acme-mme", "1.0", true);
        Files.createSymbolicLink(root.resolve("previous"), Path.of("/etc"));
        try (NodeLock held = NodeLock.tryAcquire(fx.layout).orElseThrow()) {
            Node node = Node.openExisting(root, NodeFixture.CLOCK);
            NodeStatus s = node.status();
            assertTrue(s.previous().isEmpty());
            assertTrue(s.previousProblem() != null && s.previousProblem().contains("outside slots/"), s.previousProblem());
            assertTrue(node.guard("bin/prog").allowed());
            assertTrue(node.verifyInstalled().intact());
        }
        Node node = Node.openExisting(root, NodeFixture.CLOCK); // recovery runs now
        assertFalse(Files.exists(root.resolve("previous"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(null, node.status().previousProblem());
        assertTrue(Files.readString(root.resolve("audit/events.jsonl")).contains("removed a bad previous link"));
    }
    /**
     * Sealed trust vs current trust: the administrator retires the anchor the active version was signed under.
     * The guard keeps running it (it re-verifies with the trust sealed at install); verify-installed reports
     * SIGNER_NO_LONGER_TRUSTED apart from tampering; rollback refuses to re-activate a version signed under it.
     */
    @Test
    void retiredAnchorIsReportedDistinctlyTheGuardStillRunsAndRollbackRefuses() throws Exception {
        Path root = dir.resolve("node");
        NodeFixture fx = new NodeFixture(root);
        fx.install("acme-mme", "1.0", true);
        InstallResult b = fx.install("acme-mme", "1.1", true);
        TestPki.Issued other = TestPki.cert("CN=Successor Root").ca(true).build();
        Path pem = dir.resolve("successor.pem");
        TestPki.writeCertificatesPem(pem, other.certificate());
        NodeTrust.of(root).setAnchors(List.of(pem));

        Node node = Node.openExisting(root, NodeFixture.CLOCK);
        ScanResult scan = node.verifyInstalled();
        assertTrue(scan.intact(), scan.toString());
        assertFalse(scan.trustedNow());
        assertEquals(List.of(FindingCode.SIGNER_NO_LONGER_TRUSTED), scan.currentTrust().stream().map(Finding::code).toList());
        assertTrue(scan.currentTrust().get(0).actual().contains("SIGNER_UNTRUSTED"), scan.currentTrust().toString());
        assertTrue(Files.readString(fx.layout.auditLog()).lines().anyMatch(l -> l.contains("\"scan\"") && l.contains("SIGNER_NO_LONGER_TRUSTED")));

        assertTrue(node.guard("bin/prog").allowed(), "the guard runs what was verified and sealed at install");

        RollbackResult refused = node.rollback();
        assertEquals(RollbackResult.Outcome.REFUSED, refused.outcome());
        assertEquals(List.of(FindingCode.SIGNER_NO_LONGER_TRUSTED), refused.findings().stream().map(Finding::code).toList());
        assertEquals(b.slot(), node.status().active().orElseThrow().slot(), "current unchanged");

        NodeTrust.of(root).addAnchors(dir.resolve("fixture-root.pem"));
        assertTrue(node.verifyInstalled().trustedNow());
    }

    /**
     * The node's certificate-policy requirement is sealed with the slot (docs/node.md "Sealed trust and current
     * trust"): a package installed under initialPolicies [X] with requireExplicitPolicy is re-verified by the
     * guard under [X], the sealed requirement; a sealed set the administrator never set (edited in the record) is
     * refused.
     */
    @Test
    void certificatePolicyRequirementIsSealedAndTheGuardReverifiesUnderIt() throws Exception {
        String codeSigningPolicy = "1.3.6.1.4.1.99999.1.2";
        String otherPolicy = "1.3.6.1.4.1.99999.1.3";
        Path root = dir.resolve("node");
        Path pem = dir.resolve("root.pem");
        TestPki.writeCertificatesPem(pem, NodeFixture.ROOT.certificate());
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, "trustAnchors: [root.pem]\ninitialPolicies: [" + codeSigningPolicy + "]\n"
                + "requireExplicitPolicy: true\n");
        NodeTrust.of(root).set(policy);
        TestPki.Issued withPolicy = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(NodeFixture.ROOT)
                .certificatePolicies(codeSigningPolicy).build();
        TestPki.Issued withoutPolicy = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(NodeFixture.ROOT).build();
        Path tree = Files.createDirectories(dir.resolve("tree/bin"));
        Files.writeString(tree.resolve("prog"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(tree.resolve("prog"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path good = dir.resolve("good.csar");
        Path bad = dir.resolve("bad.csar");
        CsarSigner.builder(withPolicy.identity()).name("acme-mme").version("1.0").clock(NodeFixture.CLOCK).build()
                .writeOption1(dir.resolve("tree"), good);
        CsarSigner.builder(withoutPolicy.identity()).name("acme-mme").version("1.1").clock(NodeFixture.CLOCK).build()
                .writeOption1(dir.resolve("tree"), bad);
        Node node = Node.open(root, NodeFixture.CLOCK);

        InstallResult installed = node.install(good, RevocationSource.offline());
        assertEquals(InstallResult.Outcome.ACTIVATED, installed.outcome(), installed.report().toString());
        InstallResult refused = node.install(bad, RevocationSource.offline()); // the store enforces it at install
        assertEquals(Set.of(FindingCode.SIGNER_UNTRUSTED), codes(refused.report().findings()));
        assertEquals("slots/" + installed.slot(), current(root));

        Path record = root.resolve("state/slots/" + installed.slot() + ".json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode sealed = (ObjectNode) json.readTree(record.toFile());
        JsonNode trust = sealed.get("trust");
        assertEquals("[\"" + codeSigningPolicy + "\"]", trust.get("initialPolicies").toString());
        assertTrue(trust.get("requireExplicitPolicy").asBoolean());
        assertFalse(trust.get("inhibitPolicyMapping").asBoolean());
        assertFalse(trust.get("inhibitAnyPolicy").asBoolean());
        GuardDecision intact = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertTrue(intact.allowed(), intact.findings() + " " + intact.refusal());

        // the sealed set is the administrator's: widened or replaced in the record, by whoever can write state/, it
        // is a trust the administrator never set (docs/node.md "Sealed trust and current trust") and the guard stops
        byte[] original = Files.readAllBytes(record);
        ((ArrayNode) trust.get("initialPolicies")).add(otherPolicy);
        rewrite(record, json.writeValueAsBytes(sealed));
        GuardDecision widened = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertEquals(GuardDecision.Refusal.TAMPERED, widened.refusal());
        assertEquals("trust", widened.findings().get(0).subject(), widened.findings().toString());
        ((ObjectNode) trust).remove(
                List.of("initialPolicies", "requireExplicitPolicy", "inhibitPolicyMapping", "inhibitAnyPolicy"));
        rewrite(record, json.writeValueAsBytes(sealed));
        GuardDecision dropped = Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog");
        assertEquals(List.of(FindingCode.INSTALLATION_TAMPERED), dropped.findings().stream().map(Finding::code).toList());
        assertEquals("trust", dropped.findings().get(0).subject(), dropped.findings().toString());
        rewrite(record, original);
        assertTrue(Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog").allowed());
        // the administrator drops the requirement: the slot sealed under [X] is still the administrator's and runs
        Files.writeString(policy, "trustAnchors: [root.pem]\n");
        NodeTrust.of(root).set(policy);
        assertTrue(Node.openExisting(root, NodeFixture.CLOCK).guard("bin/prog").allowed());
    }

    /** Replaces a sealed (read-only) state file, as whoever can write {@code state/} could. */
    private static void rewrite(Path file, byte[] bytes) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".edit");
        Files.write(tmp, bytes);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
