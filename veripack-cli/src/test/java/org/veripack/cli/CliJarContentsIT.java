package org.veripack.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.veripack.core.pki.TestPki;

/**
 * The shaded CLI jar the {@code veripack} launcher runs holds no class of the test kit (veripack-testkit: a CA
 * that mints certificates and keys, a time-stamping authority): it is opened as built and compared, entry by
 * entry, with the class files of the test kit on this test's class path. Runs after the jar is packaged
 * (surefire execution {@code cli-jar} in the {@code verify} phase), with the jar's path in
 * {@code veripack.cliJar}.
 */
class CliJarContentsIT {
    @Test
    void cliJarHoldsNoTestKitClass() throws IOException, URISyntaxException {
        String jarPath = System.getProperty("veripack.cliJar");
        assertNotNull(jarPath, "veripack.cliJar names the packaged CLI jar: run by mvn verify (surefire execution cli-jar)");
        Set<String> testKit = testKitClassFiles();
        assertTrue(testKit.contains("org/veripack/core/pki/TestPki.class"), "the test kit's classes were found: " + testKit);
        List<String> found = new ArrayList<>();
        try (ZipFile jar = new ZipFile(jarPath)) {
            // the jar is the launcher's: its own main class and the SCAS harness's lab CA are in it
            assertNotNull(jar.getEntry("org/veripack/cli/Main.class"));
            assertNotNull(jar.getEntry("org/veripack/scas/internal/HarnessPki.class"));
            jar.stream().map(ZipEntry::getName)
                    .filter(name -> testKit.contains(name) || name.startsWith("org/veripack/core/pki/"))
                    .forEach(found::add);
        }
        assertEquals(List.of(), found, "test kit classes in " + jarPath);
        assertFalse(Files.exists(Path.of(jarPath).resolveSibling("classes/org/veripack/core/pki")),
                "no test kit class compiled into the CLI module");
    }

    /** The class files of the test kit, as jar entry names, from wherever TestPki was loaded (jar or directory). */
    private static Set<String> testKitClassFiles() throws IOException, URISyntaxException {
        Path location = Path.of(TestPki.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> names = new TreeSet<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> walk = Files.walk(location)) {
                walk.filter(p -> p.toString().endsWith(".class"))
                        .forEach(p -> names.add(location.relativize(p).toString().replace('\\', '/')));
            }
        } else {
            try (ZipFile jar = new ZipFile(location.toFile())) {
                jar.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class")).forEach(names::add);
            }
        }
        return names;
    }
}
