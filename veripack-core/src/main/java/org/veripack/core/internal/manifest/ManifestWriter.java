package org.veripack.core.internal.manifest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes the signed part of an ETSI GS NFV-SOL 004 manifest (§5.3): the {@code metadata:} block, a blank
 * line, then one {@code Source}/{@code Algorithm}/{@code Hash} block per artifact separated by blank
 * lines, each followed by the Veripack extension line {@code Veripack-Mode: 100755} when the artifact's
 * mode is given ({@link VeripackMode}), LF line ends, UTF-8. The caller appends the PEM CMS block right after these bytes: they are
 * exactly the option-1 signed content.
 */
public final class ManifestWriter {
    private ManifestWriter() { }

    /**
     * One artifact line group: path, JCA digest name, lowercase hex digest, and the st_mode to sign
     * ({@code 0100644}, {@code 0100755}, {@code 0120000}; see {@link VeripackMode}) or null to write none.
     */
    public record Artifact(String source, String algorithm, String hashHex, Integer mode) {
        public Artifact {
            if (mode != null && VeripackMode.parse(VeripackMode.format(mode)).isEmpty()) {
                throw new IllegalArgumentException("not a Veripack-Mode: " + Integer.toOctalString(mode));
            }
        }

        /** An artifact block without {@code Veripack-Mode} (as third-party SOL004 manifests are). */
        public Artifact(String source, String algorithm, String hashHex) {
            this(source, algorithm, hashHex, null);
        }
    }

    /**
     * @param metadata  ordered metadata keys and values (e.g. {@code vnf_product_name}); values must not contain line breaks
     * @param artifacts artifacts in the order to write (callers sort them)
     */
    public static byte[] write(Map<String, String> metadata, List<Artifact> artifacts) {
        StringBuilder sb = new StringBuilder("metadata:\n");
        metadata.forEach((k, v) -> sb.append("    ").append(k).append(": ").append(single(v)).append('\n'));
        for (Artifact a : artifacts) {
            sb.append('\n')
                    .append("Source: ").append(single(a.source())).append('\n')
                    .append("Algorithm: ").append(a.algorithm()).append('\n')
                    .append("Hash: ").append(a.hashHex()).append('\n');
            if (a.mode() != null) {
                sb.append(VeripackMode.KEY).append(": ").append(VeripackMode.format(a.mode())).append('\n');
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String single(String v) {
        if (v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("manifest values must be one line: " + v);
        }
        return v;
    }
}
