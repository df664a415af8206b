package org.veripack.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.veripack.core.PolicyException;
import org.veripack.core.TrustPolicy;
import org.veripack.core.TrustPolicyLoader;
import org.veripack.node.internal.DurableFiles;
import org.veripack.node.internal.SealedTrust;

/**
 * {@code NODE/config/trust-history.jsonl} ({@link NodeTrust#HISTORY_FILE}): every trust configuration the node's
 * trust administrators set, one JSON object a line in the administered form of the sealed trust
 * ({@link SealedTrust#administeredForm()}); appended by every trust change before {@code policy.yaml} is replaced,
 * never shortened, so the guard admits the sealed trust of a slot installed under any of them (docs/node.md
 * "Sealed trust and current trust").
 */
final class TrustHistory {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path historyFile;
    private final Path policyFile;

    TrustHistory(Path historyFile, Path policyFile) {
        this.historyFile = historyFile;
        this.policyFile = policyFile;
    }

    /**
     * The administered forms recorded so far, in order; a line that does not read admits nothing (the file is the
     * administrator's, a damaged line cannot widen the trust).
     */
    List<SealedTrust> read() throws IOException {
        List<SealedTrust> out = new ArrayList<>();
        if (!Files.exists(historyFile, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        for (String line : Files.readAllLines(historyFile, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(SealedTrust.fromJson(JSON.readTree(line)).administeredForm());
            } catch (IOException unreadable) {
                // admits nothing: the file is the administrator's, a damaged line cannot widen the trust
            }
        }
        return out;
    }

    /**
     * Adds {@code next} to {@link NodeTrust#HISTORY_FILE} (temp + fsync + rename) unless it is there; a node set before the
     * history was kept gets its current policy recorded first, so the slots installed under it stay admitted.
     */
    void record(TrustPolicy next) throws IOException {
        List<SealedTrust> known = read();
        StringBuilder text = new StringBuilder();
        if (Files.exists(historyFile, LinkOption.NOFOLLOW_LINKS)) {
            text.append(Files.readString(historyFile, StandardCharsets.UTF_8));
        } else if (Files.exists(policyFile, LinkOption.NOFOLLOW_LINKS)) {
            try {
                SealedTrust old = SealedTrust.of(TrustPolicyLoader.load(policyFile), List.of());
                known.add(old);
                text.append(JSON.writeValueAsString(old.toJson(JSON.createObjectNode()))).append('\n');
            } catch (PolicyException invalid) {
                // an invalid policy admitted nothing
            }
        }
        SealedTrust form = SealedTrust.of(next, List.of());
        if (known.contains(form)) {
            return;
        }
        text.append(JSON.writeValueAsString(form.toJson(JSON.createObjectNode()))).append('\n');
        DurableFiles.writeAtomically(historyFile, text.toString().getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(historyFile, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
