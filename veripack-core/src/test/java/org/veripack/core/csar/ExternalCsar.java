package org.veripack.core.csar;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.veripack.core.sign.CmsSigner;
import org.veripack.core.sign.SigningIdentity;

/**
 * Builds a signed SOL004 option-1 CSAR whose manifest lists, besides files of the package, external artifacts:
 * blocks whose {@code Source} is a URI, with the digest of the bytes the vendor published there. {@code veripack
 * sign} has no such input, so the manifest is written here as a vendor's tool would write it and signed with
 * {@link CmsSigner}; the zip entries carry the modes the manifest signs ({@code Veripack-Mode}).
 */
public final class ExternalCsar {
    private final Map<String, byte[]> files = new LinkedHashMap<>();
    private final Map<String, Integer> modes = new LinkedHashMap<>();
    private final Map<String, String> externals = new LinkedHashMap<>();
    private final StringBuilder extraBlocks = new StringBuilder();
    private String toscaMetaBlocks = "";

    /** A package file with its permission bits (e.g. 0755). */
    public ExternalCsar file(String path, String text, int mode) {
        files.put(path, text.getBytes(StandardCharsets.UTF_8));
        modes.put(path, mode);
        return this;
    }

    /** An external artifact: {@code uri} with the SHA-256 of {@code published} (what the vendor put there). */
    public ExternalCsar external(String uri, byte[] published) {
        externals.put(uri, sha256(published));
        return this;
    }

    /** A manifest block written as given (after the others), e.g. one without Hash. */
    public ExternalCsar rawBlock(String block) {
        extraBlocks.append('\n').append(block);
        return this;
    }

    /** Per-file blocks appended to TOSCA.meta after its first block. */
    public ExternalCsar toscaMetaBlocks(String blocks) {
        toscaMetaBlocks = blocks;
        return this;
    }

    /** The manifest text before the CMS block. */
    public String manifestText(String name, String version) {
        StringBuilder mf = new StringBuilder("metadata:\nvnf_product_name: " + name + "\nvnf_provider_id: Acme\nvnf_package_version: "
                + version + "\nvnf_release_date_time: 2026-01-01T00:00:00+00:00\n");
        files.forEach((path, bytes) -> mf.append("\nSource: ").append(path).append("\nAlgorithm: SHA-256\nHash: ").append(sha256(bytes))
                .append("\nVeripack-Mode: 100").append(Integer.toOctalString(modes.get(path))).append('\n'));
        externals.forEach((uri, sha) -> mf.append("\nSource: ").append(uri).append("\nAlgorithm: SHA-256\nHash: ").append(sha).append('\n'));
        mf.append(extraBlocks);
        return mf.toString();
    }

    /** Writes the CSAR signed by {@code signer} (its chain in the CMS) at {@code clock}'s instant. */
    public Path write(Path out, SigningIdentity signer, Clock clock, String name, String version) throws IOException {
        byte[] prefix = manifestText(name, version).getBytes(StandardCharsets.UTF_8);
        byte[] cms = CmsSigner.toPemBytes(CmsSigner.builder(signer).clock(clock).build().signDetached(new ByteArrayInputStream(prefix)));
        ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        manifest.writeBytes(prefix);
        manifest.writeBytes(cms);
        String meta = "TOSCA-Meta-File-Version: 1.0\nCSAR-Version: 1.1\nCreated-By: a vendor\nETSI-Entry-Manifest: " + name + ".mf\n"
                + toscaMetaBlocks;
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            put(zip, "TOSCA-Metadata/TOSCA.meta", meta.getBytes(StandardCharsets.UTF_8), 0644);
            put(zip, name + ".mf", manifest.toByteArray(), 0644);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                put(zip, f.getKey(), f.getValue(), modes.get(f.getKey()));
            }
        }
        return out;
    }

    private static void put(ZipArchiveOutputStream zip, String name, byte[] data, int mode) throws IOException {
        ZipArchiveEntry e = new ZipArchiveEntry(name);
        e.setUnixMode(0100000 | mode);
        zip.putArchiveEntry(e);
        zip.write(data);
        zip.closeArchiveEntry();
    }

    public static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
