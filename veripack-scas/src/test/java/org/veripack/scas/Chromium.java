package org.veripack.scas;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates a headless-capable Chromium (Debian package {@code chromium}) for the report rendering test. */
final class Chromium {
    private Chromium() { }

    /** The chromium executable, or null when none is installed. */
    static String find() {
        for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }
}
