package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;
import java.util.TreeSet;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole training forward and backward on the tiny model and the fixture batch: features, loss and the gradient of
 * every parameter against fixtures/training/{loss,grads}.safetensors, with the README's tolerances.
 */
class ClipGradientsFixtureTest {
    @Test void featuresLossAndEveryParameterGradientMatchTheReference() {
        Batch batch = batch();
        try (ClipModel model = model();
             SafeTensors loss = SafeTensors.open(Fixtures.path("training/loss.safetensors"));
             SafeTensors ref = SafeTensors.open(Fixtures.path("training/grads.safetensors"))) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            System.out.println("Training forward/backward vs training/loss.safetensors and grads.safetensors:");
            ClipTrainingGraph.Features f = g.forward(batch.pixels(), batch.ids(), batch.B(), batch.L());
            assertAbs(loss.floats("image_features"), f.image(), 1e-5, "image_features");
            assertAbs(loss.floats("text_features"), f.text(), 1e-5, "text_features");
            ContrastiveLoss.Result r = g.forwardBackward(batch.pixels(), batch.ids(), batch.B(), batch.L());
            assertScalar(loss.floats("loss")[0], r.loss(), 1e-6, "loss");
            assertScalar(loss.floats("loss_image")[0], r.lossImage(), 1e-6, "loss_image");
            assertScalar(loss.floats("loss_text")[0], r.lossText(), 1e-6, "loss_text");
            assertAbs(loss.floats("logits_per_image"), r.logitsPerImage(), 1e-5, "logits_per_image");

            Map<String, float[]> got = gradsHf(g);
            assertEquals(new TreeSet<>(ref.names()), new TreeSet<>(got.keySet()), "one gradient per fixture tensor");
            double worstRel = 0;
            String worstName = "";
            for (String name : new TreeSet<>(ref.names())) {
                float[] want = ref.floats(name), have = got.get(name);
                double d = maxAbsDiff(want, have), max = maxAbs(want);
                // README: |Δ| ≤ 1e-5·(max |g| of the tensor) + 1e-7; k_proj.bias (analytically 0, float noise) absolutely
                double tol = 1e-5 * max + 1e-7;
                double rel = name.contains("k_proj.bias") ? 0 : d / max;
                if (rel > worstRel) { worstRel = rel; worstName = name; }
                System.out.printf("  %-58s max|Δ| = %.2e  max|g| = %.2e  rel = %.2e%n", name, d, max, d / Math.max(max, 1e-30));
                assertTrue(d <= tol, name + ": max |Δ| " + d + " > " + tol + " (max |g| " + max + ")");
            }
            System.out.printf("  worst relative (k_proj.bias excluded): %.2e in %s%n", worstRel, worstName);

            // structure the README points out: unused token rows and positions past the last EOT get exactly 0
            float[] tok = got.get("text_model.embeddings.token_embedding.weight"), pos = got.get("text_model.embeddings.position_embedding.weight");
            int C = 64, nonzeroRows = 0, nonzeroPos = 0;
            for (int row = 0; row < tok.length / C; row++) { for (int c = 0; c < C; c++) if (tok[row * C + c] != 0) { nonzeroRows++; break; } }
            for (int row = 0; row < pos.length / C; row++) { for (int c = 0; c < C; c++) if (pos[row * C + c] != 0) { nonzeroPos++; break; } }
            assertEquals(22, nonzeroRows, "token rows with a gradient");
            assertEquals(10, nonzeroPos, "position rows with a gradient");
        }
    }

    /** training_info.json's float64 finite differences, coordinate by coordinate (HF names and indices). */
    @Test void finiteDifferenceCoordinatesAgree() throws IOException {
        Batch batch = batch();
        JsonNode rows = new ObjectMapper().readTree(Fixtures.path("training/training_info.json").toFile())
                .path("checks").path("finite_differences").path("rows");
        assertTrue(rows.size() > 0);
        try (ClipModel model = model(); SafeTensors ref = SafeTensors.open(Fixtures.path("training/grads.safetensors"))) {
            ClipTrainingGraph g = new ClipTrainingGraph(model);
            g.forwardBackward(batch.pixels(), batch.ids(), batch.B(), batch.L());
            Map<String, float[]> got = gradsHf(g);
            double worst = 0;
            for (JsonNode row : rows) {
                String name = row.path("hf_name").asText();
                long[] shape = ref.info(name).shape();
                int flat = 0;
                for (int i = 0; i < shape.length; i++) flat = flat * (int) shape[i] + row.path("hf_index").get(i).asInt();
                double fd = row.path("finite_difference_f64").asDouble();
                double d = Math.abs(got.get(name)[flat] - fd);
                worst = Math.max(worst, d);
                assertTrue(d <= 1e-5, name + row.path("hf_index") + ": ours " + got.get(name)[flat] + " vs finite difference " + fd);
            }
            System.out.printf("Finite-difference coordinates (%d): max |ours − fd(float64)| = %.2e%n", rows.size(), worst);
        }
    }
}
