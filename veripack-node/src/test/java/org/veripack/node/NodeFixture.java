package org.veripack.node;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.nio.file.Files;
import org.veripack.core.PackageRejectedException;
import org.veripack.core.PackageVerifier;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.VerifiedPackage;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;
import org.veripack.node.internal.ActivationState;
import org.veripack.node.internal.Installer;
import org.veripack.node.internal.NodeLayout;
import org.veripack.node.internal.SealedTrust;
import org.veripack.node.internal.StagedPackage;
import org.veripack.node.internal.StagingSink;
import org.veripack.node.internal.StateStore;

/**
 * Stages packages through the real {@code PackageVerifier.verifyAndExtract} pass (CSARs signed by a fixture
 * PKI, verified at {@link #CLOCK}), so the node's own steps (seal, activation, anti-rollback, recovery, guard
 * with its re-verification of the sealed signature) are tested below the CLI. End-to-end CLI tests live in
 * veripack-cli.
 */
final class NodeFixture {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    static final TestPki.Issued ROOT = TestPki.cert("CN=Node Fixture Root,O=Acme").ca(true).build();
    static final TestPki.Issued LEAF = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ROOT).build();
    /** The fixture's trust: the fixture root as the only anchor, every default. */
    static final TrustPolicy POLICY = TrustPolicy.withAnchors(List.of(ROOT.certificate()));

    final Path root;
    final NodeLayout layout;
    final StateStore state;
    final AuditLog audit;
    final Installer installer;
    final ActivationState activation;
    private final Map<String, Path> signed = new java.util.HashMap<>();

    NodeFixture(Path root) throws IOException {
        this.root = root;
        this.layout = new NodeLayout(root);
        layout.create();
        this.state = new StateStore(layout);
        this.audit = new AuditLog(layout.auditLog(), layout.auditHeadFile(), CLOCK); // as the node writes it
        this.installer = new Installer(layout, state, audit, CLOCK);
        this.activation = installer.activation();
        // the node's trust store trusts the fixture root, as the sealed trust does (verify-installed and rollback use it)
        Path pem = root.toAbsolutePath().getParent().resolve("fixture-root.pem");
        TestPki.writeCertificatesPem(pem, ROOT.certificate());
        NodeTrust.of(root).setAnchors(List.of(pem));
    }

    /** A package entry: regular file content + mode, or symlink target. */
    record Entry(byte[] content, int mode, String linkTarget) {
        static Entry file(String text, int mode) { return new Entry(text.getBytes(StandardCharsets.UTF_8), mode, null); }
        static Entry link(String target) { return new Entry(null, 0777, target); }
    }

    static Map<String, Entry> program(String version) {
        Map<String, Entry> m = new LinkedHashMap<>();
        m.put("bin/prog", Entry.file("#!/bin/sh\necho \"$GREETING\" > \"$MARKER\"\nexit 7\n", 0755));
        m.put("etc/prog.conf", Entry.file("version=" + version + "\n", 0644));
        m.put("bin/prog-link", Entry.link("prog"));
        m.put("VERSION", Entry.file(version, 0644));
        return m;
    }

    /**
     * Writes {@code entries} into a tree, signs it as an option-1 CSAR with the fixture PKI and runs the real
     * verify-while-extract pass into a fresh staging work directory (what {@code Node.install} does before
     * {@code Installer.commit}).
     */
    StagedPackage stage(String name, String version, Map<String, Entry> entries) throws IOException {
        return stage(name, version, entries, LEAF.identity());
    }

    /** As {@link #stage(String, String, Map)}, signed by {@code signer} (issued by {@link #ROOT}). */
    StagedPackage stage(String name, String version, Map<String, Entry> entries, org.veripack.core.sign.SigningIdentity signer)
            throws IOException {
        return stage(name, version, "vnf_package_version", entries, signer);
    }

    /** As {@link #stage(String, String, Map)}, the version written under the metadata key {@code versionKey}. */
    StagedPackage stage(String name, String version, String versionKey, Map<String, Entry> entries,
                        org.veripack.core.sign.SigningIdentity signer) throws IOException {
        Path tree = Files.createTempDirectory(root.toAbsolutePath().getParent(), "tree-");
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Path p = tree.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Entry x = e.getValue();
            if (x.linkTarget() != null) {
                Files.createSymbolicLink(p, Path.of(x.linkTarget()));
            } else {
                Files.write(p, x.content());
                Files.setPosixFilePermissions(p, modeOf(x.mode()));
            }
        }
        Path csar = tree.resolveSibling(tree.getFileName() + ".csar");
        // conformance checks off: the node's own refusals (a version it cannot order, a name it cannot use) are under test
        CsarSigner.builder(signer).name(name).version(version).versionKey(versionKey).clock(CLOCK).conformanceChecks(false)
                .build().writeOption1(tree, csar);
        return stage(csar);
    }

    /** Verify-while-extract of an existing CSAR into a fresh staging work directory. */
    StagedPackage stage(Path csar) throws IOException {
        Path work = installer.newWorkDir();
        StagingSink sink = new StagingSink(work.resolve("slot"));
        VerifiedPackage v;
        try {
            v = PackageVerifier.create(POLICY, CLOCK, RevocationSource.offline()).verifyAndExtract(csar, sink);
        } catch (PackageRejectedException ex) {
            throw new IllegalStateException("fixture package rejected: " + ex.report(), ex);
        }
        return new StagedPackage(work, sink, v, SealedTrust.of(POLICY, v.manifestCertificates()), csar);
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> modeOf(int mode) {
        StringBuilder sb = new StringBuilder();
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((mode & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return java.nio.file.attribute.PosixFilePermissions.fromString(sb.toString());
    }

    /** Installs {@code name version} (the same signed CSAR each time for the same name and version). */
    InstallResult install(String name, String version, boolean antiRollback) throws IOException {
        Path csar = signed.get(name + " " + version);
        StagedPackage p = csar == null ? stage(name, version, program(version)) : stage(csar);
        signed.putIfAbsent(name + " " + version, p.packageFile());
        return installer.commit(p, antiRollback, null, IdentityCheck.NONE);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
