package org.veripack.core.apt;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPSignature;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Builds a small signed Debian repository in a directory, the way dak/reprepro lay it out: a real
 * {@code .deb} made by {@code dpkg-deb --build}, a {@code Packages} index listing it, a {@code Release}
 * listing the index's SHA-256, and {@code InRelease} clearsigned (RFC 9580 §7) by an
 * {@link OpenPgpTestKey}. Every piece is a string or byte array tests can tamper with before
 * {@link #write}.
 */
final class AptRepoFixture {
    static final String POOL_PATH = "pool/main/v/vp-mme/vp-mme_1.0-1_amd64.deb";
    static final DateTimeFormatter RFC2822 = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    final Path dir;
    final Path deb;
    String packagesText;
    String validUntil;
    int signatureHash = HashAlgorithmTags.SHA512;
    Instant signedAt;

    AptRepoFixture(Path dir, Path deb, Instant signedAt) throws IOException {
        this.dir = dir;
        this.deb = deb;
        this.signedAt = signedAt;
        this.packagesText = otherStanza("vp-other") + "\n" + stanza(sha256(Files.readAllBytes(deb)), Files.size(deb))
                + "\n" + otherStanza("vp-zz-last");
    }

    /** Builds {@code vp-mme_1.0-1_amd64.deb} with {@code dpkg-deb --build} in {@code workDir}. */
    static Path buildDeb(Path workDir) throws IOException, InterruptedException {
        Path root = workDir.resolve("vp-mme");
        Files.createDirectories(root.resolve("DEBIAN"));
        Files.createDirectories(root.resolve("usr/sbin"));
        Files.writeString(root.resolve("DEBIAN/control"), """
                Package: vp-mme
                Version: 1.0-1
                Architecture: amd64
                Maintainer: Veripack Tests <tests@veripack.invalid>
                Description: test MME
                 A tiny package built by the Veripack tests.
                """);
        Path bin = root.resolve("usr/sbin/vp-mmed");
        Files.writeString(bin, "#!/bin/sh\necho mme\n".repeat(64));
        bin.toFile().setExecutable(true, false);
        Path deb = workDir.resolve("vp-mme_1.0-1_amd64.deb");
        Process p = new ProcessBuilder("dpkg-deb", "--root-owner-group", "-Zxz", "--build", root.toString(), deb.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("dpkg-deb failed: " + out);
        }
        return deb;
    }

    static String stanza(String sha256, long size) {
        return "Package: vp-mme\nVersion: 1.0-1\nInstalled-Size: 2\nMaintainer: Veripack Tests <tests@veripack.invalid>\n"
                + "Architecture: amd64\nDescription: test MME\n A tiny package.\n .\n Second paragraph.\n"
                + "Filename: " + POOL_PATH + "\nSize: " + size + "\nSHA256: " + sha256 + "\n";
    }

    static String otherStanza(String name) {
        return "Package: " + name + "\nVersion: 2.0\nArchitecture: amd64\nFilename: pool/main/v/" + name + "/" + name
                + "_2.0_amd64.deb\nSize: 1234\nSHA256: " + "ab".repeat(32) + "\n";
    }

    /** The Release text listing {@code main/binary-amd64/Packages} (uncompressed digest) and compressed names. */
    String releaseText(byte[] packagesUncompressed) {
        StringBuilder sb = new StringBuilder();
        sb.append("Origin: Veripack\nLabel: Veripack\nSuite: stable\nCodename: test\n");
        sb.append("Date: ").append(RFC2822.format(signedAt)).append('\n');
        if (validUntil != null) {
            sb.append("Valid-Until: ").append(validUntil).append('\n');
        }
        sb.append("Architectures: amd64\nComponents: main\nDescription: Veripack test archive\n");
        sb.append("MD5Sum:\n 00000000000000000000000000000000 1 main/binary-amd64/Release\n");
        sb.append("SHA256:\n");
        sb.append(' ').append(sha256("Archive: stable\n".getBytes(StandardCharsets.UTF_8))).append(" 16 main/binary-amd64/Release\n");
        sb.append(' ').append(sha256(packagesUncompressed)).append(' ').append(packagesUncompressed.length)
                .append(" main/binary-amd64/Packages\n");
        sb.append(' ').append("cd".repeat(32)).append(" 99 main/binary-i386/Packages\n");
        return sb.toString();
    }

    /** Writes Packages (compressed as asked: plain, gz, xz, lz4) and InRelease signed by {@code signers}. */
    Written write(String compression, OpenPgpTestKey... signers) throws IOException, PGPException {
        byte[] packages = packagesText.getBytes(StandardCharsets.UTF_8);
        String suffix = compression.equals("plain") ? "" : "." + compression;
        Path packagesFile = dir.resolve("deb.example.org_debian_dists_test_main_binary-amd64_Packages" + suffix);
        Files.write(packagesFile, compress(packages, compression));
        String release = releaseText(packages);
        Path inRelease = dir.resolve("InRelease");
        Files.write(inRelease, clearsign(release, signers));
        Path releaseFile = dir.resolve("Release");
        Files.writeString(releaseFile, release);
        Path releaseGpg = dir.resolve("Release.gpg");
        List<PGPSignature> sigs = new ArrayList<>();
        for (OpenPgpTestKey k : signers) {
            sigs.add(k.sign(PGPSignature.BINARY_DOCUMENT, release.getBytes(StandardCharsets.UTF_8), signedAt, signatureHash));
        }
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        for (PGPSignature s : sigs) {
            s.encode(binary);
        }
        Files.write(releaseGpg, binary.toByteArray());
        return new Written(inRelease, releaseFile, releaseGpg, packagesFile, deb);
    }

    record Written(Path inRelease, Path release, Path releaseGpg, Path packages, Path deb) { }

    /** A cleartext signed message (RFC 9580 §7) over {@code text} by every signer, as gpg --clearsign writes it. */
    byte[] clearsign(String text, OpenPgpTestKey... signers) throws IOException, PGPException {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (text.endsWith("\n")) {
            lines.remove(lines.size() - 1);
        }
        StringBuilder canonical = new StringBuilder();
        StringBuilder escaped = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).replaceAll("[ \t]+$", "");
            if (i > 0) {
                canonical.append("\r\n");
            }
            canonical.append(line);
            escaped.append(lines.get(i).startsWith("-") ? "- " + lines.get(i) : lines.get(i)).append('\n');
        }
        List<PGPSignature> sigs = new ArrayList<>();
        for (OpenPgpTestKey k : signers) {
            sigs.add(k.sign(PGPSignature.CANONICAL_TEXT_DOCUMENT, canonical.toString().getBytes(StandardCharsets.UTF_8),
                    signedAt, signatureHash));
        }
        String hashName = switch (signatureHash) {
            case HashAlgorithmTags.SHA1 -> "SHA1";
            case HashAlgorithmTags.SHA256 -> "SHA256";
            default -> "SHA512";
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("-----BEGIN PGP SIGNED MESSAGE-----\nHash: " + hashName + "\n\n" + escaped)
                .getBytes(StandardCharsets.UTF_8));
        out.writeBytes(OpenPgpTestKey.armor(sigs));
        return out.toByteArray();
    }

    static byte[] compress(byte[] data, String compression) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        switch (compression) {
            case "plain" -> out.writeBytes(data);
            case "gz" -> { try (OutputStream o = new GZIPOutputStream(out)) { o.write(data); } }
            case "xz" -> { try (OutputStream o = new XZOutputStream(out, new LZMA2Options())) { o.write(data); } }
            case "lz4" -> { try (OutputStream o = new FramedLZ4CompressorOutputStream(out)) { o.write(data); } }
            default -> throw new IllegalArgumentException(compression);
        }
        return out.toByteArray();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
