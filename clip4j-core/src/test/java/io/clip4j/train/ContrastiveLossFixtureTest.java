package io.clip4j.train;

import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.clip4j.train.TrainFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

/** The CLIP loss on its own: fixtures/training/loss.safetensors (features in, every intermediate and gradient out). */
class ContrastiveLossFixtureTest {
    @Test void everyIntermediateAndGradientMatchesTheReference() {
        System.out.println("ContrastiveLoss vs training/loss.safetensors:");
        try (SafeTensors st = SafeTensors.open(Fixtures.path("training/loss.safetensors"))) {
            int B = (int) st.info("image_features").shape()[0], E = (int) st.info("image_features").shape()[1];
            ContrastiveLoss.Result r = ContrastiveLoss.compute(st.floats("image_features"), st.floats("text_features"), B, E,
                    st.floats("logit_scale")[0]);
            assertScalar(st.floats("loss")[0], r.loss(), 1e-6, "loss");
            assertScalar(st.floats("loss_image")[0], r.lossImage(), 1e-6, "loss_image");
            assertScalar(st.floats("loss_text")[0], r.lossText(), 1e-6, "loss_text");
            assertScalar(st.floats("logit_scale_exp")[0], r.logitScaleExp(), 1e-6, "logit_scale_exp");
            assertAbs(st.floats("image_features_normalized"), r.imageNormalized(), 1e-6, "image_features_normalized");
            assertAbs(st.floats("text_features_normalized"), r.textNormalized(), 1e-6, "text_features_normalized");
            assertAbs(st.floats("logits_per_image"), r.logitsPerImage(), 1e-5, "logits_per_image");
            assertAbs(st.floats("logits_per_text"), r.logitsPerText(), 1e-5, "logits_per_text");
            assertAbs(st.floats("grad_logits_per_image"), r.dLogitsPerImage(), 1e-7, "grad_logits_per_image");
            assertAbs(st.floats("grad_logits_per_text"), r.dLogitsPerText(), 1e-7, "grad_logits_per_text");
            assertAbs(st.floats("grad_image_features_normalized"), r.dImageNormalized(), 1e-6, "grad_image_features_normalized");
            assertAbs(st.floats("grad_text_features_normalized"), r.dTextNormalized(), 1e-6, "grad_text_features_normalized");
            assertAbs(st.floats("grad_image_features"), r.dImageFeatures(), 1e-6, "grad_image_features");
            assertAbs(st.floats("grad_text_features"), r.dTextFeatures(), 1e-6, "grad_text_features");
            assertScalar(st.floats("grad_logit_scale_exp")[0], r.dLogitScaleExp(), 1e-7, "grad_logit_scale_exp");
            assertScalar(st.floats("grad_logit_scale")[0], r.dLogitScale(), 1e-6, "grad_logit_scale");
        }
    }

    @Test void gradientsMatchFiniteDifferences() {
        Random rnd = new Random(3);
        int B = 5, E = 6;
        float[] img = new float[B * E], txt = new float[B * E];
        for (int i = 0; i < B * E; i++) { img[i] = (float) rnd.nextGaussian(); txt[i] = (float) rnd.nextGaussian(); }
        float ls = 0.5f;
        ContrastiveLoss.Result r = ContrastiveLoss.compute(img, txt, B, E, ls);
        double h = 3e-3;   // features are float: the actual (rounded) step is used; float loss rounding ≈ 1e-7 / h
        for (int which = 0; which < 2; which++) {
            float[] x = which == 0 ? img : txt, g = which == 0 ? r.dImageFeatures() : r.dTextFeatures();
            for (int i = 0; i < x.length; i++) {
                float keep = x[i];
                x[i] = (float) (keep + h); double up = ContrastiveLoss.compute(img, txt, B, E, ls).loss();
                double hu = x[i] - keep;
                x[i] = (float) (keep - h); double dn = ContrastiveLoss.compute(img, txt, B, E, ls).loss();
                double hd = keep - x[i];
                x[i] = keep;
                assertEquals((up - dn) / (hu + hd), g[i], 2e-4, (which == 0 ? "image" : "text") + " feature " + i);
            }
        }
        double up = ContrastiveLoss.compute(img, txt, B, E, ls + 3e-3f).loss(), dn = ContrastiveLoss.compute(img, txt, B, E, ls - 3e-3f).loss();
        assertEquals((up - dn) / ((ls + 3e-3f) - (ls - 3e-3f)), r.dLogitScale(), 2e-4, "logit_scale");
    }
}
