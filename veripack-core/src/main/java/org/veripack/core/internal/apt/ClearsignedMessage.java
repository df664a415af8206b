package org.veripack.core.internal.apt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A strictly parsed OpenPGP cleartext signed message (RFC 9580 §7, RFC 4880 §7), the framing of a
 * Debian {@code InRelease} file.
 *
 * <p>Strict on purpose (apt's CVE-2013-1051 / CVE-2016-1252 class: data outside the signed block was
 * read as if signed). The whole file must be exactly one signed message:
 * <ol>
 *   <li>first line {@code -----BEGIN PGP SIGNED MESSAGE-----}, nothing before it;</li>
 *   <li>armor headers, each {@code Hash: ...} (no other header), then one empty line;</li>
 *   <li>the dash-escaped cleartext: a line starting with {@code -} must start with {@code "- "}
 *       (RFC 9580 §7.2), so a second {@code BEGIN PGP SIGNED MESSAGE} inside is an error;</li>
 *   <li>{@code -----BEGIN PGP SIGNATURE-----}, the armored signature, {@code -----END PGP SIGNATURE-----},
 *       then at most one line break — nothing after it.</li>
 * </ol>
 * Lines end in LF or CRLF; a lone CR, a NUL byte, or any violation above is a {@link MalformedException}
 * (reported as {@code MALFORMED_PACKAGE}).
 *
 * <p>{@link #signedText()} is the text in the form the signature is computed over: dash-escaping
 * removed, trailing spaces and tabs removed from every line, lines joined with CRLF, no final line
 * break (RFC 9580 §7.1). {@link #content()} is the same text joined with LF plus a final LF: the
 * Release file as apt reads it.
 */
public final class ClearsignedMessage {
    static final String BEGIN_MESSAGE = "-----BEGIN PGP SIGNED MESSAGE-----";
    static final String BEGIN_SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
    static final String END_SIGNATURE = "-----END PGP SIGNATURE-----";

    private final byte[] signedText;
    private final byte[] content;
    private final byte[] signatureArmor;

    private ClearsignedMessage(byte[] signedText, byte[] content, byte[] signatureArmor) {
        this.signedText = signedText;
        this.content = content;
        this.signatureArmor = signatureArmor;
    }

    /** Canonical text the signature covers (CRLF line breaks, no trailing whitespace, no final break). */
    public byte[] signedText() { return signedText.clone(); }

    /** The signed text with LF line breaks and a final LF, for field parsing. */
    public byte[] content() { return content.clone(); }

    /** The ASCII-armored signature block, from its BEGIN line to its END line inclusive. */
    public byte[] signatureArmor() { return signatureArmor.clone(); }

    /**
     * Parses {@code bytes} as exactly one cleartext signed message.
     *
     * @throws MalformedException on any deviation from the strict form described above
     */
    public static ClearsignedMessage parse(byte[] bytes) throws MalformedException {
        List<String> lines = splitLines(bytes);
        int i = 0;
        if (lines.isEmpty() || !trimTrailing(lines.get(0)).equals(BEGIN_MESSAGE)) {
            throw new MalformedException("text before the signed block, or no '" + BEGIN_MESSAGE + "' first line");
        }
        i++;
        for (; ; i++) {
            if (i >= lines.size()) {
                throw new MalformedException("signed message ends inside its armor headers");
            }
            String header = lines.get(i);
            if (header.isEmpty()) {
                break;
            }
            if (!header.startsWith("Hash: ") || header.length() == "Hash: ".length()) {
                throw new MalformedException("unexpected armor header in the signed message: line " + (i + 1));
            }
        }
        i++; // the empty line
        List<String> text = new ArrayList<>();
        for (; ; i++) {
            if (i >= lines.size()) {
                throw new MalformedException("signed message has no '" + BEGIN_SIGNATURE + "' line");
            }
            String line = lines.get(i);
            if (line.startsWith("-")) {
                if (trimTrailing(line).equals(BEGIN_SIGNATURE)) {
                    break;
                }
                if (!line.startsWith("- ")) {
                    throw new MalformedException("line " + (i + 1) + " starts with '-' but is not dash-escaped");
                }
                line = line.substring(2);
            }
            text.add(line);
        }
        int sigStart = i;
        int sigEnd = -1;
        for (i = sigStart + 1; i < lines.size(); i++) {
            String line = trimTrailing(lines.get(i));
            if (line.equals(END_SIGNATURE)) {
                sigEnd = i;
                break;
            }
            if (line.startsWith("-")) {
                throw new MalformedException("unexpected armor line inside the signature block: line " + (i + 1));
            }
        }
        if (sigEnd < 0) {
            throw new MalformedException("signature block has no '" + END_SIGNATURE + "' line");
        }
        // splitLines yields a final empty element when the file ends with a line break.
        int rest = lines.size() - sigEnd - 1;
        if (rest > 1 || (rest == 1 && !lines.get(lines.size() - 1).isEmpty())) {
            throw new MalformedException("text after the signature block (unsigned data)");
        }
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        for (int k = 0; k < text.size(); k++) {
            byte[] line = trimTrailing(text.get(k)).getBytes(StandardCharsets.ISO_8859_1);
            if (k > 0) {
                signed.writeBytes(new byte[] {'\r', '\n'});
            }
            signed.writeBytes(line);
            plain.writeBytes(line);
            plain.write('\n');
        }
        StringBuilder armor = new StringBuilder();
        for (int k = sigStart; k <= sigEnd; k++) {
            armor.append(lines.get(k)).append('\n');
        }
        return new ClearsignedMessage(signed.toByteArray(), plain.toByteArray(),
                armor.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Splits on LF (a CR directly before LF belongs to the line break); a lone CR or NUL is malformed. */
    private static List<String> splitLines(byte[] b) throws MalformedException {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < b.length; k++) {
            if (b[k] == 0) {
                throw new MalformedException("NUL byte at offset " + k);
            }
            if (b[k] == '\r' && (k + 1 >= b.length || b[k + 1] != '\n')) {
                throw new MalformedException("lone carriage return at offset " + k);
            }
            if (b[k] == '\n') {
                int end = k > start && b[k - 1] == '\r' ? k - 1 : k;
                lines.add(new String(b, start, end - start, StandardCharsets.ISO_8859_1));
                start = k + 1;
            }
        }
        lines.add(new String(b, start, b.length - start, StandardCharsets.ISO_8859_1));
        return lines;
    }

    static String trimTrailing(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }
}
