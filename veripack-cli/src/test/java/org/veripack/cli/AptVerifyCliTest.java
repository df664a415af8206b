package org.veripack.cli;

import org.veripack.cli.SignVerifyCommandTest.Run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veripack verify --apt-release ...} end to end in-process: exit codes, one JSON document on
 * stdout, configuration errors as exit 2. The repository is made here: an Ed25519 key (Bouncy Castle),
 * a {@code dpkg-deb} package, a Packages index and a clearsigned InRelease.
 */
class AptVerifyCliTest {
    static final String AT = "2026-03-01T00:00:00Z";

    @TempDir Path dir;
    Path keyring;
    Path inRelease;
    Path packages;
    Path deb;

    @BeforeEach
    void repository() throws Exception {
        Date created = Date.from(java.time.Instant.parse("2025-01-01T00:00:00Z"));
        Ed25519KeyPairGenerator g = new Ed25519KeyPairGenerator();
        g.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        PGPKeyPair key = new BcPGPKeyPair(PublicKeyAlgorithmTags.EDDSA_LEGACY, g.generateKeyPair(), created);
        PGPSignatureGenerator cert = generator(key);
        cert.init(PGPSignature.POSITIVE_CERTIFICATION, key.getPrivateKey());
        PGPSignatureSubpacketGenerator h = new PGPSignatureSubpacketGenerator();
        h.setSignatureCreationTime(true, created);
        h.setKeyFlags(true, KeyFlags.CERTIFY_OTHER | KeyFlags.SIGN_DATA);
        cert.setHashedSubpackets(h.generate());
        String uid = "CLI Test Archive <cli@veripack.invalid>";
        PGPPublicKey pub = PGPPublicKey.addCertification(key.getPublicKey(), uid, cert.generateCertification(uid, key.getPublicKey()));
        keyring = Files.write(dir.resolve("archive.gpg"), new PGPPublicKeyRing(List.of(pub)).getEncoded());

        Path root = dir.resolve("pkg");
        Files.createDirectories(root.resolve("DEBIAN"));
        Files.writeString(root.resolve("DEBIAN/control"),
                "Package: vp-cli\nVersion: 2.0-1\nArchitecture: all\nMaintainer: T <t@veripack.invalid>\nDescription: t\n");
        Files.writeString(root.resolve("payload.txt"), "mme\n");
        deb = dir.resolve("vp-cli_2.0-1_all.deb");
        Process p = new ProcessBuilder("dpkg-deb", "--root-owner-group", "--build", root.toString(), deb.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "dpkg-deb");

        String index = "Package: vp-cli\nVersion: 2.0-1\nArchitecture: all\nFilename: pool/main/v/vp-cli/vp-cli_2.0-1_all.deb\n"
                + "Size: " + Files.size(deb) + "\nSHA256: " + sha256(Files.readAllBytes(deb)) + "\n";
        packages = Files.writeString(dir.resolve("Packages"), index);
        String release = "Origin: Test\nDate: Sun, 01 Feb 2026 00:00:00 UTC\nSHA256:\n " + sha256(index.getBytes(StandardCharsets.UTF_8))
                + " " + index.length() + " main/binary-all/Packages\n";
        String canonical = release.substring(0, release.length() - 1).replace("\n", "\r\n");
        PGPSignatureGenerator sg = generator(key);
        sg.init(PGPSignature.CANONICAL_TEXT_DOCUMENT, key.getPrivateKey());
        PGPSignatureSubpacketGenerator sh = new PGPSignatureSubpacketGenerator();
        sh.setSignatureCreationTime(true, Date.from(java.time.Instant.parse("2026-02-01T00:00:00Z")));
        sh.setIssuerFingerprint(false, key.getPublicKey());
        sg.setHashedSubpackets(sh.generate());
        sg.update(canonical.getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream armored = new ByteArrayOutputStream();
        try (OutputStream a = new ArmoredOutputStream(armored)) {
            sg.generate().encode(a);
        }
        inRelease = Files.writeString(dir.resolve("InRelease"),
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + release + armored.toString(StandardCharsets.US_ASCII));
    }

    private static PGPSignatureGenerator generator(PGPKeyPair key) {
        return new PGPSignatureGenerator(new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.EDDSA_LEGACY,
                HashAlgorithmTags.SHA512), key.getPublicKey());
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** The one in-process CLI runner of the CLI tests. */
    private static Run veripack(String... args) {
        return SignVerifyCommandTest.run(args);
    }

    private Run verifyWithKeyring(Path theDeb, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("verify", "--apt-release", inRelease.toString(),
                "--apt-packages", packages.toString(), "--keyring", keyring.toString(), "--at", AT));
        args.addAll(List.of(extra));
        args.add(theDeb.toString());
        return veripack(args.toArray(String[]::new));
    }

    @Test
    void genuineDebIsAcceptedWithOneJsonDocument() throws Exception {
        Run r = verifyWithKeyring(deb, "--json");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("ACCEPTED", json.get("verdict").asText());
        assertEquals("APT_CHAIN", json.get("format").asText());
        assertEquals(3, json.get("artifacts").size());
        assertEquals(1, json.get("signers").size());
    }

    @Test
    void forcedProgressShowsTheDebHashedToHundredPercentOnStderrOnly() throws Exception {
        Run plain = verifyWithKeyring(deb, "--json");
        Run r = verifyWithKeyring(deb, "--json", "--progress=always");
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertEquals(plain.out(), r.out(), "stdout is the same JSON document");
        assertTrue(r.err().contains("\rveripack verify: hashing " + deb.getFileName() + "  100%"), r.err());
        Run quiet = verifyWithKeyring(deb, "--progress=always", "--quiet");
        assertEquals(ExitCode.OK, quiet.exit(), quiet.err());
        assertTrue(!quiet.err().contains("\r") && !quiet.err().contains("hashing"), quiet.err());
    }

    @Test
    void humanOutputGoesToStderrWithTheSignerFingerprint() {
        Run r = verifyWithKeyring(deb);
        assertEquals(ExitCode.OK, r.exit(), r.err());
        assertTrue(r.out().isEmpty());
        assertTrue(r.err().startsWith("ACCEPTED"), r.err());
        assertTrue(r.err().contains("signer "), r.err());
    }

    @Test
    void tamperedDebIsRejectedWithExitOne() throws Exception {
        byte[] b = Files.readAllBytes(deb);
        b[b.length - 20] ^= 1;
        Files.write(deb, b);
        Run r = verifyWithKeyring(deb, "--json");
        assertEquals(ExitCode.REJECTED, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("DIGEST_MISMATCH", json.get("findings").get(0).get("code").asText());
    }

    @Test
    void policyFileWithOnlyAnOpenPgpKeyringIsEnough() {
        Path policy = dir.resolve("policy.yaml");
        try {
            Files.writeString(policy, "openpgpKeyrings: [archive.gpg]\n");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Run r = veripack("verify", "--apt-release", inRelease.toString(), "--apt-packages", packages.toString(),
                "--policy", policy.toString(), "--at", AT, deb.toString());
        assertEquals(ExitCode.OK, r.exit(), r.err());
    }

    @Test
    void configurationErrorsAreExitTwoWithoutStackTrace() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.gpg"), "junk");
        List<Run> runs = List.of(
                veripack("verify", "--apt-release", inRelease.toString(), "--apt-packages", packages.toString(),
                        "--keyring", junk.toString(), deb.toString()),
                veripack("verify", "--apt-release", inRelease.toString(), "--apt-packages", packages.toString(),
                        "--keyring", dir.resolve("missing.gpg").toString(), deb.toString()),
                veripack("verify", "--apt-release", inRelease.toString(), "--apt-packages", packages.toString(), deb.toString()),
                veripack("verify", "--apt-release", dir.resolve("nope").toString(), "--apt-packages", packages.toString(),
                        "--keyring", keyring.toString(), deb.toString()),
                verifyWithKeyring(dir.resolve("missing.deb")),
                veripack("verify", "--apt-release", inRelease.toString(), "--apt-packages", packages.toString(),
                        "--keyring", keyring.toString(), "--at", "yesterday", deb.toString()));
        for (Run r : runs) {
            assertEquals(ExitCode.USAGE, r.exit(), r.err());
            assertTrue(!r.err().contains("\tat "), r.err());
        }
    }
}
