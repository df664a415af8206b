package org.veripack.repo.tuf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * TUF's canonical JSON (spec §4.1 "canonical JSON", the OLPC form that python-tuf's securesystemslib and
 * tuf-js's {@code @tufjs/canonical-json} write): object keys sorted by their UTF-16 code units, no whitespace,
 * strings in UTF-8 with only {@code "} and {@code \} escaped, integers only. The bytes a signature covers are
 * this encoding of the {@code signed} object, so it must match the other implementations byte for byte.
 * Jackson parses and generates; this class only fixes the order and the escaping.
 */
public final class CanonicalJson {
    /** The parser for metadata: duplicate keys are an error (an ambiguous document must not verify). */
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Canonical JSON escapes only the quote and the backslash; control characters are written as they are. */
    private static final CharacterEscapes ESCAPES = new CharacterEscapes() {
        private static final long serialVersionUID = 1L;
        private final int[] codes = new int[128];

        {
            codes['"'] = ESCAPE_STANDARD;
            codes['\\'] = ESCAPE_STANDARD;
        }

        @Override public int[] getEscapeCodesForAscii() { return codes; }

        @Override public SerializableString getEscapeSequence(int ch) { return null; }
    };

    private CanonicalJson() { }

    /**
     * The canonical bytes of {@code node}.
     *
     * @throws IllegalArgumentException when the tree holds a non-integral number (canonical JSON has none)
     */
    public static byte[] encode(JsonNode node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.setCharacterEscapes(ESCAPES);
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, JsonNode n) throws IOException {
        switch (n.getNodeType()) {
            case OBJECT -> {
                List<String> names = new ArrayList<>();
                for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                    names.add(it.next());
                }
                names.sort(null); // String.compareTo: UTF-16 code units, as JavaScript's sort
                g.writeStartObject();
                for (String name : names) {
                    g.writeFieldName(name);
                    write(g, n.get(name));
                }
                g.writeEndObject();
            }
            case ARRAY -> {
                g.writeStartArray();
                for (JsonNode e : n) {
                    write(g, e);
                }
                g.writeEndArray();
            }
            case STRING -> g.writeString(n.textValue());
            case NUMBER -> {
                if (!n.isIntegralNumber()) {
                    throw new IllegalArgumentException("canonical JSON has no non-integral numbers: " + n);
                }
                g.writeNumber(n.bigIntegerValue());
            }
            case BOOLEAN -> g.writeBoolean(n.booleanValue());
            case NULL -> g.writeNull();
            default -> throw new IllegalArgumentException("not JSON: " + n.getNodeType());
        }
    }
}
