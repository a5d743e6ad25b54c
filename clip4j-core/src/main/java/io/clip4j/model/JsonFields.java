package io.clip4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Typed, validated reads from a JSON object, with defaults for omitted fields.
 * Errors name the file and the field's dotted path, e.g. "config.json: vision_config.patch_size must be a positive integer (got -3)".
 */
final class JsonFields {
    private static final ObjectMapper JSON = new ObjectMapper();

    final String file;
    final String prefix;
    final JsonNode node;

    JsonFields(String file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    static JsonFields read(Path path) {
        if (!Files.isRegularFile(path)) throw new Clip4jException("missing " + path.getFileName() + " in " + path.toAbsolutePath().getParent());
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (IOException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw new Clip4jException(path + ": not valid JSON (" + m + ")", e);
        }
        if (root == null || !root.isObject()) throw new Clip4jException(path + ": expected a JSON object");
        return new JsonFields(path.toString(), "", root);
    }

    String where(String field) { return file + ": " + prefix + field; }

    boolean has(String field) { return node.has(field) && !node.get(field).isNull(); }

    /** A nested object; an empty one when omitted (every field then takes its default). */
    JsonFields object(String field) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return new JsonFields(file, prefix + field + ".", JSON.createObjectNode());
        if (!n.isObject()) throw new Clip4jException(where(field) + " must be an object (got " + n + ")");
        return new JsonFields(file, prefix + field + ".", n);
    }

    int positiveInt(String field, int dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) throw new Clip4jException(where(field) + " must be a positive integer (got " + n + ")");
        return n.asInt();
    }

    int anyInt(String field, int dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (n.isArray() && n.size() > 0 && n.get(0).isIntegralNumber()) return n.get(0).asInt(); // e.g. eos_token_id: [1, 107]
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new Clip4jException(where(field) + " must be an integer (got " + n + ")");
        return n.asInt();
    }

    float positiveFloat(String field, float dflt) {
        float v = anyFloat(field, dflt);
        if (!(v > 0)) throw new Clip4jException(where(field) + " must be a positive number (got " + node.get(field) + ")");
        return v;
    }

    float anyFloat(String field, float dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) throw new Clip4jException(where(field) + " must be a number (got " + n + ")");
        return (float) n.asDouble();
    }

    String string(String field, String dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) throw new Clip4jException(where(field) + " must be a string (got " + n + ")");
        return n.asText();
    }

    boolean bool(String field, boolean dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isBoolean()) throw new Clip4jException(where(field) + " must be true or false (got " + n + ")");
        return n.asBoolean();
    }

    float[] floats(String field, float[] dflt) {
        JsonNode n = node.get(field);
        if (n == null || n.isNull()) return dflt;
        if (n.isNumber()) { float v = (float) n.asDouble(); return new float[]{v, v, v}; }
        if (!n.isArray()) throw new Clip4jException(where(field) + " must be a list of numbers (got " + n + ")");
        float[] out = new float[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isNumber()) throw new Clip4jException(where(field) + " must be a list of numbers (got " + n + ")");
            out[i] = (float) n.get(i).asDouble();
        }
        return out;
    }
}
