package org.veripack.scas;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.TimestampAuthority;

/**
 * Test fixture: a vendor PKI and genuinely signed SOL004 option-1 CSARs built by code (TOSCA.meta,
 * manifest with metadata and SHA-256 digests, PEM CMS block over the manifest body, Commons Compress zip).
 */
final class GenuineCsar {
    final Issued vendorRoot;
    final Issued vendorSigner;

    GenuineCsar(Instant now) {
        vendorRoot = TestPki.cert("CN=Acme Root CA,O=Acme").keyType(TestPki.KeyType.EC_P256)
                .validity(now.minusSeconds(86400), now.plusSeconds(86400L * 365)).ca(true).build();
        vendorSigner = TestPki.cert("CN=Acme Code Signing,O=Acme").keyType(TestPki.KeyType.EC_P256)
                .validity(now.minusSeconds(86400), now.plusSeconds(86400L * 365)).codeSigningEku(true)
                .issuedBy(vendorRoot).build();
    }

    /** Writes the vendor root as a PEM trust anchor. */
    Path writeAnchor(Path file) {
        TestPki.writeCertificatesPem(file, vendorRoot.certificate());
        return file;
    }

    /** A signed CSAR of package {@code acme-mme} at {@code version}, whose probe prints {@code version}. */
    Path write(Path file, String version) throws IOException {
        return write(file, version, null);
    }

    /** As {@link #write(Path, String)}, the SignerInfo carrying a time-stamp token of {@code tsa} (null: none). */
    Path write(Path file, String version, TimestampAuthority tsa) throws IOException {
        Map<String, byte[]> artifacts = new LinkedHashMap<>();
        artifacts.put("Files/mmed.bin", ("MME daemon " + version + " " + "x".repeat(200)).getBytes(StandardCharsets.UTF_8));
        artifacts.put("bin/probe.sh", ("#!/bin/sh\necho acme-mme " + version + "\n").getBytes(StandardCharsets.UTF_8));
        artifacts.put("Definitions/mme.yaml", ("tosca_definitions_version: tosca_simple_yaml_1_3\n# " + version + "\n")
                .getBytes(StandardCharsets.UTF_8));
        StringBuilder mf = new StringBuilder("metadata:\n")
                .append("    vnf_product_name: acme-mme\n")
                .append("    vnf_provider_id: Acme\n")
                .append("    vnf_package_version: ").append(version).append('\n')
                .append("    vnf_release_date_time: 2026-01-01T00:00:00Z\n");
        for (Map.Entry<String, byte[]> a : artifacts.entrySet()) {
            mf.append("\nSource: ").append(a.getKey()).append("\nAlgorithm: SHA-256\nHash: ")
                    .append(sha256(a.getValue())).append('\n');
        }
        byte[] body = mf.toString().getBytes(StandardCharsets.UTF_8);
        CmsSigner.Builder signer = CmsSigner.builder(vendorSigner.identity(vendorRoot.certificate())).clock(Clock.systemUTC());
        if (tsa != null) {
            signer.timestampAuthority(tsa);
        }
        byte[] cms = signer.build().signDetached(new ByteArrayInputStream(body));
        byte[] manifest = (mf + CmsSigner.toPem(cms)).getBytes(StandardCharsets.UTF_8);
        String meta = "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: Acme\n"
                + "Entry-Definitions: Definitions/mme.yaml\nETSI-Entry-Manifest: acme-mme.mf\n";
        try (OutputStream out = Files.newOutputStream(file); ZipArchiveOutputStream z = new ZipArchiveOutputStream(out)) {
            put(z, "TOSCA-Metadata/TOSCA.meta", meta.getBytes(StandardCharsets.UTF_8), 0644);
            put(z, "acme-mme.mf", manifest, 0644);
            for (Map.Entry<String, byte[]> a : artifacts.entrySet()) {
                put(z, a.getKey(), a.getValue(), a.getKey().endsWith(".sh") ? 0755 : 0644);
            }
        }
        return file;
    }

    private static void put(ZipArchiveOutputStream z, String name, byte[] content, int mode) throws IOException {
        ZipArchiveEntry e = new ZipArchiveEntry(name);
        e.setUnixMode(0100000 | mode);
        z.putArchiveEntry(e);
        z.write(content);
        z.closeArchiveEntry();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
