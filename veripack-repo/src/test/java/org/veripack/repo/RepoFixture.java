package org.veripack.repo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.veripack.core.PackageVerifier;
import org.veripack.core.RevocationSource;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.core.sign.CsarSigner;

/** A vendor PKI, signed CSARs of a small program, and the publisher's verifier, all at a fixed clock. */
final class RepoFixture {
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    static final TestPki.Issued VENDOR_ROOT = TestPki.cert("CN=Repo Fixture Root,O=Acme").ca(true).build();
    static final TestPki.Issued SIGNER = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(VENDOR_ROOT).build();
    static final TestPki.Issued ROGUE_ROOT = TestPki.cert("CN=Rogue Root,O=Evil").ca(true).build();
    static final TestPki.Issued ROGUE = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(ROGUE_ROOT).build();
    static final TrustPolicy POLICY = TrustPolicy.withAnchors(List.of(VENDOR_ROOT.certificate()));

    private RepoFixture() { }

    static PackageVerifier verifier() {
        return PackageVerifier.create(POLICY, CLOCK, RevocationSource.offline());
    }

    /** An option-1 CSAR {@code name-version.csar} in {@code dir}, signed by {@code signer}. */
    static Path csar(Path dir, String name, String version, TestPki.Issued signer) throws IOException {
        Path tree = Files.createTempDirectory(dir, "tree-");
        Path bin = tree.resolve("Files/bin/prog");
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\necho " + name + " " + version + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(tree.resolve("VERSION"), version, StandardCharsets.UTF_8);
        Path csar = dir.resolve(name + "-" + version + ".csar");
        CsarSigner.builder(signer.identity()).name(name).version(version).clock(CLOCK).conformanceChecks(false)
                .build().writeOption1(tree, csar);
        return csar;
    }

    static Path csar(Path dir, String name, String version) throws IOException {
        return csar(dir, name, version, SIGNER);
    }
}
