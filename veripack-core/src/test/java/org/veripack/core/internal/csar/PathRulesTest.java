package org.veripack.core.internal.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.veripack.core.ArtifactType;

class PathRulesTest {
    @Test
    void unsafeNames() {
        for (String n : new String[] {"/etc/passwd", "../x", "a/../../x", "a\\b", "C:/x", "a\0b", "a\nb", "a\rb", ".", "./", ""}) {
            assertTrue(PathRules.unsafeReason(n).isPresent(), n);
        }
        for (String n : new String[] {"a", "a/b/", "./a", "a//b", "a/..b/c", "..a"}) {
            assertTrue(PathRules.unsafeReason(n).isEmpty(), n);
        }
    }

    @Test
    void normalisationAndCollisionKey() {
        assertEquals("a/b", PathRules.normalise("./a//b/"));
        assertEquals(PathRules.collisionKey("Files/caf\u00e9"), PathRules.collisionKey("files/CAFE\u0301"));
    }

    /** A package tree from "path" (file), "path/" (directory) and "path -> target" (symlink) lines. */
    private static PathRules.Tree tree(String... nodes) {
        Map<String, ArtifactType> types = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        for (String n : nodes) {
            int arrow = n.indexOf(" -> ");
            String path = arrow >= 0 ? n.substring(0, arrow) : PathRules.normalise(n);
            types.put(path, arrow >= 0 ? ArtifactType.SYMLINK : n.endsWith("/") ? ArtifactType.DIRECTORY : ArtifactType.FILE);
            if (arrow >= 0) {
                links.put(path, n.substring(arrow + 4));
            }
            for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
                types.putIfAbsent(path.substring(0, i), ArtifactType.DIRECTORY);
            }
        }
        return new PathRules.Tree() {
            @Override public ArtifactType typeOf(String path) { return path.isEmpty() ? ArtifactType.DIRECTORY : types.get(path); }
            @Override public String linkTarget(String path) { return links.get(path); }
        };
    }

    private static String resolve(PathRules.Tree t, String link) {
        PathRules.LinkResolution r = PathRules.resolveLink(link, t.linkTarget(link), t);
        return r.resolved() ? r.path() : null;
    }

    @Test
    void symlinkResolutionInsideThePackage() {
        PathRules.Tree t = tree("Files/bin/mmed", "Files/bin/mme -> mmed", "Files/lib/x.so", "Files/bin/x -> ../lib/x.so",
                "Files/up -> ..", "Files/bin/chain -> mme", "Files/bin/dir -> ../lib", "Files/bin/viadir -> dir/x.so");
        assertEquals("Files/bin/mmed", resolve(t, "Files/bin/mme"));
        assertEquals("Files/lib/x.so", resolve(t, "Files/bin/x"));
        assertNull(resolve(t, "Files/up"), "a link to the package root itself is refused");
        assertEquals("Files/bin/mmed", resolve(t, "Files/bin/chain"));
        assertEquals("Files/lib", resolve(t, "Files/bin/dir"));
        assertEquals("Files/lib/x.so", resolve(t, "Files/bin/viadir"));
    }

    @Test
    void linkChainEscapeIsRefusedAlthoughTheTextStaysInside() {
        // as text, ../a/b/up/b/up/../../../../../etc normalises to etc inside the package;
        // following a/b/up -> .. it climbs above the root
        PathRules.Tree t = tree("a/b/up -> ..", "lib/esc -> ../a/b/up/b/up/../../../../../etc", "lib/x");
        assertEquals("a", resolve(t, "a/b/up"));
        PathRules.LinkResolution r = PathRules.resolveLink("lib/esc", t.linkTarget("lib/esc"), t);
        assertFalse(r.resolved(), r::toString);
        assertTrue(PathRules.linkTargetUnsafeReason("lib/esc", t.linkTarget("lib/esc")).isEmpty(), "textually inside");
    }

    @Test
    void loopsDanglingLinksAndFilesUsedAsDirectoriesAreRefused() {
        PathRules.Tree t = tree("a -> b", "b -> a", "self -> self", "d/f", "dangling -> nothing", "notdir -> d/f/..",
                "deep -> d/missing/x", "ok -> d/f");
        for (String link : new String[] {"a", "self", "dangling", "notdir", "deep"}) {
            assertNull(resolve(t, link), link);
        }
        assertEquals("d/f", resolve(t, "ok"));
    }

    @Test
    void unsafeTargetsAreRefusedOnTheirOwn() {
        for (String target : new String[] {"", "/etc/passwd", "a\\..\\..\\b", "C:/x", "a\0b", "../../etc", "x/../../.."}) {
            assertTrue(PathRules.linkTargetUnsafeReason("Files/x", target).isPresent(), target);
        }
        assertTrue(PathRules.linkTargetUnsafeReason("Files/x", "..").isEmpty());
        assertTrue(PathRules.linkTargetUnsafeReason("Files/bin/x", "../lib/x.so").isEmpty());
    }

    @Test
    void nonCanonicalTargetsAreRefusedOnTheirOwn() {
        // java.nio.file.Path drops empty segments, so these would not install byte-exactly
        for (String target : new String[] {"docs/", "a//b", "./a", "a/./b", ".", "./", "a/.", "../lib/", "//x"}) {
            assertTrue(PathRules.linkTargetUnsafeReason("Files/x", target).isPresent(), target);
        }
        for (String target : new String[] {"docs", "../lib/x.so", "a/../b", ".hidden", "a/..b"}) {
            assertTrue(PathRules.linkTargetUnsafeReason("Files/x", target).isEmpty(), target);
            assertEquals(target, java.nio.file.Path.of(target).toString(), "canonical targets survive java.nio.file.Path");
        }
    }

    @Test
    void linksEndingAtThePackageRootAreRefusedButMayPassThroughIt() {
        PathRules.Tree t = tree("Files/self -> ..", "a/b/up -> ../..", "Files/f", "via -> Files/self/Files/f");
        assertNull(resolve(t, "Files/self"));
        assertNull(resolve(t, "a/b/up"));
        assertEquals("Files/f", resolve(t, "via"));
    }

    @Test
    void chainLongerThanTheKernelLimitIsRefused() {
        List<String> nodes = new ArrayList<>();
        nodes.add("target");
        for (int i = 0; i < PathRules.MAX_LINK_FOLLOWS + 1; i++) {
            nodes.add("l" + i + " -> " + (i == 0 ? "target" : "l" + (i - 1)));
        }
        PathRules.Tree t = tree(nodes.toArray(String[]::new));
        assertEquals("target", resolve(t, "l" + (PathRules.MAX_LINK_FOLLOWS - 1)));
        assertNull(resolve(t, "l" + PathRules.MAX_LINK_FOLLOWS));
    }
}
