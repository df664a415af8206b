package org.veripack.core.csar;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.veripack.core.TestResources;

/**
 * OpenStack Tacker's sample VNF packages, vendored under {@code src/test/resources/interop/tacker} (see its
 * README: repository, commit, paths, licence). Tacker keeps the files several samples share in
 * {@code common/} and {@code common_artifact/}; its tests merge them into each package. {@link #assemble}
 * builds a package directory the same way, {@link #zip} zips it the way Tacker's tests or guide do.
 */
public final class TackerSamples {
    /** Tacker's sample test data directory, relative to the vendored root. */
    private static final String NFV = "samples/tests/etc/samples/etsi/nfv/";

    /** How Tacker zips a package. */
    public enum Recipe {
        /**
         * {@code tacker/tests/utils.py} {@code create_csar_with_unique_artifact} and
         * {@code create_csar_with_unique_vnfd_id}: Python {@code zipfile.ZipFile(name, 'w')} and {@code write}
         * of every file (method STORED, the file's {@code st_mode} in the external attributes, no directory
         * entries), the layers written in order.
         */
        PYTHON_ZIPFILE,
        /** The getting-started guide: {@code zip sample_vnf_package_csar.zip -r Definitions/ Files/ TOSCA-Metadata/} (Info-ZIP). */
        INFO_ZIP
    }

    /** One directory copied into the package: {@code source} (relative to the vendored root) into {@code target} ("" = the package root). */
    public record Layer(String source, String target) { }

    /** One sample: its Tacker directory name, how it is zipped, and the layers that make up its package directory. */
    public record Sample(String name, Recipe recipe, List<Layer> layers) {
        @Override public String toString() { return name; }
    }

    private TackerSamples() { }

    /**
     * The seven vendored samples. Tacker's {@code common/Files/images/cirros-0.5.2-x86_64-disk.img} (a 16 MB
     * VM image) is not vendored: every {@code common} layer lacks it.
     */
    public static List<Sample> all() {
        // create_csar_with_unique_artifact: ../common_artifact, the sample, ../common
        List<Sample> s = new ArrayList<>();
        for (String name : List.of("sample_vnf_package_csar_manifest", "sample_vnf_package_csar_in_meta_and_manifest",
                "sample_vnf_package_csar_in_meta_and_manifest_false_hash", "sample_vnf_package_csar_meta",
                "sample_vnf_package_csar_in_single_manifest_false_name")) {
            s.add(new Sample(name, Recipe.PYTHON_ZIPFILE,
                    List.of(new Layer(NFV + "common_artifact", ""), new Layer(NFV + name, ""), new Layer(NFV + "common", ""))));
        }
        // create_csar_with_unique_vnfd_id: the sample, ../common
        s.add(new Sample("vnfpkgm2", Recipe.PYTHON_ZIPFILE,
                List.of(new Layer(NFV + "vnfpkgm2", ""), new Layer(NFV + "common", ""))));
        // the guide downloads the SOL001 type files into Definitions/ (Tacker ships its amended copies in common/)
        s.add(new Sample("etsi_getting_started/tosca/sample_vnf_package_csar", Recipe.INFO_ZIP,
                List.of(new Layer("samples/etsi_getting_started/tosca/sample_vnf_package_csar", ""),
                        new Layer(NFV + "common/Definitions", "Definitions"))));
        return List.copyOf(s);
    }

    /** The vendored root ({@code interop/tacker} on the test class path). */
    public static Path root() {
        return TestResources.path("interop/tacker");
    }

    /** Copies the sample's layers, in order, into a new directory {@code parent/<last name part>} and returns it. */
    public static Path assemble(Sample sample, Path parent) throws IOException {
        Path dir = Files.createDirectories(parent.resolve(sample.name().substring(sample.name().lastIndexOf('/') + 1)));
        for (Layer layer : sample.layers()) {
            Path from = root().resolve(layer.source());
            Path to = layer.target().isEmpty() ? dir : dir.resolve(layer.target());
            for (Path f : files(from)) {
                Path target = to.resolve(from.relativize(f).toString());
                Files.createDirectories(target.getParent());
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /**
     * Zips {@link #assemble}'s directory {@code dir} as Tacker does ({@link Recipe}) into {@code out}. Tacker's
     * Python helpers also rewrite {@code descriptor_id} in the YAML files the manifest does not list (a fresh
     * UUID per test run, re-serialised by PyYAML); that is left out: the files stay byte for byte as vendored.
     */
    public static Path zip(Sample sample, Path dir, Path out) throws IOException, InterruptedException {
        if (sample.recipe() == Recipe.INFO_ZIP) {
            List<String> cmd = new ArrayList<>(List.of("zip", "-q", out.toAbsolutePath().toString(), "-r"));
            for (String top : List.of("Definitions", "Files", "TOSCA-Metadata")) {
                if (Files.isDirectory(dir.resolve(top))) {
                    cmd.add(top + "/");
                }
            }
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("zip failed: " + output);
            }
            return out;
        }
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            for (Path f : files(dir)) {
                ZipArchiveEntry e = new ZipArchiveEntry(dir.relativize(f).toString());
                e.setMethod(ZipArchiveEntry.STORED);
                e.setUnixMode((Integer) Files.getAttribute(f, "unix:mode"));
                zip.putArchiveEntry(e);
                try (InputStream in = Files.newInputStream(f)) {
                    in.transferTo(zip);
                }
                zip.closeArchiveEntry();
            }
        }
        return out;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
