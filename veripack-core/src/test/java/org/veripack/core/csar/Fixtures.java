package org.veripack.core.csar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.veripack.core.PackageVerifier;
import org.veripack.core.TrustPolicy;
import org.veripack.core.pki.TestPki;
import org.veripack.core.pki.TestPki.Issued;
import org.veripack.core.sign.CsarSigner;

/** Test PKI, a sample package directory, a signer and a zip rewriter for attacks. */
final class Fixtures {
    static final Clock CLOCK = Clock.fixed(TestPki.DEFAULT_NOW, ZoneOffset.UTC);
    static final Issued ROOT = TestPki.cert("CN=Veripack Test Root,O=Acme").ca(true).build();
    static final Issued CA = TestPki.cert("CN=Veripack Test CA,O=Acme").ca(true).issuedBy(ROOT).build();
    static final Issued LEAF = TestPki.cert("CN=Acme Code Signing,O=Acme").issuedBy(CA).build();

    private Fixtures() { }

    static TrustPolicy policy() {
        return TrustPolicy.withAnchors(List.of(ROOT.certificate()));
    }

    static PackageVerifier verifier() {
        return PackageVerifier.create(policy(), CLOCK);
    }

    static PackageVerifier verifier(TrustPolicy policy) {
        return PackageVerifier.create(policy, CLOCK);
    }

    /** A small MME-like package directory: an executable, a config, a relative symlink, a nested file. */
    static Path packageDir(Path parent) throws IOException {
        Path dir = Files.createDirectories(parent.resolve("pkg"));
        Files.createDirectories(dir.resolve("Files/bin"));
        Files.createDirectories(dir.resolve("Definitions"));
        Files.writeString(dir.resolve("Definitions/mme.yaml"), "tosca_definitions_version: tosca_simple_yaml_1_3\n");
        Path exe = dir.resolve("Files/bin/mmed");
        Files.writeString(exe, "#!/bin/sh\necho mme running\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("Files/mme.conf"), "plmn: 00101\n".repeat(50));
        Files.createSymbolicLink(dir.resolve("Files/bin/mme"), Path.of("mmed"));
        return dir;
    }

    static CsarSigner.Builder signer(Issued leaf) {
        return CsarSigner.builder(leaf.identity(CA.certificate())).name("acme-mme").version("2.1")
                .releaseTime("2026-01-01T00:00:00+00:00").clock(CLOCK);
    }

    /** A genuine option-1 CSAR of {@link #packageDir}. */
    static Path genuineCsar(Path tmp) throws IOException {
        Path out = tmp.resolve("acme-mme-2.1.csar");
        signer(LEAF).build().writeOption1(packageDir(Files.createTempDirectory(tmp, "src")), out);
        return out;
    }

    /** One zip entry as raw name, Unix mode (with type bits) and content. */
    record E(String name, int unixMode, byte[] data) {
        static E file(String name, String text) {
            return new E(name, 0100644, text.getBytes(StandardCharsets.UTF_8));
        }

        String text() { return new String(data, StandardCharsets.UTF_8); }

        E withData(byte[] d) { return new E(name, unixMode, d); }
    }

    static List<E> read(Path zip) throws IOException {
        List<E> out = new ArrayList<>();
        try (ZipFile z = ZipFile.builder().setPath(zip).get()) {
            for (ZipArchiveEntry e : Collections.list(z.getEntriesInPhysicalOrder())) {
                try (InputStream in = z.getInputStream(e)) {
                    out.add(new E(e.getName(), e.getUnixMode(), in.readAllBytes()));
                }
            }
        }
        return out;
    }

    static void write(Path zip, List<E> entries) throws IOException {
        try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(zip)) {
            for (E e : entries) {
                ZipArchiveEntry ze = new ZipArchiveEntry(e.name());
                ze.setUnixMode(e.unixMode());
                out.putArchiveEntry(ze);
                out.write(e.data());
                out.closeArchiveEntry();
            }
        }
    }

    /** Rewrites {@code zip} into {@code out} after {@code change} edits its entry list. */
    static Path rewrite(Path zip, Path out, UnaryOperator<List<E>> change) throws IOException {
        write(out, change.apply(new ArrayList<>(read(zip))));
        return out;
    }

    static int indexOf(List<E> entries, String name) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no entry " + name);
    }

    /** Replaces the first entry named {@code name}. */
    static List<E> replace(List<E> entries, String name, UnaryOperator<E> f) {
        int i = indexOf(entries, name);
        entries.set(i, f.apply(entries.get(i)));
        return entries;
    }

    static String manifestName(List<E> entries) {
        return entries.stream().map(E::name).filter(n -> n.endsWith(".mf")).findFirst().orElseThrow();
    }

    /** Sets a bit pattern in the general-purpose flags or the method of every local and central header. */
    static void patchHeaders(Path zip, Integer orFlags, Integer method) throws IOException {
        byte[] b = Files.readAllBytes(zip);
        for (int i = 0; i + 4 < b.length; i++) {
            boolean local = b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4;
            boolean central = b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 1 && b[i + 3] == 2;
            if (!local && !central) {
                continue;
            }
            int flagsAt = i + (local ? 6 : 8);
            if (orFlags != null) {
                b[flagsAt] |= orFlags;
            }
            if (method != null) {
                b[flagsAt + 2] = (byte) (int) method;
                b[flagsAt + 3] = 0;
            }
        }
        Files.write(zip, b);
    }
}
