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
import org.veripack.core.ArtifactRecord;
import org.veripack.core.ArtifactType;
import org.veripack.core.PackageFormat;
import org.veripack.core.PackageIdentity;
import org.veripack.core.SignerSummary;
import org.veripack.core.VerificationReport;
import org.veripack.node.internal.Installer;
import org.veripack.node.internal.NodeLayout;
import org.veripack.node.internal.StagedPackage;
import org.veripack.node.internal.StagingSink;
import org.veripack.node.internal.StateStore;

/**
 * Stages packages the way {@code PackageVerifier.verifyAndExtract} does (through a {@link StagingSink},
 * with matching artifact records and an ACCEPTED report), so the node's own steps (seal, activation,
 * anti-rollback, recovery, guard) are tested without CMS signing. End-to-end tests with signed CSARs
 * live in veripack-cli.
 */
final class NodeFixture {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

    final Path root;
    final NodeLayout layout;
    final StateStore state;
    final AuditLog audit;
    final Installer installer;

    NodeFixture(Path root) throws IOException {
        this.root = root;
        this.layout = new NodeLayout(root);
        layout.create();
        this.state = new StateStore(layout);
        this.audit = new AuditLog(layout.auditLog(), CLOCK);
        this.installer = new Installer(layout, state, audit, CLOCK);
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

    StagedPackage stage(String name, String version, Map<String, Entry> entries) throws IOException {
        Path work = installer.newWorkDir();
        StagingSink sink = new StagingSink(work.resolve("slot"));
        List<ArtifactRecord> records = new ArrayList<>();
        TreeSet<String> dirs = new TreeSet<>();
        for (String p : entries.keySet()) {
            for (int i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) {
                dirs.add(p.substring(0, i));
            }
        }
        for (String d : dirs) {
            sink.directory(d, 0755);
            records.add(new ArtifactRecord(d, ArtifactType.DIRECTORY, 0755, 0, null, null, null));
        }
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry x = e.getValue();
            if (x.linkTarget() != null) {
                sink.symlink(e.getKey(), x.linkTarget());
                byte[] t = x.linkTarget().getBytes(StandardCharsets.UTF_8);
                records.add(new ArtifactRecord(e.getKey(), ArtifactType.SYMLINK, 0777, t.length, "SHA-256", sha256(t), x.linkTarget()));
            } else {
                try (OutputStream o = sink.file(e.getKey(), x.mode(), x.content().length)) {
                    o.write(x.content());
                }
                records.add(new ArtifactRecord(e.getKey(), ArtifactType.FILE, x.mode(), x.content().length, "SHA-256",
                        sha256(x.content()), null));
            }
        }
        VerificationReport.Builder b = VerificationReport.builder(PackageFormat.CSAR_OPTION_1, CLOCK.instant())
                .identity(new PackageIdentity(name, version, "Acme", null))
                .signer(new SignerSummary("CN=Acme Code Signing,O=Acme", "CN=Acme CA", "01", "00", List.of()));
        records.forEach(b::artifact);
        byte[] manifest = ("vnf_product_name: " + name + "\nvnf_package_version: " + version + "\n").getBytes(StandardCharsets.UTF_8);
        return new StagedPackage(work, sink, b.build(), records, manifest, name + ".mf");
    }

    InstallResult install(String name, String version, boolean antiRollback) throws IOException {
        return installer.commit(stage(name, version, program(version)), antiRollback);
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
