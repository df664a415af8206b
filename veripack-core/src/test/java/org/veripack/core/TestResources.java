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
     * {@code "interop/onap-sol004"}) as a path on disk.
     *
     * @throws IllegalStateException when no such resource is on the class path, or it is not a file on disk
     */
    public static Path path(String name) {
        URL url = TestResources.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource " + name + " is not on the class path");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new IllegalStateException("test resource " + name + " is not a file on disk: " + url, e);
        }
    }
}
