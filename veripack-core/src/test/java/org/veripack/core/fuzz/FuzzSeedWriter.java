package org.veripack.core.fuzz;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.CsarSigner;

/**
 * Regenerates the seed inputs of {@link ParserFuzzTest} (run once, committed):
 * {@code mvn -pl veripack-core -am test -Dtest=FuzzSeedWriter -Dveripack.fuzz.seeds=veripack-core/src/test/resources -Dsurefire.failIfNoSpecifiedTests=false}.
 * Seeds are signed by a throw-away PKI, so the fuzz target must reject them (SIGNER_UNTRUSTED) while
 * still exercising every later check.
 */
@EnabledIfSystemProperty(named = "veripack.fuzz.seeds", matches = ".+")
class FuzzSeedWriter {
    /** SOL004 v4 metadata written unindented, as the specification's example does (§4.3.2). */
    static final String UNINDENTED_V4 = "metadata:\nvnfd_id: 3b3c61e4\nvnf_provider_id: p\nvnf_product_name: a\n"
            + "vnf_release_date_time: 2026-01-01T00:00:00+00:00\nvnf_software_version: 2.0\nvnfd_version: 1.0\n"
            + "compatible_specification_versions: 4.3.1\nvnfm_info: etsivnfm:v4.3.1\n\n"
            + "Source: Files/a\nAlgorithm: SHA-256\nHash: " + "ab".repeat(32) + "\n";

    @Test
    void writeSeeds() throws IOException {
        Path base = Path.of(System.getProperty("veripack.fuzz.seeds"), "org/veripack/core/fuzz/ParserFuzzTestInputs");
        Clock clock = Clock.fixed(TestPki.DEFAULT_NOW, ZoneOffset.UTC);
        Issued root = TestPki.cert("CN=Seed Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Seed Code Signing").issuedBy(root).build();

        Path work = Files.createTempDirectory("seeds");
        Path pkg = Files.createDirectories(work.resolve("pkg"));
        Files.createDirectories(pkg.resolve("Files/bin"));
        Files.writeString(pkg.resolve("Files/bin/mmed"), "#!/bin/sh\necho mme\n");
        Files.writeString(pkg.resolve("Files/mme.conf"), "plmn: 00101\n");
        Files.createSymbolicLink(pkg.resolve("Files/bin/mme"), Path.of("mmed"));
        Path csar = work.resolve("seed.csar");
        CsarSigner.builder(leaf.identity()).name("seed").version("1.0").releaseTime("2026-01-01T00:00:00+00:00")
                .clock(clock).build().writeOption1(pkg, csar);
        write(base.resolve("csarReader/genuine-untrusted.csar"), Files.readAllBytes(csar));

        // structural attack cases as seeds, so the fuzzer starts from every zip layout the corpus knows
        for (var c : org.veripack.core.csar.ArchiveAttackCorpus.cases()) {
            if (java.util.Set.of("localHeaderNameDiffersFromCentral", "bytesBetweenEntries", "twoEndOfCentralDirectoryRecords",
                    "zip64EndRecordDisagreesWithClassic", "artifactLargerThan4GiBDeclared", "symlinkThenFileWrittenThroughIt",
                    "hardLinkEntry", "localExtraFieldLengthAtLeast0x8000").contains(c.name())) {
                write(base.resolve("csarReader/" + c.name() + ".csar"), Files.readAllBytes(c.build(Files.createTempDirectory(work, c.name()))));
            }
        }

        byte[] manifest;
        try (ZipFile z = new ZipFile(csar.toFile())) {
            var e = z.stream().filter(x -> x.getName().endsWith(".mf")).findFirst().orElseThrow();
            manifest = z.getInputStream(e).readAllBytes();
        }
        write(base.resolve("manifestParser/signed.mf"), manifest);
        write(base.resolve("manifestParser/per-artifact.mf"), ("metadata:\n  vnf_product_name: a\n  vnf_package_version: 1\n"
                + "  vnf_provider_id: p\n  vnf_release_date_time: 2026-01-01T00:00:00+00:00\n\n"
                + "Source: Files/a\nAlgorithm: SHA-256\nHash: " + "ab".repeat(32) + "\nSignature: Files/a.p7s\nCertificate: Files/a.cert\n\n"
                + "non_mano_artifact_sets:\n  x:\n    Source: Files/b\n").getBytes(StandardCharsets.UTF_8));
        write(base.resolve("manifestParser/unindented-v4.mf"), UNINDENTED_V4.getBytes(StandardCharsets.UTF_8));

        byte[] cms = CmsSigner.builder(leaf.identity()).clock(clock).build()
                .signDetached(new ByteArrayInputStream("the signed content\n".getBytes(StandardCharsets.US_ASCII)));
        write(base.resolve("cmsSignature/detached.der"), cms);
        write(base.resolve("cmsSignature/detached.pem"), CmsSigner.toPemBytes(cms));

        write(base.resolve("trustPolicy/minimal.yaml"), "trustAnchors: [root.pem]\n".getBytes(StandardCharsets.UTF_8));
        write(base.resolve("trustPolicy/full.yaml"), ("trustAnchors: [root.pem]\nintermediates: [root.pem]\nrequireCodeSigningEku: true\n"
                + "allowedDigestAlgorithms: [SHA-256, SHA-384, SHA-512]\nminRsaKeyBits: 3072\nrevocation: off\ncrls: []\n"
                + "antiRollback: true\nsigners:\n  acme-mme: [\"CN=Acme Code Signing,O=Acme\"]\n"
                + "limits: {maxEntries: 100, maxTotalBytes: 1048576, maxExpansionRatio: 50, maxHeaderBytes: 65536}\n").getBytes(StandardCharsets.UTF_8));
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
