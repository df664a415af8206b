package org.veripack.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageVerifier;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.VerificationReport;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.CsarCountersigner;
import org.veripack.core.sign.CsarSigner;

/** Signer authorisation ({@code signers:}), countersigning and {@code requireSigners} over {@code signerGroups}. */
class MultiSignerTest {
    static final Clock CLOCK = Clock.fixed(TestPki.DEFAULT_NOW, ZoneOffset.UTC);
    static final Issued VENDOR_ROOT = TestPki.cert("CN=Vendor Root,O=Acme").ca(true).build();
    static final Issued VENDOR = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(VENDOR_ROOT).build();
    static final Issued OTHER_VENDOR = TestPki.cert("CN=Globex Code Signing,O=Globex").issuedBy(VENDOR_ROOT).build();
    static final Issued OPERATOR_ROOT = TestPki.cert("CN=Operator Root,O=Telco").ca(true).build();
    static final Issued OPERATOR = TestPki.cert("CN=Telco Release Approval,O=Telco").issuedBy(OPERATOR_ROOT).build();

    @TempDir Path tmp;

    static TrustPolicy.Builder anchors() {
        return TrustPolicy.builder().trustAnchors(List.of(VENDOR_ROOT.certificate(), OPERATOR_ROOT.certificate()));
    }

    static String pin(Issued i) {
        return "sha256:" + Digests.hex("SHA-256", i.certificate().getPublicKey().getEncoded());
    }

    VerificationReport verify(Path csar, TrustPolicy p) throws Exception {
        return PackageVerifier.create(p, CLOCK).verifyCsar(csar);
    }

    Path countersigned(Path csar, Issued by) throws Exception {
        Path out = tmp.resolve("cs-" + System.nanoTime() + ".csar");
        new CsarCountersigner(CmsSigner.builder(by.identity()).clock(CLOCK).build()).countersign(csar, out);
        return out;
    }

    @Test
    void validSignatureByAnotherTrustedSignerIsSignerNotAuthorized() throws Exception {
        Path csar = TrustFixtures.csar(tmp, OTHER_VENDOR.identity(), CLOCK);
        TrustPolicy p = anchors().signers("acme-mme", List.of(VENDOR.subject())).build();
        VerificationReport r = verify(csar, p);
        assertTrue(r.has(FindingCode.SIGNER_NOT_AUTHORIZED), r.toString());
        assertTrue(verify(TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK), p).accepted());
        TrustPolicy pinned = anchors().signers("acme-mme", List.of(pin(VENDOR))).build();
        assertTrue(verify(TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK), pinned).accepted());
        assertTrue(verify(csar, pinned).has(FindingCode.SIGNER_NOT_AUTHORIZED));
    }

    @Test
    void option2PackageByAnotherTrustedSignerIsSignerNotAuthorized() throws Exception {
        Path out = tmp.resolve("opt2.zip");
        CsarSigner.builder(OTHER_VENDOR.identity()).name("acme-mme").version("1.0").clock(CLOCK).build()
                .writeOption2(TrustFixtures.packageDir(tmp), out);
        VerificationReport r = verify(out, anchors().signers("acme-mme", List.of(VENDOR.subject())).build());
        assertTrue(r.has(FindingCode.SIGNER_NOT_AUTHORIZED), r.toString());
    }

    @Test
    void vendorPlusOperatorSatisfiesRequireAll() throws Exception {
        Path both = countersigned(TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK), OPERATOR);
        TrustPolicy p = groups().requireSigners(TrustPolicy.SignerRequirement.all(List.of("vendor", "operator"))).build();
        VerificationReport r = verify(both, p);
        assertTrue(r.accepted(), r.toString());
        assertEquals(2, r.signers().size());
    }

    @Test
    void vendorAloneDoesNotSatisfyRequireAll() throws Exception {
        Path vendorOnly = TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK);
        TrustPolicy p = groups().requireSigners(TrustPolicy.SignerRequirement.all(List.of("vendor", "operator"))).build();
        assertTrue(verify(vendorOnly, p).has(FindingCode.SIGNER_NOT_AUTHORIZED));
    }

    @Test
    void aSignerCountsOnceHoweverManySignerInfosItAdds() throws Exception {
        Path twice = countersigned(TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK), VENDOR);
        TrustPolicy p = groups().requireSigners(new TrustPolicy.SignerRequirement(2, List.of("vendor", "operator", "lab"))).build();
        VerificationReport r = verify(twice, p);
        assertTrue(r.has(FindingCode.SIGNER_NOT_AUTHORIZED), r.toString());
        // the vendor is in two groups (vendor, lab) but still one signer
        assertEquals("1", r.findings().stream().filter(f -> f.code() == FindingCode.SIGNER_NOT_AUTHORIZED)
                .findFirst().orElseThrow().actual());
        Path withOperator = countersigned(twice, OPERATOR);
        assertTrue(verify(withOperator, p).accepted());
    }

    @Test
    void countersignedOption2PackageVerifies() throws Exception {
        Path out = tmp.resolve("opt2.zip");
        CsarSigner.builder(VENDOR.identity()).name("acme-mme").version("1.0").clock(CLOCK).build()
                .writeOption2(TrustFixtures.packageDir(tmp), out);
        Path both = countersigned(out, OPERATOR);
        TrustPolicy p = groups().requireSigners(TrustPolicy.SignerRequirement.all(List.of("vendor", "operator"))).build();
        VerificationReport r = verify(both, p);
        assertTrue(r.accepted(), r.toString());
    }

    @Test
    void countersignatureByAnUntrustedOperatorRejects() throws Exception {
        Issued stranger = TestPki.cert("CN=Stranger").ca(true).build();
        Issued strangerLeaf = TestPki.cert("CN=Stranger Signing").issuedBy(stranger).build();
        Path both = countersigned(TrustFixtures.csar(tmp, VENDOR.identity(), CLOCK), strangerLeaf);
        VerificationReport r = verify(both, anchors().build());
        assertFalse(r.accepted());
        assertTrue(r.has(FindingCode.SIGNER_UNTRUSTED), r.toString());
    }

    @Test
    void policyYamlReadsSignerGroupsAndRequirements() throws Exception {
        TestPki.writeCertificatesPem(tmp.resolve("root.pem"), VENDOR_ROOT.certificate());
        Path yaml = Files.writeString(tmp.resolve("policy.yaml"), "trustAnchors: [root.pem]\n"
                + "signerGroups:\n  vendor: [\"CN=Acme Code Signing,O=Acme\"]\n  operator: [\"" + pin(OPERATOR) + "\"]\n"
                + "requireSigners: {threshold: 2, of: [vendor, operator]}\n");
        TrustPolicy p = TrustPolicyLoader.load(yaml);
        assertEquals(2, p.requireSigners().orElseThrow().threshold());
        assertEquals(List.of("vendor", "operator"), List.copyOf(p.signerGroups().keySet()));
        Files.writeString(yaml, "trustAnchors: [root.pem]\nsignerGroups: {vendor: [\"CN=A\"]}\nrequireSigners: {all: [vendor, nobody]}\n");
        org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(yaml));
        Files.writeString(yaml, "trustAnchors: [root.pem]\nsignerGroups: {vendor: [\"CN=A\"]}\nrequireSigners: {threshold: 3, of: [vendor]}\n");
        org.junit.jupiter.api.Assertions.assertThrows(PolicyException.class, () -> TrustPolicyLoader.load(yaml));
    }

    static TrustPolicy.Builder groups() {
        return anchors().signerGroup("vendor", List.of(VENDOR.subject())).signerGroup("operator", List.of(pin(OPERATOR)))
                .signerGroup("lab", List.of(VENDOR.subject()));
    }
}
