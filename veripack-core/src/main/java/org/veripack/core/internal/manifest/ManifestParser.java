package org.veripack.core.internal.manifest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.veripack.core.Warning;
import org.veripack.core.WarningCode;
import org.veripack.core.Finding;
import org.veripack.core.FindingCode;

/**
 * Parses an ETSI GS NFV-SOL 004 manifest (§4.3.2 manifest file, v2.6.1 to v4.x; the signature §5). The one
 * parser for every reader: {@code CsarVerifier} (verify, install) and {@code SignedManifestRules} (the
 * node's guard and verify-installed).
 *
 * <p>The {@code metadata:} block: a line {@code metadata:} followed by {@code name: value} lines, unindented
 * (SOL004's own example) or indented (ONAP's samples). It ends at the first blank line (indented lines after
 * it still belong to it, as in ONAP's layout), or at a {@code Source:}, {@code non_mano_artifact_sets:},
 * artifact key or second {@code metadata:} line; the CMS block is never part of the parsed text. Keys are
 * case-insensitive (kept lower case); the standard keys of VNF, PNF and NS packages are in
 * {@link MetadataKeys}; any other metadata key is a warning, never a rejection.
 *
 * <p>Tolerant of what real manifests contain (ONAP samples): {@code source:} as well as {@code Source:},
 * {@code Hash} before {@code Algorithm}, tab or space indentation, CRLF line ends, {@code #} comments, named
 * blocks such as {@code non_mano_artifact_sets:} (their indented content is skipped), unknown top-level keys
 * (a warning). In an artifact block it reads, besides {@code Source}/{@code Algorithm}/{@code Hash}/
 * {@code Signature}/{@code Certificate}, the Veripack extension {@code Veripack-Mode} ({@link VeripackMode};
 * any case, like the other keys). Strict where ambiguity could be exploited, each a {@code MALFORMED_PACKAGE}
 * finding on subject {@code manifest}:
 * <ul>
 *   <li>a second {@code metadata:} block, a repeated metadata key, a repeated key in one artifact block;</li>
 *   <li>a standard metadata key on an unindented line after the block's blank line (a reader that skips blank
 *       lines, as ONAP SDC does, would take it as metadata);</li>
 *   <li>metadata mixing the keys of two package kinds (VNF, PNF, NS): which identity applies is ambiguous;</li>
 *   <li>a digest key (or {@code Veripack-Mode}) outside an artifact block, a line that is neither a key nor
 *       a comment, a {@code Veripack-Mode} value that is not one {@link VeripackMode#parse} accepts;</li>
 *   <li>a CMS block without {@code -----END CMS-----}, a second CMS block, or anything but whitespace
 *       after the {@code -----END CMS-----} line (a signature must be the manifest's last element,
 *       SOL004 §5; content after it would be unsigned);</li>
 *   <li>bytes that are not UTF-8.</li>
 * </ul>
 * {@link Manifest#signedPrefix()} is every byte before the first byte of the {@code -----BEGIN CMS-----} line,
 * exactly as stored, without any normalisation; {@link Manifest#signedContents()} says what an option-1
 * signature may cover (that, or that less the one line break before the marker).
 */
public final class ManifestParser {
    static final String BEGIN_CMS = "-----BEGIN CMS-----";
    static final String END_CMS = "-----END CMS-----";

    private enum State { NONE, METADATA, BLOCK, ARTIFACT }

    private ManifestParser() { }

    /** Parses {@code bytes}; never throws for bad input (problems are findings). */
    public static Manifest parse(byte[] bytes) {
        List<Finding> findings = new ArrayList<>();
        List<Warning> warnings = new ArrayList<>();
        int[] lineStarts = lineStarts(bytes);
        int beginLine = -1;
        int endLine = -1;
        for (int i = 0; i < lineStarts.length; i++) {
            String text = lineText(bytes, lineStarts, i).strip();
            if (beginLine < 0 && text.equals(BEGIN_CMS)) {
                beginLine = i;
            } else if (beginLine >= 0 && endLine < 0 && text.equals(END_CMS)) {
                endLine = i;
            } else if (endLine >= 0 && !text.isEmpty()) {
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest",
                        text.equals(BEGIN_CMS) ? "a second CMS block follows the first"
                                : "data after the -----END CMS----- line (line " + (i + 1) + ")"));
                break;
            }
        }
        byte[] prefix = bytes;
        byte[] cms = null;
        if (beginLine >= 0) {
            int from = lineStarts[beginLine];
            prefix = Arrays.copyOfRange(bytes, 0, from);
            if (endLine < 0) {
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "CMS block without -----END CMS-----"));
                cms = Arrays.copyOfRange(bytes, from, bytes.length);
            } else {
                int to = endLine + 1 < lineStarts.length ? lineStarts[endLine + 1] : bytes.length;
                cms = Arrays.copyOfRange(bytes, from, to);
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(prefix)).toString();
        } catch (CharacterCodingException e) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "manifest is not UTF-8"));
            return new Manifest(Map.of(), List.of(), prefix, cms, findings, warnings);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Manifest.Entry> artifacts = new ArrayList<>();
        parseBody(text, metadata, artifacts, findings, warnings);
        return new Manifest(metadata, artifacts, prefix, cms, findings, warnings);
    }

    /** Keys that end a {@code metadata:} block (indented or not) and are read as what they are. */
    private static final Set<String> STRUCTURAL = Set.of("metadata", "source", "non_mano_artifact_sets",
            "algorithm", "hash", "signature", "certificate", "veripack-mode");

    private static void parseBody(String text, Map<String, String> metadata, List<Manifest.Entry> artifacts,
                                  List<Finding> findings, List<Warning> warnings) {
        State state = State.NONE;
        boolean sawMetadata = false;
        boolean metadataBlankLine = false;
        ArtifactBuilder current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                metadataBlankLine |= state == State.METADATA;
                continue;
            }
            if (trimmed.startsWith("#")) {
                continue;
            }
            boolean indented = line.charAt(0) == ' ' || line.charAt(0) == '\t';
            int colon = trimmed.indexOf(':');
            if (colon <= 0) {
                if (state == State.BLOCK && indented) {
                    continue;
                }
                findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "line " + lineNo + " is not 'key: value'"));
                continue;
            }
            String key = trimmed.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = trimmed.substring(colon + 1).strip();
            // SOL004 §4.3.2: the metadata lines follow "metadata:" unindented (the spec's example) or indented
            // (ONAP's); the first blank line ends the unindented form, indented lines always belong to the block
            if (state == State.METADATA && !STRUCTURAL.contains(key) && (indented || !metadataBlankLine)) {
                putMetadata(metadata, key, value, lineNo, findings, warnings);
                continue;
            }
            if (indented && state == State.BLOCK) {
                continue;
            }
            switch (key) {
                case "metadata" -> {
                    if (indented || !value.isEmpty()) {
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "misplaced metadata key, line " + lineNo));
                    } else if (sawMetadata) {
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "second metadata block, line " + lineNo));
                    }
                    sawMetadata = true;
                    metadataBlankLine = false;
                    state = State.METADATA;
                    current = finish(current, artifacts);
                }
                case "source" -> {
                    current = finish(current, artifacts);
                    current = new ArtifactBuilder(value, lineNo);
                    state = State.ARTIFACT;
                }
                case "algorithm", "hash", "signature", "certificate", "veripack-mode" -> {
                    if (state != State.ARTIFACT || current == null) {
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest",
                                "'" + key + "' outside an artifact block, line " + lineNo));
                    } else if (!current.set(key, value)) {
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, current.source,
                                "'" + key + "' repeated in one artifact block, line " + lineNo));
                    } else if (key.equals("veripack-mode") && VeripackMode.parse(value).isEmpty()) {
                        findings.add(Finding.mismatch(FindingCode.MALFORMED_PACKAGE, current.source,
                                "invalid " + VeripackMode.KEY + " value, line " + lineNo, "100644, 100755 (any 100ppp) or 120000", value));
                    }
                }
                default -> {
                    if (indented) {
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "unexpected indented key '"
                                + key + "', line " + lineNo));
                        continue;
                    }
                    current = finish(current, artifacts);
                    if (MetadataKeys.isStandard(key)) {
                        // readers that skip blank lines (ONAP SDC) would take it as metadata: ambiguous
                        findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "metadata key '" + key
                                + "' outside the metadata block (after its blank line), line " + lineNo));
                        state = State.NONE;
                    } else if (value.isEmpty()) {
                        state = State.BLOCK;
                    } else {
                        warnings.add(new Warning(WarningCode.MANIFEST_KEY_UNKNOWN, key, "unknown manifest key ignored (line " + lineNo + ")"));
                        state = State.NONE;
                    }
                }
            }
        }
        finish(current, artifacts);
        Set<MetadataKeys.Kind> kinds = new TreeSet<>();
        metadata.keySet().forEach(k -> MetadataKeys.kindOf(k).ifPresent(kinds::add));
        if (kinds.size() > 1) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "metadata mixes the keys of "
                    + kinds.stream().map(Enum::name).collect(Collectors.joining(" and ")) + " packages: the package kind is ambiguous"));
        }
    }

    /** One metadata line: a repeated key is {@code MALFORMED_PACKAGE}, a key no kind defines a warning. */
    private static void putMetadata(Map<String, String> metadata, String key, String value, int lineNo, List<Finding> findings,
                                    List<Warning> warnings) {
        if (metadata.putIfAbsent(key, value) != null) {
            findings.add(Finding.of(FindingCode.MALFORMED_PACKAGE, "manifest", "metadata key '" + key + "' repeated, line " + lineNo));
        } else if (!MetadataKeys.isStandard(key)) {
            warnings.add(new Warning(WarningCode.MANIFEST_KEY_UNKNOWN, key, "unknown metadata key ignored (line " + lineNo + ")"));
        }
    }

    private static ArtifactBuilder finish(ArtifactBuilder current, List<Manifest.Entry> artifacts) {
        if (current != null) {
            Integer mode = current.mode == null ? null
                    : VeripackMode.parse(current.mode).stream().boxed().findFirst().orElse(null);
            artifacts.add(new Manifest.Entry(current.source, current.algorithm, current.hash, current.signature,
                    current.certificate, mode, current.line));
        }
        return null;
    }

    private static int[] lineStarts(byte[] bytes) {
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n' && i + 1 < bytes.length) {
                starts.add(i + 1);
            }
        }
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String lineText(byte[] bytes, int[] starts, int i) {
        int from = starts[i];
        int to = i + 1 < starts.length ? starts[i + 1] : bytes.length;
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static final class ArtifactBuilder {
        final String source;
        final int line;
        String algorithm;
        String hash;
        String signature;
        String certificate;
        String mode;

        ArtifactBuilder(String source, int line) {
            this.source = source;
            this.line = line;
        }

        boolean set(String key, String value) {
            switch (key) {
                case "algorithm": if (algorithm != null) { return false; } algorithm = value; return true;
                case "hash": if (hash != null) { return false; } hash = value; return true;
                case "signature": if (signature != null) { return false; } signature = value; return true;
                case "veripack-mode": if (mode != null) { return false; } mode = value; return true;
                default: if (certificate != null) { return false; } certificate = value; return true;
            }
        }
    }
}
