package org.veripack.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Debian package version {@code [epoch:]upstream_version[-debian_revision]} ordered exactly like
 * {@code dpkg --compare-versions} (Debian Policy §5.6.12 "Version"; dpkg {@code lib/dpkg/version.c}
 * {@code verrevcmp}). Used for anti-rollback: the node refuses a version lower than the highest one
 * ever activated; so a version that does not parse is one a node cannot install, which
 * {@link PackageIdentity#installProblem} states for the node and the signer alike.
 *
 * <p>Implemented here rather than taken from a library: {@code io.github.nscuro:versatile-core}
 * (which has a {@code DebianVersion}) is compiled for Java 21 and brings three unrelated version
 * libraries; {@code net.sourceforge.javadpkg:dpkg} is unmaintained since 2019 and does not order
 * versions. The algorithm is small and covered by dpkg's own test vectors ({@code DebianVersionTest}).
 *
 * <p>Ordering of one part: the string is split into alternating non-digit and digit runs; non-digit
 * runs compare character by character with {@code ~} before end-of-string before letters before
 * other characters; digit runs compare numerically (leading zeros ignored).
 */
public final class DebianVersion implements Comparable<DebianVersion> {
    private static final Pattern UPSTREAM = Pattern.compile("[0-9][A-Za-z0-9.+~:-]*");
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9.+~]+");

    private final long epoch;
    private final String upstream;
    private final String revision;
    private final String text;

    private DebianVersion(long epoch, String upstream, String revision, String text) {
        this.epoch = epoch;
        this.upstream = upstream;
        this.revision = revision;
        this.text = text;
    }

    /**
     * Parses a version per Debian Policy §5.6.12.
     *
     * @throws IllegalArgumentException when the string is empty, the epoch is not a number, the upstream
     *         version does not start with a digit or contains characters outside {@code [A-Za-z0-9.+~:-]},
     *         or the revision is empty or contains characters outside {@code [A-Za-z0-9.+~]}
     */
    public static DebianVersion parse(String version) {
        Objects.requireNonNull(version, "version");
        String s = version.strip();
        if (s.isEmpty() || s.length() > 256) {
            throw new IllegalArgumentException("empty or overlong version");
        }
        long epoch = 0;
        int colon = s.indexOf(':');
        String rest = s;
        if (colon >= 0) {
            String e = s.substring(0, colon);
            if (e.isEmpty() || e.length() > 9 || !e.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("epoch is not a small unsigned integer: " + e);
            }
            epoch = Long.parseLong(e);
            rest = s.substring(colon + 1);
        }
        String upstream = rest;
        String revision = "";
        int dash = rest.lastIndexOf('-');
        if (dash >= 0) {
            upstream = rest.substring(0, dash);
            revision = rest.substring(dash + 1);
            if (!REVISION.matcher(revision).matches()) {
                throw new IllegalArgumentException("invalid Debian revision: " + revision);
            }
        }
        if (!UPSTREAM.matcher(upstream).matches()) {
            throw new IllegalArgumentException("invalid upstream version: " + upstream);
        }
        if (colon < 0 && upstream.indexOf(':') >= 0) {
            throw new IllegalArgumentException("colon in upstream version without an epoch");
        }
        return new DebianVersion(epoch, upstream, revision, s);
    }

    /** Whether {@code version} parses (see {@link #parse}). */
    public static boolean isValid(String version) {
        try {
            parse(version);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether {@code a} and {@code b} name one version: equal strings, or both valid and equal in Debian ordering
     * ({@code 2.1}, {@code 2.1-0}, {@code 0:2.1}; {@code dpkg --compare-versions a eq b}). False when either is null.
     */
    public static boolean same(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        return a.equals(b) || isValid(a) && isValid(b) && compare(a, b) == 0;
    }

    /** {@code dpkg --compare-versions a lt b} and friends: negative, zero or positive. */
    public static int compare(String a, String b) {
        return parse(a).compareTo(parse(b));
    }

    public long epoch() { return epoch; }

    public String upstream() { return upstream; }

    /** The Debian revision, empty when absent (dpkg treats absent and {@code 0} alike). */
    public String revision() { return revision; }

    @Override
    public int compareTo(DebianVersion o) {
        int c = Long.compare(epoch, o.epoch);
        if (c != 0) {
            return c;
        }
        c = verrevcmp(upstream, o.upstream);
        if (c != 0) {
            return c;
        }
        return verrevcmp(revision, o.revision);
    }

    /** dpkg {@code order()}: digits 0, letters their code, {@code ~} -1, end 0, others code + 256. */
    private static int order(int c) {
        if (isDigit(c)) {
            return 0;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
            return c;
        } else if (c == '~') {
            return -1;
        } else if (c != 0) {
            return c + 256;
        }
        return 0;
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private static int at(String s, int i) {
        return i < s.length() ? s.charAt(i) : 0;
    }

    /** dpkg {@code verrevcmp()}, with indexes instead of pointers ({@code at} yields 0 past the end). */
    private static int verrevcmp(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() || j < b.length()) {
            int firstDiff = 0;
            while ((i < a.length() && !isDigit(at(a, i))) || (j < b.length() && !isDigit(at(b, j)))) {
                int ac = order(at(a, i));
                int bc = order(at(b, j));
                if (ac != bc) {
                    return Integer.signum(ac - bc);
                }
                i++;
                j++;
            }
            while (at(a, i) == '0') {
                i++;
            }
            while (at(b, j) == '0') {
                j++;
            }
            while (isDigit(at(a, i)) && isDigit(at(b, j))) {
                if (firstDiff == 0) {
                    firstDiff = at(a, i) - at(b, j);
                }
                i++;
                j++;
            }
            if (isDigit(at(a, i))) {
                return 1;
            }
            if (isDigit(at(b, j))) {
                return -1;
            }
            if (firstDiff != 0) {
                return Integer.signum(firstDiff);
            }
        }
        return 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DebianVersion v && compareTo(v) == 0;
    }

    /** Consistent with {@link #equals}: equal versions may differ in text ({@code 1.0} = {@code 1.00}). */
    @Override
    public int hashCode() {
        return Long.hashCode(epoch);
    }

    @Override
    public String toString() { return text; }
}
