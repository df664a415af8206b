package org.veripack.core.internal.manifest;

import java.util.OptionalInt;

/**
 * The Veripack manifest extension {@code Veripack-Mode: <octal st_mode>}: one line in an SOL004 artifact
 * block (after {@code Hash:}) that signs the artifact's file type and permission bits, written the way git
 * writes tree modes:
 * <ul>
 *   <li>{@code 100644}, {@code 100755}, {@code 100640}, … — a regular file with permission bits 0..0777;</li>
 *   <li>{@code 120000} — a symbolic link (its digest is over the target's UTF-8 bytes; links have no
 *       permission bits of their own).</li>
 * </ul>
 * Exactly six octal digits; anything else (directories, devices, setuid/setgid/sticky bits, other
 * spellings) is not a valid value. SOL004 §5.3 does not define the key; readers that do not know it
 * ignore it as an unknown key, so a CSAR carrying it stays a valid SOL004 CSAR.
 */
public final class VeripackMode {
    /** The key as Veripack writes it; the parser matches it case-insensitively. */
    public static final String KEY = "Veripack-Mode";
    /** {@code S_IFREG}: regular file type bits. */
    public static final int REGULAR = 0100000;
    /** {@code S_IFLNK}: symbolic link type bits (the whole signed value of a symlink). */
    public static final int SYMLINK = 0120000;

    private VeripackMode() { }

    /** The st_mode that {@code value} denotes, or empty when it is not a valid Veripack-Mode value. */
    public static OptionalInt parse(String value) {
        if (value == null || !value.matches("[0-7]{6}")) {
            return OptionalInt.empty();
        }
        int mode = Integer.parseInt(value, 8);
        int type = mode & 0170000;
        if (type == REGULAR && (mode & ~(REGULAR | 0777)) == 0 || mode == SYMLINK) {
            return OptionalInt.of(mode);
        }
        return OptionalInt.empty();
    }

    /** Six octal digits, e.g. {@code 100755}. */
    public static String format(int mode) {
        return String.format("%06o", mode);
    }

    /** The Veripack-Mode of a regular file with {@code permissions} (0..0777). */
    public static int regular(int permissions) {
        if ((permissions & ~0777) != 0) {
            throw new IllegalArgumentException("permission bits outside 0777: " + Integer.toOctalString(permissions));
        }
        return REGULAR | permissions;
    }
}
