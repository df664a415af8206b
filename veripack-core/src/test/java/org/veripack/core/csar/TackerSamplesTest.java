package org.veripack.core.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.Finding;
import org.veripack.core.TestResources;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.FindingCode;
import org.veripack.core.Verdict;
import org.veripack.core.VerificationReport;

/**
 * OpenStack Tacker's sample VNF packages (interop/tacker/README.md), each assembled and zipped the way
 * Tacker's tests zip it, get the verdict SOL004 gives them: none is signed, so each is REJECTED, with the
 * codes the README's table explains.
 */
class TackerSamplesTest {
    private static final Set<FindingCode> UNSIGNED_INCOMPLETE_MANIFEST = EnumSet.of(FindingCode.SIGNATURE_MISSING,
            FindingCode.MALFORMED_PACKAGE, FindingCode.ARTIFACT_UNLISTED, FindingCode.ARTIFACT_MISSING);
    private static final Set<FindingCode> NO_MANIFEST = EnumSet.of(FindingCode.MALFORMED_PACKAGE, FindingCode.SIGNATURE_MISSING);
    /** As {@link #UNSIGNED_INCOMPLETE_MANIFEST}, and the wrong hash of the TOSCA.meta block. */
    private static final Set<FindingCode> WRONG_TOSCA_META_HASH = EnumSet.of(FindingCode.SIGNATURE_MISSING,
            FindingCode.MALFORMED_PACKAGE, FindingCode.ARTIFACT_UNLISTED, FindingCode.ARTIFACT_MISSING, FindingCode.DIGEST_MISMATCH);

    /** Finding codes per sample as Veripack reports them today (see the README for the SOL004 reasons). */
    private static final Map<String, Set<FindingCode>> EXPECTED = Map.of(
            "sample_vnf_package_csar_manifest", UNSIGNED_INCOMPLETE_MANIFEST,
            "sample_vnf_package_csar_in_meta_and_manifest", UNSIGNED_INCOMPLETE_MANIFEST,
            "sample_vnf_package_csar_in_meta_and_manifest_false_hash", WRONG_TOSCA_META_HASH,
            "sample_vnf_package_csar_meta", NO_MANIFEST,
            "sample_vnf_package_csar_in_single_manifest_false_name", UNSIGNED_INCOMPLETE_MANIFEST,
            "vnfpkgm2", UNSIGNED_INCOMPLETE_MANIFEST,
            "etsi_getting_started/tosca/sample_vnf_package_csar", NO_MANIFEST);

    @TempDir Path tmp;

    @Test
    void eachSampleZippedAsTackerDoesGetsItsSol004Verdict() throws Exception {
        assertEquals(EXPECTED.keySet(), TackerSamples.all().stream().map(TackerSamples.Sample::name).collect(Collectors.toSet()));
        List<String> mismatches = new ArrayList<>();
        for (TackerSamples.Sample s : TackerSamples.all()) {
            VerificationReport r = Fixtures.verifier().verifyCsar(zipped(s, null));
            Set<FindingCode> codes = r.findings().stream().map(Finding::code).collect(Collectors.toCollection(TreeSet::new));
            if (r.verdict() != Verdict.REJECTED || !codes.equals(EXPECTED.get(s.name()))) {
                mismatches.add(s + ": expected REJECTED " + new TreeSet<>(EXPECTED.get(s.name())) + ", got " + r.verdict() + " " + codes
                        + " " + r.findings());
            }
        }
        assertTrue(mismatches.isEmpty(), () -> String.join("\n", mismatches));
    }

    /** The listed files that are present are hashed: their digests match, and a changed byte is found. */
    @Test
    void theManifestDigestsOfPresentFilesAreChecked() throws Exception {
        TackerSamples.Sample s = TackerSamples.all().stream().filter(x -> x.name().equals("vnfpkgm2")).findFirst().orElseThrow();
        VerificationReport intact = Fixtures.verifier().verifyCsar(zipped(s, null));
        assertFalse(intact.has(FindingCode.DIGEST_MISMATCH), intact::toString);
        assertTrue(intact.findings().stream().anyMatch(f -> f.code() == FindingCode.ARTIFACT_UNLISTED
                && f.subject().equals("Definitions/helloworld3_top.vnfd.yaml")), intact::toString);

        VerificationReport changed = Fixtures.verifier().verifyCsar(zipped(s, "Scripts/install.sh"));
        assertTrue(changed.findings().stream().anyMatch(f -> f.code() == FindingCode.DIGEST_MISMATCH
                && f.subject().equals("Scripts/install.sh")), changed::toString);
    }

    /** Tacker's negative test of the TOSCA.meta block hash: the wrong digest is found, as the block gives it. */
    @Test
    void aWrongHashInAToscaMetaBlockIsDigestMismatch() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(zipped(sample("sample_vnf_package_csar_in_meta_and_manifest_false_hash"), null));
        Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.DIGEST_MISMATCH).findFirst().orElseThrow(() -> new AssertionError(r.toString()));
        assertEquals("Scripts/install.sh", f.subject());
        assertEquals("27bbdb25d8f4ed6d07d6f6581b86515e8b2f0059b236ef7b6f50d6674b34f02", f.expected());
        assertEquals(Digests.sha256Hex(TestResources.path("interop/tacker/samples/tests/etc/samples/etsi/nfv/common/Scripts/install.sh")),
                f.actual());
    }

    /** The right TOSCA.meta block hash of a package without a manifest passes; one changed byte of the file is found by it. */
    @Test
    void theToscaMetaBlockHashIsCheckedWithoutAManifest() throws Exception {
        TackerSamples.Sample s = sample("sample_vnf_package_csar_meta");
        VerificationReport intact = Fixtures.verifier().verifyCsar(zipped(s, null));
        assertFalse(intact.has(FindingCode.DIGEST_MISMATCH), intact::toString);
        VerificationReport changed = Fixtures.verifier().verifyCsar(zipped(s, "Scripts/install.sh"));
        assertTrue(changed.findings().stream().anyMatch(f -> f.code() == FindingCode.DIGEST_MISMATCH
                && f.subject().equals("Scripts/install.sh")), changed::toString);
    }

    /** Tacker's negative test of the manifest name: VNF1.mf beside VNF.yaml, without TOSCA-Metadata, names both files. */
    @Test
    void aManifestNotNamedAfterTheMainYamlIsMalformed() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(zipped(sample("sample_vnf_package_csar_in_single_manifest_false_name"), null));
        Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.MALFORMED_PACKAGE && x.subject().equals("VNF1.mf")
                        && x.expected() != null && x.expected().endsWith(".mf")).findFirst().orElseThrow(() -> new AssertionError(r.toString()));
        assertEquals("VNF.mf", f.expected());
        assertEquals("VNF1.mf", f.actual());
        assertTrue(f.detail().contains("VNF1.mf") && f.detail().contains("VNF.yaml"), f::toString);
        // the well-named sample has no such finding
        VerificationReport named = Fixtures.verifier().verifyCsar(zipped(sample("sample_vnf_package_csar_manifest"), null));
        assertTrue(named.findings().stream().noneMatch(x -> x.code() == FindingCode.MALFORMED_PACKAGE && x.expected() != null
                && x.expected().endsWith(".mf")), named::toString);
    }

    /** Tacker's manifests have no metadata block: the finding names the keys each package type requires (SOL004 §4.3.2). */
    @Test
    void aManifestWithoutMetadataNamesTheKeysEachPackageTypeRequires() throws Exception {
        VerificationReport r = Fixtures.verifier().verifyCsar(zipped(sample("sample_vnf_package_csar_manifest"), null));
        Finding f = r.findings().stream().filter(x -> x.code() == FindingCode.MALFORMED_PACKAGE && x.subject().endsWith(".mf"))
                .findFirst().orElseThrow(() -> new AssertionError(r.toString()));
        assertEquals("VNF: vnf_provider_id, vnf_product_name, vnf_release_date_time, vnf_package_version or vnf_software_version; "
                + "PNF: pnfd_provider, pnfd_name, pnfd_release_date_time, pnfd_archive_version; "
                + "NS: nsd_designer, nsd_name, nsd_release_date_time, nsd_file_structure_version", f.expected());
        assertEquals("none", f.actual());
    }

    private static TackerSamples.Sample sample(String name) {
        return TackerSamples.all().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    /** The sample's directory, assembled and zipped as Tacker does; with one byte of {@code flip} changed when not null. */
    private Path zipped(TackerSamples.Sample s, String flip) throws Exception {
        Path dir = TackerSamples.assemble(s, Files.createTempDirectory(tmp, "dir"));
        if (flip != null) {
            byte[] b = Files.readAllBytes(dir.resolve(flip));
            b[b.length - 1] ^= 0x01;
            Files.write(dir.resolve(flip), b);
        }
        return TackerSamples.zip(s, dir, Files.createTempDirectory(tmp, "zip").resolve("package.zip"));
    }
}
