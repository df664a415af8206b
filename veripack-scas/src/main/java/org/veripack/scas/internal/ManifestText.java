package org.veripack.scas.internal;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.veripack.scas.internal.CsarLayout.ManifestEntry;

/**
 * The edits the tamper cases make to a SOL004 manifest's text (ETSI GS NFV-SOL 004 §4.3: {@code Source},
 * {@code Algorithm}, {@code Hash} blocks) and the digests they recompute: found and changed in place, everything else
 * byte for byte as the vendor wrote it. Never decides validity.
 */
final class ManifestText {
    /** Hexadecimal digits whose lowest-bit flip is another hexadecimal digit of the same case. */
    private static final String HEX_FLIPPABLE = "0123456789bcdeBCDE";

    private ManifestText() { }

    /**
     * Index in {@code body} of the first hexadecimal digit of a {@code Hash:} value whose lowest-bit flip is
     * another hexadecimal digit of the same case (0-9, b-e, B-E), or -1.
     */
    static int hexDigitToFlip(String body) {
        for (int h = body.indexOf("Hash:"); h >= 0; h = body.indexOf("Hash:", h + 1)) {
            for (int i = h + "Hash:".length(); i < body.length() && body.charAt(i) != '\n' && body.charAt(i) != '\r'; i++) {
                char c = body.charAt(i);
                if (HEX_FLIPPABLE.indexOf(c) >= 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** {@code body} with the {@code Hash:} line of {@code entry}'s block set to {@code newHex}. */
    static String replaceHash(String body, ManifestEntry entry, String newHex) {
        int s = indexOfSourceLine(body, entry.source());
        int h = body.indexOf("Hash:", s);
        int v = body.indexOf(entry.hash(), h);
        if (s < 0 || h < 0 || v < 0) {
            throw new IllegalStateException("manifest entry not found again: " + entry.source());
        }
        return body.substring(0, v) + newHex + body.substring(v + entry.hash().length());
    }

    private static int indexOfSourceLine(String body, String source) {
        int from = 0;
        while (true) {
            int s = body.indexOf("Source:", from);
            if (s < 0) {
                return -1;
            }
            int eol = body.indexOf('\n', s);
            String value = body.substring(s + "Source:".length(), eol < 0 ? body.length() : eol).trim();
            if (value.equals(source)) {
                return s;
            }
            from = s + 1;
        }
    }

    /**
     * {@code body} with one more {@code Source/Algorithm/Hash} block (and {@code Veripack-Mode} when
     * {@code veripackMode} is not null) at its end, keeping its final blank line.
     */
    static String appendEntry(String body, String source, String sha256Hex, String veripackMode) {
        String nl = body.contains("\r\n") ? "\r\n" : "\n";
        boolean blankEnd = body.endsWith(nl + nl);
        StringBuilder sb = new StringBuilder(body);
        if (!body.endsWith(nl)) {
            sb.append(nl);
        }
        if (!blankEnd) {
            sb.append(nl);
        }
        sb.append("Source: ").append(source).append(nl)
                .append("Algorithm: SHA-256").append(nl)
                .append("Hash: ").append(sha256Hex).append(nl);
        if (veripackMode != null) {
            sb.append(CsarLayout.VERIPACK_MODE).append(' ').append(veripackMode).append(nl);
        }
        if (blankEnd) {
            sb.append(nl);
        }
        return sb.toString();
    }

    /**
     * A digest for a manifest {@code Algorithm} name ({@code SHA-256}, {@code SHA256}, {@code sha-512},
     * {@code SHA3-256}...), or empty when the harness does not know it.
     */
    static Optional<MessageDigest> messageDigest(String manifestAlgorithm) {
        if (manifestAlgorithm == null) {
            return Optional.empty();
        }
        String alg = manifestAlgorithm.toUpperCase(Locale.ROOT).replace("-", "");
        String jca = switch (alg) {
            case "SHA256" -> "SHA-256";
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            case "SHA3256" -> "SHA3-256";
            case "SHA3384" -> "SHA3-384";
            case "SHA3512" -> "SHA3-512";
            default -> null;
        };
        try {
            return jca == null ? Optional.empty() : Optional.of(MessageDigest.getInstance(jca));
        } catch (NoSuchAlgorithmException e) {
            return Optional.empty();
        }
    }

    /** Hex digest of {@code content} with the manifest's algorithm name (one {@link #messageDigest} knows). */
    static String digestHex(String manifestAlgorithm, byte[] content) {
        MessageDigest md = messageDigest(manifestAlgorithm)
                .orElseThrow(() -> new IllegalStateException("no digest for " + manifestAlgorithm));
        return HexFormat.of().formatHex(md.digest(content));
    }

    static byte[] pemBody(String block) throws IOException {
        StringBuilder b64 = new StringBuilder();
        for (String line : block.split("\r?\n")) {
            if (!line.startsWith("-----") && !line.isBlank()) {
                b64.append(line.trim());
            }
        }
        try {
            return Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException("the manifest's CMS block is not base64: " + e.getMessage(), e);
        }
    }
}
