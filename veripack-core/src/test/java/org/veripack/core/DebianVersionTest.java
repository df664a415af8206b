package org.veripack.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Vectors from dpkg's {@code src/t/dpkg_compare_versions} / {@code lib/dpkg/t/t-version.c} and Debian Policy §5.6.12. */
class DebianVersionTest {
    /** {a, op, b}: op is "<", "=" or ">". */
    private static final String[][] VECTORS = {
        {"1.0", "=", "1.0"},
        {"1.0", "<", "2.0"},
        {"2.0", "<", "2.0.1"},
        {"2.30", ">", "2.4"},
        {"1.0", "=", "1.00"},
        {"0:1.0", "=", "1.0"},
        {"1:0.1", ">", "2.0"},
        {"1:1.0", "<", "2:0.1"},
        {"1.0-1", "<", "1.0-2"},
        {"1.0-1", "<", "1.0-1.1"},
        {"1.0", "<", "1.0-1"},
        {"1.0-0", "=", "1.0"},
        {"1.0~rc1", "<", "1.0"},
        {"1.0~rc1", ">", "1.0~beta1"},
        {"1.0~~", "<", "1.0~~a"},
        {"1.0~~a", "<", "1.0~"},
        {"1.0~", "<", "1.0"},
        {"1.0", "<", "1.0a"},
        {"1.0a", "<", "1.0b"},
        {"1.0a", "<", "1.0+"},
        {"1.0+", "<", "1.0.1"},
        {"1.0+b1", ">", "1.0"},
        {"1.0.0", ">", "1.0"},
        {"2.0-1", ">", "1.0-9"},
        {"0.3.10+nods-4.2+b1", ">", "0.3.10-1"},
        {"0.3.10-1", ">", "0.3.10"},
        {"0.3.10", "<", "0.3.11"},
        {"1.2.3-1ubuntu1", ">", "1.2.3-1"},
        {"1.2.3-1ubuntu1", "<", "1.2.3-2"},
        {"7.6p2-4", ">", "7.6-0"},
        {"1.0.3-3", ">", "1.0-1"},
        {"1.3", ">", "1.2.2-2"},
        {"1.3", ">", "1.2.2"},
        {"0-pre", "=", "0-pre"},
        {"0-pre", "<", "0-pree"},
        {"1.1.6r2-2", ">", "1.1.6r-1"},
        {"2.6b2-1", ">", "2.6b-2"},
        {"98.1p5-1", "<", "98.1-pre2-b6-2"},
        {"0.4a6-2", ">", "0.4-1"},
        {"1:3.0.5+dfsg-1", ">", "3.0.6"},
        {"10", ">", "9"},
        {"1.010", "=", "1.10"},
    };

    @Test
    void dpkgOrderingVectors() {
        List<String> failures = new ArrayList<>();
        for (String[] v : VECTORS) {
            int c = DebianVersion.compare(v[0], v[2]);
            int back = DebianVersion.compare(v[2], v[0]);
            String got = c < 0 ? "<" : c == 0 ? "=" : ">";
            if (!got.equals(v[1]) || Integer.signum(c) != -Integer.signum(back)) {
                failures.add(v[0] + " " + v[1] + " " + v[2] + " but got " + got);
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void sameIsEqualityInTheOrderingAndFalseForNullOrDifferent() {
        for (String[] v : VECTORS) {
            assertEquals(v[1].equals("="), DebianVersion.same(v[0], v[2]), v[0] + " " + v[1] + " " + v[2]);
        }
        assertTrue(DebianVersion.same("not a version!", "not a version!"), "equal strings, even unparsable");
        assertFalse(DebianVersion.same("2.1", null));
        assertFalse(DebianVersion.same(null, null));
        assertFalse(DebianVersion.same("2.1", "bad version!"));
    }

    @Test
    void equalVersionsHaveEqualHashCodes() {
        assertEquals(DebianVersion.parse("1.0"), DebianVersion.parse("1.00"));
        assertEquals(DebianVersion.parse("1.0").hashCode(), DebianVersion.parse("1.00").hashCode());
    }

    @Test
    void parsesEpochUpstreamRevision() {
        DebianVersion v = DebianVersion.parse("2:1.0-rc1-3");
        assertEquals(2, v.epoch());
        assertEquals("1.0-rc1", v.upstream());
        assertEquals("3", v.revision());
    }

    @Test
    void rejectsInvalidVersions() {
        for (String bad : new String[] {"", " ", "a1.0", "1.0-", "x:1.0", "1.0-a/b", "1.0 2", "1:", "-1", "1.0-@", "../1"}) {
            assertFalse(DebianVersion.isValid(bad), bad);
        }
        for (String good : new String[] {"0", "1.0", "1:1.0-1", "0.3.10+nods-4.2+b1", "1.0~rc1", "2.0.1-1+deb12u1"}) {
            assertTrue(DebianVersion.isValid(good), good);
        }
    }
}
