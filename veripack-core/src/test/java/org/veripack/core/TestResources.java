package org.veripack.core;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/**
 * Test data kept in the repository under {@code veripack-core/src/test/resources} (each folder with its
 * upstream licence and a README naming its origin), found on the test class path, so the tests need
 * nothing outside the checkout.
 */
public final class TestResources {
    private TestResources() {}

    /**
     * The file or directory {@code name} (relative to the test resources root, e.g.
     * {@code "interop/onap-sol004"}) as a path on disk: on the test class path when it is a directory there
     * (this module's tests), else the repository's copy under {@code veripack-core/src/test/resources}
     * (another module's tests reach this class through veripack-core's test jar, where resources are jar
     * entries; the build sets {@code veripack.repo} to the repository root).
     *
     * @throws IllegalStateException when the resource is neither on the class path as a file nor in the repository
     */
    public static Path path(String name) {
        URL url = TestResources.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is not on the class path");
        }
        if (url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IllegalStateException("test resource " + name + " is not a file on disk: " + url, e);
            }
        }
        Path inRepository = Path.of(System.getProperty("veripack.repo", ".."), "veripack-core/src/test/resources", name);
        if (!java.nio.file.Files.exists(inRepository)) {
            throw new IllegalStateException("test resource " + name + " is not a file on disk: " + url + " (nor " + inRepository + ")");
        }
        return inRepository;
    }
}
