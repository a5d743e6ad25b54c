package io.clip4j.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.text.TextInput;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A text policy: rules, each a set of positive prompts (what the rule is about), negative prompts (look-alikes that
 * are not), neutral prompts (ordinary content) and a threshold. The JSON form:
 *
 * <pre>{@code
 * {
 *   "neutral": ["a photo.", "a photo of everyday objects."],          // optional: for rules without their own
 *   "rules": [
 *     {"name": "weapons",
 *      "positive": ["a photo of a gun.", "a photo of a knife."],
 *      "negative": ["a photo of a toy gun.", "a photo of a kitchen utensil."],
 *      "neutral":  ["a photo."],                                       // optional
 *      "threshold": 0.6}                                              // optional, default 0.5
 *   ]
 * }
 * }</pre>
 *
 * See {@link PolicyScorer} for how a rule is scored.
 */
public record Policy(List<Rule> rules) {
    public static final double DEFAULT_THRESHOLD = 0.5;

    public record Rule(String name, List<String> positive, List<String> negative, List<String> neutral, double threshold) {
        public Rule {
            positive = List.copyOf(positive);
            negative = List.copyOf(negative);
            neutral = List.copyOf(neutral);
            if (name == null || name.isBlank()) throw new Clip4jException("a policy rule has no name");
            if (positive.isEmpty()) throw new Clip4jException("rule \"" + name + "\": no positive prompts");
            if (negative.isEmpty() && neutral.isEmpty()) {
                throw new Clip4jException("rule \"" + name + "\": give at least one negative or neutral prompt"
                        + " (against positive prompts alone every image scores 1)");
            }
            if (!(threshold >= 0 && threshold <= 1)) throw new Clip4jException("rule \"" + name + "\": threshold must be between 0 and 1, got " + threshold);
        }

        /** The prompts the positives compete with: negatives, then neutrals. */
        public List<String> others() {
            List<String> o = new ArrayList<>(negative);
            o.addAll(neutral);
            return o;
        }
    }

    public Policy {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) throw new Clip4jException("the policy has no rules");
        Set<String> names = new HashSet<>();
        for (Rule r : rules) if (!names.add(r.name())) throw new Clip4jException("two policy rules are named \"" + r.name() + "\"");
    }

    public static Policy read(Path file) {
        String text;
        try {
            text = TextInput.readUtf8(file);
        } catch (NoSuchFileException e) {
            throw new Clip4jException("policy file not found: " + file);
        } catch (IOException e) {
            throw new Clip4jException("cannot read policy file " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (Clip4jException e) {
            throw new Clip4jException(file + ": " + e.getMessage(), e);
        }
    }

    private static final Set<String> TOP_FIELDS = Set.of("rules", "neutral", "description");
    private static final Set<String> RULE_FIELDS = Set.of("name", "positive", "negative", "neutral", "threshold", "description");

    public static Policy parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new Clip4jException("not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw new Clip4jException("expected a JSON object with \"rules\"");
        checkFields(root, TOP_FIELDS, "the policy");
        List<String> defaultNeutral = strings(root, "neutral", "the policy");
        JsonNode rules = root.get("rules");
        if (rules == null || !rules.isArray()) throw new Clip4jException("\"rules\" must be an array of rules");
        List<Rule> out = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            JsonNode r = rules.get(i);
            String where = "rule " + (i + 1);
            if (!r.isObject()) throw new Clip4jException(where + " is not an object");
            JsonNode name = r.get("name");
            if (name == null || !name.isTextual()) throw new Clip4jException(where + ": \"name\" must be a string");
            TextInput.requireUnicode(name.asText(), where + ": \"name\"");
            where = "rule \"" + name.asText() + "\"";
            checkFields(r, RULE_FIELDS, where);
            List<String> neutral = r.has("neutral") ? strings(r, "neutral", where) : defaultNeutral;
            double threshold = DEFAULT_THRESHOLD;
            if (r.has("threshold")) {
                if (!r.get("threshold").isNumber()) throw new Clip4jException(where + ": \"threshold\" must be a number");
                threshold = r.get("threshold").asDouble();
            }
            out.add(new Rule(name.asText(), strings(r, "positive", where), strings(r, "negative", where), neutral, threshold));
        }
        return new Policy(out);
    }

    private static void checkFields(JsonNode n, Set<String> known, String where) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) throw new Clip4jException(where + ": unknown field \"" + f + "\" (known: " + String.join(", ", known.stream().sorted().toList()) + ")");
        }
    }

    private static List<String> strings(JsonNode n, String field, String where) {
        JsonNode a = n.get(field);
        if (a == null || a.isNull()) return List.of();
        if (a.isTextual()) return List.of(TextInput.requireUnicode(a.asText(), where + ": \"" + field + "\""));
        if (!a.isArray()) throw new Clip4jException(where + ": \"" + field + "\" must be an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode s : a) {
            if (!s.isTextual()) throw new Clip4jException(where + ": \"" + field + "\" must be an array of strings");
            out.add(TextInput.requireUnicode(s.asText(), where + ": \"" + field + "\" element " + out.size()));
        }
        return out;
    }
}
