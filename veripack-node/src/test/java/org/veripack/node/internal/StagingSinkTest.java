package org.veripack.node.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sink refuses, on its own, every path that would write outside the staging slot. */
class StagingSinkTest {
    @TempDir
    Path dir;

    @Test
    void writesFilesDirectoriesAndInsideSymlinks() throws Exception {
        Path root = Files.createDirectory(dir.resolve("slot"));
        StagingSink s = new StagingSink(root);
        s.directory("usr", 0755);
        try (OutputStream o = s.file("usr/bin/x", 0755, 3)) {
            o.write(new byte[] {1, 2, 3});
        }
        s.symlink("usr/lib", "bin/x");
        assertEquals(3, Files.size(root.resolve("usr/bin/x")));
        assertEquals(3, s.written().get("usr/bin/x").bytes());
        assertEquals("bin/x", Files.readSymbolicLink(root.resolve("usr/lib")).toString());
    }

    @Test
    void pathTraversalIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("slot"));
        StagingSink s = new StagingSink(root);
        for (String bad : new String[] {"../evil", "a/../../evil", "/etc/passwd", "a//b", "./a", "", "a\\..\\b"}) {
            assertThrows(StagingSink.UnsafeEntryException.class, () -> s.file(bad, 0644, 0).close(), bad);
        }
        assertFalse(Files.exists(dir.resolve("evil")));
    }

    @Test
    void symlinkLeavingTheSlotIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("slot"));
        StagingSink s = new StagingSink(root);
        assertThrows(StagingSink.UnsafeEntryException.class, () -> s.symlink("a", "../outside"));
        assertThrows(StagingSink.UnsafeEntryException.class, () -> s.symlink("a", "/etc/passwd"));
        assertThrows(StagingSink.UnsafeEntryException.class, () -> s.symlink("a/b", "../../x"));
    }

    @Test
    void writingThroughAnEarlierSymlinkIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("slot"));
        Files.createDirectory(root.resolve("real"));
        StagingSink s = new StagingSink(root);
        s.symlink("link", "real");
        assertThrows(StagingSink.UnsafeEntryException.class, () -> s.file("link/x", 0644, 0).close());
        assertFalse(Files.exists(root.resolve("real/x")));
    }

    @Test
    void duplicateEntryIsRefused() throws Exception {
        Path root = Files.createDirectory(dir.resolve("slot"));
        StagingSink s = new StagingSink(root);
        s.file("a", 0644, 0).close();
        assertThrows(StagingSink.UnsafeEntryException.class, () -> s.file("a", 0644, 0).close());
    }
}
