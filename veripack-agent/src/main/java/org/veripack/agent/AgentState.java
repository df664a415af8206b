package org.veripack.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeMap;
import org.veripack.node.NodeFiles;

/**
 * What the agent remembers across restarts, {@code NODE/state/agent/agent.json} (written crash-safely through
 * {@link NodeFiles#writeAtomically}): the versions that failed their health check per package (never installed again;
 * a newer version is), the last slot marked good and the last slot judged (good or rolled back from): an active slot
 * that is neither was activated and not judged (the agent was killed in between, or a person installed it) and is
 * judged at the next tick. The judged slot is written only after its rollback, so a kill during the rollback judges
 * it again. Also since when the node has been behind the repository.
 */
final class AgentState {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    final TreeMap<String, Set<String>> failed = new TreeMap<>();
    String good;
    String judged;
    Instant behindSince;

    private AgentState(Path file) {
        this.file = file;
    }

    static Path file(Path root) {
        return root.resolve("state").resolve("agent").resolve("agent.json");
    }

    /** The state of node {@code root}; empty when it has none. An unreadable file is an {@link IOException}. */
    static AgentState load(Path root) throws IOException {
        AgentState s = new AgentState(file(root));
        if (!Files.isRegularFile(s.file)) {
            return s;
        }
        JsonNode n = JSON.readTree(Files.readAllBytes(s.file));
        n.path("failedVersions").properties().forEach(e -> {
            Set<String> v = new LinkedHashSet<>();
            e.getValue().forEach(x -> v.add(x.asText()));
            s.failed.put(e.getKey(), v);
        });
        s.good = n.path("good").asText(null);
        s.judged = n.path("judged").asText(null);
        s.behindSince = n.hasNonNull("behindSince") ? Instant.parse(n.get("behindSince").asText()) : null;
        return s;
    }

    boolean failed(String packageName, String version) {
        return version != null && failed.getOrDefault(packageName, Set.of()).contains(version);
    }

    void save() throws IOException {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode f = o.putObject("failedVersions");
        failed.forEach((k, v) -> f.set(k, JSON.valueToTree(v)));
        o.put("good", good);
        o.put("judged", judged);
        o.put("behindSince", behindSince == null ? null : behindSince.toString());
        NodeFiles.ensurePrivateDirectory(file.getParent());
        NodeFiles.writeAtomically(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
    }
}
