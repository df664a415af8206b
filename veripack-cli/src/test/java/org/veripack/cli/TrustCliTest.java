package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.veripack.core.internal.csar.Digests;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.pki.TestTsa;

/**
 * CLI of the trust features: {@code sign --tsa} against a real TSA on 127.0.0.1, {@code countersign} with a
 * {@code requireSigners} policy, and {@code sign --pkcs11} against SoftHSM2 (skipped with the reason when
 * {@code softhsm2-util}/{@code pkcs11-tool} are not installed; {@code .ci/run} installs them).
 */
class TrustCliTest {
    static final String SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so";
    @TempDir Path dir;

    Path pkgDir() throws Exception {
        Path p = Files.createDirectories(dir.resolve("pkg/Files"));
        Files.writeString(p.resolve("mmed"), "mme\n");
        return dir.resolve("pkg");
    }

    static Path pem(Path dir, String name, Issued i) {
        Path p = dir.resolve(name + ".pem");
        TestPki.writeCertificatesPem(p, i.certificate());
        return p;
    }

    static Path key(Path dir, String name, Issued i) {
        Path p = dir.resolve(name + ".key");
        TestPki.writePrivateKeyPem(p, i.keyPair().getPrivate());
        return p;
    }

    @Test
    void signWithTsaStaysAcceptedAfterTheCertificateExpired() throws Exception {
        Issued root = TestPki.cert("CN=Vendor Root").ca(true).build();
        // valid when signing (sign refuses an expired signer), expired at the verification instant below
        Issued leaf = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(root)
                .validity(TestPki.DEFAULT_NOT_BEFORE, Instant.parse("2040-01-01T00:00:00Z")).build();
        Issued tsaRoot = TestPki.cert("CN=TSA Root").ca(true).build();
        Issued tsaCert = TestPki.cert("CN=TSA").issuedBy(tsaRoot).extendedKeyUsage(KeyPurposeId.id_kp_timeStamping)
                .criticalExtendedKeyUsage(true).build();
        pem(dir, "root", root);
        pem(dir, "tsa-root", tsaRoot);
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [root.pem]\ntimestampAnchors: [tsa-root.pem]\n");
        Path stamped = dir.resolve("stamped.csar");
        Path plain = dir.resolve("plain.csar");
        try (TestTsa tsa = TestTsa.start(tsaCert, () -> Instant.parse("2025-01-01T00:00:00Z"))) {
            assertEquals(ExitCode.OK, SignVerifyCommandTest.run("sign", "--key", key(dir, "leaf", leaf).toString(),
                    "--cert", pem(dir, "leaf", leaf).toString(), "--tsa", tsa.url().toString(), "--csar", pkgDir().toString(),
                    "--name", "acme-mme", "--version", "1.0", "--out", stamped.toString()).exit());
            assertEquals(1, tsa.requests());
        }
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("sign", "--key", dir.resolve("leaf.key").toString(),
                "--cert", dir.resolve("leaf.pem").toString(), "--csar", pkgDir().toString(),
                "--name", "acme-mme", "--version", "1.0", "--out", plain.toString()).exit());
        String at = "2041-01-01T00:00:00Z";
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("verify", "--policy", policy.toString(), "--at", at, stamped.toString()).exit());
        SignVerifyCommandTest.Run r = SignVerifyCommandTest.run("verify", "--policy", policy.toString(), "--at", at, "--json", plain.toString());
        assertEquals(ExitCode.REJECTED, r.exit());
        assertTrue(r.codes().contains("CERT_EXPIRED"), r.out());
    }

    @Test
    void countersignedByTheOperatorSatisfiesRequireAll() throws Exception {
        Issued vendorRoot = TestPki.cert("CN=Vendor Root").ca(true).build();
        Issued vendor = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(vendorRoot).build();
        Issued opRoot = TestPki.cert("CN=Operator Root").ca(true).build();
        Issued operator = TestPki.cert("CN=Telco Approval,O=Telco").issuedBy(opRoot).build();
        pem(dir, "vendor-root", vendorRoot);
        pem(dir, "op-root", opRoot);
        String pin = "sha256:" + Digests.hex("SHA-256", operator.certificate().getPublicKey().getEncoded());
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "trustAnchors: [vendor-root.pem, op-root.pem]\n"
                + "signerGroups:\n  vendor: [\"CN=Acme Code Signing,O=Acme\"]\n  operator: [\"" + pin + "\"]\n"
                + "requireSigners: {all: [vendor, operator]}\n");
        Path vendorCsar = dir.resolve("vendor.csar");
        Path both = dir.resolve("both.csar");
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("sign", "--key", key(dir, "vendor", vendor).toString(),
                "--cert", pem(dir, "vendor", vendor).toString(), "--csar", pkgDir().toString(),
                "--name", "acme-mme", "--version", "1.0", "--out", vendorCsar.toString()).exit());
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("countersign", "--key", key(dir, "op", operator).toString(),
                "--cert", pem(dir, "op", operator).toString(), "--in", vendorCsar.toString(), "--out", both.toString()).exit());
        SignVerifyCommandTest.Run vendorOnly = SignVerifyCommandTest.run("verify", "--policy", policy.toString(), "--json",
                vendorCsar.toString());
        assertEquals(ExitCode.REJECTED, vendorOnly.exit());
        assertTrue(vendorOnly.codes().contains("SIGNER_NOT_AUTHORIZED"));
        assertEquals(ExitCode.OK, SignVerifyCommandTest.run("verify", "--policy", policy.toString(), both.toString()).exit());
        assertEquals(ExitCode.USAGE, SignVerifyCommandTest.run("countersign", "--key", dir.resolve("op.key").toString(),
                "--cert", dir.resolve("op.pem").toString(), "--in", dir.resolve("policy.yaml").toString(),
                "--out", dir.resolve("x.csar").toString()).exit());
    }

    @Test
    void signWithAKeyInSoftHsm() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/softhsm2-util")) && Files.exists(Path.of(SOFTHSM_LIB)),
                "softhsm2 is not installed (apt-get install softhsm2; .ci/run does it)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/pkcs11-tool")),
                "pkcs11-tool (opensc) is not installed: it stores the certificate on the token (.ci/run installs it)");
        Issued root = TestPki.cert("CN=HSM Root").ca(true).build();
        Issued leaf = TestPki.cert("CN=Acme HSM Code Signing,O=Acme").issuedBy(root).build();
        Path rootPem = pem(dir, "root", root);
        Path keyPem = key(dir, "leaf", leaf);
        Files.write(dir.resolve("leaf.der"), leaf.certificate().getEncoded());
        Files.createDirectories(dir.resolve("tokens"));
        Path conf = Files.writeString(dir.resolve("softhsm2.conf"),
                "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        String init = tool(conf, "softhsm2-util", "--init-token", "--free", "--label", "veripack", "--pin", "1234", "--so-pin", "5678");
        Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(init);
        assertTrue(m.find(), init);
        String slot = m.group(1);
        tool(conf, "softhsm2-util", "--import", keyPem.toString(), "--token", "veripack", "--label", "vendor", "--id", "01",
                "--pin", "1234");
        tool(conf, "pkcs11-tool", "--module", SOFTHSM_LIB, "--token-label", "veripack", "--login", "--pin", "1234",
                "--write-object", dir.resolve("leaf.der").toString(), "--type", "cert", "--id", "01", "--label", "vendor");
        Path p11 = Files.writeString(dir.resolve("pkcs11.cfg"), "name = SoftHSM\nlibrary = " + SOFTHSM_LIB + "\nslot = " + slot + "\n");
        Path csar = dir.resolve("hsm.csar");
        // SoftHSM reads SOFTHSM2_CONF from the environment, so the CLI runs as a child process
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "org.veripack.cli.Main", "sign", "--pkcs11", p11.toString(),
                "--key-label", "vendor", "--key-pass", "pass:1234", "--csar", pkgDir().toString(), "--name", "acme-mme",
                "--version", "1.0", "--out", csar.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(ExitCode.OK, p.exitValue(), out);
        SignVerifyCommandTest.Run r = SignVerifyCommandTest.run("verify", "--trust", rootPem.toString(), "--json", csar.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals("CN=Acme HSM Code Signing,O=Acme", r.json().get("signers").get(0).get("subject").asText());
        // a wrong PIN is a configuration error, not a crash
        cmd.set(cmd.indexOf("pass:1234"), "pass:0000");
        ProcessBuilder wrong = new ProcessBuilder(cmd).redirectErrorStream(true);
        wrong.environment().put("SOFTHSM2_CONF", conf.toString());
        Process w = wrong.start();
        w.getInputStream().readAllBytes();
        assertTrue(w.waitFor(120, TimeUnit.SECONDS));
        assertEquals(ExitCode.USAGE, w.exitValue());
    }

    static String tool(Path conf, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }
}
