package org.veripack.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replacesTheContentAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("state.json");
        Files.writeString(f, "old");
        AtomicFile.write(f, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(f));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aWriterThatFailsLeavesTheOldContentAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("state.json");
        Files.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertThrows(UncheckedIOException.class, () -> AtomicFile.write(f, out -> {
            throw new UncheckedIOException(new IOException("broken"));
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("state.json"), names());
    }

    @Test
    void aHookFailingBeforeTheRenameLeavesTheTargetAsACrashWould() throws IOException {
        Path f = dir.resolve("versions.json");
        Files.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicFile.write(f, out -> out.write('n'), () -> {
            throw new IOException("killed");
        }));
        assertEquals("old", Files.readString(f));
        List<String> names = names();
        assertEquals(2, names.size());
        assertEquals(true, names.get(1).matches("versions\\.json\\.tmp-[0-9a-f]{16}"), names.toString());
        assertArrayEquals(new byte[] {'n'}, Files.readAllBytes(dir.resolve(names.get(1))));
    }

    @Test
    void aWriterMayCloseTheStreamItIsGiven() throws IOException {
        Path f = dir.resolve("out.csar");
        AtomicFile.write(f, out -> {
            try (ZipOutputStream z = new ZipOutputStream(out)) {
                z.putNextEntry(new ZipEntry("a.txt"));
                z.write("x".getBytes(StandardCharsets.UTF_8));
            }
        });
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(f))) {
            assertEquals("a.txt", z.getNextEntry().getName());
            assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), z.readAllBytes());
        }
    }

    @Test
    void renameOverReplacesASymbolicLinkItselfAndLeavesNoTemporary() throws IOException {
        Path link = dir.resolve("current");
        Files.createSymbolicLink(link, Path.of("slots/a"));
        Path tmp = dir.resolve("current" + AtomicFile.tempSuffix());
        Files.createSymbolicLink(tmp, Path.of("slots/b"));
        AtomicFile.renameOver(tmp, link);
        assertEquals(Path.of("slots/b"), Files.readSymbolicLink(link));
        assertEquals(List.of("current"), names());
    }

    @Test
    void renameOverThatFailsRemovesTheTemporaryAndLeavesTheTarget() throws IOException {
        Path target = Files.createDirectories(dir.resolve("slots"));
        Files.writeString(target.resolve("keep"), "x"); // a non-empty directory: rename(2) over it fails
        Path tmp = dir.resolve("slots" + AtomicFile.tempSuffix());
        Files.writeString(tmp, "new");
        assertThrows(IOException.class, () -> AtomicFile.renameOver(tmp, target));
        assertEquals(List.of("slots"), names());
        assertEquals("x", Files.readString(target.resolve("keep")));
    }
}
