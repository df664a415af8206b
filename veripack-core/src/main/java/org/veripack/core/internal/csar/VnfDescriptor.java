package org.veripack.core.internal.csar;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The VNF node of a VNFD in a package directory (ETSI GS NFV-SOL 001 §6.8: a node template whose type is
 * {@code tosca.nodes.nfv.VNF} or derived from it), read to fill SOL004 manifest metadata when signing.
 *
 * <p>Reads the main TOSCA definitions file with Jackson YAML and follows its {@code imports} (a list of
 * paths, {@code {file: path}} maps or TOSCA 1.0 {@code name: path} pairs) only to files of the package:
 * relative to the importing file, else to the package root; URLs and paths leaving the package are not
 * followed. Node types come from every file read (the first definition of a name wins); node templates only
 * from the main file. Bounds: at most {@value #MAX_FILES} files of at most {@value #MAX_FILE_BYTES} bytes,
 * derivation chains of at most {@value #MAX_DERIVATION} steps (longer or looping chains end unmatched).
 *
 * <p>A property's value is the node template's own, when it is a scalar (a {@code get_input} or other
 * function is not), else the {@code default} of that property along the node type's {@code derived_from}
 * chain (Tacker's samples pin {@code descriptor_id} and friends there). Values are trimmed text; multi-line
 * values count as absent.
 */
public final class VnfDescriptor {
    /** The SOL001 VNF node type. */
    public static final String VNF_TYPE = "tosca.nodes.nfv.VNF";
    static final int MAX_FILES = 64;
    static final long MAX_FILE_BYTES = 4L << 20;
    static final int MAX_DERIVATION = 32;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private VnfDescriptor() { }

    /**
     * The VNF node of the main definitions file.
     *
     * @param file       the file it was found in (package path)
     * @param node       the node template's name
     * @param properties requested properties that have a value (see the class comment), in request order
     */
    public record VnfNode(String file, String node, Map<String, String> properties) { }

    /**
     * @param files          the package's regular files by package path (nothing else is read)
     * @param entry          package path of the main definitions file
     * @param propertyNames  the properties to read (e.g. {@code descriptor_id}, {@code provider})
     * @return the VNF node, empty when the main file has no node template of a VNF type
     * @throws IllegalArgumentException when a file read is not YAML, is too large, or the main file has
     *         several VNF node templates (message names the file)
     * @throws IOException when a file cannot be read
     */
    public static Optional<VnfNode> read(Map<String, Path> files, String entry, List<String> propertyNames) throws IOException {
        Map<String, JsonNode> nodeTypes = new HashMap<>();
        JsonNode main = null;
        Deque<String> queue = new ArrayDeque<>(List.of(entry));
        Set<String> seen = new HashSet<>(queue);
        int read = 0;
        while (!queue.isEmpty() && read < MAX_FILES) {
            String path = queue.removeFirst();
            JsonNode doc = parse(path, files.get(path));
            read++;
            if (main == null) {
                main = doc;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("node_types").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> t = it.next();
                nodeTypes.putIfAbsent(t.getKey(), t.getValue());
            }
            for (String imported : imports(doc.path("imports"))) {
                resolve(path, imported, files).filter(seen::add).ifPresent(queue::addLast);
            }
        }
        List<Map.Entry<String, JsonNode>> vnfs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = main.path("topology_template").path("node_templates").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> t = it.next();
            if (isVnfType(t.getValue().path("type").asText(""), nodeTypes)) {
                vnfs.add(t);
            }
        }
        if (vnfs.isEmpty()) {
            return Optional.empty();
        }
        if (vnfs.size() > 1) {
            throw new IllegalArgumentException(entry + " has several VNF node templates ("
                    + String.join(", ", vnfs.stream().map(Map.Entry::getKey).toList()) + ")");
        }
        JsonNode template = vnfs.get(0).getValue();
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : propertyNames) {
            scalar(template.path("properties").path(p))
                    .or(() -> typeDefault(template.path("type").asText(""), p, nodeTypes))
                    .ifPresent(v -> values.put(p, v));
        }
        return Optional.of(new VnfNode(entry, vnfs.get(0).getKey(), values));
    }

    /** Whether {@code file} parses as YAML with a {@code topology_template}: a candidate main definitions file. */
    public static boolean hasTopologyTemplate(String path, Path file) throws IOException {
        try {
            return parse(path, file).has("topology_template");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static JsonNode parse(String path, Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException(path + " is not a file of the package");
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(path + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            JsonNode doc = YAML.readTree(file.toFile());
            if (doc == null || !doc.isObject()) {
                throw new IllegalArgumentException(path + " is not a YAML mapping");
            }
            return doc;
        } catch (JacksonException e) {
            throw new IllegalArgumentException(path + " is not valid YAML: " + e.getOriginalMessage());
        }
    }

    private static List<String> imports(JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : list) {
            if (i.isTextual()) {
                out.add(i.asText());
            } else if (i.has("file")) {
                out.add(i.path("file").asText(""));
            } else if (i.isObject() && i.size() == 1) {
                JsonNode v = i.elements().next();
                out.add(v.isTextual() ? v.asText() : v.path("file").asText(""));
            }
        }
        return out;
    }

    /** The package path {@code imported} names from {@code importer}: beside it, else from the root; never outside. */
    private static Optional<String> resolve(String importer, String imported, Map<String, Path> files) {
        if (imported.isEmpty() || imported.contains("://") || imported.startsWith("/") || imported.indexOf('\\') >= 0
                || imported.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        String beside = Path.of(importer.substring(0, importer.lastIndexOf('/') + 1) + imported).normalize().toString()
                .replace('\\', '/');
        if (!beside.startsWith("..") && files.containsKey(beside)) {
            return Optional.of(beside);
        }
        String fromRoot = PathRules.normalise(imported);
        return PathRules.unsafeReason(imported).isEmpty() && files.containsKey(fromRoot) ? Optional.of(fromRoot) : Optional.empty();
    }

    private static boolean isVnfType(String type, Map<String, JsonNode> nodeTypes) {
        String t = type;
        for (int i = 0; i < MAX_DERIVATION && !t.isEmpty(); i++) {
            if (t.equals(VNF_TYPE)) {
                return true;
            }
            JsonNode def = nodeTypes.get(t);
            if (def == null) {
                return false;
            }
            t = def.path("derived_from").asText("");
        }
        return false;
    }

    private static Optional<String> typeDefault(String type, String property, Map<String, JsonNode> nodeTypes) {
        String t = type;
        for (int i = 0; i < MAX_DERIVATION && nodeTypes.containsKey(t); i++) {
            Optional<String> v = scalar(nodeTypes.get(t).path("properties").path(property).path("default"));
            if (v.isPresent()) {
                return v;
            }
            t = nodeTypes.get(t).path("derived_from").asText("");
        }
        return Optional.empty();
    }

    private static Optional<String> scalar(JsonNode n) {
        if (n == null || !n.isValueNode() || n.isNull()) {
            return Optional.empty();
        }
        String v = n.asText().strip();
        return v.isEmpty() || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0 ? Optional.empty() : Optional.of(v);
    }
}
