package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PolicyScorerTest {
    static ClipModel model;

    @BeforeAll static void load() { model = ClipModel.load(Fixtures.path("models/tiny/hf")); }
    @AfterAll static void close() { model.close(); }

    static final String POLICY = """
            {"neutral": ["a photo.", "an image of something."],
             "rules": [
               {"name": "faces", "positive": ["a photo of a face.", "a smiling face"], "negative": ["a photo of a mask."], "threshold": 0.4},
               {"name": "space", "positive": "a rocket", "neutral": ["a photo of a kitchen."], "threshold": 0.9},
               {"name": "food", "positive": ["a cup of coffee"], "negative": ["a cup of paint"]}
             ]}""";

    @Test void scoresAreThePositiveSoftmaxMassOfTheModelsOwnEmbeddings() {
        Policy policy = Policy.parse(POLICY);
        assertEquals(List.of("a photo.", "an image of something."), policy.rules().get(0).neutral(), "top-level neutral applies");
        assertEquals(List.of("a photo of a kitchen."), policy.rules().get(1).neutral(), "a rule's own neutral wins");
        assertEquals(Policy.DEFAULT_THRESHOLD, policy.rules().get(2).threshold());
        PolicyScorer scorer = PolicyScorer.create(model, policy);
        Path in = Fixtures.path("images/inputs");
        double scale = Math.exp(model.logitScale());
        for (String f : List.of("chelsea.png", "rocket.jpg", "coffee.png", "astronaut.png")) {
            float[] img = model.embedImage(in.resolve(f));
            List<PolicyScorer.RuleScore> got = scorer.score(in.resolve(f));
            assertEquals(3, got.size());
            for (int r = 0; r < 3; r++) {
                Policy.Rule rule = policy.rules().get(r);
                List<String> prompts = new ArrayList<>(rule.positive());
                prompts.addAll(rule.negative());
                prompts.addAll(rule.neutral());
                float[][] t = model.embedTexts(prompts);
                double sum = 0, pos = 0, bestPos = -2, bestOther = -2;
                int top = 0;
                for (int j = 0; j < t.length; j++) {
                    double c = Vectors.dot(img, t[j]), e = Math.exp(scale * c);
                    sum += e;
                    if (j < rule.positive().size()) { pos += e; bestPos = Math.max(bestPos, c); } else bestOther = Math.max(bestOther, c);
                    if (c > Vectors.dot(img, t[top])) top = j;
                }
                PolicyScorer.RuleScore s = got.get(r);
                assertEquals(rule.name(), s.rule());
                assertEquals(pos / sum, s.score(), 1e-5, f + " " + rule.name());
                assertEquals(s.score() >= rule.threshold(), s.flagged());
                assertEquals(bestPos - bestOther, s.margin(), 1e-5);
                assertEquals(prompts.get(top), s.top());
                assertEquals(top < rule.positive().size() ? "positive" : top < rule.positive().size() + rule.negative().size() ? "negative" : "neutral", s.topKind());
            }
        }
    }

    @Test void badPoliciesSayWhatIsWrong() {
        assertTrue(msg("{\"rules\": []}").contains("no rules"));
        assertTrue(msg("{\"rules\": [{\"name\": \"x\", \"positive\": [\"a\"]}]}").contains("negative or neutral"));
        assertTrue(msg("{\"rules\": [{\"name\": \"x\", \"positives\": [\"a\"], \"neutral\": \"b\"}]}").contains("unknown field \"positives\""));
        assertTrue(msg("{\"rules\": [{\"name\": \"x\", \"positive\": [\"a\"], \"neutral\": \"b\", \"threshold\": 2}]}").contains("between 0 and 1"));
        assertTrue(msg("{\"rules\": [{\"name\": \"x\", \"positive\": [\"a\"], \"neutral\": \"b\"}, {\"name\": \"x\", \"positive\": [\"a\"], \"neutral\": \"b\"}]}").contains("two policy rules"));
        assertTrue(msg("{\"rules\": [{\"positive\": [\"a\"]}]}").contains("\"name\""));
        assertTrue(msg("{nope").contains("not valid JSON"));
    }

    /** A policy file that is not UTF-8, and a prompt or name that is not Unicode text: one error naming the file and the string. */
    @Test void policyTextMustBeUnicode(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path latin1 = java.nio.file.Files.write(tmp.resolve("l1.json"),
                "{\"rules\": [{\"name\": \"caf\u00e9\", \"positive\": [\"a\"], \"neutral\": \"b\"}]}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(latin1 + ": not valid UTF-8 (byte 0xE9 at offset 24)", assertThrows(Clip4jException.class, () -> Policy.read(latin1)).getMessage());
        java.nio.file.Path lone = java.nio.file.Files.writeString(tmp.resolve("lone.json"),
                "{\"rules\": [{\"name\": \"x\", \"positive\": [\"a\", \"b\\ud800\"], \"neutral\": \"c\"}]}");
        assertEquals(lone + ": rule \"x\": \"positive\" element 1 is not valid Unicode (unpaired surrogate \\uD800 at character 1)",
                assertThrows(Clip4jException.class, () -> Policy.read(lone)).getMessage());
        assertTrue(msg("{\"rules\": [{\"name\": \"\\udc00\", \"positive\": [\"a\"], \"neutral\": \"c\"}]}").startsWith("rule 1: \"name\" is not valid Unicode"));
        assertTrue(msg("{\"neutral\": \"\\ud800\", \"rules\": []}").startsWith("the policy: \"neutral\" is not valid Unicode"));
    }

    static String msg(String json) {
        return assertThrows(Clip4jException.class, () -> Policy.parse(json)).getMessage();
    }
}
