package org.veripack.core.internal.csar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

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

    @Test
    void symlinkResolution() {
        assertEquals(Optional.of("Files/bin/mmed"), PathRules.resolveLink("Files/bin/mme", "mmed"));
        assertEquals(Optional.of("Files/lib/x.so"), PathRules.resolveLink("Files/bin/x", "../lib/x.so"));
        assertEquals(Optional.of(""), PathRules.resolveLink("Files/x", ".."));
        assertTrue(PathRules.resolveLink("Files/x", "../../etc").isEmpty());
        assertTrue(PathRules.resolveLink("x", "/etc/passwd").isEmpty());
        assertTrue(PathRules.resolveLink("x", "a\\..\\..\\b").isEmpty());
    }
}
