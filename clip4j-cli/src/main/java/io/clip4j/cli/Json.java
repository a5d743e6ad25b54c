package io.clip4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.text.TextInput;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** JSON helpers for the CLI: reading text lists, writing one object per line. */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();

    /** A JSON array of strings from a UTF-8 file (texts may contain newlines; an unpaired surrogate escape is refused). */
    static List<String> readStringArray(Path file) {
        JsonNode n;
        try {
            n = MAPPER.readTree(TextInput.readUtf8(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Clip4jException("file not found: " + file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Clip4jException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        } catch (IOException e) {
            throw new Clip4jException("cannot read " + file + ": " + e.getMessage());
        }
        if (n == null || !n.isArray()) throw new Clip4jException(file + ": expected a JSON array of strings");
        List<String> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw new Clip4jException(file + ": element " + i + " is not a string");
            out.add(TextInput.requireUnicode(n.get(i).asText(), file + ": element " + i));
        }
        return out;
    }

    /** {"kind":…,"input":…,"embedding":[…]} on one line. */
    static String embeddingLine(String kind, String input, float[] embedding) {
        try {
            StringWriter w = new StringWriter(embedding.length * 12 + 64);
            try (JsonGenerator g = FACTORY.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("kind", kind);
                g.writeStringField("input", input);
                g.writeArrayFieldStart("embedding");
                for (float v : embedding) g.writeNumber(v);
                g.writeEndArray();
                g.writeEndObject();
            }
            return w.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String errorLine(String kind, String input, String error) {
        var o = MAPPER.createObjectNode();
        o.put("kind", kind).put("input", input).put("error", error);
        return o.toString();
    }

    static String intArray(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length * 6 + 2).append('[');
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(ids[i]);
        }
        return sb.append(']').toString();
    }
}
