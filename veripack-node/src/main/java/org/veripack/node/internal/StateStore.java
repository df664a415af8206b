package org.veripack.node.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/**
 * Durable node state under {@code NODE/state/} other than the activation state ({@code versions.json} is
 * {@link ActivationState}'s): the sealed records of the slots ({@code state/slots/<slot>.json}, {@code .mf},
 * {@code .package}) and {@code last-verification.json}, every file written by temp file + fsync + atomic rename.
 * {@code last-verification.json} may be written by any command (a lost update there only loses a status line).
 */
public final class StateStore {
    private static final ObjectMapper MAPPER = SealedRecord.MAPPER;
    private final NodeLayout layout;

    public StateStore(NodeLayout layout) {
        this.layout = layout;
    }

    /** The last verification result document, or null when none was recorded. */
    public JsonNode readLastVerification() throws IOException {
        return readJson(layout.lastVerificationFile());
    }

    public void writeLastVerification(ObjectNode doc) throws IOException {
        DurableFiles.writeAtomically(layout.lastVerificationFile(), MAPPER.writeValueAsBytes(doc));
    }

    public ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    public Optional<SealedRecord> readRecord(String slot) throws IOException {
        try {
            return Optional.of(SealedRecord.fromJson(Files.readAllBytes(layout.recordFile(slot))));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * The sealed record of {@code slot} for reading what it says (identity, signer): empty when there is none or its
     * JSON does not read ({@link SlotReverifier#verify} reports that as {@code INSTALLATION_TAMPERED}).
     *
     * @throws java.nio.file.AccessDeniedException when the caller may not read it (the node-root guard's business)
     */
    public Optional<SealedRecord> readRecordIfReadable(String slot) throws IOException {
        try {
            return readRecord(slot);
        } catch (java.nio.file.AccessDeniedException e) {
            throw e;
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Seals the signed manifest bytes, the option-2 package copy (moved from {@code packageCopy} when not null)
     * and then the record (the record's presence marks a complete seal).
     */
    public void writeRecord(SealedRecord record, byte[] manifestBytes, java.nio.file.Path packageCopy) throws IOException {
        DurableFiles.writeAtomically(layout.manifestFile(record.slot()), manifestBytes);
        if (packageCopy != null) {
            DurableFiles.moveAtomically(packageCopy, layout.packageFile(record.slot()));
        }
        DurableFiles.writeAtomically(layout.recordFile(record.slot()), record.toJsonBytes());
    }

    public void deleteRecord(String slot) throws IOException {
        Files.deleteIfExists(layout.recordFile(slot));
        Files.deleteIfExists(layout.manifestFile(slot));
        Files.deleteIfExists(layout.packageFile(slot));
    }

    private static JsonNode readJson(java.nio.file.Path p) throws IOException {
        try {
            return MAPPER.readTree(Files.readAllBytes(p));
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
