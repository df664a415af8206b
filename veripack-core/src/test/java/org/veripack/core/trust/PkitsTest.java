package org.veripack.core.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.FindingCode;
import org.veripack.core.PackageVerifier;
import org.veripack.core.ReportFormat;
import org.veripack.core.RevocationSource;
import org.veripack.core.TestResources;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.core.VerificationReport;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.SigningIdentities;
import org.veripack.core.sign.SigningIdentity;

/**
 * NIST PKITS (2011 edition, section 4: every test of 4.1-4.16 and every subpart) through the normal
 * verification path, as a user would run it: a file signed as detached CMS with the test's end-entity
 * PKCS#12 key and the path's CA certificates embedded, verified by {@link PackageVerifier#verifyDetached}
 * (what {@code veripack verify --policy} runs) under a policy file written as a user writes it: the PKITS
 * trust anchor, {@code requireCodeSigningEku: false}, {@code revocation: require}, the test's CRLs and its
 * certificate-policy inputs (RFC 5280 §6.1.1: {@code initialPolicies}, {@code requireExplicitPolicy},
 * {@code inhibitPolicyMapping}, {@code inhibitAnyPolicy}), at an instant inside the suite's validity window.
 * For a path PKITS says is valid, the report's {@code certificatePolicies} must also be PKITS's
 * user-constrained-policy-set.
 *
 * <p>Data and expected verdicts: {@code src/test/resources/pkits/} (README.md there: NIST PKITS data from
 * Debian's python3-cryptography-vectors, expected results as BoringSSL's {@code pkits_testcases-inl.h}
 * encodes PKITS.pdf §4). The DSA tests (4.1.4-4.1.6) are rejected by Veripack's algorithm policy, so their
 * expected result is {@code ALGORITHM_REJECTED}, whatever PKITS says about the path. Every mismatch is
 * collected with its test id and asserted once at the end.
 */
class PkitsTest {
    /** Inside every PKITS 2011 certificate and CRL validity meant to be current (2011-01-01 .. 2030-12-31). */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2020-06-01T00:00:00Z"), ZoneOffset.UTC);
    static final char[] PASSWORD = "password".toCharArray(); // PKITS §3: every PKCS#12 file
    /** Signed with DSA keys: Veripack's algorithm policy rejects them (RSA and named EC curves only). */
    static final Set<String> DSA_TESTS = Set.of("4.1.4", "4.1.5", "4.1.6");
    static final Map<String, String> POLICY_OIDS = Map.of("anyPolicy", "2.5.29.32.0",
            "NIST-test-policy-1", "2.16.840.1.101.3.2.1.48.1", "NIST-test-policy-2", "2.16.840.1.101.3.2.1.48.2",
            "NIST-test-policy-3", "2.16.840.1.101.3.2.1.48.3", "NIST-test-policy-6", "2.16.840.1.101.3.2.1.48.6");

    @TempDir Path tmp;

    /** One line of {@code pkits/tests.tsv}. */
    record Case(String id, String subpart, boolean valid, List<String> cas, String endEntity, List<String> crls,
                String initialPolicySet, String explicitPolicy, String mappingInhibit, String anyPolicyInhibit,
                String userConstrainedPolicySet, String title) {
        String name() {
            return subpart.isEmpty() ? id : id + "." + subpart;
        }

        /** PKITS's user-constrained-policy-set as OIDs; not stated means its default, {NIST-test-policy-1}. */
        List<String> expectedPolicies() {
            String names = userConstrainedPolicySet.equals("-") ? "NIST-test-policy-1" : userConstrainedPolicySet;
            return list(names).stream().map(POLICY_OIDS::get).sorted().toList();
        }
    }

    static Path data() {
        return TestResources.path("pkits");
    }

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        for (String line : Files.readAllLines(data().resolve("tests.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            out.add(new Case(f[0], f[1], f[2].equals("valid"), list(f[3]), f[4], list(f[5]), f[6], f[7], f[8], f[9], f[10], f[11]));
        }
        return out;
    }

    private static List<String> list(String s) {
        return s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
    }

    @Test
    void everyPkitsTestGivesPkitsVerdictThroughVerify() throws Exception {
        List<Case> cases = cases();
        assertEquals(249, cases.size(), "PKITS section 4: 224 tests, 249 with their subparts");
        Map<String, String> mismatches = new TreeMap<>();
        int right = 0;
        for (Case c : cases) {
            VerificationReport r = verify(c);
            String problem = judge(c, r);
            if (problem == null) {
                right++;
            } else {
                mismatches.put(c.name(), problem);
            }
        }
        System.out.printf("PKITS: %d of %d cases agree with PKITS%n", right, cases.size());
        mismatches.forEach((k, v) -> System.out.println("PKITS mismatch " + k + ": " + v));
        assertTrue(mismatches.isEmpty(), "PKITS tests disagreeing with PKITS: " + mismatches);
    }

    @Test
    void jsonReportNamesTheCertificatePoliciesThePathIsValidFor() throws Exception {
        // 4.10.1 subpart 1: the CA maps NIST-test-policy-1 to -2; in the trust anchor's terms the path is valid for -1
        Case mapping = cases().stream().filter(c -> c.name().equals("4.10.1.1")).findFirst().orElseThrow();
        VerificationReport r = verify(mapping);
        assertTrue(r.accepted(), r.toString());
        var policies = ReportFormat.toJsonTree(r).get("signers").get(0).get("certificatePolicies");
        assertEquals("[\"2.16.840.1.101.3.2.1.48.1\"]", policies.toString());
        // the same path under initialPolicies [NIST-test-policy-2] is valid for none, and the CA requires one
        Case other = cases().stream().filter(c -> c.name().equals("4.10.1.2")).findFirst().orElseThrow();
        VerificationReport rejected = verify(other);
        assertTrue(rejected.has(FindingCode.SIGNER_UNTRUSTED), rejected.toString());
    }

    @Test
    void aMappedPolicyIsJudgedInTheTrustAnchorsTerms() throws Exception {
        // 4.10.13: the CA asserts NIST-test-policy-1 and anyPolicy, maps -1 to -2, and requires explicit policy;
        // the end entity asserts -2, which is the anchor's -1. Under initialPolicies [-1, -2] the path is valid
        // for -1; under [-2] alone it is valid for none (RFC 5280 §6.1.5 (g)(iii)), so it is rejected
        // (the JDK's validator alone accepted it; docs/architecture.md)
        Case both = cases().stream().filter(c -> c.name().equals("4.10.13.2")).findFirst().orElseThrow();
        VerificationReport accepted = verify(both);
        assertTrue(accepted.accepted(), accepted.toString());
        assertEquals(List.of(POLICY_OIDS.get("NIST-test-policy-1")), accepted.signers().get(0).certificatePolicies());
        Case mappedOnly = cases().stream().filter(c -> c.name().equals("4.10.13.3")).findFirst().orElseThrow();
        VerificationReport rejected = verify(mappedOnly);
        assertEquals(Set.of(FindingCode.SIGNER_UNTRUSTED), rejected.findings().stream().map(f -> f.code())
                .collect(Collectors.toSet()), rejected.toString());
    }

    /** Null when the report gives PKITS's verdict, else what differs. */
    static String judge(Case c, VerificationReport r) {
        String got = r.accepted() ? "ACCEPTED" : "REJECTED " + codes(r);
        if (DSA_TESTS.contains(c.id())) {
            return !r.accepted() && r.has(FindingCode.ALGORITHM_REJECTED) ? null
                    : "expected ALGORITHM_REJECTED (DSA signer), got " + got;
        }
        if (c.valid() && r.accepted()) {
            List<String> policies = r.signers().get(0).certificatePolicies();
            return policies.equals(c.expectedPolicies()) ? null
                    : "ACCEPTED, but certificatePolicies " + policies + " instead of " + c.expectedPolicies();
        }
        if (c.valid() == r.accepted()) {
            return null;
        }
        return "expected " + (c.valid() ? "ACCEPTED" : "REJECTED") + " (" + c.title() + "), got " + got;
    }

    private static String codes(VerificationReport r) {
        return r.findings().stream().map(f -> f.code() + " " + f.subject() + ": " + f.detail())
                .collect(Collectors.joining("; ", "[", "]"));
    }

    VerificationReport verify(Case c) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(c.name()));
        Path data = data();
        List<X509Certificate> cas = new ArrayList<>();
        for (String ca : c.cas()) {
            cas.addAll(TrustPolicyLoader.readCertificates(null, "pkits", data.resolve("certs/" + ca + ".crt")));
        }
        Path p12 = data.resolve("pkcs12/" + c.endEntity() + ".p12");
        Path content = dir.resolve("payload.bin");
        Files.writeString(content, "PKITS " + c.name() + " " + c.title() + "\n");
        Path signature = dir.resolve("payload.bin.p7s");
        Files.write(signature, DSA_TESTS.contains(c.id()) ? signDsa(p12, cas, content) : sign(p12, cas, content));
        Path policyFile = dir.resolve("policy.yaml");
        Files.writeString(policyFile, policyYaml(c, data), StandardCharsets.UTF_8);
        TrustPolicy policy = TrustPolicyLoader.load(policyFile);
        return PackageVerifier.create(policy, CLOCK, RevocationSource.offline()).verifyDetached(content, signature);
    }

    /** The policy file a user writes for this test. */
    static String policyYaml(Case c, Path data) {
        StringBuilder y = new StringBuilder();
        y.append("trustAnchors: [").append(data.resolve("certs/TrustAnchorRootCertificate.crt")).append("]\n");
        y.append("requireCodeSigningEku: false\n");
        y.append("revocation: require\n");
        y.append("crls:\n");
        for (String crl : c.crls()) {
            y.append("  - ").append(data.resolve("crls/" + crl + ".crl")).append('\n');
        }
        if (!c.initialPolicySet().isEmpty()) {
            y.append("initialPolicies: ").append(list(c.initialPolicySet()).stream().map(POLICY_OIDS::get).toList()).append('\n');
        }
        if (!c.explicitPolicy().isEmpty()) {
            y.append("requireExplicitPolicy: ").append(c.explicitPolicy()).append('\n');
        }
        if (!c.mappingInhibit().isEmpty()) {
            y.append("inhibitPolicyMapping: ").append(c.mappingInhibit()).append('\n');
        }
        if (!c.anyPolicyInhibit().isEmpty()) {
            y.append("inhibitAnyPolicy: ").append(c.anyPolicyInhibit()).append('\n');
        }
        return y.toString();
    }

    /** Detached CMS by Veripack's signer ({@code veripack sign --pkcs12 EE.p12 --chain CAS --detached}). */
    static byte[] sign(Path p12, List<X509Certificate> cas, Path content) throws Exception {
        SigningIdentity ee = SigningIdentities.fromPkcs12(p12, PASSWORD, null);
        return CmsSigner.builder(new SigningIdentity(ee.privateKey(), ee.certificate(), cas)).clock(CLOCK).build()
                .signDetached(content);
    }

    /** Detached CMS by Bouncy Castle for the DSA end entities, which Veripack's signer refuses. */
    static byte[] signDsa(Path p12, List<X509Certificate> cas, Path content) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASSWORD);
        }
        String alias = ks.aliases().nextElement();
        X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
        BouncyCastleProvider bc = new BouncyCastleProvider();
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().setProvider(bc).build())
                .build(new JcaContentSignerBuilder("SHA256withDSA").setProvider(bc)
                        .build((PrivateKey) ks.getKey(alias, PASSWORD)), cert));
        List<X509Certificate> certs = new ArrayList<>(cas);
        certs.add(0, cert);
        gen.addCertificates(new JcaCertStore(certs));
        return gen.generate(new CMSProcessableByteArray(Files.readAllBytes(content)), false).getEncoded();
    }
}
